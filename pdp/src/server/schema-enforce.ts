/**
 * PDP_SCHEMA_ENFORCE for a route that checks one request (a plan, a search): the request's
 * schema.json problems, refused in one 400 with `reject`, handed back with `warn` for the answer
 * or the log to report.
 */
import type { CompiledPolicySet } from '../engine/compile.js';
import { PdpError, type FieldError } from '../common/errors.js';
import { requestCheckFor, type RequestPointers, type SchemaEnforceMode } from '../policy/request-attributes.js';

/** The request's problems (warn), or undefined when it fits, the check is off, or the set has no schema.json; throws `schema_mismatch` with `reject`. */
export function enforceSchema(mode: SchemaEnforceMode, policies: CompiledPolicySet, request: unknown, pointers: RequestPointers): FieldError[] | undefined {
  const check = mode === 'off' ? null : requestCheckFor(policies.policySet);
  const errors = check === null ? [] : check(request, pointers);
  if (errors.length === 0) return undefined;
  if (mode === 'reject') throw new PdpError('schema_mismatch', "The request's attributes do not fit the policy set's schema.json.", { errors: errors.slice(0, 50) });
  return errors;
}
