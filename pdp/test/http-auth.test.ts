import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, get, post, startTestPdp, type TestPdp } from './http-helpers.js';

const TOKENS = ['client-token-one-0123456789', 'client-token-two-0123456789'] as const;
let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [...TOKENS] });
});
afterAll(async () => {
  await pdp.stop();
});

const good = { subject: ALICE, resource: { type: 'chat' }, action: 'read' };

describe('caller authentication (PDP_CLIENT_TOKENS)', () => {
  test('no Authorization header: 401 problem+json with WWW-Authenticate: Bearer', async () => {
    const res = await post(pdp.url, '/v1/decide', good);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="pdp"');
  });

  test('a wrong token: 401 with error="invalid_token"', async () => {
    for (const auth of ['Bearer nope', `Bearer ${TOKENS[0]}x`, `Basic ${TOKENS[0]}`, 'Bearer', `bearer ${TOKENS[0].slice(0, -1)}`]) {
      const res = await post(pdp.url, '/v1/decide', good, { authorization: auth });
      expect(res.status, auth).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  test('each configured token is accepted (scheme is case-insensitive)', async () => {
    for (const auth of [`Bearer ${TOKENS[0]}`, `bearer ${TOKENS[1]}`]) {
      const res = await post(pdp.url, '/v1/decide', good, { authorization: auth });
      expect(res.status, auth).toBe(200);
      expect(res.body.allow).toBe(true);
    }
  });

  test('every decision route and /v1/policies, /metrics need it; /healthz, /readyz, /openapi.json do not', async () => {
    for (const p of ['/v1/decide/batch', '/access/v1/evaluation', '/access/v1/evaluations', '/decide']) {
      expect((await post(pdp.url, p, {})).status, p).toBe(401);
    }
    for (const p of ['/v1/policies', '/metrics']) {
      expect((await get(pdp.url, p)).status, p).toBe(401);
      expect((await get(pdp.url, p, { authorization: `Bearer ${TOKENS[0]}` })).status, p).toBe(200);
    }
    for (const p of ['/healthz', '/readyz', '/openapi.json']) expect((await get(pdp.url, p)).status, p).toBe(200);
  });

  test('several Authorization headers are refused whichever comes first (a proxy may read another one than Node)', async () => {
    const send = (values: string[]) =>
      new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
        const url = new URL(`${pdp.url}/v1/decide`);
        const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST' }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] });
        });
        req.setHeader('content-type', 'application/json');
        // An array: one header line per value.
        req.setHeader('authorization', values);
        req.on('error', reject);
        req.end(JSON.stringify(good));
      });
    for (const values of [[`Bearer ${TOKENS[0]}`, 'Bearer nope'], ['Bearer nope', `Bearer ${TOKENS[0]}`], [`Bearer ${TOKENS[0]}`, `Bearer ${TOKENS[1]}`]]) {
      const res = await send(values);
      expect(res.status, values.join(' | ')).toBe(401);
      expect(res.challenge).toContain('error="invalid_request"');
    }
    expect((await send([`Bearer ${TOKENS[0]}`])).status).toBe(200);
  });

  test('paths are exact: another case or a trailing slash is no route (404, not a second way in); a query string is ignored', async () => {
    for (const p of ['/v1/policies/', '/V1/POLICIES', '/METRICS', '/metrics/', '/Healthz']) expect((await get(pdp.url, p)).status, p).toBe(404);
    for (const p of ['/v1/decide/', '/V1/DECIDE', '/Decide', '/v1/decide/batch/', '//v1/decide']) expect((await post(pdp.url, p, good)).status, p).toBe(404);
    expect((await get(pdp.url, '/metrics?x=1')).status).toBe(401);
    expect((await post(pdp.url, '/v1/decide?x=1', good)).status).toBe(401);
    expect((await post(pdp.url, '/v1/decide?x=1', good, { authorization: `Bearer ${TOKENS[0]}` })).status).toBe(200);
  });

  test('with caller tokens any Host is served (behind a load balancer the name is the service\'s)', async () => {
    const { request: req } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${pdp.url}/v1/policies`);
      const r = req({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'pdp.internal:8181', authorization: `Bearer ${TOKENS[0]}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.end();
    });
    expect(status).toBe(200);
  });

  test('auth is checked before the body is read: a bad body without a token is 401, not 400', async () => {
    const res = await post(pdp.url, '/v1/decide', '{not json');
    expect(res.status).toBe(401);
  });
});
