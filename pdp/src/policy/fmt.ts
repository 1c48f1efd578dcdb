/**
 * The one layout of policy-directory files (`pdp fmt`): keys in the order the file's JSON Schema
 * lists its `properties` (so the order is written once, in pdp/schemas), keys a schema does not
 * list and free-form maps (attributes, claims, conditions, data files) in the author's order,
 * arrays and rules in theirs; two-space indentation, a value on one line when it fits in
 * {@link LINE_WIDTH} columns (an object of {@link EXPANDED_ARRAY_OBJECT_KEYS} keys or more in an
 * array never is), the document itself across lines, a final newline.
 *
 * Only whitespace and key order change: every string and number keeps the characters it was
 * written with, so a value the PDP reads cannot change (a 20-digit id stays as written rather
 * than becoming the double JSON.parse would round it to). The one exception makes the text more
 * visible, never less: an invisible or format character written raw in a string (a zero-width
 * space, a bidi override) is written as its \u escape, so a reviewer sees it in the diff.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { isObject } from '../common/objects.js';
import { DATA_DIR, MAX_DATA_FILE_BYTES } from './data.js';
import { parseJson, type JsonIssue } from './json.js';
import { MAX_FILE_BYTES, readJsonEntry, ROLES_FILE, SCHEMA_FILE, TESTS_DIR } from './loader.js';
import { readSchema, SCHEMA_FILES, type SchemaName } from './schemas.js';

/** A value's one-line form is used when the whole line (indent, key, value, comma) fits in this many columns. */
export const LINE_WIDTH = 120;

/** What a file in a policy directory is, as the loader reads it. */
export type FileKind = 'policy' | 'roles' | 'schema' | 'data' | 'test';

/** The JSON Schema whose `properties` order each kind's keys; data files are free-form. */
const ROOT_SCHEMA: Record<FileKind, SchemaName | null> = {
  policy: 'policy',
  roles: 'roles',
  schema: 'attributeSchema',
  test: 'policyTest',
  data: null,
};

/**
 * The kind of a file by where it lies, the loader's rule: `tests/*.json` are policy tests,
 * `data/*.json` data files, `roles.json` and `schema.json` what their names say, any other
 * `*.json` a policy.
 */
export function kindOf(path: string): FileKind {
  const parent = basename(dirname(path));
  if (parent === TESTS_DIR) return 'test';
  if (parent === DATA_DIR) return 'data';
  const name = basename(path);
  if (name === ROLES_FILE) return 'roles';
  if (name === SCHEMA_FILE) return 'schema';
  return 'policy';
}

/**
 * A parsed value that keeps what JSON.parse loses: the order of integer-like keys (an object
 * lists those first, ascending) and the text of each string and number.
 */
type Node = { kind: 'object'; entries: { rawKey: string; key: string; value: Node }[] } | { kind: 'array'; items: Node[] } | { kind: 'scalar'; raw: string };

const WS = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\]|\\.)*"/y;
const SCALAR = /-?[0-9][0-9.eE+-]*|true|false|null/y;

/** Parses text that parseJson has already accepted (so every token is known to be well-formed). */
function toNodes(text: string): Node {
  let i = 0;
  const match = (re: RegExp): string => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) throw new Error(`unexpected text at position ${i}`);
    i = re.lastIndex;
    return m[0];
  };
  const ws = (): void => {
    match(WS);
  };
  const value = (): Node => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: { rawKey: string; key: string; value: Node }[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        ws();
        const rawKey = match(STRING);
        ws();
        i++; // ':'
        entries.push({ rawKey, key: JSON.parse(rawKey) as string, value: value() });
        ws();
        if (text[i++] === '}') return { kind: 'object', entries };
      }
    }
    if (c === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i++] === ']') return { kind: 'array', items };
      }
    }
    return { kind: 'scalar', raw: c === '"' ? visible(match(STRING)) : match(SCALAR) };
  };
  return value();
}

/** Raw invisible and format characters (every Cf and Z but the plain space) as \u escapes. */
function visible(raw: string): string {
  return raw.replace(/(?! )[\p{Cf}\p{Z}]/gu, escapeUnits);
}

