/**
 * Loading a policy directory: `DIR/*.json` are policies, `DIR/roles.json` (optional) the roles,
 * `DIR/schema.json` (optional) the attribute schema, `DIR/tests/` is ignored here. The result is a whole valid policy set or every error found
 * (file relative to DIR, JSON pointer, message); the loader never stops at the first one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckedPolicySet } from '../engine/types.js';
import { checkDocuments, checkedPolicySet, ROLES_FILE, type PolicyDocument, type PolicyError } from './check.js';
import { parseJson } from './json.js';
import { SCHEMA_FILE } from './attribute-schema.js';
import { requestCheckFor } from './request-attributes.js';

export { ROLES_FILE, type PolicyError } from './check.js';
export { SCHEMA_FILE } from './attribute-schema.js';

export type LoadResult = { ok: true; policySet: CheckedPolicySet } | { ok: false; errors: PolicyError[] };
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
  schema?: SourceFile;
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
    else if (name === SCHEMA_FILE) sources.schema = file;
    else sources.policies.push(file);
  }
  const result = checkPolicySources(sources);
  if (errors.length === 0) return result;
  return { ok: false, errors: [...errors, ...(result.ok ? [] : result.errors)].sort(byFile) };
}

/**
 * Every check of a policy set, from file contents: JSON syntax and duplicate keys, then the one
 * checker (schemas, unique ids, safe json-logic, known roles, an acyclic role graph). Pure, so
 * the server and tests can use it without a directory. The set it returns is frozen and marked
 * checked: compiling it checks nothing twice.
 */
export function checkPolicySources(sources: PolicySources): LoadResult {
  const errors: PolicyError[] = [];
  if (sources.policies.length === 0) {
    errors.push({ file: '.', pointer: '', message: `no policy files (*.json besides ${ROLES_FILE} and ${SCHEMA_FILE}) in this directory` });
  }
  const parse = ({ file, text }: SourceFile): PolicyDocument | undefined => {
    const parsed = parseJson(text);
    for (const issue of parsed.issues) errors.push({ file, ...issue });
    return parsed.ok ? { file, value: parsed.value } : undefined;
  };
  const policyDocs = sources.policies.flatMap((source) => parse(source) ?? []);
  // A roles.json that is not JSON (null) leaves nothing to check role references against.
  const rolesDoc = sources.roles === undefined ? undefined : (parse(sources.roles) ?? null);
  const schemaDoc = sources.schema === undefined ? undefined : (parse(sources.schema) ?? null);
  const checked = checkDocuments(policyDocs, rolesDoc, errors, schemaDoc);
  const { roles, schema } = checked;
  if (errors.length > 0 || roles === null || schema === null) return { ok: false, errors: errors.sort(byFile) };
  const policySet = checkedPolicySet({ ...checked, roles, schema });
  try {
    // Compiled here, once: a schema that cannot compile must fail the load, never a request.
    requestCheckFor(policySet);
  } catch (err) {
    return { ok: false, errors: [{ file: SCHEMA_FILE, pointer: '', message: `cannot compile the request check: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  return { ok: true, policySet };
}
