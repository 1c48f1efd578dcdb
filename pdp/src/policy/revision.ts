/**
 * The revision of a policy set: `sha256:` of a canonical serialisation. Object keys are sorted
 * and policies are ordered by id, so neither key order nor file names nor file order change it;
 * any change to a policy, a role (descriptions included) or a data file does. The loader drops the editor-only
 * `$schema` key before this runs, so it is not part of a policy's content.
 */
import { createHash } from 'node:crypto';
import type { DataFiles, Policy, RoleDefinition } from '../engine/types.js';

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

/** `data` (the data files by name) is part of the revision when given; without it, a set's revision is what it was before data files existed. */
export function computeRevision(policies: readonly Policy[], roles: Record<string, RoleDefinition>, data?: DataFiles): string {
  const sorted = [...policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const canonical = canonicalJson({ data, policies: sorted, roles });
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
