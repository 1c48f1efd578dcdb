// "Any OpenID Provider works", tried against one that behaves like Keycloak: access tokens typed
// JWT (not at+jwt), groups in realm_access.roles, the client authenticating with
// client_secret_post, an extra authorize parameter. demo-api and the PDP run as processes with
// exactly the environment docs/real-providers.md gives for Keycloak.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type IdpHandle } from 'demo-idp';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm } from 'demo-idp/testing';
import { freePort } from '../../scripts/lib/ports.mjs';
import { ROOT } from './launcher.js';

const READY_TIMEOUT_MS = 60_000;

/** One part of a compact JWT, decoded (0: the header, 1: the claims); no signature check needed here. */
function jwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
const HOST = '127.0.0.1';

interface Service {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** Starts `args` with only `env` (and PATH), so settings of the shell running the tests cannot leak in. */
function startService(args: string[], env: Record<string, string>, port: number): Service {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { child, url: `http://${HOST}:${port}`, output: () => text };
}

async function waitReady(service: Service, path: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`exited with ${service.child.exitCode}:\n${service.output()}`);
    try {
      const response = await fetch(`${service.url}${path}`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.url}${path} not ready within ${READY_TIMEOUT_MS} ms:\n${service.output()}`);
}

describe('a Keycloak-like provider, configured by the README recipe', () => {
  const clientSecret = randomBytes(24).toString('base64url');
  const pdpToken = randomBytes(24).toString('base64url');
  let idp: IdpHandle;
  let api: Service;
  let pdp: Service;
  let redirectUri = '';
  let audience = '';
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    const [apiPort, pdpPort, webPort] = [await freePort(), await freePort(), await freePort()];
    redirectUri = `http://${HOST}:${webPort}/auth/callback`;
    audience = `http://${HOST}:${apiPort}/api`;
    idp = await startIdp({
      port: 0,
      clientSecret,
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [`http://${HOST}:${webPort}/`],
      apiAudience: audience,
      accessTokenTyp: 'JWT',
      groupsClaim: 'realm_access.roles',
      clientAuthMethod: 'client_secret_post',
      logLevel: 'silent',
    });
    pdp = startService(
      [path.join(ROOT, 'pdp', 'bin', 'pdp.js'), 'serve', '--policies', path.join(ROOT, 'policies'), '--host', HOST, '--port', String(pdpPort)],
      {
        PDP_CLIENT_TOKENS: pdpToken,
        PDP_JWT_ISSUER: idp.issuer,
        PDP_JWT_AUDIENCE: audience,
        PDP_GROUPS_CLAIM: 'realm_access.roles',
        PDP_JWT_TYP: '',
        PDP_LOG_LEVEL: 'warn',
      },
      pdpPort,
    );
    api = startService(
      [path.join(ROOT, 'demo-api', 'dist', 'main.js')],
      {
        API_HOST: HOST,
        API_PORT: String(apiPort),
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: 'demo-api',
        OIDC_CLIENT_SECRET: clientSecret,
        OIDC_REDIRECT_URI: redirectUri,
        OIDC_POST_LOGOUT_REDIRECT_URI: `http://${HOST}:${webPort}/`,
        API_AUDIENCE: audience,
        OIDC_GROUPS_CLAIM: 'realm_access.roles',
        JWT_TYP: '',
        OIDC_CLIENT_AUTH_METHOD: 'client_secret_post',
        OIDC_EXTRA_AUTHORIZE_PARAMS: 'kc_idp_hint=demo-ldap',
        PDP_URL: pdp.url,
        PDP_CLIENT_TOKEN: pdpToken,
        CORS_ORIGINS: `http://${HOST}:${webPort}`,
        LOG_LEVEL: 'warn',
      },
      apiPort,
    );
    await Promise.all([waitReady(pdp, '/readyz'), waitReady(api, '/healthz')]);
  }, READY_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    for (const service of [api, pdp]) if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
    await idp?.close();
  });

  /** The code flow through demo-api as demo-web runs it; returns the access token. */
  async function signIn(username: string): Promise<string> {
    const jar = new CookieJar();
    const authorize = await jarFetch(jar, `${api.url}/api/authorize`);
    expect(authorize.status).toBe(200);
    const { authorize_url: authorizeUrl } = (await authorize.json()) as { authorize_url: string };
    expect(new URL(authorizeUrl).searchParams.get('kc_idp_hint'), 'the extra authorize parameter reaches the provider').toBe('demo-ldap');
    const { callback } = await loginThroughForm({ authorizeUrl, redirectUri, login: username, password: DEMO_PASSWORD, jar });
    const { code, state } = codeFromCallback(callback);
    const token = await jarFetch(jar, `${api.url}/api/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, state }) });
    const body = (await token.json()) as { access_token?: string };
    expect(token.status, `${JSON.stringify(body)}\n${api.output()}`).toBe(200);
    return body.access_token!;
  }

  async function apiGet(pathname: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${api.url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function decide(token: string, resource: string, action: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${pdp.url}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pdpToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token, resource: { type: resource }, action }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('signs alice and bob in through demo-api, a client set to client_secret_post, and Keycloak-shaped tokens back', async () => {
    for (const user of ['alice', 'bob']) tokens.set(user, await signIn(user));
    const alice = tokens.get('alice')!;
    // The shapes this test is about, so a change in demo-idp cannot quietly make it a typed-token test.
    expect(jwtPart(alice, 0).typ).toBe('JWT');
    expect(jwtPart(alice, 1).realm_access).toEqual({ roles: ['oracle-ai-users'] });
    expect(jwtPart(alice, 1)).not.toHaveProperty('groups');
  });

  it('demo-api reads the realm roles: alice may chat, bob may not', async () => {
    const aliceMe = await apiGet('/api/me', tokens.get('alice')!);
    expect(aliceMe.status, JSON.stringify(aliceMe.body)).toBe(200);
    expect(aliceMe.body.user).toMatchObject({ username: 'alice', groups: ['oracle-ai-users'] });
    expect(aliceMe.body.permissions).toEqual({ chat: true, analytics: true, admin: false });
    expect((await apiGet('/api/chat', tokens.get('alice')!)).status).toBe(200);

    const bobMe = await apiGet('/api/me', tokens.get('bob')!);
    expect(bobMe.status).toBe(200);
    expect(bobMe.body.user).toMatchObject({ username: 'bob', groups: [] });
    expect(bobMe.body.permissions).toEqual({ chat: false, analytics: true, admin: false });
    expect((await apiGet('/api/chat', tokens.get('bob')!)).status).toBe(403);
  });

  it('the PDP in token mode reads the same roles from the same tokens', async () => {
    const alice = await decide(tokens.get('alice')!, 'chat', 'read');
    expect(alice.status, `${JSON.stringify(alice.body)}\n${pdp.output()}`).toBe(200);
    expect(alice.body.allow, JSON.stringify(alice.body)).toBe(true);
    const bob = await decide(tokens.get('bob')!, 'chat', 'read');
    expect(bob.status).toBe(200);
    expect(bob.body.allow).toBe(false);
  });
});
