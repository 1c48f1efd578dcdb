/**
 * The `data` operator: `{"data": ["users", {"var": "subject.id"}, "roles"]}` reads
 * `data/users.json` › (the subject's id) › `roles`. The first argument is a literal data file
 * name; each further one is a segment: a literal key (a string) or array index (a non-negative
 * integer), a `var`, or a nested `data` lookup. Absent, or a segment that is no usable key, → null.
 *
 * Why a lookup is pre-resolved like a `var`, not added to json-logic-js: json-logic-js is a
 * process-wide singleton whose operations we never change. Each lookup becomes one more value
 * slot, filled from the already-resolved `var` values before the expression runs, so the closure
 * form of logic.ts covers it too. The data is bound at compile time (the engine reads no file):
 * a lookup is a few own-property reads on frozen objects (one Map read, for the common
 * `[file, key, literal…]` shape once an entity has been read), constant time whatever the file's size.
 *
 * What cannot be reached: anything outside the set's data files, and anything a data file does not
 * hold as an own property. The loader refuses `__proto__`, `constructor` and `prototype` keys in
 * data files and literal segments; a segment that evaluates to one at decision time yields null.
 */
import { deepFreeze, FORBIDDEN_KEYS, isObject, ownPath, ownValue } from '../common/objects.js';
import type { DataFiles } from './types.js';

export const DATA_OPERATOR = 'data';
/** Segments after the file name; a deeper path is generated, not written. */
export const MAX_DATA_SEGMENTS = 16;
/** `data` lookups nested as segments of one another (a user's group's entry…). */
const MAX_DATA_NESTING = 4;
/** Data file names: the part of `data/<name>.json` before the extension. */
export const DATA_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** {@link DATA_NAME_PATTERN} in words, for every error about a data file's name. */
export const DATA_NAME_RULE = 'a letter or digit followed by letters, digits, "_" or "-" (at most 64 characters)';

/** Control, format (zero-width, bidi) and separator characters other than the plain space. */
const INVISIBLE = /(?! )[\p{Cc}\p{Cf}\p{Z}]/u;

/** A segment once compiled: a literal key, else the value slot whose value is the key. */
interface Segment {
  readonly key: string | null;
  /** ≥ 0: a `var` path's slot; < 0: lookup number `-1 - slot` of the same expression. */
  readonly slot: number;
}

/** One lookup of a compiled expression. */
export interface DataLookup {
  readonly file: string;
  /** The file's entities; null when the set has no such file (only for a set built by hand: the checker refuses it). */
  readonly entries: Readonly<Record<string, unknown>> | null;
  readonly segments: readonly Segment[];
  /** For a lookup `[file, dynamic key, literal, …]`: its entities' values at the literal rest ({@link SuffixMemo}); null for any other shape. */
  readonly memo: SuffixMemo | null;
}

/** Records a lookup (explain only): the keys used, null for an unusable one, and whether a value was found. */
export type DataRecorder = (file: string, path: (string | null)[], found: boolean) => void;

// ---------- load-time checks ----------

export interface DataCheckHooks {
  /** Checks a `var` operand (its path and form) exactly as the expression's other `var`s. */
  checkVar(args: unknown, pointer: string): void;
  issue(pointer: string, message: string): void;
  /** Each literal file name, with its pointer: the caller knows which files exist. */
  onFile?: (name: string, pointer: string) => void;
}

/** Why a literal segment is not acceptable, or null. */
function literalProblem(segment: string | number): string | null {
  if (typeof segment === 'number') {
    return Number.isSafeInteger(segment) && segment >= 0 ? null : `a numeric data segment must be a non-negative integer (an array index), not ${segment}`;
  }
  if (segment === '') return 'a data segment may not be empty';
  if (FORBIDDEN_KEYS.has(segment)) return `a data segment may not be "${segment}"`;
  if (INVISIBLE.test(segment)) return `data segment ${JSON.stringify(segment)} contains a control or invisible character`;
  return null;
}

