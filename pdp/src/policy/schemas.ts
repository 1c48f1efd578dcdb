/**
 * The published JSON Schemas (pdp/schemas/*.json), compiled once with ajv: JSON Schema 2020-12,
 * strict mode, every error reported. The schema files are the single source: editors, the
 * loader, the CLI and the HTTP server's OpenAPI document all read the same ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { escapePointer } from '../engine/logic.js';

/** `pdp/schemas`, from both `src/policy` (tests) and `dist/policy` (built). */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const SCHEMA_FILES = {
  policy: 'policy.schema.json',
  roles: 'roles.schema.json',
  policyTest: 'policy-test.schema.json',
} as const;
export type SchemaName = keyof typeof SCHEMA_FILES;

/** A schema as parsed JSON (for tools that embed it, e.g. an OpenAPI document). */
export function readSchema(name: SchemaName): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, SCHEMA_FILES[name]), 'utf8')) as Record<string, unknown>;
}

interface Validators {
  policy: ValidateFunction;
  roles: ValidateFunction;
  policyTest: ValidateFunction;
  request: ValidateFunction;
}

let validators: Validators | undefined;

/** The compiled validators, built on first use. */
export function getValidators(): Validators {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const testSchema = readSchema('policyTest');
  ajv.addSchema(testSchema);
  const testId = testSchema.$id as string;
  validators = {
    policy: ajv.compile(readSchema('policy')),
    roles: ajv.compile(readSchema('roles')),
    policyTest: ajv.getSchema(testId) as ValidateFunction,
    request: ajv.getSchema(`${testId}#/$defs/request`) as ValidateFunction,
  };
  return validators;
}

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
const VISIBLE_NAME_MESSAGE = 'must not contain control or invisible characters, or spaces other than U+0020, nor start or end with a space';

/** ajv's errors as JSON pointers and plain messages, pointing at the offending key where it can. */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let pointer = e.instancePath;
    let message: string;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties':
        pointer = `${e.instancePath}/${escapePointer(String(params.additionalProperty))}`;
        message = `unknown property "${String(params.additionalProperty)}"`;
        break;
      case 'required':
        message = `missing required property "${String(params.missingProperty)}"`;
        break;
      case 'enum':
        message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'propertyNames':
        // ajv reports the bad name twice (the pattern and the wrapper); the pattern error names it.
        continue;
      case 'pattern':
        if (e.propertyName !== undefined) {
          pointer = `${e.instancePath}/${escapePointer(e.propertyName)}`;
          message = `name "${e.propertyName}" must match ${String(params.pattern)}`;
        } else if (params.pattern === VISIBLE_NAME_PATTERN) {
          message = VISIBLE_NAME_MESSAGE;
        } else {
          message = `must match ${String(params.pattern)}`;
        }
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ pointer, message });
  }
  return issues;
}
