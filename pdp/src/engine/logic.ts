/**
 * Safe json-logic: the one allow-list of operators, the load-time checks of an expression,
 * and its compilation into a form that json-logic-js evaluates without ever reading request
 * data itself.
 *
 * Why pre-resolve `var`: json-logic-js's own `var` walks `data[key]`, which follows the
 * prototype chain (`subject.constructor`, `resource.attributes.toString`). We never hand it the
 * request. At compile time every `{"var": "a.b"}` becomes `{"var": "<n>"}`, and at decision time
 * the engine resolves path n with an own-property-only getter into a plain array that becomes
 * json-logic-js's data. json-logic-js is a process-wide singleton (`add_operation` mutates global
 * state), so we deliberately never add, remove or replace one of its operations.
 */
import jsonLogicModule from 'json-logic-js';

/** json-logic-js's functions, typed as we use them. */
interface JsonLogicApi {
  apply(logic: unknown, data: unknown): unknown;
  truthy(value: unknown): boolean;
}
const jsonLogic = jsonLogicModule as unknown as JsonLogicApi;

/**
 * The operators a policy may use. The only list: the loader, `compile` and the docs rely on it.
 * Left out on purpose: `log` (a side effect), `missing`/`missing_some` (they read data by computed
 * keys through json-logic-js's unsafe `var`), `map`/`filter`/`reduce`/`all`/`some`/`none` (they
 * rebind the data to request values, outside our own-property getter), and `method` (calls
 * arbitrary methods in older json-logic-js versions).
 */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  // logic and comparison
  '==', '===', '!=', '!==', '!', '!!', 'and', 'or', 'if', '?:',
  // numbers
  '>', '>=', '<', '<=', '+', '-', '*', '/', '%', 'min', 'max',
  // strings and arrays
  'in', 'cat', 'substr', 'merge',
  // data, resolved by the engine (own properties only)
  'var',
]);

/** Where a `var` path may start: the four parts of a decision request. */
export const VAR_ROOTS = ['subject', 'resource', 'action', 'context'] as const;
export type VarRoot = (typeof VAR_ROOTS)[number];

/** Segments that name prototype machinery; refused anywhere in a path. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Hard bounds that keep a hostile or runaway policy from costing much at load or decision time. */
const MAX_DEPTH = 64;

export interface LogicIssue {
  /** JSON pointer relative to the expression's root ("" for the root itself). */
  pointer: string;
  message: string;
}

export interface LogicCheckOptions {
  /** Role conditions run before roles exist, so they may not read `subject.roles`. */
  forbidSubjectRoles?: boolean;
}

/** Escape one JSON pointer reference token (RFC 6901). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a `var` path is not acceptable, or null when it is. */
export function checkVarPath(path: unknown, options: LogicCheckOptions = {}): string | null {
  if (typeof path !== 'string') return 'a var path must be a literal string';
  if (path === '') return `a var path must start with one of ${VAR_ROOTS.join(', ')}`;
  const segments = path.split('.');
  const root = segments[0] as string;
  if (!(VAR_ROOTS as readonly string[]).includes(root)) {
    return `var path "${path}" must start with one of ${VAR_ROOTS.join(', ')}`;
  }
  for (const segment of segments) {
    if (segment === '') return `var path "${path}" has an empty segment`;
    if (FORBIDDEN_SEGMENTS.has(segment)) return `var path "${path}" may not contain "${segment}"`;
  }
  if (root === 'action' && segments.length > 1) return `var path "${path}": action is a string and has no properties`;
  if (options.forbidSubjectRoles === true && segments[0] === 'subject' && segments[1] === 'roles') {
    return `var path "${path}": a role's condition may not read subject.roles (roles are being derived)`;
  }
  return null;
}

/**
 * Every problem in a json-logic expression, with pointers relative to it. Objects must hold
 * exactly one allow-listed operator: json-logic-js silently treats any other object as a literal,
 * which would hide a typo such as `{"==": …, "note": …}`.
 */
