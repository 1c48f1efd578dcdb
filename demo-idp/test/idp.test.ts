import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';

import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';

import type { IdpHandle } from '../src/index.js';
import { CookieJar, jarFetch, loginThroughForm, LoginFlowError } from '../src/testing.js';
import { AUDIENCE, CLIENT_ID, POST_LOGOUT, REDIRECT, authorizeUrl, codeFor, openLoginForm, pkce, redeem, startTestIdp, type LoginForm } from './flow.js';

let idp: IdpHandle;

beforeAll(async () => {
  idp = await startTestIdp();
});
afterAll(async () => {
  await idp?.close();
});

function expectPageHeaders(response: Response): void {
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

async function jwks(): Promise<JSONWebKeySet> {
  return (await (await fetch(`${idp.issuer}/jwks`)).json()) as JSONWebKeySet;
}

describe('discovery and keys', () => {
  it('publishes a code-flow-only discovery document with S256 PKCE and end-session', async () => {
    const doc = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(idp.issuer);
    expect(doc.response_types_supported).toEqual(['code']);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
    expect(doc.jwks_uri).toBe(`${idp.issuer}/jwks`);
    expect(doc.claims_supported).toEqual(expect.arrayContaining(['groups', 'preferred_username']));
  });

  it('publishes public keys only', async () => {
    const { keys } = await jwks();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      expect(key).not.toHaveProperty('d');
      expect(key.kid).toMatch(/^(rs|es)256-/);
    }
  });
});

