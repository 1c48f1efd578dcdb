/**
 * `decide(compiled, request, {explain})`: default deny, deny overrides allow, and an error inside
 * a rule whose actions and subject matched denies (fail closed) with reason code
 * `evaluation_error`. Pure: no I/O, no clock, no randomness; the request is only read, through
 * own-property getters; nothing here throws for any input.
 *
 * Precisely, with D/DE the deny rules that applied/errored and A/AE the allow rules that
 * applied/errored:
 *   D ∪ DE non-empty → deny, reasons D ∪ DE;  else AE non-empty → deny, reasons AE;
 *   else A non-empty → allow, reasons A;  else deny, one `default_deny` reason (no rule applied).
 * Reasons are in policy-set order (policies in set order, rules in file order). An explained deny
 * (other than `invalid_request`) also says what would grant it (`explain.wouldAllow`, would-allow.ts).
 */
import { bucketFor, type Bucket, type CompiledPolicySet, type CompiledRule, type TypeIndex } from './compile.js';
import { runLogic } from './logic.js';
import { ownValue } from '../common/objects.js';
import { resolveValues, type RequestView } from './resolve.js';
import type { DataRecorder } from './data.js';
import { deriveRoles, errorMessage, type DerivedRoles } from './roles.js';
import type { DataRead, Decision, DecideOptions, DecisionReason, DecisionRequest, RuleTrace } from './types.js';
import { wouldAllow } from './would-allow.js';

/** Reason codes a decision may carry. */
export const REASON_CODES = {
  /** No rule applied (policy and rule are empty); the decision denies. */
  defaultDeny: 'default_deny',
  /** An applicable rule's condition (or a role it needed) threw; the decision denies. */
  evaluationError: 'evaluation_error',
  /** The request is not a decision request (no subject object with an id, no resource.type or action string). */
  invalidRequest: 'invalid_request',
} as const;

const NO_GROUPS: readonly unknown[] = Object.freeze([]);

/** The one wording of a default deny: every consumer (AuthZEN, CLI, logs) reads it from here. */
export const DEFAULT_DENY_REASON: Readonly<DecisionReason> = Object.freeze({
  policy: '',
  rule: '',
  effect: 'deny',
  code: REASON_CODES.defaultDeny,
  message: 'no rule allows this request (default deny)',
});

/** The reason of a default deny, whichever copy of it (a decision that crossed JSON is no longer the shared object). */
export function isDefaultDeny(reason: { code?: unknown }): boolean {
  return reason.code === REASON_CODES.defaultDeny;
}

function contains(list: readonly unknown[], value: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
}

