/**
 * `compile(policySet)`: everything a decision needs, worked out once. Rules are indexed by
 * resource type and action, with the `*` wildcards merged into every bucket they apply to, so a
 * decision is two Map lookups and a walk over only the rules that can apply, whatever the size of
 * the set. Deny rules and allow rules sit in separate lists so a decision can stop looking at
 * allows as soon as a deny holds.
 */
import { freezeData } from './data.js';
import { compileLogic, type CompiledLogic } from './logic.js';
import { compileRoles, type CompiledRoles } from './roles.js';
import type { CheckedPolicySet, DataFiles, DecisionReason, Effect, Policy, PolicySet } from './types.js';

export interface CompiledRule {
  /** Position in the policy set (policies in set order, rules in file order); orders reasons. */
  readonly seq: number;
  readonly policy: string;
  readonly rule: string;
  readonly effect: Effect;
  readonly anyAction: boolean;
  readonly actions: ReadonlySet<string>;
  readonly groupsAnyOf: readonly string[] | null;
  readonly groupsAllOf: readonly string[] | null;
  readonly rolesAnyOf: readonly string[] | null;
  readonly rolesAllOf: readonly string[] | null;
  readonly when: CompiledLogic | null;
  /** The rule reads roles (matcher or `var subject.roles…`), so it needs them derived. */
  readonly needsRoles: boolean;
  /** Shared, frozen: the reason reported when this rule applies (no allocation per decision). */
  readonly reason: Readonly<DecisionReason>;
}

/** The rules that can apply to one (type, action): deny rules first, then allow rules, each in set order. */
export interface Bucket {
  readonly rules: readonly CompiledRule[];
  /** `rules[0 .. denyCount)` are the deny rules. */
  readonly denyCount: number;
}

/**
 * Most types name a handful of actions: a short array scanned with `===` touches less memory
 * than a Map (whose table is one more cold allocation when requests spread over many types).
 */
const MAX_SCANNED_ACTIONS = 12;

export interface TypeIndex {
  /** Action names, parallel to `buckets`, when there are few (else `byAction`). */
  readonly actions: readonly string[];
  readonly buckets: readonly Bucket[];
  readonly byAction: ReadonlyMap<string, Bucket> | null;
  /** For an action no rule names: only the `*`-action rules. */
  readonly anyAction: Bucket;
  /** Every rule for this type, applicable or not (explain lists them all). */
  readonly all: readonly CompiledRule[];
}

export interface EngineIndex {
  readonly byType: ReadonlyMap<string, TypeIndex>;
  /** For a resource type no policy names: only the `*`-resource policies. */
  readonly anyType: TypeIndex;
  readonly roles: CompiledRoles;
  readonly ruleCount: number;
}

/** A policy set ready for `decide`. Immutable; share it freely between decisions. */
export interface CompiledPolicySet {
  readonly revision: string;
  readonly policySet: PolicySet;
  /** Internal to the engine; its shape may change between versions. */
  readonly index: EngineIndex;
}

/** Shared, frozen name lists and conditions for one compile (see `compileLogic`). */
interface Interned {
  logic: Map<string, CompiledLogic>;
  names: Map<string, readonly string[]>;
  /** The set's data files, bound into each `data` lookup. */
  data: DataFiles | undefined;
  /**
   * The same by the very (frozen) value: rules that share one condition, matcher list or action
   * list (as a set reloaded through the worker does) compile it once, without a key to build.
   */
  byValue: { logic: Map<object, CompiledLogic>; names: Map<object, readonly string[]>; actions: Map<object, ReadonlySet<string>> };
}

/** `compute()`, once per distinct object `value` in `seen`. */
function once<T>(seen: Map<object, T>, value: object, compute: () => T): T {
  let result = seen.get(value);
  if (result === undefined) seen.set(value, (result = compute()));
  return result;
}

function names(interned: Interned, list: string[] | undefined): readonly string[] | null {
  if (list === undefined || list.length === 0) return null;
  return once(interned.byValue.names, list, () => internedNames(interned, list));
}

function internedNames(interned: Interned, list: string[]): readonly string[] {
  // JSON, not a separator: names may hold any character, and ["a\nb"] must not share ["a", "b"].
  const key = JSON.stringify(list);
  let frozen = interned.names.get(key);
  if (frozen === undefined) interned.names.set(key, (frozen = Object.freeze([...list])));
  return frozen;
}

