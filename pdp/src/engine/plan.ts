/**
 * `plan(compiled, {subject, action, resourceType})`: which resources of a type may this subject
 * act on? The answer is the decision with the resource left unknown: `always_allowed`,
 * `always_denied`, or `conditional` with a json-logic condition that reads only `resource.id` and
 * `resource.attributes.*`. Everything else (the subject, its groups and derived roles, context,
 * action properties, `data` lookups keyed by known values) is folded in by partial evaluation of
 * the very rules `decide` walks, with json-logic-js itself evaluating every known sub-expression.
 *
 * The condition's meaning: a resource is allowed exactly when the condition, evaluated with
 * json-logic on `{resource: {id, attributes}}`, is truthy; an evaluation that throws denies.
 * That is `decide` for every resource: deny rules become `!(d1 or d2 …)` (a throwing deny condition
 * still denies, because the whole condition throws); allow rules `a1 or a2 …`; and since one
 * allow rule erring denies even when another applied, an allow condition that can throw and that
 * the `or` might skip is also evaluated on its own first, as `{"or": [{"!!": a}, true]}`.
 *
 * What the planner cannot represent exactly it refuses ({@link PlanUnsupportedError}), never
 * answering wider than `decide`: a `data` lookup keyed by the resource, roles whose derivation
 * reads the resource, a known value that is no JSON literal (an object), a known error reached only
 * on some resources, or a condition reading `resource` as a whole.
 */
import { PLAN_OPERATORS } from '@oracle-ai/contract';
import { bucketFor, type CompiledPolicySet, type CompiledRule } from './compile.js';
import { errorReason, matchesNames, REASON_CODES, rolesErrorMessage, viewOf } from './decide.js';
import { appendLookups } from './data.js';
import { applyJsonLogic, compileLogic, runLogic, truthy, type CompiledLogic, type VarPath } from './logic.js';
import { resolvePath, resolveValues, type RequestView } from './resolve.js';
import { deriveRoles, errorMessage, type DerivedRoles } from './roles.js';
import type { DecisionReason, DecisionResource, DecisionSubject, JsonLogic } from './types.js';

