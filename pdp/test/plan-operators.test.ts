/**
 * The operators a plan's condition may hold are listed once, `PLAN_OPERATORS` in
 * @oracle-ai/contract, which pdp-client translates and runs: the engine must never emit another.
 * Every operator a policy may use but `data` reaches a plan's condition as written, and the
 * operators the planner adds itself (deny as `!`, the allow rules' `or`, `!!`, `and`) are in the
 * list too: random plans are walked for anything else.
 */
import { PLAN_OPERATORS } from '@oracle-ai/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { DATA_OPERATOR } from '../src/engine/data.js';
import { ALLOWED_OPERATORS } from '../src/engine/logic.js';
import { plan, PlanUnsupportedError } from '../src/engine/plan.js';
import type { DecisionRequest } from '../src/engine/types.js';
import { ACTIONS, COVERAGE_SEED, dataArb, load, PATHS, policiesArbOver, requestArb, rolesArb, TYPES, withoutResourceRoles } from './reference.js';

const LISTED: ReadonlySet<string> = new Set(PLAN_OPERATORS);

/** Every operator of a json-logic expression. */
function operators(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const x of node) operators(x, out);
  else if (typeof node === 'object' && node !== null) {
    for (const [op, args] of Object.entries(node)) {
      out.add(op);
      operators(args, out);
    }
  }
  return out;
}

const notListed = (condition: unknown): string[] => [...operators(condition)].filter((op) => !LISTED.has(op));

describe('PLAN_OPERATORS', () => {
  it('is frozen, and is what a policy may use but data', () => {
    expect(Object.isFrozen(PLAN_OPERATORS)).toBe(true);
    expect([...ALLOWED_OPERATORS].filter((op) => op !== DATA_OPERATOR).sort()).toEqual([...PLAN_OPERATORS].sort());
  });

  // One rule per operator, applied to a resource attribute and a folded subject claim.
  const policyOperators = [...ALLOWED_OPERATORS].filter((op) => op !== DATA_OPERATOR && op !== 'var');
  it.each(policyOperators)('a condition using %s plans to a residual holding it, and nothing unlisted', (op) => {
    const args = [{ var: 'resource.attributes.a' }, { var: 'subject.claims.b' }, 'c'];
    const compiled = compile(load([{ id: 'docs', resource: 'doc', rules: [{ id: 'r', effect: 'allow', actions: ['read'], when: { '!!': { [op]: args } } }] }], {}));
    const p = plan(compiled, { subject: { id: 'u', claims: { b: 2 } }, action: 'read', resourceType: 'doc' });
    expect(p.kind).toBe('conditional');
    // The planner writes `?:` as `if`, which json-logic-js treats alike.
    expect(operators(p.condition).has(op === '?:' ? 'if' : op)).toBe(true);
    expect(notListed(p.condition)).toEqual([]);
  });

  it('random plans hold listed operators only, and none is refused for an operator', () => {
    let conditional = 0;
    const property = fc.property(policiesArbOver([...PATHS, ...PATHS.filter((p) => p.startsWith('resource.'))]), rolesArb.map(withoutResourceRoles), dataArb, requestArb, fc.constantFrom(...TYPES), fc.constantFrom(...ACTIONS), (policies, roles, data, asked, type, action) => {
      const q = asked as DecisionRequest;
      try {
        const p = plan(compile(load(policies, roles, data)), { subject: q.subject, action, resourceType: type, actionProperties: q.actionProperties, context: q.context });
        if (p.kind !== 'conditional') return;
        conditional++;
        expect(notListed(p.condition), JSON.stringify(p.condition)).toEqual([]);
      } catch (err) {
        expect(err).toBeInstanceOf(PlanUnsupportedError);
        expect((err as Error).message).not.toContain('not a plan operator');
      }
    });
    fc.assert(property, { numRuns: 200, seed: COVERAGE_SEED });
    const covered = conditional;
    fc.assert(property, { numRuns: 200 });
    expect(covered).toBeGreaterThan(10);
  }, 60_000);
});