function escapeUnits(ch: string): string {
  // An astral character (a tag character, U+E0001…) is two UTF-16 units, each its own escape.
  let out = '';
  for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`;
  return out;
}

type Schema = Record<string, unknown>;

/** A schema node in the document it belongs to (for resolving its relative `$ref`s). */
interface Scope {
  doc: SchemaName;
  node: Schema;
}

const fileToName = new Map<string, SchemaName>(Object.entries(SCHEMA_FILES).map(([name, file]) => [file, name as SchemaName]));
const documents = new Map<SchemaName, Schema>();

function schemaDocument(name: SchemaName): Schema {
  let doc = documents.get(name);
  if (doc === undefined) {
    doc = readSchema(name);
    documents.set(name, doc);
  }
  return doc;
}

/** Follows `$ref`s (within a schema file or to another of pdp/schemas) until a node that lists properties, items or a map's values. */
function resolve(scope: Scope | undefined): Scope | undefined {
  let current = scope;
  for (let hops = 0; current !== undefined && hops < 16; hops++) {
    const { node } = current;
    if (typeof node.$ref !== 'string' || isObject(node.properties)) return current;
    const [file, fragment = ''] = node.$ref.split('#');
    const doc = file === '' || file === undefined ? current.doc : fileToName.get(file);
    if (doc === undefined) return undefined;
    let target: unknown = schemaDocument(doc);
    for (const segment of fragment.split('/').filter((s) => s !== '')) target = isObject(target) ? target[segment] : undefined;
    current = isObject(target) ? { doc, node: target } : undefined;
  }
  return current;
}

const child = (scope: Scope, sub: unknown): Scope | undefined => (isObject(sub) ? resolve({ doc: scope.doc, node: sub }) : undefined);

/** Orders each object's keys by its schema's `properties`; keys the schema does not list follow, in the author's order. */
function ordered(node: Node, scope: Scope | undefined): Node {
  if (node.kind === 'scalar') return node;
  if (node.kind === 'array') {
    const items = scope === undefined ? undefined : child(scope, scope.node.items);
    return { kind: 'array', items: node.items.map((item) => ordered(item, items)) };
  }
  const properties = scope !== undefined && isObject(scope.node.properties) ? scope.node.properties : undefined;
  const rest = scope === undefined ? undefined : child(scope, scope.node.additionalProperties);
  const rank = properties === undefined ? new Map<string, number>() : new Map(Object.keys(properties).map((key, index) => [key, index]));
  const entries = node.entries
    .map((entry, index) => ({ entry, index, rank: rank.get(entry.key) ?? rank.size }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ entry }) => {
      const sub = properties !== undefined && Object.hasOwn(properties, entry.key) ? child(scope as Scope, properties[entry.key]) : rest;
      return { ...entry, value: ordered(entry.value, sub) };
    });
  return { kind: 'object', entries };
}

/**
 * An object of this many keys in an array always takes lines of its own: a rule or a test case,
 * however short, then reads (and diffs) one key per line.
 */
export const EXPANDED_ARRAY_OBJECT_KEYS = 3;

const own = (item: Node): boolean => item.kind === 'object' && item.entries.length >= EXPANDED_ARRAY_OBJECT_KEYS;

/** The value on one line, or null as soon as it would take more than `budget` columns. */
function oneLine(node: Node, budget: number): string | null {
  if (node.kind === 'scalar') return node.raw.length <= budget ? node.raw : null;
  const parts: string[] = [];
  const [open, close] = node.kind === 'array' ? ['[', ']'] : ['{ ', ' }'];
  const items = node.kind === 'array' ? node.items.map((value) => ({ prefix: '', value })) : node.entries.map((e) => ({ prefix: `${e.rawKey}: `, value: e.value }));
  if (items.length === 0) return node.kind === 'array' ? '[]' : '{}';
  if (node.kind === 'array' && node.items.some(own)) return null;
  let used = open.length + close.length;
  for (const { prefix, value } of items) {
    used += prefix.length + (parts.length > 0 ? 2 : 0);
    const text = oneLine(value, budget - used);
    if (text === null) return null;
    used += text.length;
    parts.push(prefix + text);
  }
  return used <= budget ? `${open}${parts.join(', ')}${close}` : null;
}

/** `used`: the columns the line already holds before the value, plus its trailing comma. `expand`: never on one line. */
function layout(node: Node, indent: string, used: number, expand: boolean): string {
  if (!expand) {
    const line = oneLine(node, LINE_WIDTH - used);
    if (line !== null) return line;
  }
  if (node.kind === 'scalar') return node.raw;
  const inner = `${indent}  `;
  if (node.kind === 'array') {
    if (node.items.length === 0) return '[]';
    const lines = node.items.map((item, k) => `${inner}${layout(item, inner, inner.length + (k < node.items.length - 1 ? 1 : 0), own(item))}`);
    return `[\n${lines.join(',\n')}\n${indent}]`;
  }
  if (node.entries.length === 0) return '{}';
  const lines = node.entries.map((e, k) => {
    const prefix = `${inner}${e.rawKey}: `;
    return `${prefix}${layout(e.value, inner, prefix.length + (k < node.entries.length - 1 ? 1 : 0), false)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

export type FormatResult = { ok: true; text: string } | { ok: false; issues: JsonIssue[] };

/**
 * The canonical text of a file of `kind`. Text that does not parse, or that writes a key twice
 * (which of the two the PDP reads is not for a formatter to choose), is refused with the issues.
 */
export function formatJson(text: string, kind: FileKind): FormatResult {
  const parsed = parseJson(text);
  if (!parsed.ok || parsed.issues.length > 0) return { ok: false, issues: parsed.issues };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let tree: Node;
  try {
    const name = ROOT_SCHEMA[kind];
    tree = ordered(toNodes(body), name === null ? undefined : resolve({ doc: name, node: schemaDocument(name) }));
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, issues: [{ pointer: '', message: 'JSON nested too deeply to format' }] };
    throw err;
  }
  return { ok: true, text: `${layout(tree, '', 0, true)}\n` };
}

/** One file `pdp fmt` looked at: its canonical text, or why it could not be formatted. */
export type FileFormat = { file: string; kind: FileKind; text: string; formatted: string } | { file: string; errors: { pointer: string; message: string }[] };

/** Directories a walk never enters: version control, dependencies, build output. */
const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', 'dist']);

/**
 * The JSON files under `path`: the path itself when it is a file, else every `*.json` in it and
 * in its subdirectories (a directory of policy directories, like examples/, is walked too;
 * dot-entries, node_modules and dist are not). Sorted, so output is stable.
 */
export async function jsonFilesUnder(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) found.push(...(await jsonFilesUnder(full)));
    } else if (entry.name.toLowerCase().endsWith('.json')) found.push(full);
  }
  return found.sort();
}