export interface PlanRequest {
  subject: DecisionSubject;
  action: string;
  resourceType: string;
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export type PlanKind = 'always_allowed' | 'always_denied' | 'conditional';

export interface PlanResult {
  kind: PlanKind;
  /** Only for `conditional`: json-logic over `resource.id` and `resource.attributes.*`. */
  condition?: JsonLogic;
  revision: string;
  /** For `always_denied` by a rule or an error: the deny rules and errors that hold for every resource. */
  reasons?: DecisionReason[];
}

/** The plan cannot be represented exactly; `rule` names the rule (`policy/rule`) that needs what it cannot fold. */
export class PlanUnsupportedError extends Error {
  constructor(
    message: string,
    readonly rule: string,
  ) {
    super(message);
    this.name = 'PlanUnsupportedError';
  }
}

/** A sub-expression after partial evaluation: a value, a residual expression, or a certain error. */
type Folded = { k: 'known'; v: unknown } | { k: 'res'; e: unknown; throws: boolean } | { k: 'err'; message: string };

const known = (v: unknown): Folded => ({ k: 'known', v });

/** Operators that never throw, whatever they are given (`!`/`!!` test truthiness, `merge` concatenates). */
const NEVER_THROWS: ReadonlySet<string> = new Set(['===', '!==', '!', '!!', 'merge']);

/** Marks an unknown slot while lookups run: no usable key, so a lookup keyed by it reads null (and is then discarded). */
const UNKNOWN = Object.freeze({});

/** `resource.id`, `resource.attributes…` and `resource` itself are unknown; `resource.type` is known. */
function isUnknownPath(p: VarPath): boolean {
  return p.root === 'resource' && p.rest[0] !== 'type' && !p.derivedRoles;
}

function readsResource(logic: CompiledLogic | null): boolean {
  return logic !== null && logic.paths.some(isUnknownPath);
}

/** A value json-logic reads back as itself when written as a literal. */
function embeddable(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  return Array.isArray(v) && v.every(embeddable);
}

interface RuleRun {
  readonly rule: CompiledRule;
  /** Per value slot (paths, then lookups): the known value, or the residual `var`. */
  readonly slots: readonly Folded[];
}

function unsupported(run: RuleRun, message: string): never {
  throw new PlanUnsupportedError(message, `${run.rule.policy}/${run.rule.rule}`);
}

function embed(run: RuleRun, p: Folded): unknown {
  if (p.k === 'res') return p.e;
  if (p.k === 'err') unsupported(run, `its condition fails (${p.message}) on some resources only, which a plan cannot express`);
  if (!embeddable(p.v)) unsupported(run, `its condition folds to a value that is no JSON literal (${Array.isArray(p.v) ? 'an array holding one' : typeof p.v})`);
  return p.v;
}

const throwsOf = (p: Folded): boolean => p.k === 'res' && p.throws;

function slotPartial(run: RuleRun, slot: unknown): Folded {
  const p = run.slots[Number(slot)];
  if (p === undefined) unsupported(run, 'its condition is not in compiled form');
  // A slot that cannot be folded is refused only where the evaluation reaches it.
  if (p.k === 'err') unsupported(run, `its condition ${p.message}, which a plan cannot express`);
  return p;
}

/** Folded evaluation of a compiled (slot-numbered) expression, mirroring json-logic-js's `apply`. */
function peval(run: RuleRun, node: unknown, boolean: boolean): Folded {
  if (Array.isArray(node)) return regular(run, null, node);
  if (typeof node !== 'object' || node === null) return known(node);
  const op = Object.keys(node)[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  switch (op) {
    case 'var':
      return variable(run, args);
    case 'and':
    case 'or':
      return andOr(run, op, args, boolean);
    case 'if':
    case '?:':
      return conditional(run, args, boolean);
    default:
      return regular(run, op, args);
  }
}

/** `{"var": slot}` or `{"var": [slot, default]}`: json-logic-js evaluates the default in every case. */
function variable(run: RuleRun, args: unknown[]): Folded {
  const fallback = args.length > 1 ? peval(run, args[1], false) : known(null);
  if (fallback.k === 'err') return fallback;
  const value = slotPartial(run, args[0]);
  if (value.k === 'known') {
    if (value.v === undefined) return fallback.k === 'known' && fallback.v === undefined ? known(null) : fallback;
    // The default is evaluated (and may throw) even when unused; dropping it would hide that.
    if (throwsOf(fallback)) unsupported(run, 'the default of a var may fail on some resources');
    return value;
  }
  if (args.length < 2 || value.k === 'err') return value;
  const v = value.e as { var: string };
  return { k: 'res', e: { var: [v.var, embed(run, fallback)] }, throws: throwsOf(fallback) };
}

/** `in` on a known array never throws (Array's indexOf compares strictly; a string's converts its argument). */
function inKnownList(parts: Folded[]): boolean {
  const list = parts[1];
  return parts.length === 2 && list?.k === 'known' && Array.isArray(list.v);
}

/** An operation that evaluates all its arguments first (an array literal is one too, with no operator). */
function regular(run: RuleRun, op: string | null, args: unknown[]): Folded {
  const parts = args.map((a) => peval(run, a, false));
  for (const p of parts) if (p.k === 'err') return p;
  if (parts.every((p) => p.k === 'known')) {
    const values = parts.map((p) => (p as { v: unknown }).v);
    if (op === null) return known(values);
    try {
      return known(applyJsonLogic({ [op]: values.map((_, i) => ({ var: String(i) })) }, values));
    } catch (err) {
      return { k: 'err', message: errorMessage(err) };
    }
  }
  const e = parts.map((p) => embed(run, p));
  const throws = (op !== null && !NEVER_THROWS.has(op) && !(op === 'in' && inKnownList(parts))) || parts.some(throwsOf);
  return { k: 'res', e: op === null ? e : { [op]: e }, throws };
}

/**
 * `and` returns the first falsy argument or the last; `or` the first truthy or the last. In a
 * boolean position (a rule's condition, an `if`'s test) only truthiness counts, which lets known
 * arguments drop out.
 */
function andOr(run: RuleRun, op: 'and' | 'or', args: unknown[], boolean: boolean): Folded {
  if (args.length === 0) return known(undefined);
  const isAnd = op === 'and';
  const out: unknown[] = [];
  let throws = false;
  for (let i = 0; i < args.length; i++) {
    const p = peval(run, args[i], boolean);
    const last = i === args.length - 1;
    if (p.k === 'err') {
      if (out.length === 0) return p;
      embed(run, p);
    }
    if (p.k === 'known') {
      const decides = truthy(p.v) !== isAnd;
      if (out.length === 0 && (decides || last)) return p;
      if (decides) {
        // The residual arguments before it are evaluated anyway: only when none can throw is the result known.
        if (boolean && !throws) return known(p.v);
        out.push(embed(run, p));
        break;
      }
      if (last && !boolean) out.push(embed(run, p));
      continue;
    }
    if (p.k === 'res') {
      out.push(p.e);
      throws ||= p.throws;
    }
  }
  if (out.length === 1) return { k: 'res', e: out[0], throws };
  return { k: 'res', e: { [op]: out }, throws };
}

/** `if` (and `?:`, which json-logic-js treats alike): test, branch pairs, then an optional else. */
function conditional(run: RuleRun, args: unknown[], boolean: boolean): Folded {
  const out: unknown[] = [];
  let throws = false;
  const finish = (last: Folded): Folded => {
    if (out.length === 0) return last;
    out.push(embed(run, last));
    return { k: 'res', e: { if: out }, throws: throws || throwsOf(last) };
  };
  let i = 0;
  for (; i < args.length - 1; i += 2) {
    const test = peval(run, args[i], true);
    if (test.k === 'err') {
      if (out.length === 0) return test;
      embed(run, test);
    }
    if (test.k === 'known') {
      if (truthy(test.v)) return finish(peval(run, args[i + 1], boolean));
      continue;
    }
    const branch = peval(run, args[i + 1], boolean);
    out.push(embed(run, test), embed(run, branch));
    throws ||= throwsOf(test) || throwsOf(branch);
  }
  return finish(args.length === i + 1 ? peval(run, args[i], boolean) : known(null));
}

/** The slots of a rule's condition: request values resolved as `decide` resolves them, the resource's left unknown. */
function slotsFor(when: CompiledLogic, view: RequestView): Folded[] {
  const values: unknown[] = [];
  const slots: Folded[] = [];
  for (const p of when.paths) {
    if (isUnknownPath(p)) {
      if (p.rest.length === 0) slots.push({ k: 'err', message: 'reads the resource as a whole' });
      else slots.push({ k: 'res', e: { var: p.path }, throws: false });
      values.push(UNKNOWN);
    } else {
      const v = resolvePath(view, p);
      slots.push(known(v));
      values.push(v);
    }
  }
  const lookups = when.lookups;
  if (lookups === null || lookups === undefined) return slots;
  const base = values.length;
  appendLookups(lookups, values);
  const unknown: boolean[] = [];
  for (let i = 0; i < lookups.length; i++) {
    const depends = (lookups[i] as { segments: readonly { key: string | null; slot: number }[] }).segments.some(
      (s) => s.key === null && (s.slot >= 0 ? slots[s.slot]?.k !== 'known' : unknown[-1 - s.slot] === true),
    );
    unknown.push(depends);
    slots.push(depends ? { k: 'err', message: `a data lookup in "${lookups[i]?.file}" is keyed by the resource` } : known(values[base + i]));
  }
  return slots;
}

interface PlanState {
  readonly compiled: CompiledPolicySet;
  readonly view: RequestView;
  derived: DerivedRoles | undefined;
  readonly rolesReadResource: boolean;
}

/** One rule for the unknown resource: applies (true) or not (false) for all, errs for all, or a residual. */
function ruleOutcome(rule: CompiledRule, st: PlanState): Folded {
  if (!matchesNames(st.view.groups, rule.groupsAnyOf, rule.groupsAllOf)) return known(false);
  if (rule.needsRoles) {
    if (st.rolesReadResource) throw new PlanUnsupportedError('it needs roles, and a role of this set is derived from the resource', `${rule.policy}/${rule.rule}`);
    if (st.derived === undefined) {
      st.derived = deriveRoles(st.compiled.index.roles, st.view);
      st.view.roles = st.derived.roles;
    }
    if (st.derived.errors.length > 0) return { k: 'err', message: rolesErrorMessage(st.derived) };
    if (!matchesNames(st.derived.roles, rule.rolesAnyOf, rule.rolesAllOf)) return known(false);
  }
  const when = rule.when;
  if (when === null) return known(true);
  const run = { rule, slots: slotsFor(when, st.view) };
  const p = peval(run, when.logic, true);
  if (p.k === 'known') return known(truthy(p.v));
  // Consumers run or translate the plan operators only: a residual holding another is no plan for them.
  const stray = p.k === 'res' ? strayOperator(p.e) : null;
  if (stray !== null) unsupported(run, `its condition would leave operator "${stray}" in the plan, which is not a plan operator`);
  return p;
}

/** Per compiled set (immutable, so worked out once): does some role's derivation read the resource? */
const rolesRead = new WeakMap<CompiledPolicySet, boolean>();
function rolesReadingResource(compiled: CompiledPolicySet): boolean {
  let found = rolesRead.get(compiled);
  if (found === undefined) {
    found = compiled.index.roles.list.some((role) => readsResource(role.when) || readsResource(role.fromData?.lookup ?? null));
    rolesRead.set(compiled, found);
  }
  return found;
}

const or = (parts: unknown[]): unknown => (parts.length === 1 ? parts[0] : { or: parts });

/**
 * The query plan for a subject, an action and a resource type. Throws only
 * {@link PlanUnsupportedError}; a malformed request, or anything unexpected, is `always_denied`.
 */
export function plan(compiled: CompiledPolicySet, request: PlanRequest): PlanResult {
  const revision = compiled.revision;
  const denied = (reasons: DecisionReason[]): PlanResult => ({ kind: 'always_denied', revision, reasons });
  try {
    const r = request as Partial<PlanRequest> | null;
    const view = viewOf({ subject: r?.subject, resource: { type: r?.resourceType }, action: r?.action, actionProperties: r?.actionProperties, context: r?.context });
    if (typeof view === 'string') return denied([{ policy: '', rule: '', effect: 'deny', code: REASON_CODES.invalidRequest, message: view.replace('resource.type', 'resourceType') }]);
    const index = compiled.index;
    const bucket = bucketFor(index.byType.get(view.type) ?? index.anyType, view.action);
    const rolesReadResource = rolesReadingResource(compiled);
    const st: PlanState = { compiled, view, derived: undefined, rolesReadResource };

    const denyReasons: DecisionReason[] = [];
    const denies: unknown[] = [];
    for (let i = 0; i < bucket.denyCount; i++) {
      const rule = bucket.rules[i] as CompiledRule;
      const p = ruleOutcome(rule, st);
      if (p.k === 'known' && p.v === true) denyReasons.push(rule.reason);
      else if (p.k === 'err') denyReasons.push(errorReason(rule, p.message));
      else if (p.k === 'res') denies.push(p.e);
    }
    if (denyReasons.length > 0) return denied(denyReasons);

    const errors: DecisionReason[] = [];
    let allowedByOne = false;
    const allows: Extract<Folded, { k: 'res' }>[] = [];
    for (let i = bucket.denyCount; i < bucket.rules.length; i++) {
      const rule = bucket.rules[i] as CompiledRule;
      const p = ruleOutcome(rule, st);
      if (p.k === 'known' && p.v === true) allowedByOne = true;
      else if (p.k === 'err') errors.push(errorReason(rule, p.message));
      else if (p.k === 'res') allows.push(p);
    }
    if (errors.length > 0) return denied(errors);
    if (!allowedByOne && allows.length === 0) return denied([]);

    const parts: unknown[] = [];
    if (denies.length > 0) parts.push({ '!': or(denies) });
    // An allow condition the `or` below may skip is still evaluated: its error denies (see above).
    allows.forEach((a, i) => {
      if (a.throws && (allowedByOne || i > 0)) parts.push({ or: [{ '!!': a.e }, true] });
    });
    if (!allowedByOne) parts.push(or(allows.map((a) => a.e)));
    if (parts.length === 0) return { kind: 'always_allowed', revision };
    return { kind: 'conditional', condition: parts.length === 1 ? parts[0] : { and: parts }, revision };
  } catch (err) {
    if (err instanceof PlanUnsupportedError) throw err;
    return denied([{ policy: '', rule: '', effect: 'deny', code: REASON_CODES.evaluationError, message: errorMessage(err) }]);
  }
}

const PLAN_OPERATOR_SET: ReadonlySet<string> = new Set(PLAN_OPERATORS);

/** The first operator of a condition that is not a plan operator, or null. */
export function strayOperator(node: unknown): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = strayOperator(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof node !== 'object' || node === null) return null;
  const op = Object.keys(node)[0] as string;
  return PLAN_OPERATOR_SET.has(op) ? strayOperator((node as Record<string, unknown>)[op]) : op;
}

/** A resource as a plan's condition reads it: `id` and `attributes`, own properties only. */
export type PlannedResource = Pick<DecisionResource, 'id' | 'attributes'>;

/**
 * A plan as a test of resources of its type: true exactly when `decide` would allow the
 * resource (for the plan's subject, action and context). The condition is compiled once, as a
 * rule's is, and run by the same runner on the resource's own properties; a throw denies. Only
 * for plans {@link plan} made: their condition reads nothing but `resource.id` and
 * `resource.attributes.*`.
 */
export function planFilter(result: Pick<PlanResult, 'kind' | 'condition'>): (resource: PlannedResource) => boolean {
  if (result.kind === 'always_allowed') return () => true;
  if (result.kind !== 'conditional') return () => false;
  const compiled = compileLogic(result.condition);
  const view = { subject: undefined, resource: undefined as unknown, type: '', action: '', actionProperties: undefined, context: undefined, groups: [], roles: undefined };
  return (resource) => {
    view.resource = resource;
    try {
      return runLogic(compiled, resolveValues(view, compiled.paths));
    } catch {
      return false;
    }
  };
}
