/**
 * The decision routes are served twice over: by the app's direct table (a POST to the exact
 * path) and by Koa (the same path with a query string, or any other form of the URL). Both run
 * the same middleware; these requests, valid and hostile, must get the same answer either way:
 * status, the headers a caller acts on, and the body (but for the decision's own id).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, BOB, eventually, startTestPdp, type TestPdp } from './http-helpers.js';

const TOKEN = 'direct-table-caller-token-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** One request over a fresh connection, headers exactly as given (repeats allowed; Host added unless given). */
function send(base: string, path: string, headers: [string, string][], body: string): Promise<Answer> {
  const url = new URL(path, base);
  const all = headers.some(([k]) => k.toLowerCase() === 'host') ? headers : [['Host', url.host] as [string, string], ...headers];
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: all.flat(), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: {
            'content-type': res.headers['content-type'],
            'www-authenticate': res.headers['www-authenticate'],
            connection: res.headers.connection,
            allow: res.headers.allow as string | undefined,
          },
          body: withoutIds(parsed),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Decision ids differ per decision; everything else must not. */
function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'decisionId').map(([k, v]) => [k, withoutIds(v)]));
}

const json: [string, string] = ['Content-Type', 'application/json'];
const auth: [string, string] = ['Authorization', `Bearer ${TOKEN}`];
const decide = (subject: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ subject, resource: { type: 'chat', id: 'room-1' }, action: 'read', ...extra });

const CASES: { name: string; status: number; path: string; headers: [string, string][]; body: string }[] = [
  { name: 'an allow', status: 200, path: '/v1/decide', headers: [json, auth], body: decide(ALICE) },
  { name: 'a default deny', status: 200, path: '/v1/decide', headers: [json, auth], body: decide(BOB) },
  { name: 'an explained deny', status: 200, path: '/v1/decide', headers: [json, auth], body: decide(BOB, { explain: true }) },
  { name: 'the alias', status: 200, path: '/decide', headers: [json, auth], body: decide(ALICE) },
  { name: 'broken JSON', status: 400, path: '/v1/decide', headers: [json, auth], body: '{"subject":' },
  { name: 'an array body', status: 400, path: '/v1/decide', headers: [json, auth], body: '[]' },
  { name: 'an unknown key', status: 400, path: '/v1/decide', headers: [json, auth], body: decide(ALICE, { actoin: 'read' }) },
  { name: 'no action', status: 400, path: '/v1/decide', headers: [json, auth], body: JSON.stringify({ subject: ALICE, resource: { type: 'chat' } }) },
  { name: 'a control character in the action', status: 400, path: '/v1/decide', headers: [json, auth], body: decide(ALICE, { action: 'read\u0000' }) },
  { name: 'a __proto__ key', status: 400, path: '/v1/decide', headers: [json, auth], body: '{"subject":{"id":"a","groups":[],"__proto__":{"x":1}},"resource":{"type":"chat"},"action":"read"}' },
  { name: 'nesting past the limit', status: 400, path: '/v1/decide', headers: [json, auth], body: `{"subject":{"id":"a","claims":{"x":${'['.repeat(100)}${']'.repeat(100)}}},"resource":{"type":"chat"},"action":"read"}` },
  { name: 'a body over the limit', status: 413, path: '/v1/decide', headers: [json, auth], body: decide(ALICE, { context: { pad: 'x'.repeat(5000) } }) },
  { name: 'text/plain', status: 415, path: '/v1/decide', headers: [['Content-Type', 'text/plain'], auth], body: decide(ALICE) },
  { name: 'no content type', status: 415, path: '/v1/decide', headers: [auth], body: decide(ALICE) },
  { name: 'a compressed body', status: 415, path: '/v1/decide', headers: [json, auth, ['Content-Encoding', 'gzip']], body: decide(ALICE) },
  { name: 'subject and token', status: 400, path: '/v1/decide', headers: [json, auth], body: decide(ALICE, { token: 'x.y.z' }) },
  { name: 'a token without token mode', status: 400, path: '/v1/decide', headers: [json, auth], body: JSON.stringify({ token: 'x.y.z', resource: { type: 'chat' }, action: 'read' }) },
  { name: 'no caller token', status: 401, path: '/v1/decide', headers: [json], body: decide(ALICE) },
  { name: 'a wrong caller token', status: 401, path: '/v1/decide', headers: [json, ['Authorization', 'Bearer nope']], body: decide(ALICE) },
  { name: 'two Authorization headers', status: 401, path: '/v1/decide', headers: [json, auth, ['Authorization', 'Bearer nope']], body: decide(ALICE) },
  { name: 'too many headers', status: 431, path: '/v1/decide', headers: [json, auth, ...Array.from({ length: 210 }, (_, i): [string, string] => [`X-Pad-${i}`, 'x'])], body: decide(ALICE) },
  { name: 'a batch', status: 200, path: '/v1/decide/batch', headers: [json, auth], body: JSON.stringify({ subject: ALICE, items: [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'admin' }, action: 'read' }] }) },
  { name: 'a batch over the limit', status: 400, path: '/v1/decide/batch', headers: [json, auth], body: JSON.stringify({ subject: ALICE, items: Array.from({ length: 6 }, () => ({ resource: { type: 'chat' }, action: 'read' })) }) },
  { name: 'an AuthZEN evaluation', status: 200, path: '/access/v1/evaluation', headers: [json, auth], body: JSON.stringify({ subject: { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'] } }, resource: { type: 'chat', id: 'r' }, action: { name: 'read' } }) },
  { name: 'an AuthZEN evaluation without an action', status: 400, path: '/access/v1/evaluation', headers: [json, auth], body: JSON.stringify({ subject: { type: 'user', id: 'alice' }, resource: { type: 'chat', id: 'r' } }) },
  { name: 'AuthZEN evaluations', status: 200, path: '/access/v1/evaluations', headers: [json, auth], body: JSON.stringify({ subject: { type: 'user', id: 'alice' }, evaluations: [{ resource: { type: 'chat', id: 'r' }, action: { name: 'read' } }] }) },
  { name: 'AuthZEN evaluations missing a subject', status: 400, path: '/access/v1/evaluations', headers: [json, auth], body: JSON.stringify({ evaluations: [{ resource: { type: 'chat', id: 'r' }, action: { name: 'read' } }] }) },
];

let pdp: TestPdp;
let open: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [TOKEN], maxBatch: 5, maxBodyBytes: 2048 });
  open = await startTestPdp({});
});
afterAll(async () => {
  await pdp.stop();
  await open.stop();
});

