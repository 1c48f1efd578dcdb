/**
 * Property tests: for random policy sets, roles, data files and requests, the indexed engine
 * decides exactly what a plain reference evaluator (test/reference.ts: no index, json-logic-js on a
 * sanitised copy of the request, its own walk of the data files) decides; `decide` never throws, whatever it is given; explain never changes a
 * decision; requests are never mutated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import type { DecisionRequest } from '../src/engine/types.js';
import { COVERAGE_SEED, dataArb, load, policiesArb, reference, requestArb, rolesArb, withoutMessages } from './reference.js';

describe('the indexed engine agrees with a reference evaluator', () => {
  it('on random policy sets and requests, with and without explain, never mutating the request', () => {
    fc.assert(
      fc.property(policiesArb, rolesArb, dataArb, fc.array(requestArb, { minLength: 1, maxLength: 8 }), (policies, roles, data, requests) => {
        const set = load(policies, roles, data);
        const compiled = compile(set);
        for (const request of requests) {
          const before = JSON.stringify(request);
          const ref = reference(set, request);
          const expected = withoutMessages(ref);
          const actual = decide(compiled, request as DecisionRequest);
          expect(withoutMessages(actual)).toEqual(expected);
          const explained = decide(compiled, request as DecisionRequest, { explain: true });
          expect(withoutMessages(explained)).toEqual(expected);
          expect(explained.explain?.roles).toEqual(ref.roles);
          expect(JSON.stringify(request)).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('and the generator reaches every outcome (so the agreement above means something)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(policiesArb, rolesArb, dataArb, requestArb, (policies, roles, data, request) => {
        const d = decide(compile(load(policies, roles, data)), request as DecisionRequest);
        seen.add(d.allow ? 'allow' : d.reasons[0]?.code === 'default_deny' ? 'default-deny' : d.reasons.some((r) => r.code === 'evaluation_error') ? 'error' : 'deny');
      }),
      // A fixed seed: which outcomes a few hundred random cases reach must not change between runs
      // (the rarest, an evaluation error, is a few in a thousand).
      { numRuns: 1000, seed: COVERAGE_SEED },
    );
    expect([...seen].sort()).toEqual(['allow', 'default-deny', 'deny', 'error']);
  });
});

describe('decide never throws', () => {
  const compiled = compile(
    load(
      [
        { id: 'any', resource: '*', rules: [{ id: 'r', effect: 'allow', actions: ['*'], subject: { roles: { anyOf: ['r1'] } }, when: { in: ['x', { var: 'resource.attributes.tags' }] } }] },
        { id: 'doc', resource: 'doc', rules: [{ id: 'r', effect: 'deny', actions: ['read'], when: { '==': [{ cat: [{ var: 'subject.claims.x' }] }, 'y'] } }] },
      ],
      { r1: { when: { '<': [{ var: 'context.n' }, 3] } } },
    ),
  );
  it('for any value at all', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withSparseArray: true, withBoxedValues: true }), (value) => {
        const d = decide(compiled, value as DecisionRequest, { explain: true });
        expect(typeof d.allow).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
  it('for request-shaped values with arbitrary parts', () => {
    fc.assert(
      fc.property(
        fc.record({ subject: fc.anything(), resource: fc.record({ type: fc.constantFrom('doc', 'x'), attributes: fc.anything() }), action: fc.constantFrom('read', '*'), context: fc.anything() }),
        (value) => {
          for (const explain of [false, true]) {
            const d = decide(compiled, value as DecisionRequest, { explain });
            expect(d.effect).toBe(d.allow ? 'allow' : 'deny');
          }
        },
      ),
      { numRuns: 500 },
    );
  });
  it('for getters that throw and proxies that refuse every trap', () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('no'); }, has: () => { throw new Error('no'); }, getOwnPropertyDescriptor: () => { throw new Error('no'); } });
    const withGetter = { subject: { id: 'u', get groups(): string[] { throw new Error('boom'); } }, resource: { type: 'doc' }, action: 'read' };
    for (const request of [hostile, withGetter, { subject: { id: 'u' }, resource: hostile, action: 'read' }]) {
      const d = decide(compiled, request as unknown as DecisionRequest, { explain: true });
      expect(d.allow).toBe(false);
    }
  });
});
