import type { AccessOption } from '@oracle-ai/contract';

/** More ways than this to be granted one thing are not worth listing to a refused user. */
const MAX_OPTIONS = 20;

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * What a refused user may learn from an explained deny: the group sets of `explain.wouldAllow`
 * that grant the request on their own (an option that also needs a role no group gives names
 * nothing the user could ask to join, so it is left out). Policy and rule ids are not passed on.
 * Undefined when the PDP said nothing usable: the caller then gives no advice rather than
 * guessing.
 */
export function accessOptionsOf(explain: unknown): AccessOption[] | undefined {
  const wouldAllow = (explain as { wouldAllow?: unknown } | null | undefined)?.wouldAllow;
  if (!Array.isArray(wouldAllow)) return undefined;
  const seen = new Set<string>();
  const options: AccessOption[] = [];
  for (const entry of wouldAllow as unknown[]) {
    const { groups, roles } = (entry ?? {}) as { groups?: unknown; roles?: unknown };
    if (!isStringList(groups) || !isStringList(roles)) return undefined;
    if (roles.length > 0 || groups.length === 0) continue;
    const key = JSON.stringify([...groups].sort());
    if (seen.has(key)) continue;
    seen.add(key);
    options.push({ groups: [...groups] });
    if (options.length === MAX_OPTIONS) break;
  }
  return options;
}
