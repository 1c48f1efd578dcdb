/**
 * Loading a policy directory: `DIR/*.json` are policies, `DIR/roles.json` (optional) the roles,
 * `DIR/tests/` is ignored here. The result is a whole valid policy set or every error found
 * (file relative to DIR, JSON pointer, message); the loader never stops at the first one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkLogic, escapePointer, type LogicCheckOptions } from '../engine/logic.js';
import type { Policy, PolicySet, RoleDefinition } from '../engine/types.js';
import { parseJson } from './json.js';
import { computeRevision } from './revision.js';
import { getValidators, schemaIssues } from './schemas.js';

/** One problem in a policy directory. `file` is relative to the directory; `pointer` is RFC 6901. */
export interface PolicyError {
  file: string;
  pointer: string;
  message: string;
}

export type LoadResult = { ok: true; policySet: PolicySet } | { ok: false; errors: PolicyError[] };

export const ROLES_FILE = 'roles.json';
export const TESTS_DIR = 'tests';

/** A file's name (relative to the policy directory) and its text. */
export interface SourceFile {
  file: string;
  text: string;
}

/** What `loadPolicies` read, before any checking; the checks themselves need no file system. */
export interface PolicySources {
  policies: SourceFile[];
  roles?: SourceFile;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function byFile(a: PolicyError, b: PolicyError): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

/** Reads DIR and checks it whole. I/O errors are reported like any other error, never thrown. */
export async function loadPolicies(dir: string): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot read directory (${code ?? String(err)})`;
    return { ok: false, errors: [{ file: '.', pointer: '', message }] };
  }
  const sources: PolicySources = { policies: [] };
  const errors: PolicyError[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const path = join(dir, name);
    try {
      if (!(await stat(path)).isFile()) continue;
      const file: SourceFile = { file: name, text: await readFile(path, 'utf8') };
      if (name === ROLES_FILE) sources.roles = file;
      else sources.policies.push(file);
    } catch (err) {
      errors.push({ file: name, pointer: '', message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
    }
  }
  const result = checkPolicySources(sources);
  if (errors.length === 0) return result;
  return { ok: false, errors: [...errors, ...(result.ok ? [] : result.errors)].sort(byFile) };
}

interface RoleReference {
  file: string;
  pointer: string;
  role: string;
}

/**
 * Every check of a policy set, from file contents: JSON syntax and duplicate keys, the JSON
 * Schemas, unique policy and rule ids, safe json-logic (allow-listed operators, literal `var`
 * paths under subject/resource/action/context without prototype segments), known roles and an
 * acyclic role graph. Pure, so the server and tests can use it without a directory.
 */
export function checkPolicySources(sources: PolicySources): LoadResult {
  const errors: PolicyError[] = [];
  const validators = getValidators();
  const policies: Policy[] = [];
  const sourceOf = new Map<string, string>();
  const roleRefs: RoleReference[] = [];

  if (sources.policies.length === 0) {
    errors.push({ file: '.', pointer: '', message: 'no policy files (*.json besides roles.json) in this directory' });
  }

  for (const { file, text } of sources.policies) {
    const parsed = parseJson(text);
    for (const issue of parsed.issues) errors.push({ file, ...issue });
    if (!parsed.ok) continue;
    const doc = parsed.value;
    const valid: boolean = validators.policy(doc);
    if (!valid) for (const issue of schemaIssues(validators.policy.errors)) errors.push({ file, ...issue });
    // The checks beyond the schema run on whatever parts are well-formed, so one pass reports
    // every problem, not the schema's first and the rest on the next try.
    if (!isObject(doc)) continue;
    if (typeof doc.id === 'string') {
      const other = sourceOf.get(doc.id);
      if (other !== undefined) errors.push({ file, pointer: '/id', message: `duplicate policy id "${doc.id}" (also in ${other})` });
      else sourceOf.set(doc.id, file);
    }
    const ruleIds = new Map<string, number>();
    (Array.isArray(doc.rules) ? doc.rules : []).forEach((rule: unknown, i) => {
      if (!isObject(rule)) return;
      if (typeof rule.id === 'string') {
        const first = ruleIds.get(rule.id);
        if (first !== undefined) errors.push({ file, pointer: `/rules/${i}/id`, message: `duplicate rule id "${rule.id}" (also /rules/${first})` });
        else ruleIds.set(rule.id, i);
      }
      if (rule.when !== undefined) {
        for (const issue of checkLogic(rule.when)) errors.push({ file, pointer: `/rules/${i}/when${issue.pointer}`, message: issue.message });
      }
      const roles = isObject(rule.subject) ? rule.subject.roles : undefined;
      for (const kind of ['anyOf', 'allOf'] as const) {
        const names = isObject(roles) ? roles[kind] : undefined;
        if (!Array.isArray(names)) continue;
        names.forEach((role: unknown, j) => {
          if (typeof role === 'string') roleRefs.push({ file, pointer: `/rules/${i}/subject/roles/${kind}/${j}`, role });
        });
      }
    });
    if (valid) policies.push(toPolicy(doc));
  }

  const roles = checkRoles(sources.roles, errors);
  if (roles !== null) {
    for (const ref of roleRefs) {
      if (!Object.hasOwn(roles, ref.role)) {
        const where = sources.roles === undefined ? ` (there is no ${ROLES_FILE})` : ` (not defined in ${ROLES_FILE})`;
        errors.push({ file: ref.file, pointer: ref.pointer, message: `unknown role "${ref.role}"${where}` });
      }
    }
  }

  if (errors.length > 0 || roles === null) return { ok: false, errors: errors.sort(byFile) };
  policies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sourcesRecord: Record<string, string> = {};
  for (const p of policies) sourcesRecord[p.id] = sourceOf.get(p.id) as string;
  return {
    ok: true,
    policySet: { policies, roles, revision: computeRevision(policies, roles), sources: sourcesRecord },
  };
}

/** A schema-valid document as a Policy, without the editor-only `$schema`. */
function toPolicy(doc: Record<string, unknown>): Policy {
  const { $schema: _schema, ...policy } = doc;
  return policy as unknown as Policy;
}

/**
 * Checks roles.json; returns the roles (empty when there is no file), or null when they are too
 * broken to check references against.
 */
function checkRoles(source: SourceFile | undefined, errors: PolicyError[]): Record<string, RoleDefinition> | null {
  if (source === undefined) return {};
  const { file, text } = source;
  const validators = getValidators();
  const parsed = parseJson(text);
  for (const issue of parsed.issues) errors.push({ file, ...issue });
  if (!parsed.ok) return null;
  const doc = parsed.value;
  const valid: boolean = validators.roles(doc);
  if (!valid) {
    for (const issue of schemaIssues(validators.roles.errors)) errors.push({ file, ...issue });
    // Names still let policies' role references be checked, when the map itself is an object.
    return isObject(doc) && isObject(doc.roles) ? (doc.roles as Record<string, RoleDefinition>) : null;
  }
  const roles = (doc as { roles: Record<string, RoleDefinition> }).roles;
  const logicOptions: LogicCheckOptions = { forbidSubjectRoles: true };
  for (const name of Object.keys(roles)) {
    const role = roles[name] as RoleDefinition;
    const base = `/roles/${escapePointer(name)}`;
    if (role.when !== undefined) {
      for (const issue of checkLogic(role.when, logicOptions)) errors.push({ file, pointer: `${base}/when${issue.pointer}`, message: issue.message });
    }
    role.inherits?.forEach((parent, j) => {
      if (!Object.hasOwn(roles, parent)) errors.push({ file, pointer: `${base}/inherits/${j}`, message: `inherits unknown role "${parent}"` });
    });
  }
  for (const cycle of findCycles(roles)) {
    errors.push({ file, pointer: `/roles/${escapePointer(cycle.role)}/inherits/${cycle.index}`, message: `role inheritance cycle: ${cycle.path.join(' -> ')}` });
  }
  return roles;
}

interface Cycle {
  role: string;
  index: number;
  path: string[];
}

/** Each inheritance edge that closes a cycle, found by depth-first search in name order. */
function findCycles(roles: Record<string, RoleDefinition>): Cycle[] {
  const state = new Map<string, 'active' | 'done'>();
  const cycles: Cycle[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    (roles[name]?.inherits ?? []).forEach((parent, index) => {
      if (!Object.hasOwn(roles, parent)) return;
      const s = state.get(parent);
      if (s === 'active') cycles.push({ role: name, index, path: [...stack.slice(stack.indexOf(parent)), parent] });
      else if (s === undefined) visit(parent);
    });
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(roles).sort()) if (!state.has(name)) visit(name);
  return cycles;
}
