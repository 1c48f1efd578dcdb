/**
 * The published JSON Schemas (pdp/schemas/*.json), compiled by one ajv instance (JSON Schema
 * 2020-12, strict, every error reported) and explained by one error mapper. The schema files are
 * the single source: editors, the loader, the CLI, the library and the HTTP server (and its
 * OpenAPI document) all read the same ones, so a document is accepted or refused the same way,
 * with the same pointers and words, wherever it is checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { didYouMean } from '../common/did-you-mean.js';
import { escapePointer } from '../common/json-pointer.js';

export { closestName } from '../common/did-you-mean.js';

/** `pdp/schemas`, from both `src/policy` (tests) and `dist/policy` (built). */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const SCHEMA_FILES = {
  policy: 'policy.schema.json',
  roles: 'roles.schema.json',
  attributeSchema: 'attribute-schema.schema.json',
  policyTest: 'policy-test.schema.json',
  decideCommon: 'decide-common.schema.json',
  authzenCommon: 'authzen-common.schema.json',
  responses: 'responses.schema.json',
  decide: 'decide-request.schema.json',
  batch: 'decide-batch.schema.json',
  authzenEvaluation: 'authzen-evaluation.schema.json',
  authzenEvaluations: 'authzen-evaluations.schema.json',
  plan: 'plan-request.schema.json',
} as const;
export type SchemaName = keyof typeof SCHEMA_FILES;

/** A schema as parsed JSON (for tools that embed it, e.g. an OpenAPI document). */
export function readSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, SCHEMA_FILES[name]), 'utf8')) as Record<string, unknown>;
}

/**
 * Referenced by other schemas, so added to ajv before anything is compiled. The batch and
 * AuthZEN-evaluations schemas are not: their array limit comes from the server's configuration
 * (see {@link compileWithLimit}).
 */
const SHARED: readonly SchemaName[] = ['decideCommon', 'authzenCommon', 'responses', 'decide', 'authzenEvaluation', 'policy', 'roles', 'attributeSchema', 'policyTest', 'plan'];

let shared: Ajv2020 | undefined;
const ids = new Map<SchemaName, string>();

/**
 * The one ajv instance. strictRequired is off: the subject-or-token rule names properties
 * defined beside it, not inside it. unicode is off: string limits count UTF-16 units (.length);
 * counting code points walked every 500-character token twice per request (~2.5 µs, the largest
 * validation cost on /v1/decide). ajv calls the option deprecated but still honours it; its
 * notice is filtered out here. verbose: the mapper reads each error's schema to name the
 * properties a misspelt key could have meant.
 */
function ajv(): Ajv2020 {
  if (shared !== undefined) return shared;
  const logger = {
    log: () => {},
    warn: (...args: unknown[]) => {
      if (!String(args[0]).includes('option unicode')) console.warn(...args);
    },
    error: (...args: unknown[]) => console.error(...args),
  };
  const instance = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, unicode: false, verbose: true, logger });
  for (const name of SHARED) {
    const schema = readSchema(name);
    ids.set(name, schema.$id as string);
    instance.addSchema(schema);
  }
  shared = instance;
  return instance;
}

function byId(name: SchemaName): ValidateFunction {
  const instance = ajv();
  const fn = instance.getSchema(ids.get(name) ?? '');
  if (fn === undefined) throw new Error(`schema ${SCHEMA_FILES[name]} is not registered`);
  return fn;
}

export interface Validators {
  policy: ValidateFunction;
  roles: ValidateFunction;
  /** A policy directory's schema.json. */
  attributeSchema: ValidateFunction;
  policyTest: ValidateFunction;
  /** The decision request: `POST /v1/decide`, `pdp eval`, policy-test inputs and `checkRequest`. */
  request: ValidateFunction;
  authzenEvaluation: ValidateFunction;
  /** `POST /v1/plan`. */
  plan: ValidateFunction;
}

let validators: Validators | undefined;

/** The compiled validators, built on first use. */
export function getValidators(): Validators {
  validators ??= {
    policy: byId('policy'),
    roles: byId('roles'),
    attributeSchema: byId('attributeSchema'),
    policyTest: byId('policyTest'),
    request: byId('decide'),
    authzenEvaluation: byId('authzenEvaluation'),
    plan: byId('plan'),
  };
  return validators;
}

const limited = new Map<string, ValidateFunction>();

/**
 * Compiles a request schema whose array limit is configuration (the batch size), on the same
 * ajv instance. Each distinct schema gets its own `$id` (the limit in its query), so servers with
 * different limits share the instance; each is compiled once per process.
 */
export function compileWithLimit(schema: Record<string, unknown>, limit: number): ValidateFunction {
  const id = `${String(schema.$id)}?limit=${limit}`;
  let fn = limited.get(id);
  if (fn === undefined) {
    fn = ajv().compile({ ...schema, $id: id });
    limited.set(id, fn);
  }
  return fn;
}

/**
 * Compiles a schema built at run time (an attribute schema's request check) on the same ajv
 * instance, then drops it from ajv's cache: every policy reload builds new ones, and the cache
 * would otherwise keep each old one alive. The returned function stays valid.
 */
export function compileTransient(schema: Record<string, unknown>): ValidateFunction {
  const instance = ajv();
  const fn = instance.compile(schema);
  instance.removeSchema(schema);
  return fn;
}

/** One schema problem: where (RFC 6901) and what, as a sentence a policy author understands. */
export interface SchemaIssue {
  pointer: string;
  message: string;
}

/**
 * Names a policy matches on (resource types, actions, group names) must read as what they match:
 * a trailing space or a zero-width character in a deny rule's group would make it never apply,
 * and no reviewer would see why. The schemas use this one pattern; its error gets words.
 */
