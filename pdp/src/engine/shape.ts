/**
 * The shape checks `compile` makes on a policy set it is handed directly (the loader's JSON
 * Schemas never saw it). They cover what would otherwise widen a rule in silence: a matcher with
 * an empty or misspelt list reads as "no condition on the subject", so a rule meant for a few
 * would apply to everyone. Each function returns the problem, or null.
 */

const POLICY_KEYS: ReadonlySet<string> = new Set(['$schema', 'id', 'description', 'resource', 'rules']);
const RULE_KEYS: ReadonlySet<string> = new Set(['id', 'description', 'effect', 'actions', 'subject', 'when']);
const SUBJECT_KEYS: ReadonlySet<string> = new Set(['groups', 'roles']);
const MATCHER_KEYS: ReadonlySet<string> = new Set(['anyOf', 'allOf']);
const ROLE_KEYS: ReadonlySet<string> = new Set(['description', 'fromGroups', 'when', 'inherits']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKey(value: Record<string, unknown>, known: ReadonlySet<string>): string | null {
  for (const key of Object.keys(value)) if (!known.has(key)) return `unknown key "${key}"`;
  return null;
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === 'string' && n !== '');
}

export function policyShapeProblem(policy: unknown): string | null {
  if (!isObject(policy)) return 'a policy must be an object';
  if (typeof policy.id !== 'string' || policy.id === '') return 'a policy needs a string id';
  if (typeof policy.resource !== 'string' || policy.resource === '') return 'a policy needs a non-empty string resource';
  if (!Array.isArray(policy.rules) || policy.rules.length === 0) return 'a policy needs a non-empty rules array';
  return unknownKey(policy, POLICY_KEYS);
}

function matcherProblem(matcher: unknown, where: string): string | null {
  if (!isObject(matcher)) return `${where} must be an object`;
  const bad = unknownKey(matcher, MATCHER_KEYS);
  if (bad !== null) return `${where}: ${bad}`;
  if (matcher.anyOf === undefined && matcher.allOf === undefined) return `${where} needs anyOf or allOf`;
  for (const kind of ['anyOf', 'allOf'] as const) {
    if (matcher[kind] !== undefined && !isNameList(matcher[kind])) return `${where}.${kind} must be a non-empty array of non-empty strings`;
  }
  return null;
}

export function ruleShapeProblem(rule: unknown): string | null {
  if (!isObject(rule)) return 'a rule must be an object';
  if (typeof rule.id !== 'string' || rule.id === '') return 'a rule needs a string id';
  const bad = unknownKey(rule, RULE_KEYS);
  if (bad !== null) return bad;
  if (rule.effect !== 'allow' && rule.effect !== 'deny') return 'effect must be allow or deny';
  if (!isNameList(rule.actions)) return 'actions must be a non-empty array of non-empty strings';
  if (rule.subject === undefined) return null;
  if (!isObject(rule.subject)) return 'subject must be an object';
  const badSubject = unknownKey(rule.subject, SUBJECT_KEYS);
  if (badSubject !== null) return `subject: ${badSubject}`;
  if (rule.subject.groups === undefined && rule.subject.roles === undefined) return 'subject needs groups or roles';
  for (const kind of ['groups', 'roles'] as const) {
    if (rule.subject[kind] === undefined) continue;
    const problem = matcherProblem(rule.subject[kind], `subject.${kind}`);
    if (problem !== null) return problem;
  }
  return null;
}

export function roleShapeProblem(role: unknown): string | null {
  if (!isObject(role)) return 'a role must be an object';
  const bad = unknownKey(role, ROLE_KEYS);
  if (bad !== null) return bad;
  for (const kind of ['fromGroups', 'inherits'] as const) {
    if (role[kind] !== undefined && !isNameList(role[kind])) return `${kind} must be a non-empty array of non-empty strings`;
  }
  return null;
}
