/**
 * Role derivation: a role holds when one of its `fromGroups` is among the subject's groups, its
 * `fromData` entry lists it, or its `when` holds; a held role grants every role it inherits, transitively. Roles come only from the
 * policy set: a caller-supplied `subject.roles` is ignored, because a role is a grant and the
 * policy set, not the caller, decides grants.
 */
import { appendLookups, DATA_OPERATOR, holdsValue, type DataRecorder } from './data.js';
import { compileLogic, runLogic, type CompiledLogic } from './logic.js';
import { resolveValues, type RequestView } from './resolve.js';
import type { DataFiles, RoleDefinition } from './types.js';

/** `fromData`, compiled: the lookup (as a one-lookup expression) and the value it must hold. */
export interface CompiledFromData {
  readonly lookup: CompiledLogic;
  readonly value: string | number | boolean;
}

export interface CompiledRole {
  readonly name: string;
  readonly fromGroups: readonly string[];
  readonly fromData: CompiledFromData | null;
  readonly when: CompiledLogic | null;
  /** The role itself and everything it inherits, transitively. */
  readonly grants: readonly string[];
}

export interface CompiledRoles {
  /** Sorted by name, so derivation and its errors are deterministic. */
  readonly list: readonly CompiledRole[];
}

export interface RoleError {
  role: string;
  message: string;
}

export interface DerivedRoles {
  /** Sorted, without duplicates. */
  roles: string[];
  errors: RoleError[];
}

/**
 * Compiles checked roles (every inherited role defined, no cycle: the policy checker saw to it).
 * The two guards below only keep a broken invariant from recursing forever.
 */
export function compileRoles(roles: Record<string, RoleDefinition>, data?: DataFiles): CompiledRoles {
  const defs = new Map<string, RoleDefinition>();
  for (const name of Object.keys(roles).sort()) defs.set(name, roles[name] as RoleDefinition);

  const grants = new Map<string, string[]>();
  const visiting = new Set<string>();
  function closure(name: string, from: string[]): string[] {
    const done = grants.get(name);
    if (done) return done;
    const def = defs.get(name);
    if (!def) throw new Error(`role "${from.at(-1)}" inherits unknown role "${name}"`);
    if (visiting.has(name)) throw new Error(`role inheritance cycle: ${[...from, name].join(' -> ')}`);
    visiting.add(name);
    const all = new Set<string>([name]);
    for (const parent of def.inherits ?? []) for (const r of closure(parent, [...from, name])) all.add(r);
    visiting.delete(name);
    const sorted = [...all].sort();
    grants.set(name, sorted);
    return sorted;
  }

  const list: CompiledRole[] = [];
  for (const [name, def] of defs) {
    list.push({
      name,
      fromGroups: [...(def.fromGroups ?? [])],
      fromData:
        def.fromData === undefined
          ? null
          : { lookup: compileLogic({ [DATA_OPERATOR]: [def.fromData.file, ...def.fromData.path] }, undefined, data), value: def.fromData.value ?? name },
      when: def.when === undefined ? null : compileLogic(def.when, undefined, data),
      grants: closure(name, []),
    });
  }
  return { list };
}

function includes(list: readonly unknown[], value: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === value) return true;
  return false;
}

/**
 * The roles a request's subject holds. A role whose `when` throws is not granted and is
 * reported, so the rules that depend on roles can fail closed.
 */
export function deriveRoles(compiled: CompiledRoles, view: RequestView, record?: (role: string) => DataRecorder): DerivedRoles {
  const held = new Set<string>();
  const errors: RoleError[] = [];
  for (const role of compiled.list) {
    let holds = false;
    for (const group of role.fromGroups) {
      if (includes(view.groups, group)) {
        holds = true;
        break;
      }
    }
    if (!holds && role.fromData !== null) holds = holdsFromData(role.fromData, view, record?.(role.name));
    if (!holds && role.when !== null) {
      try {
        holds = runLogic(role.when, resolveValues(view, role.when.paths), record?.(role.name));
      } catch (err) {
        errors.push({ role: role.name, message: errorMessage(err) });
      }
    }
    if (holds) for (const r of role.grants) held.add(r);
  }
  return { roles: held.size === 0 ? [] : [...held].sort(), errors };
}

/** Never throws: the lookup's segments are resolved values, and the lookup reads own properties only. */
function holdsFromData(fromData: CompiledFromData, view: RequestView, record: DataRecorder | undefined): boolean {
  const values = resolveValues(view, fromData.lookup.paths);
  appendLookups(fromData.lookup.lookups ?? [], values, record);
  return holdsValue(values[values.length - 1], fromData.value);
}

/** A short, single-line message for a thrown value. */
export function errorMessage(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? String(err.message) : String(err);
  } catch {
    text = 'unprintable error';
  }
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
