/**
 * Own-property reads of request data. Everything the engine takes from a request goes through
 * here, so a key the caller did not send (`constructor`, `toString`, anything inherited) reads
 * as absent, and a `__proto__` key sent as JSON is only ever an ordinary own property.
 */
import { ownValue } from '../common/objects.js';
import type { VarPath } from './logic.js';

/** The parts of a request the engine reads, taken once per decision. */
export interface RequestView {
  readonly subject: unknown;
  readonly resource: unknown;
  /** `resource.type`, checked to be a string. */
  readonly type: string;
  readonly action: string;
  /** The request's `actionProperties`, read as `action.properties.*`. */
  readonly actionProperties: unknown;
  readonly context: unknown;
  readonly groups: readonly unknown[];
  /** Derived roles, once known. */
  roles: readonly string[] | undefined;
}

/** Resolves one var path against the request, own properties only. `undefined` when absent. */
export function resolvePath(view: RequestView, path: VarPath): unknown {
  let value: unknown;
  let i = 0;
  const rest = path.rest;
  if (path.derivedRoles) {
    value = view.roles ?? [];
    i = 1;
  } else {
    switch (path.root) {
      case 'subject': value = view.subject; break;
      case 'resource': value = view.resource; break;
      case 'action':
        // `action` and `action.name` are the name; `action.properties.*` the properties (the
        // checker admits no other action path).
        if (rest[0] !== 'properties') return view.action;
        value = view.actionProperties;
        i = 1;
        break;
      default: value = view.context;
    }
  }
  for (; i < rest.length; i++) {
    value = ownValue(value, rest[i] as string);
    if (value === undefined) return undefined;
  }
  return value;
}

/** Resolves a compiled condition's paths into the array json-logic-js sees as its data. */
export function resolveValues(view: RequestView, paths: readonly VarPath[]): unknown[] {
  const values = new Array<unknown>(paths.length);
  for (let i = 0; i < paths.length; i++) values[i] = resolvePath(view, paths[i] as VarPath);
  return values;
}
