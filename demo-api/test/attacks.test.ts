import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK, type JWTPayload } from 'jose';
import { generateJwks, startIdp, type PrivateJwks } from 'demo-idp';
import { codeFor, redeemCode } from 'demo-idp/testing';

import { newTransaction, openTransaction, sealTransaction, type Transaction } from '../src/index.js';
import { capture } from './support/log.js';
import { AUDIENCE, CLIENT_ID, REDIRECT, WEB_ORIGIN, authenticate, beginLogin, get, postToken, signIn, startStack, type Stack } from './support/stack.js';

let stack: Stack;
let jwks: PrivateJwks;
let aliceToken: string;

beforeAll(async () => {
  jwks = await generateJwks();
  stack = await startStack({}, { jwks });
  aliceToken = await signIn(stack.api, 'alice');
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

async function reseal(cookie: string, change: Partial<Transaction>): Promise<string> {
  const txn = await openTransaction(cookie, stack.txnKey, stack.idp.issuer);
  return sealTransaction({ ...txn, jti: randomBytes(16).toString('base64url'), ...change }, stack.txnKey);
}

async function expectProblem(response: Response, status: number, code: string, secrets: string[] = []): Promise<Record<string, unknown>> {
  const text = await response.text();
  expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status, type: 'application/problem+json' });
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `urn:demo-api:problem:${code}` });
  expect(text).not.toContain('access_token');
  for (const secret of secrets) expect(text).not.toContain(secret);
  return body;
}

