/**
 * Token mode against a hostile caller: header tricks (embedded jwk, jku, crit, a kid that points
 * elsewhere), claims of the wrong shape, a groups path through `__proto__`, tokens that expire
 * while cached, a flood of unknown kids. Every failure is a 200 deny with a reason code, never an
 * error, and no token reaches the log even at debug level.
 */
import { createSign, KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';
import { makeKey, startIssuer, type SigningKey, type TestIssuer } from './token-helpers.js';

let issuer: TestIssuer;
let k1: SigningKey;
let pdp: TestPdp;
const tokensSent: string[] = [];

const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await startIssuer();
  k1 = await makeKey('k1');
  issuer.published = [k1];
  pdp = await startTestPdp({
    logLevel: 'debug',
    groupsClaim: 'realm.groups',
    jwt: { issuer: issuer.issuer, audience: [issuer.audience, 'http://second-api'], jwksUrl: issuer.jwksUrl, clockToleranceSec: 0, jwksCooldownSec: 30 },
  });
});
afterAll(async () => {
  await pdp.stop();
  await issuer.close();
});

async function decide(token: string): Promise<{ allow: boolean; code: string | undefined }> {
  tokensSent.push(token);
  const res = await post(pdp.url, '/v1/decide', { token, resource: { type: 'chat' }, action: 'read' });
  expect(res.status).toBe(200);
  return { allow: res.body.allow, code: res.body.reasons[0]?.code };
}

/** Signs any header and payload with k1, bypassing jose's own checks on what it signs. */
function rawSign(header: Record<string, unknown>, payload: Record<string, unknown> | string): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url');
  const sig = createSign('RSA-SHA256').update(`${h}.${p}`).sign(KeyObject.from(k1.privateKey));
  return `${h}.${p}.${sig.toString('base64url')}`;
}

const base = (): Record<string, unknown> => ({ iss: issuer.issuer, aud: issuer.audience, exp: now() + 600, sub: 'alice', realm: { groups: ['oracle-ai-users'] } });
const header = { alg: 'RS256', kid: 'k1', typ: 'at+jwt' };

describe('token headers', () => {
  test('control: a well-formed token signed by k1 allows', async () => {
    expect(await decide(rawSign(header, base()))).toEqual({ allow: true, code: undefined });
  });

  test('a key embedded in the header (jwk) or fetched from the header (jku, x5u) is never trusted', async () => {
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    for (const extra of [{ jwk }, { jku: 'http://127.0.0.1:9/evil-jwks', kid: 'k1' }, { x5u: 'http://127.0.0.1:9/cert', kid: 'k1' }]) {
      const forged = await new SignJWT({ sub: 'alice', realm: { groups: ['oracle-ai-users'] } })
        .setProtectedHeader({ alg: 'RS256', ...extra })
        .setIssuer(issuer.issuer)
        .setAudience(issuer.audience)
        .setExpirationTime('10m')
        .sign(attacker.privateKey);
      const d = await decide(forged);
      expect(d.allow, Object.keys(extra).join()).toBe(false);
      expect(['token_signature', 'token_unknown_key']).toContain(d.code);
    }
  });

  test('an unknown critical header is refused; a kid that names a path is just an unknown key', async () => {
    expect(await decide(rawSign({ ...header, crit: ['exp-policy'], 'exp-policy': 1 }, base()))).toEqual({ allow: false, code: 'token_invalid' });
    expect(await decide(rawSign({ alg: 'RS256', kid: '../../../etc/passwd' }, base()))).toEqual({ allow: false, code: 'token_unknown_key' });
  });

  test('a flood of unknown kids costs no request to the JWKS endpoint inside the cooldown', async () => {
    const before = issuer.jwksRequests;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => decide(rawSign({ alg: 'RS256', kid: `forged-${i}` }, base()))));
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(['token_unknown_key']));
    expect(issuer.jwksRequests - before).toBeLessThanOrEqual(1);
  });
});

