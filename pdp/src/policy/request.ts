/**
 * The decision request contract (schemas/decide-request.schema.json) as one function, the same
 * one the HTTP edge, `pdp eval` and the policy-test loader call: a request is accepted or
 * refused the same way everywhere, with the same pointers and words.
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { FieldError } from '../common/errors.js';
import { getValidators, schemaIssues } from './schemas.js';

/** At most this many field errors for one request: allErrors on a hostile array could list thousands. */
export const MAX_REPORTED_ERRORS = 50;

/** ajv errors as field errors (pointer and sentence), at most {@link MAX_REPORTED_ERRORS}. */
export function fieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  return schemaIssues(errors, MAX_REPORTED_ERRORS).map(({ pointer, message }) => ({ pointer, detail: message }));
}

/**
 * The field errors of a decision request (`POST /v1/decide`'s body); empty when it is valid.
 * `subject.roles` is accepted and ignored (roles come from roles.json only).
 */
export function checkRequest(value: unknown): FieldError[] {
  const validate = getValidators().request;
  return validate(value) ? [] : fieldErrors(validate.errors);
}

/**
 * Why a request's `token` is refused outside the HTTP service: only `pdp serve` has the
 * issuer's keys to verify it, and an unverified token's claims must never decide.
 */
export const TOKEN_NEEDS_SERVER = 'is verified only by the HTTP service (pdp serve); send subject instead';
