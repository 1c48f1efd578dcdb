/**
 * The AuthZEN interop "Todo" scenario, end to end: the real PDP serves examples/authzen-todo (roles
 * from the user directory in data/users.json) and answers every evaluation and batch of the
 * interop suite (test/interop/todo/, copied from the openid/authzen repository, MIT) over HTTP.
 * The requests carry only the subject's PID: roles and email come from the directory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, startTestPdp, type TestPdp } from '../http-helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/authzen-todo/', import.meta.url));
const SUITE = JSON.parse(readFileSync(new URL('./todo/decisions-authorization-api-1_0-02.json', import.meta.url), 'utf8')) as {
  evaluation: { request: Record<string, unknown>; expected: boolean }[];
  evaluations: { request: Record<string, unknown>; expected: { decision: boolean }[] }[];
};

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ dir: EXAMPLE, watch: false });
});
afterAll(async () => {
  await pdp.stop();
});

const label = (request: Record<string, unknown>): string => JSON.stringify(request);

describe('AuthZEN interop Todo scenario (decisions-authorization-api-1_0-02.json)', () => {
  test('the suite is the whole published one: 40 evaluations, 3 batches, subjects by PID only', () => {
    expect(SUITE.evaluation).toHaveLength(40);
    expect(SUITE.evaluations).toHaveLength(3);
    for (const { request } of [...SUITE.evaluation, ...SUITE.evaluations]) {
      expect(Object.keys(request.subject as object).sort()).toEqual(['id', 'type']);
    }
    // Both answers occur, so a PDP that always says one thing fails.
    expect(new Set(SUITE.evaluation.map((e) => e.expected))).toEqual(new Set([true, false]));
  });

  test.each(SUITE.evaluation.map((e, i) => [i, e] as const))('evaluation %i', async (_i, { request, expected }) => {
    const res = await post(pdp.url, '/access/v1/evaluation', request);
    expect(res.status, res.text).toBe(200);
    expect(res.body.decision, label(request)).toBe(expected);
  });

  test.each(SUITE.evaluations.map((e, i) => [i, e] as const))('evaluations batch %i', async (_i, { request, expected }) => {
    const res = await post(pdp.url, '/access/v1/evaluations', request);
    expect(res.status, res.text).toBe(200);
    // Exact: an entry is {"decision": …} as the suite writes it, nothing more (no options.decision_context asked).
    expect(res.body, label(request)).toEqual({ evaluations: expected });
  });

  test('a subject missing from the directory gets nothing, not even what the scenario allows everyone', async () => {
    const res = await post(pdp.url, '/access/v1/evaluation', { subject: { type: 'user', id: 'not-in-the-directory' }, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } });
    expect(res.body.decision).toBe(false);
  });
});