describe('code flow', () => {
  const table = [
    { user: 'alice', groups: ['oracle-ai-users'] },
    { user: 'bob', groups: [] },
    { user: 'carol', groups: ['oracle-ai-admins'] },
  ];
  it.each(table)('$user gets a JWT access token and an ID token with groups', async ({ user, groups }) => {
    const { code, verifier, callback } = await codeFor(idp, user, { nonce: `nonce-${user}` });
    expect(callback.searchParams.get('state')).toBe('st');
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const { status, body } = await redeem(idp.issuer, code, verifier);
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.refresh_token).toBeUndefined();
    const keySet = createLocalJWKSet(await jwks());

    const at = await jwtVerify(String(body.access_token), keySet, { issuer: idp.issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['RS256'] });
    expect(at.payload).toMatchObject({ sub: user, preferred_username: user, groups, client_id: CLIENT_ID });
    expect(Number(at.payload.exp) - Number(at.payload.iat)).toBe(900);

    const id = await jwtVerify(String(body.id_token), keySet, { issuer: idp.issuer, audience: CLIENT_ID, algorithms: ['RS256'] });
    expect(id.payload).toMatchObject({ sub: user, preferred_username: user, groups, nonce: `nonce-${user}` });
    expect(id.protectedHeader.typ).toBeUndefined();
  });

  it('names its cookies demo_idp_*', async () => {
    const jar = new CookieJar();
    await codeFor(idp, 'alice', { jar });
    expect(jar.names().length).toBeGreaterThan(0);
    for (const name of jar.names()) expect(name).toMatch(/^demo_idp_/);
  });

  it('refuses an authorization request without PKCE', async () => {
    const response = await fetch(authorizeUrl(idp.issuer, { state: 's', nonce: 'n' }), { redirect: 'manual' });
    const location = new URL(String(response.headers.get('location')));
    expect(location.href.startsWith(REDIRECT)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses PKCE method plain', async () => {
    const { verifier } = pkce();
    const response = await fetch(authorizeUrl(idp.issuer, { state: 's', nonce: 'n', code_challenge: verifier, code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(new URL(String(response.headers.get('location'))).searchParams.get('error')).toBe('invalid_request');
  });

  it.each(['token', 'id_token', 'code id_token', 'code token'])('refuses response_type %s: code flow only, no token in a URL', async (responseType) => {
    const { challenge } = pkce();
    const response = await fetch(authorizeUrl(idp.issuer, { response_type: responseType, state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    const location = String(response.headers.get('location'));
    expect(location.startsWith(REDIRECT)).toBe(true);
    const params = new URLSearchParams(new URL(location).hash.slice(1) || new URL(location).search);
    expect(params.get('error')).toBe('unsupported_response_type');
    expect(location).not.toMatch(/access_token|id_token=|code=/);
  });

  it('refuses a redirect_uri that is not registered, without redirecting', async () => {
    const { challenge } = pkce();
    const response = await fetch(authorizeUrl(idp.issuer, { redirect_uri: 'http://evil.example/cb', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }), { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses a wrong code_verifier, a replayed code and a wrong client secret', async () => {
    const first = await codeFor(idp, 'alice');
    expect((await redeem(idp.issuer, first.code, pkce().verifier)).body.error).toBe('invalid_grant');
    const second = await codeFor(idp, 'alice');
    expect((await redeem(idp.issuer, second.code, second.verifier, 'wrong-secret-wrong-secret')).body.error).toBe('invalid_client');
    expect((await redeem(idp.issuer, second.code, second.verifier)).status).toBe(200);
    expect((await redeem(idp.issuer, second.code, second.verifier)).body.error).toBe('invalid_grant');
  });
});

describe('login page', () => {
  const loginPage = (): Promise<LoginForm> => openLoginForm(idp.issuer);

  it('is a plain form with login, password and one submit button, posting under /interaction/<uid>', async () => {
    const { html, action } = await loginPage();
    expect(html).toContain('name="login"');
    expect(html).toContain('name="password"');
    expect(html.match(/type="submit"/g)).toHaveLength(1);
    expect(new URL(action).pathname).toMatch(/^\/interaction\/[^/]+\/login$/);
    expect(html).not.toContain('<script');
    expect(html).toContain('to continue to Oracle AI demo');
  });

  it('Cancel returns to the client with access_denied', async () => {
    const { jar, action } = await loginPage();
    const abort = await jarFetch(jar, action.replace(/\/login$/, '/abort'));
    expect(abort.status).toBe(303);
    const resume = await jarFetch(jar, new URL(String(abort.headers.get('location')), idp.issuer).href);
    const back = new URL(String(resume.headers.get('location')));
    expect(back.href.startsWith(REDIRECT)).toBe(true);
    expect(back.searchParams.get('error')).toBe('access_denied');
  });

  it.each([
    ['a wrong password', 'alice', 'wrong'],
    ['an unknown user', 'mallory', 'demo'],
    ['markup in the user name', '<script>alert(1)</script>', 'demo'],
  ])('shows an error for %s, escaped, with 401 and never a 500', async (_name, login, password) => {
    const { jar, action } = await loginPage();
    const response = await jarFetch(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login, password }).toString(),
    });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain('Invalid username or password.');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('answers a stale or foreign interaction with 400, not 500', async () => {
    const response = await fetch(`${idp.issuer}/interaction/doesnotexist`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    const post = await fetch(`${idp.issuer}/interaction/doesnotexist/login`, { method: 'POST', body: 'login=alice&password=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.status).toBe(400);
  });

  it('a browser hanging up mid-form is a 400, not an error in the log, and the sign-in can go on', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } }));
    const own = await startTestIdp({ logger });
    const stderr = vi.spyOn(console, 'error');
    try {
      const jar = new CookieJar();
      const { challenge } = pkce();
      const start = await jarFetch(jar, authorizeUrl(own.issuer, { state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }));
      const pageUrl = new URL(String(start.headers.get('location')), own.issuer);
      const action = new URL(`${pageUrl.pathname}/login`, own.issuer).href;
      const { port } = new URL(own.issuer);
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(`POST ${new URL(action).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${jar.header(action)}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nlogin=alice&pass`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 100);
        });
        socket.on('error', reject);
      });
      // Unhandled, the abort is logged at once; give it ample time to show up.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
      // Nothing bypasses the JSON log either (Koa's default handler prints to stderr).
      expect(stderr).not.toHaveBeenCalled();
      const retry = await jarFetch(jar, action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=alice&password=demo' });
      expect(retry.status).toBe(303);
    } finally {
      stderr.mockRestore();
      await own.close();
    }
  });

  it('the flow fails for a wrong password', async () => {
    const { challenge } = pkce();
    await expect(
      loginThroughForm({ authorizeUrl: authorizeUrl(idp.issuer, { state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }), redirectUri: REDIRECT, login: 'bob', password: 'nope' }),
    ).rejects.toBeInstanceOf(LoginFlowError);
  });
});

describe('logout', () => {
  it('shows a confirmation and returns to the registered post-logout URI', async () => {
    const jar = new CookieJar();
    await codeFor(idp, 'carol', { jar });
    const start = new URL(`${idp.issuer}/session/end`);
    start.searchParams.set('client_id', CLIENT_ID);
    start.searchParams.set('post_logout_redirect_uri', POST_LOGOUT);
    const page = await jarFetch(jar, start.href);
    expect(page.status).toBe(200);
    // The confirmation stops other sites from signing the user out only if they cannot frame it.
    expectPageHeaders(page);
    const html = await page.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(action && xsrf).toBeTruthy();
    const confirm = await jarFetch(jar, new URL(String(action), idp.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: String(xsrf), logout: 'yes' }).toString(),
    });
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get('location')).toBe(POST_LOGOUT);
  });

  it('serves the signed-out page and its own error pages unframeable and uncached too', async () => {
    const done = await fetch(`${idp.issuer}/session/end/success`);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Signed out');
    expectPageHeaders(done);
    const error = await fetch(`${idp.issuer}/auth?client_id=nobody&response_type=code`, { redirect: 'manual' });
    expect(error.status).toBe(400);
    expect(await error.text()).toContain('Sign-in error');
    expectPageHeaders(error);
  });

  it('refuses a post-logout URI that is not registered', async () => {
    const start = new URL(`${idp.issuer}/session/end`);
    start.searchParams.set('client_id', CLIENT_ID);
    start.searchParams.set('post_logout_redirect_uri', 'http://evil.example/');
    const response = await fetch(start, { redirect: 'manual' });
    expect(response.status).toBe(400);
  });
});

