/**
 * The revision of a policy set: `sha256:` of a canonical serialisation. Object keys are sorted
 * and policies are ordered by id, so neither key order nor file names nor file order change it;
 * any change to a policy, a role, the attribute schema or a data file (descriptions included)
 * does. The loader drops the editor-only `$schema` key before this runs, so it is not part of a
 * file's content.
 */
import { createHash } from 'node:crypto';
import type { AttributeSchema, DataFiles, Policy, RoleDefinition } from '../engine/types.js';

/** JSON with object keys sorted at every level; arrays keep their order (rule order is meaningful). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      if (obj[key] === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${canonicalJson(obj[key])}`);
    }
    return `{${parts.join(',')}}`;
  }
  // JSON.stringify writes -0 as 0, yet they differ in a condition ({"/": [1, -0]} is -Infinity).
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  return JSON.stringify(value) ?? 'null';
}

/**
 * The schema and the data files are part of the revision when the set has them; a set without
 * them keeps the revision it had before either existed (an undefined key is left out).
 */
export function computeRevision(
  policies: readonly Policy[],
  roles: Record<string, RoleDefinition>,
  extras: { schema?: AttributeSchema | undefined; data?: DataFiles | undefined } = {},
): string {
  const sorted = [...policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const canonical = canonicalJson({ data: extras.data, policies: sorted, roles, schema: extras.schema });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
