/**
 * The data files of a policy directory, `DIR/data/<name>.json`: entities the policies read with the
 * `data` operator and roles with `fromData` (a user directory by id, groups…), so a user change is
 * a data change, not a policy change. Each file is a JSON object of entities by key. Loaded, checked
 * and hashed into the revision with the policies; a broken file fails the whole load like a broken
 * policy (the last good set keeps serving).
 */
import { escapePointer } from '../common/json-pointer.js';
import { FORBIDDEN_KEYS, isObject } from '../common/objects.js';
import { DATA_NAME_PATTERN } from '../engine/data.js';
import type { DataFiles } from '../engine/types.js';
import type { PolicyDocument, PolicyError } from './check.js';

export const DATA_DIR = 'data';
/** Per file, and for all data files together: far above a directory of 100,000 users (~15 MB). */
export const MAX_DATA_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_DATA_TOTAL_BYTES = 64 * 1024 * 1024;
/** Nesting levels below the file's object (an entity is at depth 1). */
export const MAX_DATA_DEPTH = 32;
/** Errors reported per data file; past that, one line says how many more there were. */
const MAX_ERRORS_PER_FILE = 20;

/** `users` for `users.json`; null when the name is not a valid data file name. */
export function dataNameOf(fileName: string): string | null {
  const name = fileName.endsWith('.json') ? fileName.slice(0, -'.json'.length) : fileName;
  return DATA_NAME_PATTERN.test(name) ? name : null;
}

/** A data document: `file` names it in errors, `name` is what the `data` operator uses. */
export interface DataDocument extends PolicyDocument {
  name: string;
}

/** Pushes each problem of one data file onto `errors`; true when it is usable. */
function checkDataValue({ file, value }: PolicyDocument, errors: PolicyError[]): boolean {
  if (!isObject(value)) {
    errors.push({ file, pointer: '', message: `a data file must be a JSON object of entities by key (such as {"alice": {"roles": ["editor"]}}), not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}` });
    return false;
  }
  let found = 0;
  const path: string[] = [];
  const report = (message: string): void => {
    if (found++ < MAX_ERRORS_PER_FILE) errors.push({ file, pointer: path.map((k) => `/${escapePointer(k)}`).join(''), message });
  };
  // Recursion is bounded by MAX_DATA_DEPTH; pointers are only built for an error.
  const walk = (node: unknown, depth: number): void => {
    if (typeof node !== 'object' || node === null) return;
    if (depth > MAX_DATA_DEPTH) {
      report(`nested deeper than ${MAX_DATA_DEPTH} levels`);
      return;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        path.push(String(i));
        walk(node[i], depth + 1);
        path.pop();
      }
      return;
    }
    for (const key of Object.keys(node)) {
      path.push(key);
      if (FORBIDDEN_KEYS.has(key)) report(`the key "${key}" is not allowed in data (it reaches object prototypes in careless code)`);
      else walk((node as Record<string, unknown>)[key], depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  if (found > MAX_ERRORS_PER_FILE) errors.push({ file, pointer: '', message: `${found - MAX_ERRORS_PER_FILE} more problems in this file not listed` });
  return found === 0;
}

/** Checks parsed data documents; returns the usable files by name, and every name (broken files included). */
export function checkDataDocuments(docs: readonly DataDocument[], errors: PolicyError[]): { data: DataFiles; names: string[] } {
  const data: DataFiles = {};
  const names: string[] = [];
  for (const doc of docs) {
    names.push(doc.name);
    if (checkDataValue(doc, errors)) data[doc.name] = doc.value as Record<string, unknown>;
  }
  return { data, names };
}

/** Entities per data file (each file's top-level keys), for reports. */
export function entityCounts(data: DataFiles | undefined): { name: string; entities: number }[] {
  return Object.keys(data ?? {})
    .sort()
    .map((name) => ({ name, entities: Object.keys((data as DataFiles)[name] as object).length }));
}
