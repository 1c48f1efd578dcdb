/**
 * Requests checked against the attribute schema (schema.json): the resource type is declared, and
 * each attribute, claim, context entry and action property has its declared type and value. A
 * request the schema refuses is still well-formed (checkRequest accepted it), but a claim sent as
 * "Suspended" where a deny rule compares with "suspended", or sent as `acount_status`, switches the
 * rule off; PDP_SCHEMA_ENFORCE decides whether that is reported (warn) or refused (reject).
 *
 * The check is compiled once per loaded policy set (ajv, on the one instance, with the one error
 * mapper) and costs a Map lookup plus one compiled validator per part a request carries.
 */
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { didYouMean } from '../common/did-you-mean.js';
import type { FieldError } from '../common/errors.js';
import { ownValue } from '../common/objects.js';
import type { AttributeSchema, AttributeSet, AttributeType, PolicySet } from '../engine/types.js';
import { SCHEMA_FILE } from './attribute-schema.js';
import { MAX_REPORTED_ERRORS } from './request.js';
import { compileTransient, schemaIssues } from './schemas.js';

/** How requests that break the attribute schema are treated at the edge. */
export const SCHEMA_ENFORCE_MODES = ['reject', 'warn', 'off'] as const;
export type SchemaEnforceMode = (typeof SCHEMA_ENFORCE_MODES)[number];
export const DEFAULT_SCHEMA_ENFORCE: SchemaEnforceMode = 'warn';

/** Where each checked part sits in the request body, as JSON pointers. */
export interface RequestPointers {
  readonly resourceType: string;
  readonly attributes: string;
  readonly claims: string;
  readonly context: string;
  readonly actionProperties: string;
}

/** `POST /v1/decide` (and a batch item, under its `/items/<i>` prefix; claims stay at the top). */
export const DECIDE_POINTERS: RequestPointers = {
  resourceType: '/resource/type',
  attributes: '/resource/attributes',
  claims: '/subject/claims',
  context: '/context',
  actionProperties: '/actionProperties',
};

/**
 * AuthZEN: properties carry the attributes, claims and action properties. `base` is where each
 * entity is (an evaluation's own `/evaluations/<i>`, or the top-level default: "").
 */
export function authzenPointers(base: Partial<Record<'subject' | 'resource' | 'action' | 'context', string>> = {}): RequestPointers {
  const resource = base.resource ?? '';
  return {
    resourceType: `${resource}/resource/type`,
    attributes: `${resource}/resource/properties`,
    claims: `${base.subject ?? ''}/subject/properties`,
    context: `${base.context ?? ''}/context`,
    actionProperties: `${base.action ?? ''}/action/properties`,
  };
}

export const AUTHZEN_POINTERS: RequestPointers = authzenPointers();

/** The pointers of batch item `index` (the subject, with its claims, is shared at the top). */
export function batchItemPointers(index: number): RequestPointers {
  const item = `/items/${index}`;
  return {
    resourceType: `${item}/resource/type`,
    attributes: `${item}/resource/attributes`,
    claims: DECIDE_POINTERS.claims,
    context: `${item}/context`,
    actionProperties: `${item}/actionProperties`,
  };
}

/** The request's problems under the schema (empty when it conforms), at most {@link MAX_REPORTED_ERRORS}. */
export type RequestAttributeCheck = (request: unknown, pointers?: RequestPointers) => FieldError[];

function typeSchema(type: AttributeType): Record<string, unknown> {
  switch (type.type) {
    case 'array':
      return { type: 'array', items: typeSchema(type.items) };
    case 'object':
      return { type: 'object', properties: propertiesSchema(type.properties), additionalProperties: type.additionalProperties === true };
    default:
      return type.enum === undefined ? { type: type.type } : { type: type.type, enum: type.enum };
  }
}

function propertiesSchema(properties: Record<string, AttributeType> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // defineProperty: a declared name is data here, never a setter on the prototype.
  for (const [name, type] of Object.entries(properties ?? {})) Object.defineProperty(out, name, { value: typeSchema(type), enumerable: true });
  return out;
}

function setValidator(set: AttributeSet): ValidateFunction {
  return compileTransient({ type: 'object', properties: propertiesSchema(set.attributes), additionalProperties: set.additionalAttributes === true });
}

/** Compiles the request check of one attribute schema. */
export function compileRequestCheck(schema: AttributeSchema): RequestAttributeCheck {
  const byType = new Map<string, ValidateFunction>();
  for (const [type, set] of Object.entries(schema.resources)) byType.set(type, setValidator(set));
  const types = [...byType.keys()];
  const claims = setValidator(schema.claims);
  const context = schema.context === undefined ? null : setValidator(schema.context);
  const actionProperties = schema.actionProperties === undefined ? null : setValidator(schema.actionProperties);

  return (request, pointers = DECIDE_POINTERS) => {
    const errors: FieldError[] = [];
    const run = (validate: ValidateFunction | null, value: unknown, base: string): void => {
      if (validate === null || value === undefined || errors.length >= MAX_REPORTED_ERRORS || validate(value)) return;
      for (const { pointer, message } of schemaIssues(validate.errors, MAX_REPORTED_ERRORS - errors.length)) {
        errors.push({ pointer: `${base}${pointer}`, detail: message.replace('is not a known property', `is not declared in ${SCHEMA_FILE}`) });
      }
    };
    const resource = ownValue(request, 'resource');
    const type = ownValue(resource, 'type');
    if (typeof type === 'string') {
      const validate = byType.get(type);
      if (validate === undefined) errors.push({ pointer: pointers.resourceType, detail: `is not a resource type declared in ${SCHEMA_FILE}${didYouMean(type, types)}` });
      else run(validate, ownValue(resource, 'attributes'), pointers.attributes);
    }
    run(claims, ownValue(ownValue(request, 'subject'), 'claims'), pointers.claims);
    run(context, ownValue(request, 'context'), pointers.context);
    run(actionProperties, ownValue(request, 'actionProperties'), pointers.actionProperties);
    return errors;
  };
}

const compiled = new WeakMap<PolicySet, RequestAttributeCheck | null>();

/**
 * The request check of a policy set, compiled on first use and kept with the set (so a reload
 * builds a new one and the old one goes with the old set); null when the set has no schema. The
 * loader calls it once, so a schema that cannot compile is a load error, not a failed request.
 */
export function requestCheckFor(set: PolicySet): RequestAttributeCheck | null {
  let check = compiled.get(set);
  if (check === undefined) {
    check = set.schema === undefined ? null : compileRequestCheck(set.schema);
    compiled.set(set, check);
  }
  return check;
}
