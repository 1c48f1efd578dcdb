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

  test('auth is checked before the body is read: a bad body without a token is 401, not 400', async () => {
    const res = await post(pdp.url, '/v1/decide', '{not json');
    expect(res.status).toBe(401);
  });
});