describe('POST /api/token refuses', () => {
  it('a wrong state (and the code is not redeemed)', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    await expectProblem(await postToken(stack.api, { code, state: 'not-the-state' }, txnCookie), 400, 'state_mismatch', [code]);
    // Nothing was spent: the rightful callback still completes.
    expect((await postToken(stack.api, { code, state }, txnCookie)).status).toBe(200);
  });

  it('a missing transaction cookie', async () => {
    const { authorizeUrl } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    await expectProblem(await postToken(stack.api, { code, state }, undefined), 400, 'txn_missing', [code]);
  });

  it('an expired transaction cookie', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const now = Math.floor(Date.now() / 1000);
    const expired = await reseal(txnCookie, { created: now - 700, expires: now - 100 });
    await expectProblem(await postToken(stack.api, { code, state }, expired), 400, 'txn_expired');
  });

  it('a transaction cookie sealed with another key, or garbage', async () => {
    const otherKey = new Uint8Array(randomBytes(32));
    const forged = await sealTransaction(newTransaction(stack.idp.issuer, 600), otherKey);
    await expectProblem(await postToken(stack.api, { code: 'x', state: 'y' }, forged), 400, 'txn_invalid');
    await expectProblem(await postToken(stack.api, { code: 'x', state: 'y' }, 'not.a.jwe.at.all'), 400, 'txn_invalid');
  });

  it('a replayed transaction (same cookie, code and state again)', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const first = await postToken(stack.api, { code, state }, txnCookie);
    expect(first.status).toBe(200);
    expect(first.headers.getSetCookie().join()).toMatch(/demo_api_txn=; Path=\/api;.*Max-Age=0/);
    await expectProblem(await postToken(stack.api, { code, state }, txnCookie), 400, 'txn_replayed', [code]);
  });

  it('a replayed code, even in a fresh transaction: the IdP redeems a code once', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    expect((await postToken(stack.api, { code, state }, txnCookie)).status).toBe(200);
    const fresh = await reseal(txnCookie, {});
    const body = await expectProblem(await postToken(stack.api, { code, state }, fresh), 400, 'code_rejected', [code]);
    expect(body.idp_error).toBe('invalid_grant');
  });

  it('a nonce mismatch (the ID token belongs to another sign-in)', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const otherNonce = await reseal(txnCookie, { nonce: 'some-other-nonce' });
    await expectProblem(await postToken(stack.api, { code, state }, otherNonce), 400, 'nonce_mismatch', [code]);
  });

  it('a PKCE verifier that does not match the challenge', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const otherVerifier = await reseal(txnCookie, { verifier: randomBytes(32).toString('base64url') });
    const body = await expectProblem(await postToken(stack.api, { code, state }, otherVerifier), 400, 'code_rejected', [code]);
    expect(body.idp_error).toBe('invalid_grant');
  });

  it('an authorization response from another issuer (RFC 9207 iss)', async () => {
    const { authorizeUrl, txnCookie } = await beginLogin(stack.api);
    const { code, state, iss } = await authenticate(authorizeUrl, 'alice');
    expect(iss).toBe(stack.idp.issuer);
    await expectProblem(await postToken(stack.api, { code, state, iss: 'http://evil.example' }, txnCookie), 400, 'iss_mismatch');
  });

  it('two transaction cookies (one planted by whoever can set cookies for this host): refused, both cleared, no code redeemed', async () => {
    // The attacker starts a sign-in of their own and stops at the callback...
    const attacker = await beginLogin(stack.api);
    const { code, state } = await authenticate(attacker.authorizeUrl, 'carol');
    // ...then plants their transaction cookie for a narrower path, which the browser sends first.
    const victim = await beginLogin(stack.api);
    const response = await fetch(`${stack.api.url}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `demo_api_txn=${attacker.txnCookie}; demo_api_txn=${victim.txnCookie}` },
      body: JSON.stringify({ code, state }),
    });
    const cleared = response.headers.getSetCookie();
    await expectProblem(response, 400, 'txn_ambiguous', [code]);
    for (const path of ['/api', '/api/token', '/']) {
      expect(cleared).toContainEqual(expect.stringMatching(new RegExp(`^demo_api_txn=; Path=${path.replace(/\//g, '\\/')}; .*Max-Age=0`)));
    }
    // Nothing was exchanged: the attacker's code is still good for the attacker's own transaction.
    expect((await postToken(stack.api, { code, state }, attacker.txnCookie)).status).toBe(200);
  });

  it('with COOKIE_SECURE the cookie is __Host-demo_api_txn (Path=/, Secure, no Domain); a plain demo_api_txn is not read', async () => {
    const api = await stack.startApi({ cookieSecure: true });
    const started = await fetch(`${api.url}/api/authorize`);
    const [setCookie = ''] = started.headers.getSetCookie();
    const attributes = setCookie.split('; ');
    expect(attributes[0]).toMatch(/^__Host-demo_api_txn=[A-Za-z0-9._~-]+$/);
    expect(attributes.slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=600', 'Path=/', 'SameSite=Lax', 'Secure']);
    const sealed = attributes[0]!.slice('__Host-demo_api_txn='.length);
    const { authorize_url: authorizeUrl } = (await started.json()) as { authorize_url: string };
    const { code, state } = await authenticate(authorizeUrl, 'alice');
    const post = (cookie: string): Promise<Response> =>
      fetch(`${api.url}/api/token`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ code, state }) });
    // A cookie without the prefix can be planted from a sibling host or plain http: it is not the transaction.
    await expectProblem(await post(`demo_api_txn=${sealed}`), 400, 'txn_missing', [code]);
    const done = await post(`__Host-demo_api_txn=${sealed}`);
    expect(done.status).toBe(200);
    expect(done.headers.getSetCookie()).toEqual([expect.stringMatching(/^__Host-demo_api_txn=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0; .*Secure$/)]);
  });

  it.each([
    ['no body fields', {}, '/code'],
    ['a code that is not a string', { code: 1, state: 's' }, '/code'],
    ['an extra field', { code: 'c', state: 's', admin: true }, '/admin'],
  ])('a malformed body: %s', async (_name, body, pointer) => {
    const problem = await expectProblem(await postToken(stack.api, body, undefined), 400, 'invalid_request');
    expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer })]));
  });
});

type SigningKey = Parameters<SignJWT['sign']>[0];

