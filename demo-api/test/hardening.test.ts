import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

import { probeConnectionCap } from 'demo-idp/testing';
import { userFromClaims } from '../src/http/auth.js';
import { capture, until } from './support/log.js';
import { beginLogin, get, postToken, signIn, startStack, WEB_ORIGIN, type Stack } from './support/stack.js';

// Findings of the outside-in review, one regression test each (see demo-api/README.md).

let stack: Stack;
let alice: string;
let bob: string;

beforeAll(async () => {
  stack = await startStack();
  [alice, bob] = await Promise.all([signIn(stack.api, 'alice'), signIn(stack.api, 'bob')]);
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/**
 * One request written byte for byte (fetch merges repeated headers and always frames a body).
 * Written, not ended: Node aborts a request whose client half-closes first; Connection: close ends it.
 */
function rawRequest(url: string, head: string, body = ''): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // Host first: a request with more headers than Node keeps must still name its host.
    const [line, ...fields] = head.split('\n');
    const socket = connect(Number(port), hostname, () => socket.write(`${line}\r\nHost: ${hostname}\r\nConnection: close\r\n${fields.join('\r\n')}\r\n${body}`));
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [headers = '', text = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body: text });
    });
  });
}

/** A PDP stand-in that allows everything, but answers the way `answer` says. */
async function fakePdp(answer: (res: import('node:http').ServerResponse, body: string) => void): Promise<{ url: string; close(): void }> {
  const server = createServer(async (req, res) => {
    for await (const _ of req) void _;
    const one = { decisionId: 'd-1', allow: true, effect: 'allow', reasons: [], revision: 'sha256:x' };
    const body = req.url?.endsWith('/batch') ? { results: [one, one, one] } : req.url === '/v1/policies' ? { revision: 'sha256:x', policies: [] } : one;
    answer(res, JSON.stringify(body));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

const PROTECTED = ['/api/chat', '/api/me', '/api/admin/policies'];

describe('a PDP answer is believed only when it is JSON of a sane size', () => {
  it.each([
    ['text/html', { 'content-type': 'text/html' }],
    ['text/plain', { 'content-type': 'text/plain; charset=utf-8' }],
    ['no content type at all', {}],
  ])('an allow served as %s is a 503, never an allow', async (_name, headers: Record<string, string>) => {
    const pdp = await fakePdp((res, body) => {
      res.writeHead(200, headers);
      res.end(body);
    });
    const api = await stack.startApi({ pdpUrl: pdp.url });
    try {
      for (const path of PROTECTED) {
        const { status, body } = await get(api, path, alice);
        expect({ path, status, code: body.code }).toEqual({ path, status: 503, code: 'pdp_unavailable' });
      }
    } finally {
      pdp.close();
    }
  });

  it('the same allow as application/json passes (the fake PDP is sound)', async () => {
    const pdp = await fakePdp((res, body) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    });
    const api = await stack.startApi({ pdpUrl: pdp.url });
    try {
      for (const path of PROTECTED) expect((await get(api, path, alice)).status).toBe(200);
    } finally {
      pdp.close();
    }
  });

  it.each([
    ['declared in Content-Length', true],
    ['streamed without a length', false],
  ])('an answer over 1 MiB, %s, is a 503, and the API keeps serving', async (_name, declared) => {
    const padding = `{"decisionId":"d-1","allow":true,"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    const pdp = await fakePdp((res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(Buffer.byteLength(padding)) } : {}) });
      res.end(padding);
    });
    const api = await stack.startApi({ pdpUrl: pdp.url, pdpTimeoutMs: 5_000 });
    try {
      const { status, body } = await get(api, '/api/chat', alice);
      expect({ status, code: body.code }).toEqual({ status: 503, code: 'pdp_unavailable' });
      expect((await get(api, '/healthz')).status).toBe(200);
    } finally {
      pdp.close();
    }
  });
});

describe('the JWT gate', () => {
  it('refuses two Authorization headers (Node would silently take the first) with 400', async () => {
    for (const [first, second] of [
      [bob, alice],
      ['junk', alice],
      [alice, alice],
    ] as const) {
      const answer = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nAuthorization: Bearer ${first}\nAuthorization: Bearer ${second}\n`);
      expect(answer.status).toBe(400);
      expect(answer.headers).toMatch(/content-type: application\/problem\+json/i);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'invalid_request' });
      expect(answer.body).not.toContain(alice);
    }
    // One header still works over the same raw path.
    const one = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nAuthorization: Bearer ${alice}\n`);
    expect(one.status).toBe(200);
  });

  it('reads groups by the PDP\'s rule: a dotted path through own properties, one string is one group', () => {
    const claims = { sub: 'alice', realm_access: { roles: ['r1', 'r2'] }, groups: 'g', role: 'x' };
    expect(userFromClaims(claims, 'realm_access.roles').groups).toEqual(['r1', 'r2']);
    expect(userFromClaims(claims, 'groups').groups).toEqual(['g']);
    expect(userFromClaims({ sub: 'alice' }, 'realm_access.roles').groups).toEqual([]);
    expect(userFromClaims(Object.assign(Object.create({ groups: ['inherited'] }) as object, { sub: 'alice' }), 'groups').groups).toEqual([]);
    // The groups claim itself is not sent twice; the other claims are.
    expect(userFromClaims(claims, 'groups').claims).toEqual({ realm_access: { roles: ['r1', 'r2'] }, role: 'x' });
  });

  it.each([
    ['a number', { groups: 1 }, 'groups'],
    ['an array holding a non-string', { groups: ['g', null] }, 'groups'],
    ['an object', { realm_access: { roles: { admin: true } } }, 'realm_access.roles'],
    ['a path through a prototype', { constructor: { name: 'Object' } }, 'constructor.name'],
  ])('refuses a token whose groups claim is %s', (_case, claims, path) => {
    expect(() => userFromClaims({ sub: 'alice', ...claims }, path)).toThrow(expect.objectContaining({ code: 'token_invalid' }));
  });

  it('keeps a "__proto__" claim as a claim: it cannot change what the PDP is sent', () => {
    const user = userFromClaims(JSON.parse('{"sub":"alice","groups":["g"],"__proto__":{"admin":true},"account_status":"active"}') as Record<string, unknown>, 'groups');
    expect(Object.getPrototypeOf(user.claims)).toBe(Object.prototype);
    expect(Object.hasOwn(user.claims, '__proto__')).toBe(true);
    expect((user.claims as { admin?: unknown }).admin).toBeUndefined();
    expect(JSON.parse(JSON.stringify(user.claims))).toEqual(JSON.parse('{"__proto__":{"admin":true},"account_status":"active"}'));
  });
});

describe('problem answers', () => {
  it('field errors carry RFC 6901 pointers, with "~" and "/" escaped', async () => {
    const response = await fetch(`${stack.api.url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi', 'a/b~c': 1 }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; errors: Array<{ pointer: string }> };
    expect(body.code).toBe('invalid_request');
    expect(body.errors.map((e) => e.pointer)).toEqual(['/a~1b~0c']);
  });

  it('a POST without any body is a 400 asking for JSON, not a 415', async () => {
    const answer = await rawRequest(stack.api.url, `POST /api/chat HTTP/1.1\nAuthorization: Bearer ${alice}\nContent-Type: application/json\n`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'invalid_json' });
    const token = await rawRequest(stack.api.url, `POST /api/token HTTP/1.1\n`);
    expect(JSON.parse(token.body)).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it('a 405 says which methods are allowed (RFC 9110), as a problem', async () => {
    const response = await fetch(`${stack.api.url}/api/chat`, { method: 'PUT', headers: { authorization: `Bearer ${alice}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toMatch(/^(?=.*\bGET\b)(?=.*\bPOST\b).*$/);
    expect(((await response.json()) as { code: string }).code).toBe('method_not_allowed');
  });

  it('a preflight from a foreign origin is refused as a problem, with nothing for that origin', async () => {
    const response = await fetch(`${stack.api.url}/api/chat`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(((await response.json()) as { code: string }).code).toBe('origin_not_allowed');
    // The allowed origin is unaffected.
    const ok = await fetch(`${stack.api.url}/api/chat`, { method: 'OPTIONS', headers: { origin: WEB_ORIGIN, 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
  });
});

describe('the client or an upstream misbehaving', () => {
  it('a client that hangs up mid-body is no internal error: nothing at error level, and the API serves on', async () => {
    const { logger, lines } = capture();
    const api = await stack.startApi({}, logger);
    const { hostname, port } = new URL(api.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /api/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"message":"cut`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on('error', reject);
    });
    await until(() => lines.some((line) => line.includes('"msg":"request"') && line.includes('"method":"POST"')));
    const request = JSON.parse(lines.find((line) => line.includes('"msg":"request"') && line.includes('"method":"POST"'))!) as { status: number };
    expect(request.status).toBeLessThan(500);
    expect(lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    expect((await get(api, '/api/chat', alice)).status).toBe(200);
  });

  it('a token endpoint answering non-JSON: 502, and not a byte of its body in the log', async () => {
    const secret = 'tok-3f9a1c77e2';
    const idpShim = createServer((_req, res) => {
      // Broken JSON, the token right where parsing fails: V8 quotes ~10 characters around that spot.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"access_token": ${secret}, "token_type": "Bearer"}`);
    });
    const port = await listen(idpShim);
    const { logger, lines } = capture();
    const discovery = (await (await fetch(`${stack.idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const api = await stack.startApi(
      { authorizationEndpoint: discovery.authorization_endpoint, jwksUri: discovery.jwks_uri, tokenEndpoint: `http://127.0.0.1:${port}/token` },
      logger,
    );
    try {
      const { authorizeUrl, txnCookie } = await beginLogin(api);
      const state = String(new URL(authorizeUrl).searchParams.get('state'));
      const response = await postToken(api, { code: 'some-code', state }, txnCookie);
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ code: 'idp_bad_response' });
      expect(text).not.toContain(secret.slice(0, 7));
      await until(() => lines.some((line) => line.includes('"msg":"request"') && line.includes('/api/token')));
      expect(lines.join('\n')).not.toContain(secret.slice(0, 7));
    } finally {
      idpShim.closeAllConnections();
      idpShim.close();
    }
  });
});

describe('the attack review', () => {
  it('a second Authorization header after 2,000 others is not lost: the request is refused (431) before auth', async () => {
    const filler = 'a: 1\n'.repeat(2_000);
    const answer = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nAuthorization: Bearer ${alice}\n${filler}Authorization: Bearer ${bob}\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'too_many_headers' });
    expect(answer.body).not.toContain('alice');
    // A request with an ordinary number of headers is served as before.
    const ordinary = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nAuthorization: Bearer ${alice}\n${'a: 1\n'.repeat(50)}`);
    expect(ordinary.status).toBe(200);
  });

  it('a request Node refuses before the app (a broken request line, an oversized header) is answered with problem+json too', async () => {
    const broken = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nBad Header Line\n`);
    expect(broken.status).toBe(400);
    expect(broken.headers).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(broken.body)).toMatchObject({ status: 400, code: 'bad_request' });
    const huge = await rawRequest(stack.api.url, `GET /api/me HTTP/1.1\nX-Pad: ${'x'.repeat(20_000)}\n`);
    expect(huge.status).toBe(431);
    expect(JSON.parse(huge.body)).toMatchObject({ status: 431, code: 'headers_too_large' });
    expect(huge.headers).toMatch(/x-request-id: [0-9a-f-]{36}/i);
  });

  it('X-Request-ID: a valid one is echoed on every answer (401, 403, 404, 503 included) and logged; any other is replaced', async () => {
    const { logger, lines } = capture();
    const api = await stack.startApi({}, logger);
    const withId = (id: string): Record<string, string> => ({ 'x-request-id': id });
    const answers = [
      ['401', await get(api, '/api/me', undefined, withId('req-401'))],
      ['403', await get(api, '/api/admin/policies', bob, withId('req-403'))],
      ['404', await get(api, '/api/nowhere', alice, withId('req-404'))],
      ['200', await get(api, '/healthz', undefined, withId('req-200'))],
    ] as const;
    for (const [status, answer] of answers) expect({ status: answer.status, id: answer.headers.get('x-request-id') }).toEqual({ status: Number(status), id: `req-${status}` });
    const probe = createServer();
    const deadPort = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const noPdp = await stack.startApi({ pdpUrl: `http://127.0.0.1:${deadPort}` });
    const down = await get(noPdp, '/api/me', alice, withId('req-503'));
    expect({ status: down.status, id: down.headers.get('x-request-id') }).toEqual({ status: 503, id: 'req-503' });

    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of ['has space', 'x'.repeat(129), '']) {
      const answer = await get(api, '/api/me', undefined, withId(bad));
      expect(answer.headers.get('x-request-id')).toMatch(uuid);
    }
    const none = await get(api, '/healthz');
    expect(none.headers.get('x-request-id')).toMatch(uuid);
    expect(none.headers.get('x-request-id')).not.toBe((await get(api, '/healthz')).headers.get('x-request-id'));

    await until(() => lines.filter((line) => line.includes('"msg":"request"')).length >= 9);
    const logged = lines.filter((line) => line.includes('"msg":"request"')).map((line) => (JSON.parse(line) as { requestId?: string }).requestId);
    expect(logged).toEqual(expect.arrayContaining(['req-401', 'req-403', 'req-404', 'req-200', none.headers.get('x-request-id')]));
    expect(logged.every((id) => typeof id === 'string' && id !== 'has space')).toBe(true);
  });

  it('a slow client is cut off: head or body trickling past the timeouts closes the connection', async () => {
    const api = await stack.startApi({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const { hostname, port } = new URL(api.url);
    const trickle = (start: string, drip: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const socket = connect(Number(port), hostname, () => socket.write(start));
        const timer = setInterval(() => socket.writable && socket.write(drip), 100);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(timer);
          resolve(Date.now() - started);
        });
        setTimeout(() => {
          clearInterval(timer);
          socket.destroy();
          reject(new Error('the server kept a slow connection open for 5 s'));
        }, 5_000);
      });
    // The head never ends.
    expect(await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\n', 'a: 1\r\n')).toBeLessThan(3_000);
    // The head is complete, the body drips a byte at a time.
    expect(await trickle(`POST /api/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{`, ' ')).toBeLessThan(3_000);
  });

  it('API_MAX_CONNECTIONS caps the connections open at once; more are closed as they arrive', async () => {
    const api = await stack.startApi({ maxConnections: 2 });
    expect(await probeConnectionCap(api.url, 2)).toEqual({ extraClosed: true, heldOpen: true });
    // Once they are gone the API serves again.
    expect((await get(api, '/healthz')).status).toBe(200);
  });
});
