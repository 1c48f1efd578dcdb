/**
 * The request schemas of the HTTP API (pdp/schemas/*.json), adjusted to the configured batch
 * size and compiled on the one ajv instance (policy/schemas.ts) with its one error mapper. The
 * OpenAPI document is built from these same objects, so what the document says is what the
 * server enforces; `/v1/decide` validates with `checkRequest`, the library's own function.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { PdpError, type FieldError } from '../common/errors.js';
import { checkRequest, fieldErrors } from '../policy/request.js';
import { compileWithLimit, getValidators, readSchema, SCHEMA_FILES } from '../policy/schemas.js';

/** Shared definitions referenced by the request schemas (`$ref: "<file>#/$defs/…"`). */
export const COMMON_SCHEMA_FILES = [SCHEMA_FILES.decideCommon, SCHEMA_FILES.authzenCommon, SCHEMA_FILES.responses] as const;

const REQUEST_SCHEMAS = ['decide', 'batch', 'authzenEvaluation', 'authzenEvaluations', 'plan'] as const;
export type RequestSchemaName = (typeof REQUEST_SCHEMAS)[number];

export type JsonSchema = Record<string, unknown>;

export interface ApiSchemas {
  /** By file name: every schema as enforced (after the batch limit is applied). */
  byFile: ReadonlyMap<string, JsonSchema>;
  requests: Readonly<Record<RequestSchemaName, JsonSchema>>;
  maxBatch: number;
}

/** Loads the schemas and sets the array limits that come from configuration. */
export function loadApiSchemas(options: { maxBatch: number }): ApiSchemas {
  const byFile = new Map<string, JsonSchema>();
  for (const name of ['decideCommon', 'authzenCommon', 'responses'] as const) byFile.set(SCHEMA_FILES[name], readSchema(name));
  const requests = {} as Record<RequestSchemaName, JsonSchema>;
  for (const name of REQUEST_SCHEMAS) {
    const schema = readSchema(name);
    requests[name] = schema;
    byFile.set(SCHEMA_FILES[name], schema);
  }
  const props = (s: JsonSchema): Record<string, JsonSchema> => s.properties as Record<string, JsonSchema>;
  (props(requests.batch).items as JsonSchema).maxItems = options.maxBatch;
  (props(requests.authzenEvaluations).evaluations as JsonSchema).maxItems = options.maxBatch;
  return { byFile, requests, maxBatch: options.maxBatch };
}

export type Validator = (body: Record<string, unknown>) => void;

const refuse = (errors: FieldError[]): never => {
  throw new PdpError('validation_failed', 'The request body does not match the schema.', { errors });
};

/** Compiled validators, one per request schema; each throws `validation_failed` with pointers. */
export function compileValidators(schemas: ApiSchemas): Readonly<Record<RequestSchemaName, Validator>> {
  const make = (fn: ValidateFunction): Validator => (body) => {
    if (!fn(body)) refuse(fieldErrors(fn.errors));
  };
  return Object.freeze({
    decide: (body) => {
      const errors = checkRequest(body);
      if (errors.length > 0) refuse(errors);
    },
    batch: make(compileWithLimit(schemas.requests.batch, schemas.maxBatch)),
    authzenEvaluation: make(getValidators().authzenEvaluation),
    authzenEvaluations: make(compileWithLimit(schemas.requests.authzenEvaluations, schemas.maxBatch)),
    plan: make(getValidators().plan),
  });
}