describe('key rotation', () => {
  it('signs new tokens with the new key and keeps the old one published', async () => {
    const before = await codeFor(idp, 'alice');
    const oldToken = String((await redeem(idp.issuer, before.code, before.verifier)).body.access_token);
    const oldKid = decodeProtectedHeader(oldToken).kid;

    const { kid } = await idp.rotateKeys();
    expect(kid).not.toBe(oldKid);
    const published = (await jwks()).keys.map((key) => key.kid);
    expect(published[0]).toBe(kid);
    expect(published).toContain(oldKid);

    const after = await codeFor(idp, 'alice');
    const newToken = String((await redeem(idp.issuer, after.code, after.verifier)).body.access_token);
    expect(decodeProtectedHeader(newToken).kid).toBe(kid);
    const keySet = createLocalJWKSet(await jwks());
    await expect(jwtVerify(oldToken, keySet, { issuer: idp.issuer, audience: AUDIENCE })).resolves.toBeTruthy();
    await expect(jwtVerify(newToken, keySet, { issuer: idp.issuer, audience: AUDIENCE })).resolves.toBeTruthy();
  });
});

describe('the demo user list', () => {
  it('GET /demo/users lists every user of the users file with groups and claims, never a password hash or a profile', async () => {
    const response = await fetch(`${idp.url}/demo/users`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).not.toMatch(/scrypt|passwordHash|email|Anders/);
    const { users } = JSON.parse(text) as { users: { username: string; groups: string[]; claims: Record<string, unknown> }[] };
    expect(users.map((u) => u.username)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(users.find((u) => u.username === 'dave')).toEqual({ username: 'dave', groups: ['contractors'], claims: {} });
    expect((await fetch(`${idp.url}/demo/users`, { method: 'POST' })).status).not.toBe(200);
  });
});
