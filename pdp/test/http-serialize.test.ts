/** The hand-built decision JSON is byte-for-byte what JSON.stringify would give. */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decisionToJson, reasonsToJson } from '../src/server/wire.js';
import type { DecisionReason } from '../src/engine/types.js';
import type { DecisionResponse } from '../src/server/decisions.js';

const frozen = Object.freeze({ policy: 'chat', rule: 'members-may-chat', effect: 'allow' as const });

describe('decisionToJson', () => {
  test('equals JSON.stringify for allow, deny, error reasons with awkward messages, and explain', () => {
    const cases: DecisionResponse[] = [
      { decisionId: 'AbC_-1', allow: true, effect: 'allow' as const, reasons: [frozen, frozen], revision: 'sha256:00ff' },
      { decisionId: 'x-2', allow: false, effect: 'deny' as const, reasons: [], revision: 'sha256:ab' },
      {
        decisionId: 'x-3', allow: false, effect: 'deny' as const,
        reasons: [{ policy: 'p', rule: 'r', effect: 'deny' as const, code: 'evaluation_error', message: 'bad "quote" \\ \n \u2028 😀' }],
        revision: 'sha256:ab',
        explain: { roles: ['a'], rules: [{ policy: 'p', rule: 'r', effect: 'deny', actionMatched: true, subjectMatched: true, whenResult: null, applied: false }] },
      },
    ];
    for (const d of cases) expect(decisionToJson(d)).toBe(JSON.stringify(d));
  });

  test('any reasons array serialises like JSON.stringify, cached or not', () => {
    const reason = fc.record({
      policy: fc.string(),
      rule: fc.string(),
      effect: fc.constantFrom('allow' as const, 'deny' as const),
      code: fc.option(fc.string(), { nil: undefined }),
      message: fc.option(fc.string(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(reason, { maxLength: 4 }), fc.boolean(), (rs, freeze) => {
        const reasons = rs.map((r) => {
          const clean: DecisionReason = { policy: r.policy, rule: r.rule, effect: r.effect };
          if (r.code !== undefined) clean.code = r.code;
          if (r.message !== undefined) clean.message = r.message;
          return freeze ? Object.freeze(clean) : clean;
        });
        expect(reasonsToJson(reasons)).toBe(JSON.stringify(reasons));
        expect(reasonsToJson(reasons)).toBe(JSON.stringify(reasons));
      }),
      { numRuns: 200 },
    );
  });
});
