// The IdP's JWKS endpoint down, as seen by demo-api (real processes on 127.0.0.1; demo-api's
// OIDC_JWKS_URI goes through a proxy the test takes down). Keys already fetched keep verifying;
// a token whose `kid` is unknown is refused, never with a 500: while the JWKS cannot be read it
// is a 502 idp_unavailable saying the keys cannot be fetched (demo-api cannot tell a new key from
// a forged one, and an outage must not look like the user's fault); with the JWKS back, a 401
// whose reason (no matching key) demo-api logs rather than tells the caller. A key the
// IdP starts signing with while its JWKS cannot be read is accepted once the JWKS is back.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { call, signIn, stackConfig, startService, stopAll, tcpProxy, type TcpProxy } from './support.js';

// demo-api refetches the JWKS for an unknown kid at most this often.
const COOLDOWN_MS = 1_000;

let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await stopAll();
});

/** An access token signed by a key the IdP never had, under a kid nobody knows. */
function forgedToken(issuer: string, audience: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: 'RS256', typ: 'at+jwt', kid: 'unknown-kid' })}.${part({ iss: issuer, aud: audience, sub: 'mallory', iat: now, exp: now + 300, scope: 'api' })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

describe("the IdP's JWKS endpoint down", () => {
  it('cached keys keep verifying, an unknown kid is a 502 (JWKS down) or 401 problem naming why, and recovery when it returns', async () => {
    const stack = await stackConfig();
    const idpDef = stack.service('idp');
    const apiDef = stack.service('api');
    proxy = await tcpProxy({ backends: [stack.ports.IDP_PORT] });
    await startService(stack.service('pdp'), { PDP_DECISION_LOG: 'off' });
    let idp = await startService(idpDef);
    const api = await startService(apiDef, { OIDC_JWKS_URI: `${stack.internal(proxy.port)}/jwks`, JWKS_COOLDOWN_MS: String(COOLDOWN_MS) });
    const alice = await signIn(stack, 'alice');
    expect((await call(stack, '/api/chat', alice)).status).toBe(200);

    await proxy.down();
    const cached = await Promise.all(Array.from({ length: 20 }, () => call(stack, '/api/chat', alice)));
    const forged = forgedToken(stack.issuer, apiDef.env.API_AUDIENCE!);
    // Within the cooldown, and after it (when demo-api tries the unreachable JWKS again).
    const unknownKid = [await call(stack, '/api/chat', forged)];
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    unknownKid.push(await call(stack, '/api/chat', forged));

    // The IdP restarts with a new signing key while its JWKS still cannot be read.
    await idp.stop('SIGTERM');
    idp = await startService(idpDef);
    const whileDown = await signIn(stack, 'bob').then(
      () => 'signed in',
      (err: Error) => err.message,
    );
    await proxy.up();
    const upAt = performance.now();
    let bob = '';
    let attempts = 0;
    while (bob === '' && performance.now() - upAt < 10_000) {
      attempts += 1;
      bob = await signIn(stack, 'bob').catch(() => '');
    }
    const recoveredMs = Math.round(performance.now() - upAt);
    const me = bob === '' ? undefined : await call(stack, '/api/me', bob);
    // With the JWKS readable, the unknown kid is the token's fault: a 401.
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const unknownKidUp = await call(stack, '/api/chat', forged);

    console.log(
      `JWKS down: ${cached.filter((c) => c.status === 200).length}/${cached.length} requests with a cached key answered 200; ` +
        `unknown kid: ${unknownKid.map((u) => `${u.status} ${u.code} (${u.detail})`).join(' then ')}; ` +
        `sign-in with a new key while down: ${whileDown}; after the JWKS came back, sign-in worked after ${recoveredMs} ms (${attempts} attempts), /api/me ${me?.status}; ` +
        `unknown kid with the JWKS back: ${unknownKidUp.status} ${unknownKidUp.code} (${unknownKidUp.detail})`,
    );
    expect(cached.every((c) => c.status === 200)).toBe(true);
    // Within the cooldown jose does not refetch: the kid is simply not in the set (a 401); past
    // it, the refetch fails (a 502 saying the keys cannot be fetched).
    for (const u of unknownKid) {
      if (u.status === 401) expect(u.code).toBe('token_invalid');
      else expect(u).toMatchObject({ status: 502, code: 'idp_unavailable', detail: expect.stringMatching(/signing keys/) });
    }
    expect(unknownKid.at(-1)?.status, 'past the cooldown, demo-api tried the JWKS again').toBe(502);
    expect(whileDown).not.toBe('signed in');
    expect(whileDown).not.toMatch(/: 500 /);
    expect(me?.status).toBe(200);
    expect(recoveredMs).toBeLessThan(COOLDOWN_MS + 3_000);
    expect(unknownKidUp).toMatchObject({ status: 401, code: 'token_invalid' });
    // The answer says only "not valid" (nothing for a forger to learn); demo-api's log says why.
    expect(api.output()).toMatch(/"status":401[^\n]*"authFailure":"ERR_JWKS_NO_MATCHING_KEY"/);
  }, 120_000);
});
