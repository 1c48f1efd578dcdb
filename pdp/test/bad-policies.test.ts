/**
 * The bad-policy corpus (test/bad-policies/<case>/): each case is a policy directory
 * (`policies/`) and the errors it must produce (`expect.json`): exactly those files and JSON
 * pointers, each message containing the expected text. Nothing else may be reported, and nothing
 * may load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPolicyError } from '../src/policy/format.js';
import { loadPolicies } from '../src/policy/loader.js';

const root = fileURLToPath(new URL('./bad-policies/', import.meta.url));
const cases = readdirSync(root).sort();

describe('bad policies are refused with file, pointer and message', () => {
  it('the corpus has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const name of cases) {
    it(name, async () => {
      const { errors: expected } = JSON.parse(readFileSync(`${root}${name}/expect.json`, 'utf8')) as {
        errors: { file: string; pointer: string; message: string }[];
      };
      const result = await loadPolicies(`${root}${name}/policies`);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const where = (e: { file: string; pointer: string }) => `${e.file}:${e.pointer}`;
      expect(result.errors.map(where).sort(), result.errors.map(formatPolicyError).join('\n')).toEqual(expected.map(where).sort());
      for (const e of expected) {
        const actual = result.errors.find((a) => where(a) === where(e));
        expect(actual?.message).toContain(e.message);
      }
    });
  }
});
