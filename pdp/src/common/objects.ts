/**
 * Small helpers for data that arrived as JSON: from a caller, a policy file or a token. Each is
 * written for hostile input: own properties only, no prototype walk.
 */

/**
 * Keys that reach an object's prototype when code further down merges or indexes carelessly.
 * Refused in request bodies, policy `var` paths and claim paths alike.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `obj[key]` if `obj` holds `key` as an own property; else undefined. Objects and arrays, and
 * strings too (their own `length` and indexed characters, as json-logic's `var` reads them).
 */
export function ownValue(obj: unknown, key: string): unknown {
  if ((typeof obj !== 'object' || obj === null) && typeof obj !== 'string') return undefined;
  return hasOwn.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Follows `segments` through own properties; undefined as soon as one is absent. */
export function ownPath(obj: unknown, segments: readonly string[]): unknown {
  let value = obj;
  for (let i = 0; i < segments.length && value !== undefined; i++) value = ownValue(value, segments[i] as string);
  return value;
}

/**
 * Freezes a JSON value and everything inside it. Children first, so a value is frozen only once
 * everything under it is; an already frozen value is taken as done (which also ends cycles).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
