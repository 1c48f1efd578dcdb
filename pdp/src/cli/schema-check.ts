/**
 * `--schema-enforce reject|warn|off` of `pdp eval` and `pdp test`: the request check the HTTP edge
 * runs under PDP_SCHEMA_ENFORCE (requestCheckFor, the same compiled check), for inputs read from files.
 */
import type { FieldError } from '../common/errors.js';
import type { PolicySet } from '../engine/types.js';
import { DECIDE_POINTERS, requestCheckFor, SCHEMA_ENFORCE_MODES, type SchemaEnforceMode } from '../policy/request-attributes.js';
import { str, UsageError, type ParsedArgs } from './args.js';

export function schemaEnforceOption(args: ParsedArgs, def: SchemaEnforceMode): SchemaEnforceMode {
  const given = str(args, 'schema-enforce');
  if (given === undefined) return def;
  if (!(SCHEMA_ENFORCE_MODES as readonly string[]).includes(given)) throw new UsageError(`--schema-enforce must be one of ${SCHEMA_ENFORCE_MODES.join(', ')} (got ${JSON.stringify(given)})`);
  return given as SchemaEnforceMode;
}

/** The request's schema problems (pointers into the request), none when the set has no schema.json or the mode is off. */
export function schemaErrorsOf(set: PolicySet, request: unknown, mode: SchemaEnforceMode): FieldError[] {
  const check = mode === 'off' ? null : requestCheckFor(set);
  return check === null ? [] : check(request, DECIDE_POINTERS);
}