/** Checks the arguments of a `data` operation; `pointer` is the operator's. */
export function checkDataLookup(args: unknown, pointer: string, hooks: DataCheckHooks, nesting = 0): void {
  if (nesting >= MAX_DATA_NESTING) {
    hooks.issue(pointer, `data lookups nested deeper than ${MAX_DATA_NESTING} levels`);
    return;
  }
  if (!Array.isArray(args) || args.length < 2 || args.length > MAX_DATA_SEGMENTS + 1) {
    hooks.issue(pointer, `data takes a literal file name and 1 to ${MAX_DATA_SEGMENTS} path segments: ["file", segment, …]`);
    return;
  }
  const [file, ...segments] = args as unknown[];
  if (typeof file !== 'string') {
    hooks.issue(`${pointer}/0`, 'the data file must be a literal name (a string), so the file it reads is known at load');
  } else if (!DATA_NAME_PATTERN.test(file)) {
    hooks.issue(`${pointer}/0`, `data file name ${JSON.stringify(file)} must be ${DATA_NAME_RULE}`);
  } else {
    hooks.onFile?.(file, `${pointer}/0`);
  }
  segments.forEach((segment, i) => {
    const at = `${pointer}/${i + 1}`;
    if (typeof segment === 'string' || typeof segment === 'number') {
      const problem = literalProblem(segment);
      if (problem !== null) hooks.issue(at, problem);
      return;
    }
    const op = isObject(segment) && Object.keys(segment).length === 1 ? (Object.keys(segment)[0] as string) : undefined;
    if (op === undefined || !isObject(segment)) {
      hooks.issue(at, 'a data segment must be a literal string or index, {"var": "path"} or a nested {"data": […]}');
    } else if (op === 'var') {
      const v = segment[op];
      // No default: a missing key already yields null, and a default key would read another entity.
      if (Array.isArray(v) && v.length !== 1) hooks.issue(`${at}/var`, 'a var inside data takes only a path: {"var": "path"}');
      else hooks.checkVar(v, `${at}/var`);
    } else if (op === DATA_OPERATOR) {
      checkDataLookup(segment[op], `${at}/${DATA_OPERATOR}`, hooks, nesting + 1);
    } else {
      hooks.issue(at, 'a data segment must be a literal string or index, {"var": "path"} or a nested {"data": […]}');
    }
  });
}

// ---------- compilation ----------

/**
 * Compiles a checked `data` operation, pushing it (after any nested lookups) onto `lookups`;
 * returns its number there. `slot` gives a `var` path's slot.
 */
export function compileDataLookup(args: unknown, slot: (path: string) => number, data: DataFiles | undefined, lookups: DataLookup[]): number {
  const [file, ...rest] = args as [string, ...unknown[]];
  const segments: Segment[] = rest.map((segment) => {
    if (typeof segment === 'string') return { key: segment, slot: 0 };
    if (typeof segment === 'number') return { key: String(segment), slot: 0 };
    const node = segment as Record<string, unknown>;
    if ('var' in node) {
      const v = node.var;
      return { key: null, slot: slot((Array.isArray(v) ? v[0] : v) as string) };
    }
    return { key: null, slot: -1 - compileDataLookup(node[DATA_OPERATOR], slot, data, lookups) };
  });
  const entries = data !== undefined && Object.hasOwn(data, file) ? (data[file] as Record<string, unknown>) : null;
  const suffix = segments.slice(1).map((s) => s.key);
  const memo = entries !== null && suffix.length > 0 && segments[0]?.key === null && suffix.every((k) => k !== null) ? suffixMemo(entries, suffix as string[]) : null;
  lookups.push({ file, entries, segments, memo });
  return lookups.length - 1;
}

/**
 * Each entity's value at a lookup's literal suffix (`users` › id › `roles`: id → roles), kept the
 * first time that entity is read, so later decisions read one Map entry instead of walking the
 * entity. Equal flat values (role lists) are kept as one shared object: at 100,000 entities a
 * lookup's cost is the cache misses on its way (bench/engine.mjs), and a role list shared by
 * thousands of users stays in cache. Filled as decisions go, not at compile: building it for a
 * whole file at once held a reload's event loop. Only keys the file holds are kept, so its size
 * is bounded by the file's, whatever keys requests send. Invisible to a decision: the value kept
 * is what the walk gives, or an equal frozen one.
 */
interface SuffixMemo {
  readonly suffix: readonly string[];
  readonly byKey: Map<string, unknown>;
  /** Flat values by their JSON, to share equal ones. */
  readonly shared: Map<string, unknown>;
}

/** Memos per data file, by suffix; at most {@link MAX_SUFFIX_MEMOS} a file. */
const suffixMemos = new WeakMap<object, Map<string, SuffixMemo>>();
/** Beyond this many distinct suffixes into one file, lookups walk the file (memory stays bounded). */
const MAX_SUFFIX_MEMOS = 8;

