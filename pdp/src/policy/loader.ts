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

/**
 * The most a policy, roles or test file may weigh. Far above any hand-written file; it keeps a
 * stray data dump in the directory from being read whole into the server's memory on a reload.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/**
 * Strict: a file saved in Latin-1 would otherwise load with U+FFFD in place of its accented
 * letters, and a deny rule naming such a group would silently never match. The BOM is kept for
 * parseJson, which strips it.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * One directory entry as a JSON source: its text, an error, or null when it is not one (a
 * dot-file, another extension). `X.JSON`, and a directory named `X.json`, are errors rather than
 * skipped: a deny policy saved under such a name would otherwise be silently left out of the set.
 */
export async function readJsonEntry(dir: string, name: string): Promise<{ text: string } | { error: string } | null> {
  if (name.startsWith('.') || !name.toLowerCase().endsWith('.json')) return null;
  const path = join(dir, name);
  try {
    const info = await stat(path);
    // A directory (or FIFO, socket…) named *.json is an error, not skipped: `chat.json/` left
    // behind by a bad copy would otherwise drop the chat policy, deny rules included, in silence.
    // Never read: a FIFO would block the reload forever.
    if (!info.isFile()) return { error: `not a regular file (${info.isDirectory() ? 'a directory' : 'a special file'}); a policy must be a file` };
    if (!name.endsWith('.json')) return { error: 'the extension must be ".json" in lower case, or the file is not read' };
    if (info.size > MAX_FILE_BYTES) return { error: `file too large (${info.size} bytes; at most ${MAX_FILE_BYTES})` };
    const bytes = await readFile(path);
    try {
      return { text: UTF8.decode(bytes) };
    } catch {
      return { error: 'not valid UTF-8 (save the file as UTF-8)' };
    }
  } catch (err) {
    return { error: `cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
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
    const read = await readJsonEntry(dir, name);
    if (read === null) continue;
    if ('error' in read) {
      errors.push({ file: name, pointer: '', message: read.error });
      continue;
    }
    const file: SourceFile = { file: name, text: read.text };
    if (name === ROLES_FILE) sources.roles = file;
    else sources.policies.push(file);
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
  const policyIdsLower = new Map<string, { id: string; file: string }>();
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
    // Ids are compared ignoring case too: "Chat/x" and "chat/x" in a decision log or a test's
    // expected reasons would name two different rules that a reader takes for one.
    if (typeof doc.id === 'string') {
      const other = sourceOf.get(doc.id);
      const similar = policyIdsLower.get(doc.id.toLowerCase());
      if (other !== undefined) errors.push({ file, pointer: '/id', message: `duplicate policy id "${doc.id}" (also in ${other})` });
      else if (similar !== undefined) errors.push({ file, pointer: '/id', message: `policy id "${doc.id}" differs from "${similar.id}" (in ${similar.file}) only in case` });
      else {
        sourceOf.set(doc.id, file);
        policyIdsLower.set(doc.id.toLowerCase(), { id: doc.id, file });
      }
    }
    const ruleIds = new Map<string, { id: string; index: number }>();
    (Array.isArray(doc.rules) ? doc.rules : []).forEach((rule: unknown, i) => {
      if (!isObject(rule)) return;
      if (typeof rule.id === 'string') {
        const first = ruleIds.get(rule.id.toLowerCase());
        if (first === undefined) ruleIds.set(rule.id.toLowerCase(), { id: rule.id, index: i });
        else if (first.id === rule.id) errors.push({ file, pointer: `/rules/${i}/id`, message: `duplicate rule id "${rule.id}" (also /rules/${first.index})` });
        else errors.push({ file, pointer: `/rules/${i}/id`, message: `rule id "${rule.id}" differs from "${first.id}" (/rules/${first.index}) only in case` });
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
 * broken to check references against. The checks beyond the schema run on every well-formed
 * role even when the schema failed elsewhere, so one pass reports every problem.
 */
function checkRoles(source: SourceFile | undefined, errors: PolicyError[]): Record<string, RoleDefinition> | null {
  if (source === undefined) return {};
  const { file, text } = source;
  const validators = getValidators();
  const parsed = parseJson(text);
  for (const issue of parsed.issues) errors.push({ file, ...issue });
  if (!parsed.ok) return null;
  const doc = parsed.value;
  if (!validators.roles(doc)) for (const issue of schemaIssues(validators.roles.errors)) errors.push({ file, ...issue });
  if (!isObject(doc) || !isObject(doc.roles)) return null;
  const roles = doc.roles;
  const logicOptions: LogicCheckOptions = { forbidSubjectRoles: true };
  const lowerCase = new Map<string, string>();
  for (const name of Object.keys(roles)) {
    const base = `/roles/${escapePointer(name)}`;
    const other = lowerCase.get(name.toLowerCase());
    if (other !== undefined) errors.push({ file, pointer: base, message: `role "${name}" differs from role "${other}" only in case` });
    else lowerCase.set(name.toLowerCase(), name);
    const role = roles[name];
    if (!isObject(role)) continue;
    if (role.when !== undefined) {
      for (const issue of checkLogic(role.when, logicOptions)) errors.push({ file, pointer: `${base}/when${issue.pointer}`, message: issue.message });
    }
    for (const { parent, index } of inheritsOf(role)) {
      if (!Object.hasOwn(roles, parent)) errors.push({ file, pointer: `${base}/inherits/${index}`, message: `inherits unknown role "${parent}"` });
    }
  }
  for (const cycle of findCycles(roles)) {
    errors.push({ file, pointer: `/roles/${escapePointer(cycle.role)}/inherits/${cycle.index}`, message: `role inheritance cycle: ${cycle.path.join(' -> ')}` });
  }
  return roles as Record<string, RoleDefinition>;
}

/** A role's inherited role names that are strings, with their index (whatever else the schema said). */
function inheritsOf(role: unknown): { parent: string; index: number }[] {
  const inherits = isObject(role) ? role.inherits : undefined;
  if (!Array.isArray(inherits)) return [];
  return inherits.flatMap((parent: unknown, index) => (typeof parent === 'string' ? [{ parent, index }] : []));
}

interface Cycle {
  role: string;
  index: number;
  path: string[];
}

/** Each inheritance edge that closes a cycle, found by depth-first search in name order. */
function findCycles(roles: Record<string, unknown>): Cycle[] {
  const state = new Map<string, 'active' | 'done'>();
  const cycles: Cycle[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const { parent, index } of inheritsOf(roles[name])) {
      if (!Object.hasOwn(roles, parent)) continue;
      const s = state.get(parent);
      if (s === 'active') cycles.push({ role: name, index, path: [...stack.slice(stack.indexOf(parent)), parent] });
      else if (s === undefined) visit(parent);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(roles).sort()) if (!state.has(name)) visit(name);
  return cycles;
}
