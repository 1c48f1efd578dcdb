/**
 * A resource search filters its candidates with the query plan (authzen-search.ts
 * `resourcePlan`): for every candidate, the plan's test must be exactly the decision. Checked
 * in-process for random policy sets, roles, data, requests and candidate ids, and over HTTP on the
 * interop Search scenario (whose policies the planner refuses, so every candidate is decided) and
 * on a set the planner folds (the log line says which way the search went).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import type { DecisionRequest } from '../src/engine/types.js';
import { resourcePlan } from '../src/server/authzen-search.js';
import type { AuthzenRequest } from '../src/server/authzen.js';
import { eventually, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';
import { ACTIONS, COVERAGE_SEED, dataArb, load, PATHS, policiesArbOver, requestArb, rolesArb, TYPES, withoutResourceRoles } from './reference.js';

const RESOURCE_PATHS = PATHS.filter((p) => p.startsWith('resource.') && p !== 'resource.type');
const CANDIDATES = ['1', 'alice', 'bob', '', 'toString', '__proto__', '0', 'x'];

describe('the plan filter of a resource search is the decision of each candidate', () => {
  it('for random policy sets, requests and candidates', () => {
    const kinds = new Map<string, number>();
    let runs = 0;
    const property = fc.property(
      policiesArbOver([...PATHS, ...RESOURCE_PATHS, ...RESOURCE_PATHS]),
      fc.oneof(rolesArb, rolesArb.map(withoutResourceRoles)),
      dataArb,
      requestArb,
      fc.constantFrom(...TYPES),
      fc.constantFrom(...ACTIONS),
      fc.uniqueArray(fc.constantFrom(...CANDIDATES), { maxLength: CANDIDATES.length }),
      (policies, roles, data, asked, type, action, candidates) => {
        runs++;
        const compiled = compile(load(policies, roles, data));
        const q = asked as DecisionRequest;
        const resource = q.resource.attributes === undefined ? { type } : { type, attributes: q.resource.attributes };
        const base: AuthzenRequest = { subject: q.subject, resource: { ...resource, id: '' }, action, actionProperties: q.actionProperties, context: q.context };
        const planned = resourcePlan(compiled, base);
        const kind = planned?.kind ?? 'unsupported';
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const decided = candidates.filter((id) => decide(compiled, { ...base, resource: { ...resource, id } }).allow);
        const filtered = planned === undefined ? decided : candidates.filter(planned.allows);
        expect(filtered, JSON.stringify({ kind, base, candidates })).toEqual(decided);
      },
    );
    fc.assert(property, { numRuns: 300, seed: COVERAGE_SEED });
    const covered = { kinds: new Map(kinds), runs };
    fc.assert(property, { numRuns: 300 });
    // Meaningful only when the filter ran in every form, and mostly without a fallback.
    expect([...covered.kinds.keys()].sort()).toEqual(['always_allowed', 'always_denied', 'conditional', 'unsupported']);
    expect(covered.kinds.get('conditional') ?? 0).toBeGreaterThan(covered.runs / 20);
    expect(covered.kinds.get('unsupported') ?? 0).toBeLessThan(covered.runs / 3);
  }, 120_000);
});

const EXAMPLE = fileURLToPath(new URL('../../examples/authzen-search/', import.meta.url));

interface SearchCase {
  request: { subject: Record<string, unknown>; action: Record<string, unknown>; resource: { type: string } };
}

/** The results of a search, and its log line (the search's own, found by request id). */
async function searchWithLine(pdp: TestPdp, body: unknown, id: string): Promise<{ ids: string[]; line: Record<string, unknown> }> {
  const res = await post(pdp.url, '/access/v1/search/resource', body, { 'x-request-id': id });
  expect(res.status, res.text).toBe(200);
  let line: Record<string, unknown> | undefined;
  await eventually(async () => (line = pdp.log.lines.find((l) => l.kind === 'search' && l.requestId === id)) !== undefined);
  return { ids: (res.body.results as { id: string }[]).map((r) => r.id), line: line as Record<string, unknown> };
}

/** What an evaluation of each candidate allows, asked over HTTP. */
async function evaluated(pdp: TestPdp, request: SearchCase['request'], candidates: string[]): Promise<string[]> {
  const batch = await post(pdp.url, '/access/v1/evaluations', {
    subject: request.subject,
    action: request.action,
    evaluations: candidates.map((id) => ({ resource: { ...request.resource, id } })),
  });
  expect(batch.status, batch.text).toBe(200);
  return candidates.filter((_, i) => batch.body.evaluations[i].decision === true);
}