describe('the direct table and Koa answer the decision routes alike', () => {
  test.each(CASES)('$name: $status', async ({ status, path, headers, body }) => {
    const direct = await send(pdp.url, path, headers, body);
    const viaKoa = await send(pdp.url, `${path}?via=koa`, headers, body);
    // The status shows which step answered: each case must reach the step it is about.
    expect(direct.status).toBe(status);
    expect(viaKoa).toEqual(direct);
  });

  test('the caller\'s X-Request-ID comes back from both, and one is made up for a request without one', async () => {
    for (const path of ['/v1/decide', '/v1/decide?via=koa']) {
      for (const body of [decide(ALICE), '{']) {
        const given = await fetch(`${pdp.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-42' }, body });
        expect(given.headers.get('x-request-id')).toBe('req-42');
        const none = await fetch(`${pdp.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
        expect(none.headers.get('x-request-id')).toMatch(/^\S{8,}$/);
      }
    }
  });

  test('without caller tokens, a request addressed to a host that is not loopback is refused by both', async () => {
    for (const path of ['/v1/decide', '/v1/decide?via=koa']) {
      const res = await send(open.url, path, [json, ['Host', 'attacker.example']], decide(ALICE));
      expect(res.status).toBe(421);
      expect((res.body as { code: string }).code).toBe('host_not_allowed');
    }
    const ok = await send(open.url, '/v1/decide', [json], decide(ALICE));
    expect(ok.status).toBe(200);
  });

  test('a decision route asked with another method is Koa\'s 405, with Allow', async () => {
    const res = await fetch(`${pdp.url}/v1/decide`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('every decision line names the request, whichever way it was served', async () => {
    const before = pdp.log.lines.length;
    await send(pdp.url, '/v1/decide', [json, auth, ['X-Request-ID', 'line-direct']], decide(ALICE));
    await send(pdp.url, '/v1/decide?via=koa', [json, auth, ['X-Request-ID', 'line-koa']], decide(ALICE));
    const ids = () => pdp.log.lines.slice(before).filter((l) => l.kind === 'decision').map((l) => l.requestId);
    // Lines reach the destination at the end of the event-loop turn, not with the answer.
    await eventually(async () => ids().length >= 2, 5000).catch(() => undefined);
    expect(ids()).toEqual(['line-direct', 'line-koa']);
  });
});
