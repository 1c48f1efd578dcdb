/** Over HTTP, on the demo policies: the default-deny reason on /v1/decide and batch, and explain.wouldAllow. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';

const POLICIES = fileURLToPath(new URL('../../policies', import.meta.url));
const DEFAULT_DENY = { policy: '', rule: '', effect: 'deny', code: 'default_deny', message: 'no rule allows this request (default deny)' };

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ dir: POLICIES });
});
afterAll(async () => {
  await pdp.stop();
});

const chat = (groups: string[], claims: Record<string, unknown> = {}) => ({ subject: { id: 'bob', groups, claims }, resource: { type: 'chat', id: 'room-1' }, action: 'read' });

describe('a default deny over HTTP', () => {
  test('/v1/decide answers the default_deny reason, and logs it', async () => {
    const res = await post(pdp.url, '/v1/decide', chat([]));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ decisionId: expect.any(String), allow: false, effect: 'deny', reasons: [DEFAULT_DENY], revision: pdp.policies().revision });
    const line = pdp.log.lines.find((l) => l.decisionId === res.body.decisionId);
    expect(line).toMatchObject({ effect: 'deny', reasons: [DEFAULT_DENY] });
  });

  test('batch answers it per item; an allow and a deny by a rule do not get it', async () => {
    const items = [{ resource: { type: 'admin' }, action: 'read' }, { resource: { type: 'chat' }, action: 'read' }];
    const res = await post(pdp.url, '/v1/decide/batch', { subject: { id: 'alice', groups: ['oracle-ai-users'] }, items });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { reasons: unknown[] }) => r.reasons)).toEqual([[DEFAULT_DENY], [{ policy: 'chat', rule: 'members-may-chat', effect: 'allow' }]]);
    const suspended = await post(pdp.url, '/v1/decide/batch', { subject: { id: 'alice', groups: [], claims: { account_status: 'suspended' } }, items: items.slice(1) });
    expect(suspended.body.results[0].reasons).toEqual([{ policy: 'chat', rule: 'no-chat-from-suspended-accounts', effect: 'deny' }]);
  });
});

describe('explain.wouldAllow over HTTP', () => {
  test('/v1/decide with explain says which group would allow bob to chat', async () => {
    const res = await post(pdp.url, '/v1/decide', { ...chat([]), explain: true });
    expect(res.status).toBe(200);
    expect(res.body.reasons).toEqual([DEFAULT_DENY]);
    expect(res.body.explain.wouldAllow).toEqual([{ policy: 'chat', rule: 'members-may-chat', groups: ['oracle-ai-users'], roles: [] }]);
    // The advice holds: the same request with that group is allowed.
    const granted = await post(pdp.url, '/v1/decide', chat(['oracle-ai-users']));
    expect(granted.body.allow).toBe(true);
  });

  test('without explain there is none; an explained allow has none; a suspended account gets []', async () => {
    expect((await post(pdp.url, '/v1/decide', chat([]))).body).not.toHaveProperty('explain');
    expect((await post(pdp.url, '/v1/decide', { ...chat(['oracle-ai-users']), explain: true })).body.explain).not.toHaveProperty('wouldAllow');
    expect((await post(pdp.url, '/v1/decide', { ...chat([], { account_status: 'suspended' }), explain: true })).body.explain.wouldAllow).toEqual([]);
  });

  test('batch items with explain carry it', async () => {
    const items = [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'admin' }, action: 'read' }];
    const res = await post(pdp.url, '/v1/decide/batch', { explain: true, subject: { id: 'bob', groups: [] }, items });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { explain: { wouldAllow: unknown } }) => r.explain.wouldAllow)).toEqual([
      [{ policy: 'chat', rule: 'members-may-chat', groups: ['oracle-ai-users'], roles: [] }],
      [{ policy: 'admin', rule: 'admins-only', groups: ['oracle-ai-admins'], roles: [] }],
    ]);
  });
});
