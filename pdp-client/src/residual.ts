/**
 * A plan's condition (the residual of `POST /v1/plan`): json-logic that reads only `resource.id`
 * and `resource.attributes.*`. {@link checkCondition} refuses anything else before it is
 * translated or run, whatever the PDP sent; {@link planToPredicate} runs it the way the PDP's
 * engine runs a condition: json-logic-js on values read as own properties only, a throw denies.
 */
import { PLAN_OPERATORS, type PlanResponse } from '@oracle-ai/contract';
import jsonLogicModule from 'json-logic-js';
import { PdpClientError } from './errors.js';

const jsonLogic = jsonLogicModule as unknown as { apply(logic: unknown, data: unknown): unknown; truthy(value: unknown): boolean };

/** The operators a plan may hold (the contract's list, which the PDP's engine plans with): anything else is refused. */
const OPERATORS: ReadonlySet<string> = new Set(PLAN_OPERATORS);

const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A resource as a plan's condition reads it. */
export interface ResourceRow {
  id?: string;
  attributes?: Record<string, unknown>;
}

export const untranslatable = (message: string): PdpClientError => new PdpClientError('untranslatable', message);

/** The operator and arguments (always an array, as json-logic-js reads them) of an operation node. */
export function operation(node: object): { op: string; args: unknown[] } {
  const keys = Object.keys(node);
  if (keys.length !== 1) throw untranslatable(`a json-logic operation has exactly one key, not ${keys.length}`);
  const op = keys[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  return { op, args: Array.isArray(raw) ? raw : [raw] };
}

/** Why `path` is no residual path, or null: `resource.id`, `resource.attributes` or below it. */
function pathProblem(path: unknown): string | null {
  if (typeof path !== 'string') return 'a var path must be a string';
  const segments = path.split('.');
  if (segments[0] !== 'resource' || (segments[1] !== 'id' && segments[1] !== 'attributes') || (segments[1] === 'id' && segments.length > 2)) {
    return `var "${path}" reads something other than resource.id or resource.attributes`;
  }
  for (const s of segments) if (s === '' || FORBIDDEN_SEGMENTS.has(s)) return `var "${path}" has a forbidden or empty segment`;
  return null;
}

/** Throws {@link PdpClientError} `untranslatable` unless `condition` is a residual the client can run. */
export function checkCondition(condition: unknown, depth = 0): void {
  if (depth > 128) throw untranslatable('the condition is nested too deeply');
  if (condition === null || typeof condition === 'string' || typeof condition === 'boolean') return;
  if (typeof condition === 'number') {
    if (!Number.isFinite(condition)) throw untranslatable('numbers must be finite');
    return;
  }
  if (Array.isArray(condition)) {
    for (const item of condition) checkCondition(item, depth + 1);
    return;
  }
  if (typeof condition !== 'object') throw untranslatable(`not a JSON value: ${typeof condition}`);
  const { op, args } = operation(condition);
  if (!OPERATORS.has(op)) throw untranslatable(`operator "${op}" is not allowed in a plan's condition`);
  if (op === 'var') {
    if (args.length < 1 || args.length > 2) throw untranslatable('var takes a path and an optional default');
    const problem = pathProblem(args[0]);
    if (problem !== null) throw untranslatable(problem);
    if (args.length === 2) checkCondition(args[1], depth + 1);
    return;
  }
  for (const arg of args) checkCondition(arg, depth + 1);
}

/** `resource.…` path segments below `resource`, read as own properties (of objects, arrays and strings). */
function read(row: ResourceRow, segments: readonly string[]): unknown {
  let value: unknown = row;
  for (const key of segments) {
    if ((typeof value !== 'object' || value === null) && typeof value !== 'string') return undefined;
    if (!Object.hasOwn(value as object, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * The plan as a JavaScript predicate over resources (for lists already in memory, or to check a
 * database's answer). Throws `untranslatable` for a condition {@link checkCondition} refuses.
 */
export function planToPredicate(plan: Pick<PlanResponse, 'kind' | 'condition'>): (resource: ResourceRow) => boolean {
  if (plan.kind === 'always_allowed') return () => true;
  if (plan.kind !== 'conditional') return () => false;
  checkCondition(plan.condition);
  // As the engine does: each var becomes a slot of a plain array, so json-logic-js never walks the
  // resource itself (its own `var` would follow the prototype chain).
  const paths: string[][] = [];
  const slots = new Map<string, number>();
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    const { op, args } = operation(node);
    if (op !== 'var') return { [op]: args.map(rewrite) };
    const path = args[0] as string;
    let slot = slots.get(path);
    if (slot === undefined) {
      slot = paths.length;
      slots.set(path, slot);
      paths.push(path.split('.').slice(1));
    }
    return { var: args.length === 2 ? [String(slot), rewrite(args[1])] : String(slot) };
  };
  const logic = rewrite(plan.condition);
  return (resource) => {
    try {
      return jsonLogic.truthy(jsonLogic.apply(logic, paths.map((p) => read(resource, p))));
    } catch {
      // The engine denies a resource on which a condition throws; so does the predicate.
      return false;
    }
  };
}
