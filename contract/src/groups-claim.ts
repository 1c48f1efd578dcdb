/**
 * Where a token's groups are read from, and what counts as groups. The PDP (token mode) and
 * demo-api read groups through this one rule, so a token means the same groups to both:
 *
 * - the claim is a dot-separated path of claim names (`groups`, `realm_access.roles`), followed
 *   through the token's own properties only; a segment that is empty or names a prototype
 *   (`__proto__`, `constructor`, `prototype`) makes the path invalid;
 * - absent: no groups; a string: that one group (an empty string: none); an array of strings:
 *   those groups, in order;
 * - anything else (a number, an object, an array holding a non-string) is refused, never
 *   emptied: dropping odd entries could hide a group that a deny rule names.
 */

const PROTOTYPE_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `path` is not a usable groups-claim path, or undefined when it is. */
export function claimPathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path === '') return 'must not be empty';
  for (const segment of path.split('.')) {
    if (segment === '') return 'must be dot-separated claim names without empty segments (e.g. groups or realm_access.roles)';
    if (PROTOTYPE_SEGMENTS.has(segment)) return `must not name ${segment}`;
  }
  return undefined;
}

/** The value at a dotted path through own properties; undefined when any step is missing. */
export function readClaimPath(claims: unknown, path: string): unknown {
  let current: unknown = claims;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * The groups a token's claims name at `path`, or undefined when the token must be refused
 * (a malformed claim, or an invalid path: fail closed). The array returned is a fresh copy.
 */
export function groupsFromClaims(claims: Readonly<Record<string, unknown>>, path: string): string[] | undefined {
  if (claimPathProblem(path) !== undefined) return undefined;
  const value = readClaimPath(claims, path);
  if (value === undefined) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!Array.isArray(value) || !value.every((group) => typeof group === 'string')) return undefined;
  return [...(value as string[])];
}
