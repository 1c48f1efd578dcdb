// X-Request-ID over real HTTP: a valid one comes back, anything else is replaced by a fresh id,
// on every response (errors included), and the log lines of the request carry it.
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { IdpHandle } from '../src/index.js';
import { openLoginForm, startTestIdp } from './flow.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const lines: string[] = [];
let idp: IdpHandle;

beforeAll(async () => {
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } }));
  idp = await startTestIdp({ logger });
});
afterAll(async () => {
  await idp?.close();
});

/** A request through node:http, which sends a tab inside a header value (fetch trims and checks values). */
function rawGet(path: string, requestId: string): Promise<{ status: number; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, idp.issuer);
    const req = request(url, { headers: { 'X-Request-ID': requestId } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-request-id'] as string | undefined });
    });
    req.on('error', reject);
    req.end();
  });
}

function entries(): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('X-Request-ID', () => {
  it.each(['abc-123', 'x', '!~{}[]:;@/?=', 'r'.repeat(128)])('echoes a valid id: %s', async (id) => {
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`, { headers: { 'X-Request-ID': id } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(id);
  });

  it('makes one up when there is none', async () => {
    const first = await fetch(`${idp.issuer}/jwks`);
    const second = await fetch(`${idp.issuer}/jwks`);
    expect(first.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
  });

  it.each([
    ['a space', 'two words'],
    ['too long', 'r'.repeat(129)],
    ['non-ASCII', 'caf\u00e9'],
    ['empty', ''],
  ])('replaces an id with %s', async (_name, id) => {
    const response = await fetch(`${idp.issuer}/jwks`, { headers: { 'X-Request-ID': id } });
    expect(response.headers.get('x-request-id')).toMatch(UUID);
  });

  // A tab is the one control character Node's HTTP parser lets through in a header value; the
  // others (ESC, DEL, NUL, …) get Node's own 400 before any handler runs.
  it('replaces an id with a tab', async () => {
    const { status, requestId } = await rawGet('/jwks', 'a\tb');
    expect(status).toBe(200);
    expect(requestId).toMatch(UUID);
  });

  it.each([
    ['an unknown path', 'GET', '/no-such-page', 404],
    ['a bad authorization request', 'GET', '/auth?client_id=nobody', 400],
    ['a stale interaction', 'GET', '/interaction/doesnotexist', 400],
    ['a token request without client credentials', 'POST', '/token', 400],
  ])('comes back on error responses too: %s', async (_name, method, path, status) => {
    const response = await fetch(`${idp.issuer}${path}`, { method, headers: { 'X-Request-ID': `err-${status}` }, redirect: 'manual' });
    expect(response.status).toBe(status);
    expect(response.headers.get('x-request-id')).toBe(`err-${status}`);
  });

  it('is in the request log line and in the lines the request logged itself', async () => {
    const form = await openLoginForm(idp.issuer);
    const response = await form.submit('alice', 'wrong', { 'X-Request-ID': 'trace-login-1' });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('trace-login-1');
    await response.text();
    // The request line is written when the response closes.
    for (let i = 0; i < 40 && !entries().some((entry) => entry.reqId === 'trace-login-1' && entry.msg === 'request completed'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const own = entries().filter((entry) => entry.reqId === 'trace-login-1');
    expect(own.map((entry) => entry.msg)).toEqual(['login refused', 'request completed']);
    expect(own[1]).toMatchObject({ req: { method: 'POST', url: new URL(form.action).pathname }, res: { statusCode: 401 }, responseTime: expect.any(Number) });

    const generated = await fetch(`${idp.issuer}/jwks`);
    const id = generated.headers.get('x-request-id');
    await generated.text();
    for (let i = 0; i < 40 && !entries().some((entry) => entry.reqId === id); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(entries().find((entry) => entry.reqId === id)).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: '/jwks' }, res: { statusCode: 200 } });
  });

  it('logs the path of a request, never its query string', async () => {
    await (await fetch(`${idp.issuer}/auth?client_id=nobody&code_challenge=secret-looking-value`, { headers: { 'X-Request-ID': 'trace-query' }, redirect: 'manual' })).text();
    for (let i = 0; i < 40 && !entries().some((entry) => entry.reqId === 'trace-query' && entry.msg === 'request completed'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const own = entries().filter((entry) => entry.reqId === 'trace-query');
    expect(own.find((entry) => entry.msg === 'request completed')).toMatchObject({ req: { url: '/auth' } });
    expect(own.find((entry) => entry.msg === 'oidc error')).toBeDefined();
    expect(lines.join('')).not.toContain('secret-looking-value');
  });
});