function suffixMemo(entries: Readonly<Record<string, unknown>>, suffix: readonly string[]): SuffixMemo | null {
  let byFile = suffixMemos.get(entries);
  if (byFile === undefined) suffixMemos.set(entries, (byFile = new Map()));
  const name = JSON.stringify(suffix);
  let memo = byFile.get(name);
  if (memo === undefined) {
    if (byFile.size >= MAX_SUFFIX_MEMOS) return null;
    memo = { suffix: Object.freeze([...suffix]), byKey: new Map(), shared: new Map() };
    byFile.set(name, memo);
  }
  return memo;
}

/** The value at `key` › suffix, or null; kept in the memo when the file holds `key`. */
function memoized(memo: SuffixMemo, entries: Readonly<Record<string, unknown>>, key: string): unknown {
  const known = memo.byKey.get(key);
  if (known !== undefined) return known;
  const entity = ownValue(entries, key);
  if (entity === undefined) return null;
  let value = ownPath(entity, memo.suffix);
  if (value === undefined) value = null;
  if (value !== null && typeof value === 'object' && isFlat(value)) {
    const json = JSON.stringify(value);
    const same = memo.shared.get(json);
    if (same === undefined) memo.shared.set(json, value);
    else value = same;
  }
  memo.byKey.set(key, value);
  return value;
}

/** An array or object whose members are all strings, numbers, booleans or null (small enough to share by its JSON). */
function isFlat(value: object): boolean {
  const members = Object.values(value);
  if (members.length > 64) return false;
  for (const m of members) if (m !== null && typeof m === 'object') return false;
  return true;
}

/** What identifies a lookup for interning (the file and its segments, not the data). */
export function lookupKey(lookup: DataLookup): unknown {
  return [lookup.file, lookup.segments.map((s) => (s.key !== null ? s.key : s.slot))];
}

// ---------- decision time ----------

/** A dynamic segment's value as a key: a string that is no forbidden key, or an array index; else null. */
function keyOf(value: unknown): string | null {
  if (typeof value === 'string') return FORBIDDEN_KEYS.has(value) ? null : value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

function run(lookup: DataLookup, values: readonly unknown[], base: number, path: (string | null)[] | null): unknown {
  const segments = lookup.segments;
  const memo = lookup.memo;
  if (memo !== null && path === null && lookup.entries !== null) {
    const segment = segments[0] as Segment;
    const key = keyOf(segment.slot >= 0 ? values[segment.slot] : values[base - 1 - segment.slot]);
    return key === null ? null : memoized(memo, lookup.entries, key);
  }
  let value: unknown = lookup.entries;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    let key = segment.key;
    if (key === null) key = keyOf(segment.slot >= 0 ? values[segment.slot] : values[base - 1 - segment.slot]);
    path?.push(key);
    if (key === null || value === null) {
      value = null;
      if (path === null) return null;
      continue;
    }
    const next = ownValue(value, key);
    value = next === undefined ? null : next;
  }
  return value;
}

/**
 * Appends each lookup's value to the resolved `var` values (whose count is their slot base),
 * in order, so a nested lookup is ready before the one using it. Never throws.
 */
export function appendLookups(lookups: readonly DataLookup[], values: unknown[], record?: DataRecorder): void {
  const base = values.length;
  for (let i = 0; i < lookups.length; i++) {
    const lookup = lookups[i] as DataLookup;
    if (record === undefined) {
      values.push(run(lookup, values, base, null));
    } else {
      const path: (string | null)[] = [];
      const value = run(lookup, values, base, path);
      record(lookup.file, path, value !== null);
      values.push(value);
    }
  }
}

/**
 * `fromData`'s test: the looked-up value is `expected`, or an array holding it. Strict equality,
 * never json-logic's `in`, which on a string is a substring test ("admin" in "administrators").
 */
export function holdsValue(found: unknown, expected: string | number | boolean): boolean {
  if (found === expected) return true;
  if (!Array.isArray(found)) return false;
  for (let i = 0; i < found.length; i++) if (found[i] === expected) return true;
  return false;
}

/** The data files as compile binds them: the checked set's frozen objects, or a frozen copy of a hand-built set's. */
export function freezeData(data: DataFiles | undefined): DataFiles | undefined {
  if (data === undefined || Object.isFrozen(data)) return data;
  return deepFreeze(structuredClone(data));
}