describe('the JWT middleware refuses', () => {
  const realKey = async (): Promise<{ key: SigningKey; kid: string }> => {
    const jwk = jwks.keys[0]!;
    return { key: (await importJWK(jwk, 'RS256')) as SigningKey, kid: String(jwk.kid) };
  };

  async function forge(payload: JWTPayload, opts: { typ?: string; key?: SigningKey; kid?: string; alg?: string } = {}): Promise<string> {
    const real = await realKey();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sub: 'carol', preferred_username: 'carol', groups: ['oracle-ai-admins'], client_id: CLIENT_ID, ...payload })
      .setProtectedHeader({ alg: opts.alg ?? 'RS256', typ: opts.typ ?? 'at+jwt', kid: opts.kid ?? real.kid })
      .setIssuer(typeof payload.iss === 'string' ? payload.iss : stack.idp.issuer)
      .setAudience((payload.aud as string | undefined) ?? AUDIENCE)
      .setIssuedAt(typeof payload.iat === 'number' ? payload.iat : now)
      .setExpirationTime(typeof payload.exp === 'number' ? payload.exp : now + 300)
      .sign(opts.key ?? real.key);
  }

  async function expect401(token: string | undefined, code = 'token_invalid'): Promise<void> {
    const response = await fetch(`${stack.api.url}/api/admin/policies`, { headers: token === undefined ? {} : { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` } });
    const body = await expectProblem(response, 401, code, token ? [token] : []);
    const challenge = String(response.headers.get('www-authenticate'));
    expect(challenge).toBe('Bearer realm="demo-api", error="invalid_token"');
    expect(JSON.stringify(body)).not.toMatch(/ERR_|signature|kid/);
  }

  it('a forged token signed with the real key works (the forging below is sound)', async () => {
    expect((await get(stack.api, '/api/admin/policies', await forge({}))).status).toBe(200);
  });

  it('no way around the gate by spelling the path differently', async () => {
    for (const path of ['/API/admin/policies', '/Api/chat', '//api/admin/policies', '/api/admin/policies/', '/api/./admin/policies', '/api/%61dmin/policies']) {
      const { status } = await get(stack.api, path);
      expect({ path, status }).toEqual({ path, status: expect.toSatisfy((s: number) => s === 401 || s === 404) });
    }
  });

  it('no token, or another scheme', async () => {
    await expect401(undefined, 'token_missing');
    await expect401(`Basic ${Buffer.from('a:b').toString('base64')}`);
    await expect401('not a jwt');
  });

  it('an ID token used as an access token', async () => {
    const { code, verifier } = await codeFor(stack.idpClient, 'carol');
    const { body } = await redeemCode(stack.idpClient, code, verifier);
    const { id_token: idToken, access_token: accessToken } = body as { id_token: string; access_token: string };
    expect(decodeJwt(idToken).aud).toBe(CLIENT_ID);
    expect((await get(stack.api, '/api/admin/policies', accessToken)).status).toBe(200);
    await expect401(idToken);
    // Even with the right audience, a token whose typ is not at+jwt is refused.
    await expect401(await forge({}, { typ: 'JWT' }));
  });

  it('with the typ check off (JWT_TYP=): an ID token, a logout token or a security event token is still no access token', async () => {
    const { logger, lines } = capture();
    // The Keycloak recipe at its worst: no typ check, and the API audience is the client id.
    const lax = await stack.startApi({ jwtTyp: '', apiAudience: CLIENT_ID }, logger);
    expect(lines.some((line) => line.includes('"level":40') && line.includes('API_AUDIENCE equals OIDC_CLIENT_ID'))).toBe(true);
    const { code, verifier } = await codeFor(stack.idpClient, 'carol');
    const { id_token: idToken } = (await redeemCode(stack.idpClient, code, verifier)).body as { id_token: string };
    expect(decodeJwt(idToken)).toMatchObject({ aud: CLIENT_ID, nonce: expect.any(String) });
    expect((await get(lax, '/api/admin/policies', idToken)).status).toBe(401);

    const noTyp = await stack.startApi({ jwtTyp: '' });
    const status = async (token: string): Promise<number> => (await get(noTyp, '/api/admin/policies', token)).status;
    // The forging is sound: a plain JWT that looks like an access token passes without the typ check.
    expect(await status(await forge({}, { typ: 'JWT' }))).toBe(200);
    expect(await status(await forge({ nonce: 'n-1' }, { typ: 'JWT' }))).toBe(401);
    expect(await status(await forge({ nonce: null } as unknown as JWTPayload, { typ: 'JWT' }))).toBe(401);
    expect(await status(await forge({ events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, { typ: 'JWT' }))).toBe(401);
    for (const typ of ['logout+jwt', 'secevent+jwt', 'id_token+jwt', 'application/logout+jwt', 'Logout+JWT']) {
      expect({ typ, status: await status(await forge({}, { typ })) }).toEqual({ typ, status: 401 });
    }
  });

  it('a token from another issuer', async () => {
    const other = await startIdp({ port: 0, clientSecret: stack.clientSecret, redirectUris: [REDIRECT], apiAudience: AUDIENCE, logLevel: 'silent', jwks });
    try {
      await expect401(await forge({ iss: other.issuer }));
    } finally {
      await other.close();
    }
  });

  it('a token signed by another key, under the real kid or an unknown one', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expect401(await forge({}, { key: privateKey }));
    await expect401(await forge({}, { key: privateKey, kid: 'unknown-kid' }));
  });

  it('alg none', async () => {
    const real = await forge({});
    const [, payload] = real.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: decodeProtectedHeader(real).kid })).toString('base64url');
    await expect401(`${header}.${payload}.`);
    await expect401(`${header}.${payload}`);
  });

  it('HS256 signed with the public key as secret (algorithm confusion)', async () => {
    const publicJwk = (await (await fetch(`${stack.idp.issuer}/jwks`)).json()) as { keys: Array<Record<string, string>> };
    const secret = createSecretKey(Buffer.from(JSON.stringify(publicJwk.keys[0])));
    await expect401(await forge({}, { alg: 'HS256', key: secret }));
  });

  it('an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect401(await forge({ iat: now - 1000, exp: now - 60 }), 'token_expired');
  });

  it('a token for another audience', async () => {
    await expect401(await forge({ aud: 'http://other.example/api' }));
  });

  it('a token without sub, or with a malformed groups claim', async () => {
    await expect401(await forge({ sub: undefined as unknown as string }));
    await expect401(await forge({ groups: 42 as unknown as string[] }));
    await expect401(await forge({ groups: { admin: true } as unknown as string[] }));
    await expect401(await forge({ groups: ['oracle-ai-admins', 7] as unknown as string[] }));
  });

  it('a groups claim that is one string is that one group, as in the PDP', async () => {
    const response = await get(stack.api, '/api/me', await forge({ groups: 'oracle-ai-admins' as unknown as string[] }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ user: { groups: ['oracle-ai-admins'] }, permissions: { admin: true } });
  });

  it('a tampered payload', async () => {
    const [h, , s] = aliceToken.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(aliceToken), groups: ['oracle-ai-admins'] })).toString('base64url');
    await expect401(`${h}.${payload}.${s}`);
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin without a token, before authentication', async () => {
    const response = await fetch(`${stack.api.url}/api/admin/policies`, {
      method: 'OPTIONS',
      headers: { origin: WEB_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('refuses a preflight from another origin, without CORS headers', async () => {
    const response = await fetch(`${stack.api.url}/api/me`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('marks real responses (401 included) for the allowed origin only', async () => {
    const allowed = await get(stack.api, '/api/me', undefined, { origin: WEB_ORIGIN });
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(WEB_ORIGIN);
    const other = await get(stack.api, '/api/me', aliceToken, { origin: 'http://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
