/**
 * Loading a policy directory: `DIR/*.json` are policies, `DIR/roles.json` (optional) the roles,
 * `DIR/schema.json` (optional) the attribute schema, `DIR/data/*.json` (optional) the data files,
 * `DIR/tests/` is ignored here. The result is a whole valid policy set or every error found
 * (file relative to DIR, JSON pointer, message); the loader never stops at the first one.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import type { JWK } from 'jose';
import { join } from 'node:path';
import type { CheckedPolicySet } from '../engine/types.js';
import { checkDocuments, checkedPolicySet, ROLES_FILE, type PolicyDocument, type PolicyError } from './check.js';
import { DATA_NAME_RULE } from '../engine/data.js';
import { checkDataDocuments, DATA_DIR, dataNameOf, MAX_DATA_FILE_BYTES, MAX_DATA_TOTAL_BYTES, type DataDocument } from './data.js';
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
  /** Data files, each named `data/<name>.json`. */
  data?: SourceFile[];
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
export async function readJsonEntry(dir: string, name: string, maxBytes = MAX_FILE_BYTES, limitNote = ''): Promise<{ text: string } | { error: string } | null> {
  if (name.startsWith('.') || !name.toLowerCase().endsWith('.json')) return null;
  const path = join(dir, name);
  try {
    const info = await stat(path);
    // A directory (or FIFO, socket…) named *.json is an error, not skipped: `chat.json/` left
    // behind by a bad copy would otherwise drop the chat policy, deny rules included, in silence.
    // Never read: a FIFO would block the reload forever.
    if (!info.isFile()) return { error: `not a regular file (${info.isDirectory() ? 'a directory' : 'a special file'}); only regular files are read` };
    if (!name.endsWith('.json')) return { error: 'the extension must be ".json" in lower case, or the file is not read' };
    if (info.size > maxBytes) return { error: `file too large (${info.size} bytes; at most ${maxBytes}${limitNote})` };
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

/**
 * Reads `DIR/data/*.json` (dot-files and other extensions skipped, as in DIR), each file within its
 * own limit and all of them within one budget, checked before a file is read.
 */
async function readDataDir(dataDir: string, errors: PolicyError[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  let names: string[];
  try {
    const info = await stat(dataDir);
    if (!info.isDirectory()) {
      errors.push({ file: DATA_DIR, pointer: '', message: `${DATA_DIR} must be a directory of JSON data files` });
      return files;
    }
    names = (await readdir(dataDir)).sort();
  } catch (err) {
    errors.push({ file: DATA_DIR, pointer: '', message: `cannot read directory (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
    return files;
  }
  let budget = MAX_DATA_TOTAL_BYTES;
  for (const name of names) {
    const file = `${DATA_DIR}/${name}`;
    const maxBytes = Math.min(MAX_DATA_FILE_BYTES, budget);
    const read = await readJsonEntry(dataDir, name, maxBytes, maxBytes < MAX_DATA_FILE_BYTES ? ` left of the ${MAX_DATA_TOTAL_BYTES} bytes all data files may weigh together` : '');
    if (read === null) continue;
    if ('error' in read) errors.push({ file, pointer: '', message: read.error });
    else {
      files.push({ file, text: read.text });
      budget -= Buffer.byteLength(read.text);
    }
  }
  return files;
}

/** Options of {@link loadPolicies}; they concern bundles only (plain data: they cross to the load worker). */
export interface LoadOptions {
  /**
   * Public keys (JWK) a bundle must be signed with; when given, an unsigned bundle or one whose
   * signature no key verifies is refused. Without them a bundle's integrity is still checked.
   */
  bundleKeys?: readonly JWK[];
}

/**
 * Reads DIR and checks it whole. I/O errors are reported like any other error, never thrown.
 * DIR may also be a bundle file (`pdp build`): the CLI commands, the server and the reload worker
 * all load through here, so each of them takes a bundle wherever it takes a directory.
 */
export async function loadPolicies(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const read = await readPolicySources(dir);
  if (read.kind === 'bundle') {
    // Imported on demand: jose and the bundle reader stay out of directory loads.
    const { loadBundleFile } = await import('../bundle/read.js');
    return loadBundleFile(dir, options);
  }
  if (read.kind === 'unreadable') return { ok: false, errors: read.errors };
  return checkReadSources(read);
}

/** What was read, checked: the errors met while reading and the checker's, together. */
export function checkReadSources({ sources, errors }: { sources: PolicySources; errors: PolicyError[] }): LoadResult {
  const result = checkPolicySources(sources);
  if (errors.length === 0) return result;
  return { ok: false, errors: [...errors, ...(result.ok ? [] : result.errors)].sort(byFile) };
}

/**
 * What DIR holds, unchecked, with the errors met while reading; `bundle` when DIR is a regular
 * file (a bundle, read by bundle/read.ts). `pdp build` packs exactly what this reads.
 */
export async function readPolicySources(
  dir: string,
): Promise<{ kind: 'read'; sources: PolicySources; errors: PolicyError[] } | { kind: 'unreadable'; errors: PolicyError[] } | { kind: 'bundle' }> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' && (await stat(dir).then((s) => s.isFile(), () => false))) return { kind: 'bundle' };
    const message = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot read directory (${code ?? String(err)})`;
    return { kind: 'unreadable', errors: [{ file: '.', pointer: '', message }] };
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
  if (names.includes(DATA_DIR)) sources.data = await readDataDir(join(dir, DATA_DIR), errors);
  return { kind: 'read', sources, errors };
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
  // Every data file's name counts as known, a broken one's too: its own errors say what is wrong.
  const dataNames: string[] = [];
  const dataDocs: DataDocument[] = [];
  for (const source of sources.data ?? []) {
    const name = dataNameOf(source.file.slice(DATA_DIR.length + 1));
    if (name === null) {
      errors.push({ file: source.file, pointer: '', message: `a data file name must be ${DATA_NAME_RULE}, then ".json"` });
      continue;
    }
    dataNames.push(name);
    const doc = parse(source);
    if (doc !== undefined) dataDocs.push({ ...doc, name });
  }
  const { data } = checkDataDocuments(dataDocs, errors);
  const schemaDoc = sources.schema === undefined ? undefined : (parse(sources.schema) ?? null);
  const checked = checkDocuments(policyDocs, rolesDoc, errors, schemaDoc, dataNames);
  const { roles, schema } = checked;
  if (errors.length > 0 || roles === null || schema === null) return { ok: false, errors: errors.sort(byFile) };
  const policySet = checkedPolicySet({ ...checked, roles, schema, data });
  try {
    // Compiled here, once: a schema that cannot compile must fail the load, never a request.
    requestCheckFor(policySet);
  } catch (err) {
    return { ok: false, errors: [{ file: SCHEMA_FILE, pointer: '', message: `cannot compile the request check: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  return { ok: true, policySet };
}