export function checkLogic(logic: unknown, options: LogicCheckOptions = {}): LogicIssue[] {
  const issues: LogicIssue[] = [];
  walk(logic, '', 0);
  return issues;

  function walk(node: unknown, pointer: string, depth: number): void {
    if (depth > MAX_DEPTH) {
      issues.push({ pointer, message: `expression nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (node === null || typeof node === 'string' || typeof node === 'boolean') return;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) issues.push({ pointer, message: 'numbers must be finite' });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${pointer}/${i}`, depth + 1));
      return;
    }
    if (!isPlainObject(node)) {
      issues.push({ pointer, message: 'not a JSON value' });
      return;
    }
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      issues.push({
        pointer,
        message: `a json-logic operation must have exactly one operator key, found ${keys.length}${keys.length ? ` (${keys.join(', ')})` : ''}`,
      });
      return;
    }
    const op = keys[0] as string;
    const opPointer = `${pointer}/${escapePointer(op)}`;
    if (!ALLOWED_OPERATORS.has(op)) {
      issues.push({ pointer: opPointer, message: `operator "${op}" is not allowed (allowed: ${[...ALLOWED_OPERATORS].join(' ')})` });
      return;
    }
    const args = node[op];
    if (op === 'var') {
      checkVar(args, opPointer, depth);
      return;
    }
    if (Array.isArray(args)) {
      args.forEach((arg, i) => walk(arg, `${opPointer}/${i}`, depth + 1));
    } else {
      walk(args, opPointer, depth + 1);
    }
  }

  function checkVar(args: unknown, pointer: string, depth: number): void {
    let path: unknown = args;
    let pathPointer = pointer;
    if (Array.isArray(args)) {
      if (args.length < 1 || args.length > 2) {
        issues.push({ pointer, message: 'var takes a path and an optional default: ["path"] or ["path", default]' });
        return;
      }
      path = args[0];
      pathPointer = `${pointer}/0`;
      if (args.length === 2) walk(args[1], `${pointer}/1`, depth + 1);
    }
    const problem = checkVarPath(path, options);
    if (problem !== null) issues.push({ pointer: pathPointer, message: problem });
  }
}

/** A var path split for the engine's getter. */
export interface VarPath {
  readonly path: string;
  readonly root: VarRoot;
  /** Segments after the root. */
  readonly rest: readonly string[];
  /** `subject.roles…` reads the derived roles, never the caller's. */
  readonly derivedRoles: boolean;
}

/** A condition ready to run: json-logic with numbered `var`s, and the paths they stand for. */
export interface CompiledLogic {
  readonly logic: unknown;
  readonly paths: readonly VarPath[];
  readonly readsRoles: boolean;
}

/** Thrown by `compileLogic` (and so by `compile`) when handed an expression the loader would refuse. */
export class InvalidLogicError extends TypeError {
  readonly code = 'invalid_logic';
  readonly issues: LogicIssue[];
  constructor(issues: LogicIssue[]) {
    super(`invalid json-logic: ${issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidLogicError';
    this.issues = issues;
  }
}

/**
 * Checks an expression and rewrites each `var` to an index into the values the engine resolves.
 * Throws `InvalidLogicError` for an expression `checkLogic` refuses, so a hand-built policy set
 * cannot bypass the loader's rules.
 */
export function compileLogic(logic: unknown, options: LogicCheckOptions = {}, interned?: Map<string, CompiledLogic>): CompiledLogic {
  const issues = checkLogic(logic, options);
  if (issues.length > 0) throw new InvalidLogicError(issues);
  const paths: VarPath[] = [];
  const indexOf = new Map<string, number>();
  const rewritten = rewrite(logic);
  // Policies written from a template share their conditions: one shared (frozen) object per
  // distinct condition keeps a large set small and its hot data in cache.
  const key = interned === undefined ? '' : `${JSON.stringify(rewritten)}\n${paths.map((p) => p.path).join('\n')}`;
  const existing = interned?.get(key);
  if (existing !== undefined) return existing;
  const compiled: CompiledLogic = deepFreeze({ logic: rewritten, paths, readsRoles: paths.some((p) => p.derivedRoles) });
  interned?.set(key, compiled);
  return compiled;

  function slot(path: string): string {
    let index = indexOf.get(path);
    if (index === undefined) {
      index = paths.length;
      indexOf.set(path, index);
      const [root, ...rest] = path.split('.');
      paths.push({ path, root: root as VarRoot, rest, derivedRoles: root === 'subject' && rest[0] === 'roles' });
    }
    return String(index);
  }

  function rewrite(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isPlainObject(node)) return node;
    const op = Object.keys(node)[0] as string;
    const args = node[op];
    if (op === 'var') {
      if (Array.isArray(args)) {
        return args.length === 2 ? { var: [slot(args[0] as string), rewrite(args[1])] } : { var: slot(args[0] as string) };
      }
      return { var: slot(args as string) };
    }
    return { [op]: Array.isArray(args) ? args.map(rewrite) : rewrite(args) };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Runs a compiled expression on already-resolved values (an array, so json-logic-js's `var "<n>"`
 * reads an own element). Returns json-logic truthiness. Throws whatever json-logic-js throws;
 * the engine turns that into an `evaluation_error` deny.
 */
export function runLogic(compiled: CompiledLogic, values: unknown[]): boolean {
  return jsonLogic.truthy(jsonLogic.apply(compiled.logic, values));
}
