/**
 * Token mode over real HTTP: the PDP verifies caller-supplied JWTs against a real JWKS endpoint
 * on loopback. A refused token is a 200 deny naming why, never an error.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UnsecuredJWT, SignJWT, exportSPKI } from 'jose';
import { get, post, startTestPdp, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer, type SigningKey, type TestIssuer } from './token-helpers.js';

let issuer: TestIssuer;
let k1: SigningKey;
let pdp: TestPdp;

const now = (): number => Math.floor(Date.now() / 1000);
const chatRead = (token: string) => ({ token, resource: { type: 'chat' }, action: 'read' });
const userClaims = { sub: 'alice', groups: ['oracle-ai-users'] };

beforeAll(async () => {
  issuer = await startIssuer();
  k1 = await makeKey('k1');
  issuer.published = [k1, await makeKey('k-es', 'ES256'), await makeKey('k-ed', 'EdDSA')];
  // Discovery (no jwksUrl) and a 1 s refetch cooldown, so rotation is testable quickly.
  pdp = await startTestPdp({ logLevel: 'debug', jwt: { issuer: issuer.issuer, audience: issuer.audience, jwksCooldownSec: 1 } });
});
afterAll(async () => {
  await pdp.stop();
  await issuer.close();
});

async function decide(token: string) {
  const res = await post(pdp.url, '/v1/decide', chatRead(token));
  expect(res.status).toBe(200);
  return res.body;
}

async function expectRefused(token: string, code: string): Promise<void> {
  const body = await decide(token);
  expect(body).toMatchObject({ allow: false, effect: 'deny', reasons: [{ policy: '$token', rule: code, effect: 'deny', code }] });
  expect(typeof body.reasons[0].message).toBe('string');
}

describe('token mode', () => {
  test('a valid token: subject from the verified claims (sub, groups), found through discovery', async () => {
    const body = await decide(await issuer.sign(k1, userClaims));
    expect(body).toMatchObject({ allow: true, reasons: [{ policy: 'chat', rule: 'members-may-chat' }] });
    expect(issuer.discoveryRequests).toBe(1);
    expect(issuer.jwksRequests).toBe(1);
  });

  test('ES256 and EdDSA tokens are in the default allow-list', async () => {
    for (const k of issuer.published.slice(1)) {
      expect((await decide(await issuer.sign(k, userClaims))).allow, k.alg).toBe(true);
    }
  });

  test('claims feed conditions: a suspended account is denied by rule', async () => {
    const body = await decide(await issuer.sign(k1, { ...userClaims, account_status: 'suspended' }));
    expect(body).toMatchObject({ allow: false, reasons: [{ policy: 'chat', rule: 'no-suspended' }] });
  });

  test('expired token is refused: token_expired', async () => {
    await expectRefused(await issuer.sign(k1, userClaims, { exp: now() - 60 }), 'token_expired');
  });

  test('expired by less than the clock tolerance (5 s) still passes', async () => {
    expect((await decide(await issuer.sign(k1, userClaims, { exp: now() - 2 }))).allow).toBe(true);
  });

  test('not yet valid token is refused: token_not_yet_valid', async () => {
    await expectRefused(await issuer.sign(k1, userClaims, { nbf: now() + 120 }), 'token_not_yet_valid');
  });

  test('wrong issuer is refused: token_issuer', async () => {
    await expectRefused(await issuer.sign(k1, userClaims, { iss: 'https://evil.example' }), 'token_issuer');
  });

  test('wrong audience is refused: token_audience', async () => {
    await expectRefused(await issuer.sign(k1, userClaims, { aud: 'http://other-api' }), 'token_audience');
  });

  test('alg none is refused: token_algorithm', async () => {
    const unsigned = new UnsecuredJWT(userClaims).setIssuer(issuer.issuer).setAudience(issuer.audience).setExpirationTime('10m').encode();
    await expectRefused(unsigned, 'token_algorithm');
  });

  test('HS256 signed with the RSA public key is refused: token_algorithm', async () => {
    const pem = await exportSPKI(k1.publicKey);
    const forged = await new SignJWT(userClaims)
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(pem));
    await expectRefused(forged, 'token_algorithm');
  });

  test('tampered payload is refused: token_signature', async () => {
    const [h, , s] = (await issuer.sign(k1, { sub: 'bob', groups: [] })).split('.');
    const payload = Buffer.from(JSON.stringify({ ...userClaims, groups: ['oracle-ai-admins'], iss: issuer.issuer, aud: issuer.audience, exp: now() + 600 })).toString('base64url');
    await expectRefused(`${h}.${payload}.${s}`, 'token_signature');
  });

  test('token without sub is refused: token_missing_subject', async () => {
    await expectRefused(await issuer.sign(k1, { groups: ['oracle-ai-users'] }), 'token_missing_subject');
  });

  test('token with a non-string sub is refused: token_missing_subject', async () => {
    await expectRefused(await issuer.sign(k1, { sub: 42 as unknown as string, groups: [] }), 'token_missing_subject');
  });

  test('token without exp is refused: token_invalid', async () => {
    await expectRefused(await issuer.sign(k1, userClaims, { exp: null }), 'token_invalid');
  });

  test('garbage is refused: token_invalid', async () => {
    await expectRefused('not-a-jwt', 'token_invalid');
  });

  test('a cached token costs no signature check: cache hit counted, JWKS not asked again', async () => {
    const token = await issuer.sign(k1, { sub: 'cached-user', groups: ['oracle-ai-users'] });
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec((await get(pdp.url, '/metrics')).text)?.[1]);
    const hits0 = await metric('pdp_token_cache_hits_total');
    const misses0 = await metric('pdp_token_cache_misses_total');
    expect((await decide(token)).allow).toBe(true);
    expect((await decide(token)).allow).toBe(true);
    expect((await decide(token)).allow).toBe(true);
    expect(await metric('pdp_token_cache_misses_total')).toBe(misses0 + 1);
    expect(await metric('pdp_token_cache_hits_total')).toBe(hits0 + 2);
  });

  test('unknown kid: refused within the refetch cooldown, accepted after the JWKS rotates and the cooldown passes', async () => {
    const k2 = await makeKey('k2');
    // Let any earlier fetch's cooldown pass, then fetch once more (a cache miss with a known kid does not refetch).
    await new Promise((r) => setTimeout(r, 1100));
    const before = issuer.jwksRequests;
    await expectRefused(await issuer.sign(k2, userClaims), 'token_unknown_key'); // not published yet: refetch, still unknown
    expect(issuer.jwksRequests).toBe(before + 1);
    issuer.published = [...issuer.published, k2];
    const token = await issuer.sign(k2, { sub: 'rotated', groups: ['oracle-ai-users'] });
    await expectRefused(token, 'token_unknown_key'); // rate-limited: no refetch inside the cooldown
    expect(issuer.jwksRequests).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await decide(token)).allow).toBe(true);
    expect(issuer.jwksRequests).toBe(before + 2);
  });

  test('batch in token mode: one token, every item decided for its subject', async () => {
    const res = await post(pdp.url, '/v1/decide/batch', { token: await issuer.sign(k1, userClaims), items: [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'admin' }, action: 'read' }] });
    expect(res.body.results.map((r: { allow: boolean }) => r.allow)).toEqual([true, false]);
    const bad = await post(pdp.url, '/v1/decide/batch', { token: 'x.y.z', items: [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'admin' }, action: 'read' }] });
    expect(bad.body.results.map((r: { reasons: { code: string }[] }) => r.reasons[0]?.code)).toEqual(['token_invalid', 'token_invalid']);
  });

  test('no raw token ever reaches the log, and decision lines name the verified subject', async () => {
    const good = await issuer.sign(k1, { sub: 'log-check', groups: ['oracle-ai-users'] });
    const expired = await issuer.sign(k1, { sub: 'log-check-2' }, { exp: now() - 60 });
    const a = await decide(good);
    const b = await decide(expired);
    const all = pdp.log.raw.join('');
    for (const t of [good, expired]) {
      expect(all).not.toContain(t);
      expect(all).not.toContain(t.split('.')[2]);
    }
    expect(pdp.log.lines.find((l) => l.decisionId === a.decisionId)).toMatchObject({ subject: 'log-check', effect: 'allow' });
    expect(pdp.log.lines.find((l) => l.decisionId === b.decisionId)).toMatchObject({ effect: 'deny', tokenError: 'token_expired' });
    expect(pdp.log.lines.find((l) => l.decisionId === b.decisionId)?.subject).toBeUndefined();
  });
});

describe('token mode, key source failures and configuration', () => {
  test('JWKS endpoint down: deny with jwks_unavailable, never a 500', async () => {
    const other = await startTestPdp({ jwt: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: 'http://127.0.0.1:9/jwks', jwksTimeoutMs: 500 } });
    try {
      const res = await post(other.url, '/v1/decide', chatRead(await issuer.sign(k1, userClaims)));
      expect(res.status).toBe(200);
      expect(res.body.reasons[0].code).toBe('jwks_unavailable');
    } finally {
      await other.stop();
    }
  });

  test('a discovery document naming another issuer is not trusted: jwks_unavailable', async () => {
    const liar = await startIssuer();
    liar.published = [k1];
    liar.discoveryIssuer = 'https://someone-else.example';
    const other = await startTestPdp({ jwt: { issuer: liar.issuer, audience: liar.audience } });
    try {
      const res = await post(other.url, '/v1/decide', chatRead(await liar.sign(k1, userClaims)));
      expect(res.body.reasons[0].code).toBe('jwks_unavailable');
      expect(liar.jwksRequests).toBe(0);
    } finally {
      await other.stop();
      await liar.close();
    }
  });

  test('PDP_JWKS_URL skips discovery; PDP_GROUPS_CLAIM may be a dot path', async () => {
    const other = await startTestPdp({ groupsClaim: 'realm_access.groups', jwt: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl } });
    const discoveries = issuer.discoveryRequests;
    try {
      const res = await post(other.url, '/v1/decide', chatRead(await issuer.sign(k1, { sub: 'kc-user', realm_access: { groups: ['oracle-ai-users'] } })));
      expect(res.body.allow).toBe(true);
      expect(issuer.discoveryRequests).toBe(discoveries);
    } finally {
      await other.stop();
    }
  });

  test('an algorithm outside PDP_JWT_ALGORITHMS is refused even when the key is valid', async () => {
    const other = await startTestPdp({ jwt: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl, algorithms: ['ES256'] } });
    try {
      const res = await post(other.url, '/v1/decide', chatRead(await issuer.sign(k1, userClaims)));
      expect(res.body.reasons[0].code).toBe('token_algorithm');
    } finally {
      await other.stop();
    }
  });
});
