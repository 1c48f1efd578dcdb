/**
 * The request schemas of the HTTP API (pdp/schemas/*.json), loaded once, adjusted to the
 * configured batch size, and compiled with ajv. The OpenAPI document is built from these
 * same objects, so what the document says is what the server enforces.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { PdpError, type FieldError } from '../common/errors.js';

const SCHEMAS_URL = new URL('../../schemas/', import.meta.url);

/** Shared definitions referenced by the request schemas (`$ref: "<file>#/$defs/…"`). */
export const COMMON_SCHEMA_FILES = ['decide-common.schema.json', 'authzen-common.schema.json', 'responses.schema.json'] as const;

export const REQUEST_SCHEMA_FILES = {
  decide: 'decide-request.schema.json',
  batch: 'decide-batch.schema.json',
  authzenEvaluation: 'authzen-evaluation.schema.json',
  authzenEvaluations: 'authzen-evaluations.schema.json',
} as const;
export type RequestSchemaName = keyof typeof REQUEST_SCHEMA_FILES;

export type JsonSchema = Record<string, unknown>;

function readSchemaFile(file: string): JsonSchema {
  return JSON.parse(readFileSync(new URL(file, SCHEMAS_URL), 'utf8')) as JsonSchema;
}

export interface ApiSchemas {
  /** By file name ($id): every schema as enforced (after the batch limit is applied). */
  byFile: ReadonlyMap<string, JsonSchema>;
  requests: Readonly<Record<RequestSchemaName, JsonSchema>>;
}

/** Loads the schemas and sets the array limits that come from configuration. */
export function loadApiSchemas(options: { maxBatch: number }): ApiSchemas {
  const byFile = new Map<string, JsonSchema>();
  for (const f of COMMON_SCHEMA_FILES) byFile.set(f, readSchemaFile(f));
  const requests = {} as Record<RequestSchemaName, JsonSchema>;
  for (const [name, file] of Object.entries(REQUEST_SCHEMA_FILES) as [RequestSchemaName, string][]) {
    const schema = readSchemaFile(file);
    requests[name] = schema;
    byFile.set(file, schema);
  }
  const props = (s: JsonSchema): Record<string, JsonSchema> => s.properties as Record<string, JsonSchema>;
  (props(requests.batch).items as JsonSchema).maxItems = options.maxBatch;
  (props(requests.authzenEvaluations).evaluations as JsonSchema).maxItems = options.maxBatch;
  return { byFile, requests };
}

export type Validator = (body: Record<string, unknown>) => void;

/** At most this many field errors in one response: allErrors on a hostile array could list thousands. */
const MAX_REPORTED_ERRORS = 50;

function escapePointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** ajv errors as JSON pointers to the offending field, each with a plain message. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    // The branches of the subject-xor-token `oneOf` each say "required"; the oneOf error itself says it better.
    if (e.schemaPath.startsWith('#/oneOf/')) continue;
    const params = e.params as Record<string, unknown>;
    let pointer = e.instancePath;
    let detail = e.message ?? 'is invalid';
    switch (e.keyword) {
      case 'required':
        pointer = `${e.instancePath}/${escapePointerToken(String(params.missingProperty))}`;
        detail = 'is required';
        break;
      case 'additionalProperties':
        pointer = `${e.instancePath}/${escapePointerToken(String(params.additionalProperty))}`;
        detail = 'is not a known property';
        break;
      case 'enum':
        detail = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'oneOf':
        // Reached only when subject/token checks were bypassed; the xor check names both fields.
        detail = 'must have exactly one of subject or token';
        break;
      default:
        break;
    }
    const key = `${pointer}\u0000${detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, detail });
    if (out.length >= MAX_REPORTED_ERRORS) break;
  }
  return out;
}

/** Compiled validators, one per request schema; each throws `validation_failed` with pointers. */
export function compileValidators(schemas: ApiSchemas): Readonly<Record<RequestSchemaName, Validator>> {
  // strictRequired off: the subject-xor-token `oneOf` lists properties defined beside it, not inside it.
  // unicode off: string limits count UTF-16 units with .length; counting code points walked
  // every 500-character token twice per request (~2.5 µs, the largest validation cost). ajv
  // calls the option deprecated but still honours it; its notice is filtered out here.
  const quiet = {
    log: () => {},
    warn: (...args: unknown[]) => {
      if (!String(args[0]).includes('option unicode')) console.warn(...args);
    },
    error: (...args: unknown[]) => console.error(...args),
  };
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, unicode: false, logger: quiet });
  for (const f of COMMON_SCHEMA_FILES) ajv.addSchema(schemas.byFile.get(f) as JsonSchema);
  const make = (fn: ValidateFunction): Validator => (body) => {
    if (!fn(body)) {
      throw new PdpError('validation_failed', 'The request body does not match the schema.', { errors: fieldErrors(fn.errors) });
    }
  };
  return Object.freeze({
    decide: make(ajv.compile(schemas.requests.decide)),
    batch: make(ajv.compile(schemas.requests.batch)),
    authzenEvaluation: make(ajv.compile(schemas.requests.authzenEvaluation)),
    authzenEvaluations: make(ajv.compile(schemas.requests.authzenEvaluations)),
  });
}