export function matchesNames(held: readonly unknown[], anyOf: readonly string[] | null, allOf: readonly string[] | null): boolean {
  if (anyOf !== null) {
    let found = false;
    for (let i = 0; i < anyOf.length; i++) {
      if (contains(held, anyOf[i] as string)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (allOf !== null) {
    for (let i = 0; i < allOf.length; i++) if (!contains(held, allOf[i] as string)) return false;
  }
  return true;
}

/** Reads the request once; a string says why it is not a decision request. */
export function viewOf(request: unknown): RequestView | string {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 'the request must be an object';
  const subject = ownValue(request, 'subject');
  if (typeof subject !== 'object' || subject === null || Array.isArray(subject)) return 'subject must be an object';
  if (typeof ownValue(subject, 'id') !== 'string') return 'subject.id must be a string';
  const resource = ownValue(request, 'resource');
  const type = ownValue(resource, 'type');
  if (typeof type !== 'string') return 'resource.type must be a string';
  const action = ownValue(request, 'action');
  if (typeof action !== 'string') return 'action must be a string';
  // The matchers and `var subject.groups` must see the same list. A string here would read as
  // "no groups" to the matchers but reach json-logic as a string, where `in` is a substring test
  // ("ex-admins" contains "admins"), so anything but an array of strings is refused.
  const groups = ownValue(subject, 'groups');
  if (groups !== undefined) {
    if (!Array.isArray(groups)) return 'subject.groups must be an array of strings';
    for (let i = 0; i < groups.length; i++) if (typeof groups[i] !== 'string') return 'subject.groups must be an array of strings';
  }
  return {
    subject,
    resource,
    type,
    action,
    actionProperties: ownValue(request, 'actionProperties'),
    context: ownValue(request, 'context'),
    groups: Array.isArray(groups) ? groups : NO_GROUPS,
    roles: undefined,
  };
}

/** A deny that no rule produced (a malformed request, an unexpected error): one reason, and an empty trace when explaining. */
function denyWithoutRules(code: string, message: string, explain: boolean): Decision {
  const decision: Decision = {
    allow: false,
    effect: 'deny',
    reasons: [{ policy: '', rule: '', effect: 'deny', code, message }],
  };
  // An invalid request names nothing a grant could fix; any other deny gets an (empty) answer.
  if (explain) decision.explain = code === REASON_CODES.invalidRequest ? { roles: [], rules: [] } : { roles: [], rules: [], wouldAllow: [] };
  return decision;
}

export function errorReason(rule: CompiledRule, message: string): DecisionReason {
  return { policy: rule.policy, rule: rule.rule, effect: 'deny', code: REASON_CODES.evaluationError, message };
}

export function rolesErrorMessage(derived: DerivedRoles): string {
  return `role derivation failed: ${derived.errors.map((e) => `${e.role}: ${e.message}`).join('; ')}`;
}

/** Per-decision state kept off the hot path's object allocations. */
interface Run {
  readonly view: RequestView;
  readonly compiled: CompiledPolicySet;
  /** Derived on first need; set in advance only to force roles (would-allow's re-decision). */
  derived: DerivedRoles | undefined;
  /** Explain only: records the data lookups of a role's derivation. */
  readonly record: ((role: string) => DataRecorder) | undefined;
}

function rolesOf(run: Run): DerivedRoles {
  if (run.derived === undefined) {
    run.derived = deriveRoles(run.compiled.index.roles, run.view, run.record);
    run.view.roles = run.derived.roles;
  }
  return run.derived;
}

/** true: applied; false: did not apply; a string: the error that stopped it (fail closed). */
function evaluate(rule: CompiledRule, run: Run): boolean | string {
  if (!matchesNames(run.view.groups, rule.groupsAnyOf, rule.groupsAllOf)) return false;
  if (rule.needsRoles) {
    const derived = rolesOf(run);
    if (derived.errors.length > 0) return rolesErrorMessage(derived);
    if (!matchesNames(derived.roles, rule.rolesAnyOf, rule.rolesAllOf)) return false;
  }
  if (rule.when === null) return true;
  try {
    return runLogic(rule.when, resolveValues(run.view, rule.when.paths));
  } catch (err) {
    return errorMessage(err);
  }
}

function decideFast(compiled: CompiledPolicySet, view: RequestView): Decision {
  return decideRun({ view, compiled, derived: undefined, record: undefined });
}

function decideRun(run: Run): Decision {
  const view = run.view;
  const index = run.compiled.index;
  const typeIndex: TypeIndex = index.byType.get(view.type) ?? index.anyType;
  const bucket: Bucket = bucketFor(typeIndex, view.action);
  const rules = bucket.rules;
  const denyCount = bucket.denyCount;

  let denyReasons: DecisionReason[] | null = null;
  for (let i = 0; i < denyCount; i++) {
    const rule = rules[i] as CompiledRule;
    const outcome = evaluate(rule, run);
    if (outcome === true) (denyReasons ??= []).push(rule.reason);
    else if (outcome !== false) (denyReasons ??= []).push(errorReason(rule, outcome));
  }
  if (denyReasons !== null) return { allow: false, effect: 'deny', reasons: denyReasons };

  let allowReasons: DecisionReason[] | null = null;
  let errorReasons: DecisionReason[] | null = null;
  for (let i = denyCount; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    const outcome = evaluate(rule, run);
    if (outcome === true) (allowReasons ??= []).push(rule.reason);
    else if (outcome !== false) (errorReasons ??= []).push(errorReason(rule, outcome));
  }
  if (errorReasons !== null) return { allow: false, effect: 'deny', reasons: errorReasons };
  if (allowReasons !== null) return { allow: true, effect: 'allow', reasons: allowReasons };
  return { allow: false, effect: 'deny', reasons: [DEFAULT_DENY_REASON] };
}

/**
 * Whether `view` (a request with more groups) is allowed once `forced` roles are held on top of
 * what it derives. A role derivation error stays an error, so the re-decision fails closed too.
 */
function allowsWith(compiled: CompiledPolicySet, view: RequestView, forced: readonly string[]): boolean {
  let derived: DerivedRoles | undefined;
  if (forced.length > 0) {
    const own = deriveRoles(compiled.index.roles, view);
    const held = new Set(own.roles);
    for (const role of compiled.index.roles.list) if (forced.includes(role.name)) for (const r of role.grants) held.add(r);
    derived = { roles: [...held].sort(), errors: own.errors };
    view.roles = derived.roles;
  }
  return decideRun({ view, compiled, derived, record: undefined }).allow;
}

/**
 * The explained path: the same decision, plus the derived roles and a trace of every rule for
 * the resource type. Every check of every rule is evaluated (a trace that stops early explains
 * less), but only the rules the fast path would look at decide.
 */
function decideExplained(compiled: CompiledPolicySet, view: RequestView): Decision {
  const decision = decideFast(compiled, view);
  const index = compiled.index;
  const typeIndex = index.byType.get(view.type) ?? index.anyType;
  const reads: DataRead[] = [];
  const record = (role: string): DataRecorder => (file, path, found) => reads.push({ file, path, found, role });
  const run: Run = { view, compiled, derived: undefined, record };
  const derived = rolesOf(run);
  const rules: RuleTrace[] = [];
  for (const rule of typeIndex.all) {
    const actionMatched = rule.anyAction || rule.actions.has(view.action);
    let subjectMatched = matchesNames(view.groups, rule.groupsAnyOf, rule.groupsAllOf);
    let error: string | undefined;
    if (subjectMatched && (rule.rolesAnyOf !== null || rule.rolesAllOf !== null)) {
      if (derived.errors.length > 0) {
        subjectMatched = false;
        error = rolesErrorMessage(derived);
      } else {
        subjectMatched = matchesNames(derived.roles, rule.rolesAnyOf, rule.rolesAllOf);
      }
    }
    let whenResult: boolean | null = null;
    if (actionMatched && subjectMatched && error === undefined && rule.when !== null) {
      if (rule.when.readsRoles && derived.errors.length > 0) {
        error = rolesErrorMessage(derived);
      } else {
        try {
          const name = `${rule.policy}/${rule.rule}`;
          whenResult = runLogic(rule.when, resolveValues(view, rule.when.paths), (file, path, found) => reads.push({ file, path, found, rule: name }));
        } catch (err) {
          error = errorMessage(err);
        }
      }
    }
    const trace: RuleTrace = {
      policy: rule.policy,
      rule: rule.rule,
      effect: rule.effect,
      actionMatched,
      subjectMatched,
      whenResult,
      applied: actionMatched && subjectMatched && error === undefined && (rule.when === null || whenResult === true),
    };
    if (error !== undefined) trace.error = error;
    rules.push(trace);
  }
  decision.explain = { roles: derived.roles, rules };
  if (derived.errors.length > 0) decision.explain.roleErrors = derived.errors;
  if (reads.length > 0) decision.explain.data = reads;
  if (!decision.allow) decision.explain.wouldAllow = wouldAllow(compiled, view, derived.roles, allowsWith);
  return decision;
}

/**
 * Decides one request against a compiled policy set. Never throws and never mutates the
 * request, whatever its runtime shape (typed as `DecisionRequest`, checked anyway): a malformed
 * request denies with `invalid_request`, and anything unexpected denies with `evaluation_error`.
 */
export function decide(compiled: CompiledPolicySet, request: DecisionRequest, options?: DecideOptions): Decision {
  const explain = options?.explain === true;
  try {
    const view = viewOf(request);
    if (typeof view === 'string') return denyWithoutRules(REASON_CODES.invalidRequest, view, explain);
    return explain ? decideExplained(compiled, view) : decideFast(compiled, view);
  } catch (err) {
    return denyWithoutRules(REASON_CODES.evaluationError, errorMessage(err), explain);
  }
}
