import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader } from 'jose';

import { startPdp, type RunningPdp } from './support/pdp.js';
import { get, signIn, startStack, type Stack } from './support/stack.js';

let stack: Stack;
let alice: string;
let bob: string;
// The PDP restarted by the outage test keeps serving the tests after it.
let restarted: RunningPdp | undefined;

beforeAll(async () => {
  stack = await startStack();
  alice = await signIn(stack.api, 'alice');
  bob = await signIn(stack.api, 'bob');
}, 30_000);
afterAll(async () => {
  await restarted?.close();
  await stack?.close();
});

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('the PDP decides', () => {
  it('its deny is a 403 problem with the decision id, its revision, resource and action', async () => {
    const { status, body, headers } = await get(stack.api, '/api/chat', bob);
    expect(status).toBe(403);
    expect(headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ type: 'urn:demo-api:problem:forbidden', title: 'Forbidden', status: 403, resource: 'chat', action: 'read', decisionId: expect.any(String), revision: expect.stringMatching(/^sha256:/) });
    expect(String(body.detail)).toContain('bob');
    expect(String(body.decisionId).length).toBeGreaterThan(3);
  });
});

describe('the PDP fails: fail closed', () => {
  it('stopped mid-run: 503 at once, and recovery when it is back on the same port', async () => {
    expect((await get(stack.api, '/api/chat', alice)).status).toBe(200);
    const port = Number(new URL(stack.pdp.url).port);
    await stack.pdp.close();
    const started = performance.now();
    const down = await get(stack.api, '/api/chat', alice);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'pdp_unavailable', status: 503 });
    expect(performance.now() - started).toBeLessThan(1500);
    expect((await get(stack.api, '/api/me', alice)).status).toBe(503);
    expect((await get(stack.api, '/api/admin/policies', alice)).status).toBe(503);

    restarted = await startPdp(stack.pdpToken, port);
    let status = 0;
    // A pooled socket to the old process may fail once; a few tries at most.
    for (let i = 0; i < 5 && status !== 200; i += 1) status = (await get(stack.api, '/api/chat', alice)).status;
    expect(status).toBe(200);
    expect((await get(stack.api, '/api/chat', bob)).status).toBe(403);
  });

  it('a PDP that never answers: 503 within PDP_TIMEOUT_MS', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const api = await stack.startApi({ pdpUrl: `http://127.0.0.1:${port}`, pdpTimeoutMs: 300 });
    try {
      const started = performance.now();
      const { status, body } = await get(api, '/api/analytics', alice);
      const elapsed = performance.now() - started;
      expect(status).toBe(503);
      expect(body.code).toBe('pdp_unavailable');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it.each([
    ['a 500', 500, { error: 'boom' }],
    ['a 401 (wrong caller token)', 401, { title: 'Unauthorized' }],
    ['allow as a string', 200, { decisionId: 'd1', allow: 'true' }],
    ['no decision id', 200, { allow: true }],
    ['an empty object', 200, {}],
    ['not JSON', 200, 'allow'],
    ['a batch of the wrong length', 200, { results: [{ decisionId: 'd', allow: true }] }],
  ])('a PDP answering %s: 503, never allow', async (_name, status, answer) => {
    const fake = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
    });
    const port = await listen(fake);
    const api = await stack.startApi({ pdpUrl: `http://127.0.0.1:${port}` });
    try {
      for (const path of ['/api/chat', '/api/analytics', '/api/me']) {
        const { status: got, body } = await get(api, path, alice);
        if (path === '/api/me' && Array.isArray((answer as { results?: unknown }).results)) {
          expect(got).toBe(503);
        } else {
          expect({ path, got, code: body.code }).toEqual({ path, got: 503, code: 'pdp_unavailable' });
        }
      }
    } finally {
      fake.closeAllConnections();
      fake.close();
    }
  });

  it('sends the caller token; a PDP expecting another one means 503', async () => {
    const api = await stack.startApi({ pdpClientToken: 'not-the-right-token-at-all' });
    expect((await get(api, '/api/chat', alice)).status).toBe(503);
  });
});

describe('the IdP', () => {
  it('rotating its signing key is followed: old and new tokens both verify', async () => {
    const oldKid = decodeProtectedHeader(alice).kid;
    const { kid } = await stack.idp.rotateKeys();
    const fresh = await signIn(stack.api, 'carol');
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    expect(kid).not.toBe(oldKid);
    expect((await get(stack.api, '/api/admin/policies', fresh)).status).toBe(200);
    expect((await get(stack.api, '/api/chat', alice)).status).toBe(200);
  });

  it('down: sign-in answers 502 idp_unavailable, never 500', async () => {
    const dead = createTcpServer();
    const port = await listen(dead);
    dead.close();
    const api = await stack.startApi({ issuer: `http://127.0.0.1:${port}`, oidcTimeoutMs: 500 });
    const { status, body } = await get(api, '/api/authorize');
    expect(status).toBe(502);
    expect(body.code).toBe('idp_unavailable');
    // Without its JWKS no token can be checked: that is the IdP's outage, not a 401.
    expect((await get(api, '/api/me', alice)).status).toBe(502);
  });

  it('a discovery document for another issuer is refused (mix-up)', async () => {
    const api = await stack.startApi({ discoveryUrl: `${stack.idp.issuer}/.well-known/openid-configuration`, issuer: 'http://127.0.0.1:1' });
    const { status, body } = await get(api, '/api/authorize');
    expect(status).toBe(502);
    expect(body.code).toBe('idp_bad_response');
  });
});
