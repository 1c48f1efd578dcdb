/**
 * The query planner agrees with the decision, checked against the suite's reference evaluator
 * (test/reference.ts, independent of the engine): for random policy sets, roles, data files,
 * subjects and resources, a resource is allowed by the reference exactly when the plan says so:
 * `always_allowed`, `always_denied`, or the condition, evaluated by json-logic-js on the resource
 * alone (a throw denies). A plan the planner refuses is counted, and must stay a minority.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import { plan, PlanUnsupportedError, type PlanResult } from '../src/engine/plan.js';
import type { DecisionRequest, DecisionResource } from '../src/engine/types.js';
import { ACTIONS, apply, COVERAGE_SEED, dataArb, load, PATHS, policiesArbOver, reference, requestArb, rolesArb, sanitise, TYPES, withoutResourceRoles } from './reference.js';

/** The condition on one resource, as a consumer evaluates it: truthy allows, anything else (a throw included) denies. */
function allowsResource(p: PlanResult, resource: DecisionResource): boolean {
  if (p.kind !== 'conditional') return p.kind === 'always_allowed';
  try {
    // Own properties only, as the engine reads a request: `attributes.toString` is absent unless sent.
    return apply(p.condition, sanitise({ resource: { id: resource.id, attributes: resource.attributes } }) as Record<string, unknown>, {});
  } catch {
    return false;
  }
}

/** Every `var` path of a condition. */
function varPaths(logic: unknown, out: string[] = []): string[] {
  if (Array.isArray(logic)) for (const x of logic) varPaths(x, out);
  else if (typeof logic === 'object' && logic !== null) {
    const [op, args] = Object.entries(logic)[0] as [string, unknown];
    if (op === 'var') {
      out.push(String(Array.isArray(args) ? args[0] : args));
      if (Array.isArray(args)) varPaths(args.slice(1), out);
    } else varPaths(args, out);
  }
  return out;
}

/** Conditions read the resource more often than in the engine's property test: that is what a plan keeps. */
const RESOURCE_PATHS = PATHS.filter((p) => p.startsWith('resource.') && p !== 'resource.type');

describe('plan agrees with the reference decision on every resource', () => {
  it('for random policy sets, subjects and resources', () => {
    const kinds = new Map<string, number>();
    let refused = 0;
    let runs = 0;
    const property = fc.property(policiesArbOver([...PATHS, ...RESOURCE_PATHS, ...RESOURCE_PATHS]), fc.oneof(rolesArb, rolesArb.map(withoutResourceRoles)), dataArb, requestArb, fc.constantFrom(...TYPES), fc.constantFrom(...ACTIONS), fc.array(requestArb, { minLength: 1, maxLength: 12 }), (policies, roles, data, asked, type, action, others) => {
      runs++;
      const set = load(policies, roles, data);
      const compiled = compile(set);
      // Mostly types and actions the policies name: elsewhere every plan is a default deny.
      const q = { ...(asked as DecisionRequest), action, resource: { ...(asked as DecisionRequest).resource, type } };
      let p: PlanResult;
      try {
        p = plan(compiled, { subject: q.subject, action: q.action, resourceType: q.resource.type, actionProperties: q.actionProperties, context: q.context });
      } catch (err) {
        expect(err).toBeInstanceOf(PlanUnsupportedError);
        refused++;
        return;
      }
      kinds.set(p.kind, (kinds.get(p.kind) ?? 0) + 1);
      expect(p.revision).toBe(compiled.revision);
      if (p.kind === 'conditional') {
        for (const path of varPaths(p.condition)) expect(path).toMatch(/^resource\.(id$|attributes(\.|$))/);
      } else {
        expect(p.condition).toBeUndefined();
      }
      // The planned resource, and the resources of the other requests moved to the planned type.
      for (const other of [q, ...(others as DecisionRequest[])]) {
        const resource = { ...other.resource, type: q.resource.type };
        const request = { ...q, resource };
        const expected = reference(set, request).allow;
        expect(decide(compiled, request).allow).toBe(expected);
        expect(allowsResource(p, resource), JSON.stringify({ plan: p, resource })).toBe(expected);
      }
    });
    fc.assert(property, { numRuns: 750, seed: COVERAGE_SEED });
    const covered = { kinds: new Map(kinds), refused, runs };
    fc.assert(property, { numRuns: 750 });
    // The agreement means something only when every kind is reached, and most plans are made.
    expect([...covered.kinds.keys()].sort()).toEqual(['always_allowed', 'always_denied', 'conditional']);
    expect(covered.kinds.get('conditional') ?? 0).toBeGreaterThan(covered.runs / 20);
    expect(covered.refused).toBeLessThan(covered.runs / 3);
  }, 120_000);
});