function compileRule(policy: Policy, rule: Policy['rules'][number], seq: number, interned: Interned): CompiledRule {
  const logic = rule.when;
  const compileWhen = (): CompiledLogic => compileLogic(logic, interned.logic, interned.data);
  const when = logic === undefined ? null : typeof logic === 'object' && logic !== null ? once(interned.byValue.logic, logic, compileWhen) : compileWhen();
  const rolesAnyOf = names(interned, rule.subject?.roles?.anyOf);
  const rolesAllOf = names(interned, rule.subject?.roles?.allOf);
  return {
    seq,
    policy: policy.id,
    rule: rule.id,
    effect: rule.effect,
    anyAction: rule.actions.includes('*'),
    actions: once(interned.byValue.actions, rule.actions, () => new Set(rule.actions)),
    groupsAnyOf: names(interned, rule.subject?.groups?.anyOf),
    groupsAllOf: names(interned, rule.subject?.groups?.allOf),
    rolesAnyOf,
    rolesAllOf,
    when,
    needsRoles: rolesAnyOf !== null || rolesAllOf !== null || (when?.readsRoles ?? false),
    reason: Object.freeze({ policy: policy.id, rule: rule.id, effect: rule.effect }),
  };
}

function bucketOf(rules: readonly CompiledRule[]): Bucket {
  const deny = rules.filter((r) => r.effect === 'deny');
  return { rules: [...deny, ...rules.filter((r) => r.effect === 'allow')], denyCount: deny.length };
}

function* typeIndexOf(rules: CompiledRule[]): Generator<void, TypeIndex> {
  rules.sort((a, b) => a.seq - b.seq);
  const names = new Set<string>();
  for (const r of rules) for (const a of r.actions) if (a !== '*') names.add(a);
  const actions = [...names];
  const buckets: Bucket[] = [];
  for (const action of actions) {
    buckets.push(bucketOf(rules.filter((r) => r.anyAction || r.actions.has(action))));
    yield;
  }
  const byAction = actions.length > MAX_SCANNED_ACTIONS ? new Map(actions.map((a, i) => [a, buckets[i] as Bucket])) : null;
  return { actions, buckets, byAction, anyAction: bucketOf(rules.filter((r) => r.anyAction)), all: rules };
}

/** The bucket for an action within a type. */
export function bucketFor(typeIndex: TypeIndex, action: string): Bucket {
  if (typeIndex.byAction !== null) return typeIndex.byAction.get(action) ?? typeIndex.anyAction;
  const actions = typeIndex.actions;
  for (let i = 0; i < actions.length; i++) if (actions[i] === action) return typeIndex.buckets[i] as Bucket;
  return typeIndex.anyAction;
}

/**
 * Builds the decision index for a checked policy set, without checking it again (the policy
 * checker did; see `compilePolicySet` for sets built by hand). A decision never throws.
 */
export function compile(set: CheckedPolicySet): CompiledPolicySet {
  const steps = compileSteps(set);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Rules compiled between two pauses of {@link compileSteps}. */
const RULES_PER_STEP = 256;

/**
 * `compile` in small steps: the generator pauses (yields) after every few hundred rules and every
 * bucket, so a caller on a busy event loop can compile a large set in slices, yielding to
 * requests in between (see store/). The result is the same as `compile`'s.
 */
export function* compileSteps(set: CheckedPolicySet): Generator<void, CompiledPolicySet> {
  // Data is handed in with the set, never read here: the engine stays pure.
  const data = freezeData(set.data);
  const roles: CompiledRoles = compileRoles(set.roles ?? {}, data);
  const interned: Interned = { logic: new Map(), names: new Map(), data, byValue: { logic: new Map(), names: new Map(), actions: new Map() } };
  const byTypeRules = new Map<string, CompiledRule[]>();
  const wildcardRules: CompiledRule[] = [];
  let seq = 0;
  for (const policy of set.policies) {
    for (const rule of policy.rules) {
      const compiled = compileRule(policy, rule, seq++, interned);
      if (seq % RULES_PER_STEP === 0) yield;
      if (policy.resource === '*') {
        wildcardRules.push(compiled);
      } else {
        let list = byTypeRules.get(policy.resource);
        if (!list) byTypeRules.set(policy.resource, (list = []));
        list.push(compiled);
      }
    }
  }

  const byType = new Map<string, TypeIndex>();
  for (const [type, rules] of byTypeRules) byType.set(type, yield* typeIndexOf([...rules, ...wildcardRules]));
  const anyType = yield* typeIndexOf([...wildcardRules]);

  return Object.freeze({
    revision: set.revision,
    policySet: set,
    index: Object.freeze({ byType, anyType, roles, ruleCount: seq }),
  });
}
