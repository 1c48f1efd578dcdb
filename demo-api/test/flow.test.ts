import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';

import { CookieJar, DEMO_PASSWORD, loginThroughForm } from 'demo-idp/testing';

import { beginLogin, get, post, signIn, startStack, POST_LOGOUT, CLIENT_ID, REDIRECT, type Stack } from './support/stack.js';

let stack: Stack;
const tokens = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack();
  for (const user of ['alice', 'bob', 'carol']) tokens.set(user, await signIn(stack.api, user));
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

// The demo users (README): alice chats and reads analytics; carol also administers; bob only reads analytics.
const table = [
  { user: 'alice', groups: ['oracle-ai-users'], chat: true, analytics: true, admin: false },
  { user: 'bob', groups: [], chat: false, analytics: true, admin: false },
  { user: 'carol', groups: ['oracle-ai-admins'], chat: true, analytics: true, admin: true },
];

describe('the code flow, for each demo user', () => {
  it.each(table)('$user signs in and gets an access token for the API', ({ user, groups }) => {
    const claims = decodeJwt(String(tokens.get(user)));
    expect(claims).toMatchObject({ iss: stack.idp.issuer, sub: user, preferred_username: user, groups, client_id: CLIENT_ID });
  });

  it.each(table)('GET /api/me tells $user what the PDP allows', async ({ user, groups, chat, analytics, admin }) => {
    const { status, body } = await get(stack.api, '/api/me', tokens.get(user));
    expect(status).toBe(200);
    expect(body).toEqual({
      user: { sub: user, username: user, groups },
      permissions: { chat, analytics, admin },
      revision: expect.stringMatching(/^sha256:/),
      decisionIds: { chat: expect.any(String), analytics: expect.any(String), admin: expect.any(String) },
      // The refused pages' advice (access.test.ts checks what it says); nothing refused, none.
      ...(chat && analytics && admin ? {} : { access: expect.any(Object) }),
    });
    expect(new Set(Object.values(body.decisionIds as object)).size, 'one decision per page').toBe(3);
  });

  it.each(table)('$user gets exactly the pages in the table', async ({ user, chat, analytics, admin }) => {
    const token = tokens.get(user);
    const statuses = {
      chat: (await get(stack.api, '/api/chat', token)).status,
      chatWrite: (await post(stack.api, '/api/chat', token, { message: 'hello' })).status,
      analytics: (await get(stack.api, '/api/analytics', token)).status,
      admin: (await get(stack.api, '/api/admin/policies', token)).status,
    };
    expect(statuses).toEqual({ chat: chat ? 200 : 403, chatWrite: chat ? 200 : 403, analytics: analytics ? 200 : 403, admin: admin ? 200 : 403 });
  });
});

