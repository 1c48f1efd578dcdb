/**
 * Token mode refuses tokens of the trusted issuer that are not access tokens (an ID token, a
 * logout or security event token, an untyped token) over real HTTP: `PDP_JWT_TYP` (default
 * at+jwt), and with the check turned off the shape of those other kinds still refuses them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer, type SigningKey, type TestIssuer } from './token-helpers.js';

let issuer: TestIssuer;
let key: SigningKey;
let strict: TestPdp;
let lax: TestPdp;

const userClaims = { sub: 'alice', groups: ['oracle-ai-users'] };

beforeAll(async () => {
  issuer = await startIssuer();
  key = await makeKey('k1');
  issuer.published = [key];
  const jwt = { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl };
  strict = await startTestPdp({ jwt });
  lax = await startTestPdp({ jwt: { ...jwt, typ: '' } });
});
afterAll(async () => {
  await strict.stop();
  await lax.stop();
  await issuer.close();
});

async function decide(pdp: TestPdp, token: string): Promise<{ allow: boolean; reasons: { code?: string }[] }> {
  const res = await post(pdp.url, '/v1/decide', { token, resource: { type: 'chat' }, action: 'read' });
  expect(res.status).toBe(200);
  return res.body;
}

describe('PDP_JWT_TYP (default at+jwt)', () => {
  test.each([
    ['at+jwt', 'at+jwt'],
    ['application/at+jwt (RFC 9068)', 'application/at+jwt'],
    ['any case', 'AT+JWT'],
  ])('an access token typed %s is accepted', async (_name, typ) => {
    expect((await decide(strict, await issuer.sign(key, userClaims, { typ }))).allow).toBe(true);
  });

  test.each([
    ['an ID token (typ JWT, nonce)', { typ: 'JWT' }, { nonce: 'n-1' }],
    ['a token typed JWT', { typ: 'JWT' }, {}],
    ['a back-channel logout token', { typ: 'logout+jwt' }, { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }],
    ['a security event token', { typ: 'secevent+jwt' }, { events: {} }],
    ['an untyped token', { typ: null }, {}],
  ])('%s from the trusted issuer is refused: token_type', async (_name, options, extra) => {
    const body = await decide(strict, await issuer.sign(key, { ...userClaims, ...extra }, options));
    expect(body).toMatchObject({ allow: false, reasons: [{ policy: '$token', rule: 'token_type', code: 'token_type' }] });
  });
});

describe('PDP_JWT_TYP empty: no typ check, other kinds of token still refused', () => {
  test('an untyped or JWT-typed access token is accepted', async () => {
    expect((await decide(lax, await issuer.sign(key, userClaims, { typ: null }))).allow).toBe(true);
    expect((await decide(lax, await issuer.sign(key, userClaims, { typ: 'JWT' }))).allow).toBe(true);
  });

  test.each([
    ['an ID token (nonce)', { typ: 'JWT' }, { nonce: 'n-1' }],
    ['a logout token (events, untyped)', { typ: null }, { events: {} }],
    ['typ logout+jwt', { typ: 'logout+jwt' }, {}],
    ['typ application/secevent+jwt', { typ: 'application/secevent+jwt' }, {}],
    ['typ id_token+jwt', { typ: 'id_token+jwt' }, {}],
  ])('%s is refused: token_type', async (_name, options, extra) => {
    const body = await decide(lax, await issuer.sign(key, { ...userClaims, ...extra }, options));
    expect(body).toMatchObject({ allow: false, reasons: [{ code: 'token_type' }] });
  });
});
