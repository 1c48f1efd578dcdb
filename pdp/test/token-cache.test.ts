/** The verified-token cache: keyed by a hash of the token, never serving a token past its exp. */
import { describe, expect, test } from 'vitest';
import { createLocalJWKSet } from 'jose';
import { createTokenVerifier, groupsFromClaims } from '../src/token/verifier.js';
import { makeKey } from './token-helpers.js';
import { SignJWT } from 'jose';

const ISS = 'https://idp.example';
const AUD = 'api';

async function setup() {
  const key = await makeKey('k1');
  let clock = Date.UTC(2030, 0, 1);
  const verifier = createTokenVerifier({
    jwt: { issuer: ISS, audience: [AUD], jwksUrl: undefined, algorithms: ['RS256'], clockToleranceSec: 5, jwksCooldownSec: 30, jwksTimeoutMs: 1000, typ: 'at+jwt' },
    groupsClaim: 'groups',
    cacheMax: 100,
    cacheMaxTtlSec: 300,
    now: () => clock,
    keys: createLocalJWKSet({ keys: [key.publicJwk] }),
  });
  const sign = (expInSec: number) =>
    new SignJWT({ sub: 'alice', groups: ['g1', 'g2'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt(Math.floor(clock / 1000))
      .setExpirationTime(Math.floor(clock / 1000) + expInSec)
      .sign(key.privateKey);
  return { verifier, sign, advance: (ms: number) => (clock += ms) };
}

describe('verified-token cache', () => {
  test('a verified token is served from the cache, frozen, with its groups', async () => {
    const { verifier, sign } = await setup();
    const token = await sign(60);
    expect(verifier.cached(token)).toBeUndefined();
    const r = await verifier.verify(token);
    expect(r.ok).toBe(true);
    const hit = verifier.cached(token);
    expect(hit).toMatchObject({ id: 'alice', groups: ['g1', 'g2'] });
    expect(Object.isFrozen(hit)).toBe(true);
    expect(Object.isFrozen(hit?.claims)).toBe(true);
  });

  test('never past exp: the cached entry is gone the moment the token expires', async () => {
    const { verifier, sign, advance } = await setup();
    const token = await sign(60);
    await verifier.verify(token);
    advance(59_000);
    expect(verifier.cached(token)).toBeDefined();
    advance(1_000);
    expect(verifier.cached(token)).toBeUndefined();
    // And a full verification after exp + tolerance refuses it.
    advance(6_000);
    expect(await verifier.verify(token)).toMatchObject({ ok: false, code: 'token_expired' });
  });

  test('a token that differs by one character is not a hit', async () => {
    const { verifier, sign } = await setup();
    const token = await sign(60);
    await verifier.verify(token);
    expect(verifier.cached(`${token}x`)).toBeUndefined();
  });

  test('groups from a dot path, a single string, or nothing', () => {
    expect(groupsFromClaims({ realm_access: { roles: ['a', 'b'] } }, 'realm_access.roles')).toEqual(['a', 'b']);
    expect(groupsFromClaims({ groups: 'solo' }, 'groups')).toEqual(['solo']);
    expect(groupsFromClaims({ groups: { a: 1 } }, 'groups')).toBeUndefined();
    expect(groupsFromClaims({ groups: ['ok', 7] }, 'groups')).toBeUndefined();
    expect(groupsFromClaims({ groups: null }, 'groups')).toBeUndefined();
    expect(groupsFromClaims({}, 'a.b.c')).toEqual([]);
    // Inherited properties are not claims.
    expect(groupsFromClaims({ a: {} }, 'a.toString')).toEqual([]);
    // A prototype segment is refused at start; should one reach here, the token is refused.
    expect(groupsFromClaims({}, 'constructor.name')).toBeUndefined();
  });
});