describe('over HTTP', () => {
  let interop: TestPdp;
  let folded: TestPdp;
  let dir: string;
  const records = Array.from({ length: 40 }, (_, i) => `r${i}`);

  beforeAll(async () => {
    interop = await startTestPdp({ dir: EXAMPLE, watch: false, decisionLog: true });
    // A user's records listed in data/user.json (a lookup keyed by the subject, folded by the plan),
    // a deny of sharing on a resource property the request carries, and an administrator who reads all.
    dir = await makePolicyDir({
      'record.json': {
        id: 'record',
        resource: 'record',
        rules: [
          { id: 'listed', effect: 'allow', actions: ['read', 'share'], when: { in: [{ var: 'resource.id' }, { data: ['user', { var: 'subject.id' }, 'records'] }] } },
          { id: 'admins', effect: 'allow', actions: ['read'], subject: { groups: { anyOf: ['admins'] } } },
          { id: 'held', effect: 'deny', actions: ['share'], when: { '==': [{ var: 'resource.attributes.hold' }, true] } },
          { id: 'suspended', effect: 'deny', actions: ['*'], when: { '==': [{ var: 'subject.claims.status' }, 'suspended'] } },
        ],
      },
    });
    await mkdir(path.join(dir, 'data'));
    await writeJson(dir, 'data/record.json', Object.fromEntries(records.map((id) => [id, {}])));
    await writeJson(dir, 'data/user.json', { alice: { records: ['r3', 'r7', 'r30', 'nope'] }, bob: { records: [] } });
    folded = await startTestPdp({ dir, watch: false, decisionLog: true });
  });
  afterAll(async () => {
    await interop.stop();
    await folded.stop();
    await removeDir(dir);
  });

  test('the interop scenario: the planner refuses its policies (lookups keyed by the record), every candidate is decided, results as evaluations give', async () => {
    const cases = (JSON.parse(readFileSync(new URL('./interop/search/resource-results.json', import.meta.url), 'utf8')) as { evaluation: SearchCase[] }).evaluation;
    const candidates = Object.keys(JSON.parse(readFileSync(path.join(EXAMPLE, 'data/record.json'), 'utf8')) as object);
    for (const [i, { request }] of cases.entries()) {
      const { ids, line } = await searchWithLine(interop, request, `interop-${i}`);
      expect(ids, JSON.stringify(request)).toEqual(await evaluated(interop, request, candidates));
      expect(line.plan).toBeUndefined();
      expect(line.decided).toBe(candidates.length);
    }
  });

  const ask = (subject: Record<string, unknown>, properties?: Record<string, unknown>, action = 'read') => ({
    subject: { type: 'user', ...subject },
    action: { name: action },
    resource: properties === undefined ? { type: 'record' } : { type: 'record', properties },
  });

  test.each([
    ['conditional', 'listed records', ask({ id: 'alice' }), ['r3', 'r7', 'r30']],
    ['conditional', 'shares of listed records', ask({ id: 'alice' }, { hold: false }, 'share'), ['r3', 'r7', 'r30']],
    ['conditional', 'a held record', ask({ id: 'alice' }, { hold: true }, 'share'), []],
    ['conditional', 'no records listed', ask({ id: 'bob' }), []],
    ['always_allowed', 'an administrator', ask({ id: 'bob', properties: { groups: ['admins'] } }), records],
    ['always_denied', 'a suspended user', ask({ id: 'alice', properties: { status: 'suspended' } }), []],
    ['always_denied', 'an action no rule allows', ask({ id: 'alice' }, undefined, 'delete'), []],
  ] as const)('a plan %s (%s): no candidate is decided, and the results are those evaluations give', async (kind, _what, request, expected) => {
    const { ids, line } = await searchWithLine(folded, request, `folded-${kind}-${_what.replaceAll(' ', '-')}`);
    expect(ids).toEqual(expected);
    expect(ids).toEqual(await evaluated(folded, request, records));
    expect(line).toMatchObject({ plan: kind, decided: 0, more: false });
  });

  test('an always_allowed plan pages as a decided search would; an always_denied one has no next page, even asked from a token', async () => {
    const first = await post(folded.url, '/access/v1/search/resource', { ...ask({ id: 'bob', properties: { groups: ['admins'] } }), page: { limit: 39 } });
    expect(first.body.results).toEqual(records.slice(0, 39).map((id) => ({ type: 'record', id })));
    const rest = await post(folded.url, '/access/v1/search/resource', { ...ask({ id: 'bob', properties: { groups: ['admins'] } }), page: { limit: 39, token: first.body.page.next_token } });
    expect(rest.body).toEqual({ page: { next_token: '', count: 1 }, results: [{ type: 'record', id: 'r39' }] });
    const none = await post(folded.url, '/access/v1/search/resource', { ...ask({ id: 'bob', properties: { groups: ['admins'] } }, undefined, 'delete'), page: { limit: 1 } });
    expect(none.body).toEqual({ page: { next_token: '', count: 0 }, results: [] });
  });
});