describe('claims of the wrong shape', () => {
  test.each([
    ['exp a string', { exp: 'tomorrow' }, 'token_invalid'],
    ['nbf in the future (no tolerance configured)', { nbf: now() + 30 }, 'token_not_yet_valid'],
    ['expired a second ago (no tolerance configured)', { exp: now() - 1 }, 'token_expired'],
    ['iss with a trailing slash', { iss: 'TRAILING' }, 'token_issuer'],
    ['aud an array without ours', { aud: ['http://other', 'http://third'] }, 'token_audience'],
    ['sub a number', { sub: 42 }, 'token_missing_subject'],
    ['sub an empty string', { sub: '' }, 'token_missing_subject'],
    ['sub missing', { sub: undefined }, 'token_missing_subject'],
  ] as const)('%s → deny %s', async (_name, patch, code) => {
    const claims = { ...base(), ...patch } as Record<string, unknown>;
    if (claims.iss === 'TRAILING') claims.iss = `${issuer.issuer}/`;
    expect(await decide(rawSign(header, claims))).toEqual({ allow: false, code });
  });

  test('aud may be an array holding one of the configured audiences; any configured audience works', async () => {
    expect((await decide(rawSign(header, { ...base(), aud: ['http://other', issuer.audience] }))).allow).toBe(true);
    expect((await decide(rawSign(header, { ...base(), aud: 'http://second-api' }))).allow).toBe(true);
  });

  test('groups from the configured dot path only when it is an array of strings (or one string), else the token is refused; never through __proto__', async () => {
    const groupsOf = async (realm: unknown): Promise<boolean> => (await decide(rawSign(header, { ...base(), realm }))).allow;
    expect(await groupsOf({ groups: 'oracle-ai-users' })).toBe(true);
    expect(await groupsOf({ groups: [['oracle-ai-users']] })).toBe(false);
    expect(await groupsOf({ groups: { 0: 'oracle-ai-users', length: 1 } })).toBe(false);
    // A malformed claim refuses the token rather than dropping entries a deny rule might name.
    expect(await groupsOf({ groups: [7, null, 'oracle-ai-users'] })).toBe(false);
    expect(await decide(rawSign(header, { ...base(), realm: { groups: ['oracle-ai-users', 7] } }))).toEqual({ allow: false, code: 'token_groups' });
    expect(await groupsOf('oracle-ai-users')).toBe(false);
    // An own `__proto__` key (JSON.parse makes one) on the way to the groups is not followed into.
    const text = `{"iss":${JSON.stringify(issuer.issuer)},"aud":${JSON.stringify(issuer.audience)},"exp":${now() + 600},"sub":"alice","__proto__":{"realm":{"groups":["oracle-ai-users"]}}}`;
    expect(await decide(rawSign(header, text))).toEqual({ allow: false, code: 'default_deny' });
  });

  test('a 16 KiB string that is no JWT is token_invalid', async () => {
    expect(await decide(`${'a'.repeat(12_000)}.${'b'.repeat(4000)}.c`)).toEqual({ allow: false, code: 'token_invalid' });
  });
});

describe('the verified-token cache', () => {
  test('a token that expires while cached is not served after exp', async () => {
    const token = rawSign(header, { ...base(), exp: now() + 2 });
    expect((await decide(token)).allow).toBe(true);
    expect((await decide(token)).allow).toBe(true); // from the cache
    await new Promise((r) => setTimeout(r, 2100));
    expect(await decide(token)).toEqual({ allow: false, code: 'token_expired' });
  });

  test('two tokens for different subjects never share an entry', async () => {
    const a = rawSign(header, { ...base(), sub: 'alice' });
    const b = rawSign(header, { ...base(), sub: 'bob', realm: { groups: [] } });
    for (let i = 0; i < 3; i++) {
      expect((await decide(a)).allow).toBe(true);
      expect((await decide(b)).allow).toBe(false);
    }
  });
});

describe('the log', () => {
  test('no token, and no token signature, appears in any log line (debug level)', () => {
    const all = pdp.log.raw.join('');
    expect(pdp.log.lines.some((l) => l.msg === 'token refused')).toBe(true);
    for (const t of tokensSent) {
      expect(all).not.toContain(t);
      const sig = t.split('.')[2];
      if (sig !== undefined && sig.length > 16) expect(all).not.toContain(sig);
    }
  });
});