export const VISIBLE_NAME_PATTERN = '^(?! )(?!.* $)(?:[^\\p{Cc}\\p{Cf}\\p{Z}]| )+$';

/** Policy, rule and role ids. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([
  [VISIBLE_NAME_PATTERN, 'must not contain control or invisible characters, or spaces other than U+0020, nor start or end with a space'],
  [ID_PATTERN, 'must start with a letter or digit and hold only letters, digits, ".", "_", ":" and "-" (at most 128 characters)'],
  ['^[^/]+/[^/]+$', 'must name a rule as "<policy id>/<rule id>"'],
]);

/** `a string`, `an integer`, `a string or null`: a JSON Schema type in words. */
export function typeWords(type: unknown): string {
  const one = (t: string): string => (t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`);
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.map(one).join(' or ');
}

/** The last token of a pointer: the name of the field an error is about. */
function fieldName(pointer: string): string {
  const token = pointer.slice(pointer.lastIndexOf('/') + 1);
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Lists whose entries are not named by their singular. */
const ENTRY_NOUNS: ReadonlyMap<string, string> = new Map([['anyOf', 'name'], ['allOf', 'name'], ['inherits', 'role']]);

/** What one entry of a list is called: `actions` → action, `fromGroups` → group, `anyOf` → name. */
function entryNoun(field: string, count: number): string {
  const lastWord = (/[A-Z][a-z]*$/.exec(field)?.[0] ?? field).toLowerCase();
  let noun = ENTRY_NOUNS.get(field) ?? (lastWord.endsWith('s') ? lastWord.slice(0, -1) : 'entry');
  if (count !== 1) noun = noun === 'entry' ? 'entries' : `${noun}s`;
  return noun;
}

const propertyNames = (schema: unknown): string[] =>
  typeof schema === 'object' && schema !== null && typeof (schema as { properties?: unknown }).properties === 'object'
    ? Object.keys((schema as { properties: object }).properties)
    : [];

/** The issues one ajv error stands for; none for wrapper errors whose inner errors say it better. */
function issuesOf(e: ErrorObject): SchemaIssue[] {
  const params = e.params as Record<string, unknown>;
  const at = e.instancePath;
  const child = (name: string): string => `${at}/${escapePointer(name)}`;
  const one = (message: string, pointer = at): SchemaIssue[] => [{ pointer, message }];
  switch (e.keyword) {
    case 'required':
      return one('is required', child(String(params.missingProperty)));
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      return one(`is not a known property${didYouMean(name, propertyNames(e.parentSchema))}`, child(name));
    }
    case 'type':
      return one(`must be ${typeWords(params.type)}`);
    case 'enum': {
      const allowed = params.allowedValues as unknown[];
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.filter((v): v is string => typeof v === 'string')) : '';
      return one(`must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}${guess}`);
    }
    case 'const':
      return one(`must be ${JSON.stringify(params.allowedValue)}`);
    case 'minLength':
      return one(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'maxLength':
      return one(`must be at most ${String(params.limit)} characters long`);
    case 'minItems': {
      const limit = Number(params.limit);
      const field = fieldName(at);
      return one(`${field || 'the list'} must list at least ${limit === 1 ? 'one' : limit} ${entryNoun(field, limit)}`);
    }
    case 'maxItems': {
      const limit = Number(params.limit);
      const field = fieldName(at);
      return one(`${field || 'the list'} must list at most ${limit} ${entryNoun(field, limit)}`);
    }
    case 'uniqueItems':
      return one(`lists the same entry twice (at ${String(params.j)} and ${String(params.i)})`);
    case 'minProperties': {
      const names = propertyNames(e.parentSchema);
      return one(params.limit === 1 && names.length > 0 ? `must have at least one of ${names.map((n) => JSON.stringify(n)).join(', ')}` : `must have at least ${String(params.limit)} properties`);
    }
    case 'maxProperties':
      return one(`must have at most ${String(params.limit)} properties`);
    case 'pattern': {
      const pattern = String(params.pattern);
      const words = PATTERN_MESSAGES.get(pattern) ?? `must match the pattern ${pattern}`;
      if (e.propertyName !== undefined) return one(`name ${JSON.stringify(e.propertyName)} ${words}`, child(e.propertyName));
      // "" fails the pattern too, but "must not be empty" (minLength) already says what is wrong.
      if (e.data === '' && Number((e.parentSchema as { minLength?: unknown }).minLength) >= 1) return [];
      return one(words);
    }
    case 'not': {
      // `"not": {"required": [a, b]}`: a and b exclude each other (subject and token).
      const required = (e.schema as { required?: unknown }).required;
      if (Array.isArray(required) && required.length === 2) {
        const [a, b] = required.map(String) as [string, string];
        return [
          { pointer: child(a), message: `must not be sent together with ${b}` },
          { pointer: child(b), message: `must not be sent together with ${a}` },
        ];
      }
      return one('is not allowed here');
    }
    case 'false schema':
      return one('is not allowed here');
    // Wrappers: the errors inside them name the field and the problem.
    case 'propertyNames':
    case 'if':
    case 'anyOf':
    case 'oneOf':
      return [];
    default:
      return one(e.message ?? `fails the schema's ${e.keyword} check`);
  }
}

/**
 * ajv's errors as JSON pointers and sentences, pointing at the offending key where it can,
 * without repeats. At most `limit` issues: allErrors on a hostile array could list thousands.
 */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, limit = Infinity): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    for (const issue of issuesOf(e)) {
      const key = `${issue.pointer}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
      if (issues.length >= limit) return issues;
    }
  }
  return issues;
}
