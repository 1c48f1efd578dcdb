// What a refused user learns: the 403 and /api/me carry the PDP's advice (the groups that would
// grant the refused request), the demo user list is decided by the loaded policies, and advice
// that cannot be had leaves the refusal as it was.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { accessOptionsOf } from '../src/access.js';
import type { ApiHandle } from '../src/index.js';
import { get, signIn, startStack, type Stack } from './support/stack.js';

let stack: Stack;
let listed: ApiHandle;
let bob: string;
let alice: string;

beforeAll(async () => {
  stack = await startStack();
  listed = await stack.startApi({ demoUsersUrl: `${stack.idp.url}/demo/users` });
  bob = await signIn(stack.api, 'bob');
  alice = await signIn(stack.api, 'alice');
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

/** A PDP in front of the real one that fails every explained call, as an overloaded PDP might. */
async function pdpFailingExplains(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (body.includes('"explain":true')) {
      res.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"title":"busy","status":503,"code":"busy"}');
      return;
    }
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: body || undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a 403 says which groups would grant it', () => {
  it('bob refused chat learns the group the chat policy names, and nothing of its rules', async () => {
    const { status, body } = await get(stack.api, '/api/chat', bob);
    expect(status).toBe(403);
    expect(body).toMatchObject({ code: 'forbidden', resource: 'chat', action: 'read', decisionId: expect.any(String) });
    expect(body.access).toEqual(expect.arrayContaining([{ groups: ['oracle-ai-users'] }]));
    for (const option of body.access as { groups: string[] }[]) expect(Object.keys(option)).toEqual(['groups']);
    expect(JSON.stringify(body)).not.toMatch(/members-may-chat|ai-user"/);
  });

  it('alice refused admin learns the admins group only', async () => {
    const { status, body } = await get(stack.api, '/api/admin/policies', alice);
    expect(status).toBe(403);
    expect(body.access).toEqual([{ groups: ['oracle-ai-admins'] }]);
  });

  it('/api/me carries the same advice for each refused page, and none for an allowed one', async () => {
    const { body } = await get(stack.api, '/api/me', bob);
    expect(body.permissions).toEqual({ chat: false, analytics: true, admin: false });
    const access = body.access as Record<string, unknown>;
    expect(Object.keys(access).sort()).toEqual(['admin', 'chat']);
    expect(access['chat']).toEqual(expect.arrayContaining([{ groups: ['oracle-ai-users'] }]));
    expect(access['admin']).toEqual([{ groups: ['oracle-ai-admins'] }]);
  });

  it('when the explained call fails the refusal stands, without advice (never a 503, never an allow)', async () => {
    const proxy = await pdpFailingExplains(stack.pdp.url);
    try {
      const api = await stack.startApi({ pdpUrl: proxy.url });
      const refused = await get(api, '/api/chat', bob);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', resource: 'chat' });
      expect(refused.body).not.toHaveProperty('access');
      const me = await get(api, '/api/me', bob);
      expect(me.status).toBe(200);
      expect(me.body.permissions).toEqual({ chat: false, analytics: true, admin: false });
      expect(me.body.access).toEqual({});
    } finally {
      await proxy.close();
    }
  });
});

describe('reading explain.wouldAllow', () => {
  it('keeps the group-only options, once each, and drops what needs a role no group gives', () => {
    expect(
      accessOptionsOf({
        wouldAllow: [
          { policy: 'p', rule: 'a', groups: ['g1'], roles: [] },
          { policy: 'p', rule: 'b', groups: ['g1'], roles: [] },
          { policy: 'p', rule: 'c', groups: ['g2', 'g3'], roles: [] },
          { policy: 'p', rule: 'd', groups: [], roles: ['special'] },
        ],
      }),
    ).toEqual([{ groups: ['g1'] }, { groups: ['g2', 'g3'] }]);
  });

  it('[] when nothing would grant it; undefined (no advice) when the PDP gave none or a malformed one', () => {
    expect(accessOptionsOf({ wouldAllow: [] })).toEqual([]);
    expect(accessOptionsOf({ roles: [], rules: [] })).toBeUndefined();
    expect(accessOptionsOf(undefined)).toBeUndefined();
    expect(accessOptionsOf({ wouldAllow: [{ groups: 'g1', roles: [] }] })).toBeUndefined();
    expect(accessOptionsOf({ wouldAllow: [{ groups: [1], roles: [] }] })).toBeUndefined();
  });
});

describe('GET /api/demo/users', () => {
  it('lists demo-idp\'s users, without a token, with what the loaded policies open to each', async () => {
    const { status, body, headers } = await get(listed, '/api/demo/users');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      users: [
        { username: 'alice', groups: ['oracle-ai-users'], permissions: { chat: true, analytics: true, admin: false } },
        { username: 'bob', groups: [], permissions: { chat: false, analytics: true, admin: false } },
        { username: 'carol', groups: ['oracle-ai-admins'], permissions: { chat: true, analytics: true, admin: true } },
        { username: 'dave', groups: ['contractors'], permissions: { chat: false, analytics: true, admin: false } },
      ],
      revision: expect.stringMatching(/^sha256:/),
    });
  });

  it('is a 404 when no user list is configured, and a 502 when demo-idp does not answer', async () => {
    expect((await get(stack.api, '/api/demo/users')).body).toMatchObject({ status: 404, code: 'not_found' });
    const idpDown = await stack.startApi({ demoUsersUrl: 'http://127.0.0.1:9/demo/users' });
    expect((await get(idpDown, '/api/demo/users')).body).toMatchObject({ status: 502, code: 'idp_unavailable' });
  });

  it('refuses a list that is not one (a 502, never half of it)', async () => {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"users":[{"username":"ok","groups":[]},{"username":"../x","groups":[]}]}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const api = await stack.startApi({ demoUsersUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/demo/users` });
      expect((await get(api, '/api/demo/users')).body).toMatchObject({ status: 502, code: 'idp_bad_response' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