/** Reads one file the way the loader does (size limit, strict UTF-8, regular files only) and formats it. */
export async function formatFile(file: string): Promise<FileFormat> {
  const read = await readJsonEntry(dirname(file), basename(file), basename(dirname(file)) === DATA_DIR ? MAX_DATA_FILE_BYTES : MAX_FILE_BYTES);
  if (read === null) return { file, errors: [{ pointer: '', message: 'not a .json file' }] };
  if ('error' in read) return { file, errors: [{ pointer: '', message: read.error }] };
  const kind = kindOf(file);
  const result = formatJson(read.text, kind);
  return result.ok ? { file, kind, text: read.text, formatted: result.text } : { file, errors: result.issues };
}

/**
 * The files of the policy directory `dir` (its `*.json`, `data/*.json`, `tests/*.json`) whose
 * text is not the canonical layout. Files that do not parse are not counted: the loader reports those.
 * `maxDataBytes` bounds the data files looked at, in all (in name order, a file that would pass
 * the bound skipped): formatting costs time in proportion to the bytes, and data files are the big ones.
 */
export async function unformattedFiles(dir: string, options: { maxDataBytes?: number } = {}): Promise<string[]> {
  const out: string[] = [];
  const read = (await jsonFilesUnder(dir)).filter((file) => {
    const parts = relative(dir, file).split(sep);
    return parts.length === 1 || (parts.length === 2 && (parts[0] === DATA_DIR || parts[0] === TESTS_DIR));
  });
  let dataBudget = options.maxDataBytes ?? Infinity;
  for (const file of read) {
    if (relative(dir, file).startsWith(`${DATA_DIR}${sep}`)) {
      const { size } = await stat(file);
      if (size > dataBudget) continue;
      dataBudget -= size;
    }
    const result = await formatFile(file);
    if ('formatted' in result && result.formatted !== result.text) out.push(file);
  }
  return out;
}