describe('the routes', () => {
  it('GET /api/chat and POST /api/chat answer in the contract shapes', async () => {
    const history = await get(stack.api, '/api/chat', tokens.get('alice'));
    expect(history.body.messages).toEqual(expect.arrayContaining([{ role: 'assistant', text: expect.stringContaining('alice') }]));
    const reply = await post(stack.api, '/api/chat', tokens.get('alice'), { message: 'What is a PDP?' });
    expect(reply).toEqual({ status: 200, body: { reply: expect.stringContaining('What is a PDP?') } });
  });

  it.each([
    ['an empty message', { message: '' }, '/message'],
    ['a message over 2000 characters', { message: 'x'.repeat(2001) }, '/message'],
    ['a missing message', {}, '/message'],
    ['an unknown field', { message: 'hi', extra: 1 }, '/extra'],
    ['a message that is not a string', { message: 42 }, '/message'],
  ])('POST /api/chat refuses %s with 400 and the JSON pointer', async (_name, body, pointer) => {
    const { status, body: problem } = await post(stack.api, '/api/chat', tokens.get('carol'), body);
    expect(status).toBe(400);
    expect(problem).toMatchObject({ status: 400, code: 'invalid_request', errors: [expect.objectContaining({ pointer })] });
  });

  it('POST /api/chat refuses a body that is not JSON, or too large, never with 500', async () => {
    const base = { method: 'POST', headers: { authorization: `Bearer ${tokens.get('alice')}`, 'content-type': 'application/json' } };
    expect((await fetch(`${stack.api.url}/api/chat`, { ...base, body: '{"message":' })).status).toBe(400);
    expect((await fetch(`${stack.api.url}/api/chat`, { ...base, body: JSON.stringify({ message: 'x'.repeat(20_000) }) })).status).toBe(413);
    expect((await fetch(`${stack.api.url}/api/chat`, { ...base, headers: { ...base.headers, 'content-type': 'text/plain' }, body: 'hi' })).status).toBe(415);
  });

  it('GET /api/analytics gives figures', async () => {
    const { body } = await get(stack.api, '/api/analytics', tokens.get('bob'));
    expect(body.figures).toEqual(expect.arrayContaining([expect.objectContaining({ label: expect.any(String), value: expect.any(Number) })]));
  });

  it('GET /api/admin/policies passes the PDP listing through for carol', async () => {
    const { body } = await get(stack.api, '/api/admin/policies', tokens.get('carol'));
    expect(body.revision).toMatch(/^sha256:/);
    expect((body.policies as Array<{ id: string }>).map((p) => p.id).sort()).toEqual(['admin', 'analytics', 'chat', 'documents']);
  });

  it('GET /api/logout gives the end-session URL with client_id and post_logout_redirect_uri', async () => {
    const { status, body } = await get(stack.api, '/api/logout');
    expect(status).toBe(200);
    const url = new URL(String(body.logout_url));
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.idp.issuer}/session/end`);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(POST_LOGOUT);
  });

  it('answers wrong methods with problems, not 500', async () => {
    expect((await fetch(`${stack.api.url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${stack.api.url}/healthz`, { method: 'PATCH' })).status).toBe(405);
    const purge = await fetch(`${stack.api.url}/healthz`, { method: 'PURGE' });
    expect(purge.status).toBe(501);
    expect(purge.headers.get('content-type')).toBe('application/problem+json');
  });

  it('GET /healthz is open', async () => {
    expect(await get(stack.api, '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('an unknown route under /api needs a token first, then is a 404 problem', async () => {
    expect((await get(stack.api, '/api/nope')).status).toBe(401);
    const { status, headers } = await get(stack.api, '/api/nope', tokens.get('alice'));
    expect(status).toBe(404);
    expect(headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('GET /api/authorize', () => {
  it('builds a code-flow URL with PKCE S256, state and nonce, and sets the transaction cookie', async () => {
    const response = await fetch(`${stack.api.url}/api/authorize`);
    const { authorize_url: href } = (await response.json()) as { authorize_url: string };
    const url = new URL(href);
    expect(`${url.origin}${url.pathname}`).toBe(`${stack.idp.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      scope: 'openid profile',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('demo_api_txn='));
    expect(cookie).toMatch(/; Path=\/api; HttpOnly; SameSite=Lax; Max-Age=600/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('adds configured extra parameters (e.g. SiteMinder authentication_method)', async () => {
    const api = await stack.startApi({ extraAuthorizeParams: { authentication_method: 'urn:x:form', prompt: 'login' } });
    const { authorizeUrl } = await beginLogin(api);
    const url = new URL(authorizeUrl);
    expect(url.searchParams.get('authentication_method')).toBe('urn:x:form');
    expect(url.searchParams.get('prompt')).toBe('login');
  });

  it('?prompt=login makes the IdP ask for credentials again although its session is alive', async () => {
    const jar = new CookieJar();
    const urlOf = async (query: string): Promise<string> => {
      const response = await fetch(`${stack.api.url}/api/authorize${query}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { authorize_url: string }).authorize_url;
    };
    const walk = (authorizeUrl: string, login: string) => loginThroughForm({ authorizeUrl, redirectUri: REDIRECT, login, password: DEMO_PASSWORD, jar });
    expect((await walk(await urlOf(''), 'alice')).pages).toHaveLength(1);
    // The IdP session answers a plain sign-in without a form: whoever signed in last comes back.
    expect((await walk(await urlOf(''), 'alice')).pages).toHaveLength(0);
    const again = await urlOf('?prompt=login');
    expect(new URL(again).searchParams.get('prompt')).toBe('login');
    // (Signing in as someone else here goes through oidc-provider's session-switch page, which
    // needs a browser: e2e/browser/flows.test.ts does that.)
    const { pages } = await walk(again, 'alice');
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain('name="password"');
  });

  it.each(['?prompt=none', '?prompt=', '?prompt=login&prompt=login'])('refuses %s with a problem naming /prompt', async (query) => {
    const response = await fetch(`${stack.api.url}/api/authorize${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('demo_api_txn=')), 'no transaction started').toBe(false);
    expect(await response.json()).toMatchObject({ code: 'invalid_request', errors: [{ pointer: '/prompt' }] });
  });

  it('uses endpoint overrides instead of discovery', async () => {
    const api = await stack.startApi({
      discoveryUrl: 'http://127.0.0.1:9/nothing-here',
      authorizationEndpoint: 'http://127.0.0.1:9/custom-authorize',
      tokenEndpoint: `${stack.idp.issuer}/token`,
      jwksUri: `${stack.idp.issuer}/jwks`,
      endSessionEndpoint: 'http://127.0.0.1:9/custom-logout',
    });
    const { authorizeUrl } = await beginLogin(api);
    expect(authorizeUrl.startsWith('http://127.0.0.1:9/custom-authorize?')).toBe(true);
    const { body } = await get(api, '/api/logout');
    expect(String(body.logout_url).startsWith('http://127.0.0.1:9/custom-logout?')).toBe(true);
    // Tokens still verify: JWKS comes from the override.
    expect((await get(api, '/api/analytics', tokens.get('bob'))).status).toBe(200);
  });
});
