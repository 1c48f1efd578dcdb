/**
 * `explain.wouldAllow`: for an explained deny, the allow rules that would grant this exact request
 * if the subject held more groups or roles. Only additions are ever suggested, never a removal.
 *
 * For each allow rule of the request's (type, action), in policy-set order:
 *  1. the groups it needs that the subject lacks: every missing `allOf` group, and for an `anyOf`
 *     none of which is held, one candidate per alternative (in the order the rule lists them);
 *  2. likewise the roles; a missing role that roles.json derives from a group becomes that group
 *     (the role's own first `fromGroups`, else the first, by name, of the roles that inherit it
 *     and have `fromGroups`); a role no group derives (`fromData`, `when`) stays a role;
 *  3. the candidate is kept only if deciding the same request again, with those groups added and
 *     those roles forced, allows. So a deny rule that would still apply (contractors and
 *     confidential documents), a condition that fails on the request's other attributes, or a
 *     role derivation error means no advice for that rule.
 *
 * Bounded: at most MAX_WOULD_ALLOW entries, MAX_WOULD_ALLOW_CHECKS re-decisions and
 * MAX_ALTERNATIVES candidates per rule; past a bound the answer is what was found so far. Only the
 * explained path calls this; the plain decision never does.
 */
import { bucketFor, type CompiledPolicySet, type CompiledRule } from './compile.js';
import type { RequestView } from './resolve.js';
import type { CompiledRoles } from './roles.js';
import type { WouldAllow } from './types.js';

/** Most entries in one answer (documented on the wire: responses.schema.json, maxItems). */
export const MAX_WOULD_ALLOW = 20;
/** Most re-decisions per explained deny; each is one decision on the fast path. */
export const MAX_WOULD_ALLOW_CHECKS = 64;
/** Most candidates one rule contributes (its anyOf lists multiply). */
const MAX_ALTERNATIVES = 16;

/** Decides `view` again with `forcedRoles` held on top of what it derives; true when it allows. */
export type AllowsWith = (compiled: CompiledPolicySet, view: RequestView, forcedRoles: readonly string[]) => boolean;

interface Need {
  groups: string[];
  roles: string[];
}

const missing = (held: readonly unknown[], names: readonly string[] | null): string[] => (names === null ? [] : names.filter((n) => !held.includes(n)));

/** `[[]]` when nothing is needed; else one single-name alternative per name. */
function alternatives(held: readonly unknown[], anyOf: readonly string[] | null): string[][] {
  if (anyOf === null || anyOf.some((n) => held.includes(n))) return [[]];
  return anyOf.map((n) => [n]);
}

function addUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** Whether one of `groups` derives `role` (through `fromGroups` and inheritance). */
function grantedBy(roles: CompiledRoles, groups: readonly unknown[], role: string): boolean {
  return roles.list.some((r) => r.grants.includes(role) && r.fromGroups.some((g) => groups.includes(g)));
}

/** The group that derives `role`, or undefined when no group does. */
function groupFor(roles: CompiledRoles, role: string): string | undefined {
  const own = roles.list.find((r) => r.name === role);
  if (own !== undefined && own.fromGroups.length > 0) return own.fromGroups[0];
  return roles.list.find((r) => r.grants.includes(role) && r.fromGroups.length > 0)?.fromGroups[0];
}

/** The candidates for one rule, in a fixed order. */
function needsOf(rule: CompiledRule, groups: readonly unknown[], held: readonly string[], roles: CompiledRoles): Need[] {
  const needs: Need[] = [];
  for (const groupAlt of alternatives(groups, rule.groupsAnyOf)) {
    for (const roleAlt of alternatives(held, rule.rolesAnyOf)) {
      if (needs.length >= MAX_ALTERNATIVES) return needs;
      const need: Need = { groups: [], roles: [] };
      for (const g of [...missing(groups, rule.groupsAllOf), ...groupAlt]) addUnique(need.groups, g);
      for (const role of [...missing(held, rule.rolesAllOf), ...roleAlt]) {
        if (grantedBy(roles, [...groups, ...need.groups], role)) continue;
        const group = groupFor(roles, role);
        if (group !== undefined && !groups.includes(group)) addUnique(need.groups, group);
        else addUnique(need.roles, role);
      }
      needs.push(need);
    }
  }
  return needs;
}

/** The same request with `more` groups: in the matchers' list and in `subject.groups`, which conditions read. */
function withGroups(view: RequestView, more: readonly string[]): RequestView {
  if (more.length === 0) return { ...view, roles: undefined };
  const groups = [...view.groups, ...more];
  // A spread defines own properties, so a `__proto__` key the caller sent stays an own property.
  return { ...view, subject: { ...(view.subject as object), groups }, groups, roles: undefined };
}

/** What would grant a denied request; `held` are the roles the subject derives now. */
export function wouldAllow(compiled: CompiledPolicySet, view: RequestView, held: readonly string[], allowsWith: AllowsWith): WouldAllow[] {
  const index = compiled.index;
  const bucket = bucketFor(index.byType.get(view.type) ?? index.anyType, view.action);
  const out: WouldAllow[] = [];
  const tried = new Set<string>();
  let checks = 0;
  for (let i = bucket.denyCount; i < bucket.rules.length; i++) {
    const rule = bucket.rules[i] as CompiledRule;
    for (const need of needsOf(rule, view.groups, held, index.roles)) {
      // Nothing to add is the same request, which denied.
      if (need.groups.length === 0 && need.roles.length === 0) continue;
      const key = JSON.stringify([rule.seq, need.groups, need.roles]);
      if (tried.has(key)) continue;
      tried.add(key);
      if (checks++ >= MAX_WOULD_ALLOW_CHECKS) return out;
      if (!allowsWith(compiled, withGroups(view, need.groups), need.roles)) continue;
      out.push({ policy: rule.policy, rule: rule.rule, groups: need.groups, roles: need.roles });
      if (out.length >= MAX_WOULD_ALLOW) return out;
    }
  }
  return out;
}
