/**
 * The conformance corpus (test/cases/*.json): each file a policy set (through the real loader
 * checks) and requests with the decision and reasons that must follow. Every case also runs with
 * explain on (same decision) against a deep-frozen request (never mutated). A deny expecting no
 * reasons (`[]`) is a default deny: exactly the one `default_deny` reason, which names no rule.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import type { DecisionReason, DecisionRequest } from '../src/engine/types.js';
import { checkPolicySources } from '../src/policy/loader.js';

interface ExpectedReason {
  policy: string;
  rule: string;
  effect?: string;
  code?: string;
}

interface CorpusFile {
  description: string;
  policies: unknown[];
  roles?: Record<string, unknown>;
  /** An attribute schema (schema.json), when the set has one. */
  schema?: unknown;
  cases: { name: string; request: unknown; expect: { allow: boolean; reasons: (string | ExpectedReason)[]; roles?: string[] } }[];
}

const dir = new URL('./cases/', import.meta.url);
// requests.json is the request-contract corpus (request-contract.test.ts), not a policy set.
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'requests.json').sort();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

function normalise(reason: string | ExpectedReason): ExpectedReason {
  if (typeof reason !== 'string') return reason;
  const [policy, rule] = reason.split('/') as [string, string];
  return { policy, rule };
}

function comparable(actual: DecisionReason, expected: ExpectedReason): ExpectedReason {
  const out: ExpectedReason = { policy: actual.policy, rule: actual.rule };
  if (expected.effect !== undefined) out.effect = actual.effect;
  if (expected.code !== undefined || actual.code !== undefined) out.code = actual.code;
  return out;
}

let total = 0;
for (const file of files) {
  const corpus = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as CorpusFile;
  total += corpus.cases.length;
  describe(`${file}: ${corpus.description}`, () => {
    const loaded = checkPolicySources({
      policies: corpus.policies.map((p, i) => ({ file: `p${i}.json`, text: JSON.stringify(p) })),
      ...(corpus.roles ? { roles: { file: 'roles.json', text: JSON.stringify({ roles: corpus.roles }) } } : {}),
      ...(corpus.schema ? { schema: { file: 'schema.json', text: JSON.stringify(corpus.schema) } } : {}),
    });
    it('the policy set loads', () => {
      expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    });
    if (!loaded.ok) return;
    const compiled = compile(loaded.policySet);

    for (const c of corpus.cases) {
      it(c.name, () => {
        const request = deepFreeze(structuredClone(c.request)) as DecisionRequest;
        const snapshot = JSON.stringify(request);
        const decision = decide(compiled, request);
        const explained = decide(compiled, request, { explain: true });
        const expectedReasons = c.expect.reasons.length === 0 && !c.expect.allow ? [{ policy: '', rule: '', code: 'default_deny' }] : c.expect.reasons.map(normalise);

        expect(decision.allow).toBe(c.expect.allow);
        expect(decision.effect).toBe(c.expect.allow ? 'allow' : 'deny');
        expect(decision.reasons.map((r, i) => comparable(r, expectedReasons[i] ?? { policy: '', rule: '' }))).toEqual(expectedReasons);
        for (const r of decision.reasons) if (r.code !== undefined) expect(r.message, 'a coded reason says why').toEqual(expect.any(String));
        expect(decision.explain).toBeUndefined();

        expect({ allow: explained.allow, effect: explained.effect, reasons: explained.reasons }).toEqual(decision);
        const invalid = decision.reasons.some((r) => r.code === 'invalid_request');
        expect(Array.isArray(explained.explain?.wouldAllow), 'an explained deny says what would allow it, unless the request is invalid').toBe(!decision.allow && !invalid);
        if (c.expect.roles !== undefined) expect(explained.explain?.roles).toEqual(c.expect.roles);
        for (const trace of explained.explain?.rules ?? []) {
          const isReason = decision.reasons.some((r) => r.policy === trace.policy && r.rule === trace.rule && r.code === undefined);
          if (isReason) expect(trace.applied, `${trace.policy}/${trace.rule} is a reason, so it applied`).toBe(true);
        }
        expect(JSON.stringify(request)).toBe(snapshot);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      });
    }
  });
}

describe('the corpus', () => {
  it('has at least 40 cases', () => {
    expect(total).toBeGreaterThanOrEqual(40);
  });
});
