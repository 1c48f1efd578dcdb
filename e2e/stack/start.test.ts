// The whole stack as `npm start` runs it: scripts/start.mjs with its four real services.
// Root `npm test` builds everything first, so the launcher runs with START_SKIP_BUILD=1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp } from 'demo-idp';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm } from 'demo-idp/testing';
import { ROOT, alive, freePorts, launch, type Launch, type Ports } from './launcher.js';

const READY_TIMEOUT_MS = 90_000;

async function stopAndAssertNothingLeft(stack: Launch): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const pids = [...stack.pids().values()];
  if (stack.child.exitCode === null && stack.child.signalCode === null) stack.child.kill('SIGINT');
  const result = await stack.exited;
  for (const pid of pids) {
    expect(alive(pid), `service pid ${pid} still running after the launcher exited`).toBe(false);
    expect(alive(-pid), `process group ${pid} still has members after the launcher exited`).toBe(false);
  }
  return result;
}

/** The browser half of the code flow, as demo-web does it: /api/authorize, then the IdP's login form. */
async function signIn(jar: CookieJar, web: string, username: string): Promise<{ code: string; state: string }> {
  const authorize = await jarFetch(jar, `${web}/api/authorize`);
  expect(authorize.status).toBe(200);
  const { authorize_url: authorizeUrl } = (await authorize.json()) as { authorize_url: string };
  expect(jar.header(`${web}/api/token`), 'the transaction cookie is set for /api').not.toBe('');
  const { callback, pages } = await loginThroughForm({ authorizeUrl, redirectUri: `${web}/auth/callback`, login: username, password: DEMO_PASSWORD, jar });
  // One page: the IdP asked for credentials before redirecting back, and asked nothing after.
  expect(pages).toHaveLength(1);
  const { code, state } = codeFromCallback(callback);
  expect(state).toBeTruthy();
  return { code, state: state! };
}

describe('npm start (scripts/start.mjs)', () => {
  let ports: Ports;
  let stack: Launch;
  let accessToken = '';
  // Chosen here so the test can call the PDP; otherwise the launcher makes a random one.
  const pdpToken = `test-${Math.random().toString(36).slice(2)}-caller-token`;

  beforeAll(async () => {
    ports = await freePorts();
    stack = launch(ports, { PDP_CLIENT_TOKEN: pdpToken });
    // The banner's last line: the whole announcement has been printed.
    await stack.waitFor(/Demo ready[\s\S]*Press Ctrl-C/, READY_TIMEOUT_MS);
  }, READY_TIMEOUT_MS + 5_000);

  afterAll(async () => {
    if (stack && stack.child.exitCode === null) {
      stack.child.kill('SIGKILL');
      for (const pid of stack.pids().values()) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });

  it('announces the URL to open and the demo users', () => {
    const output = stack.output();
    expect(output).toContain(`Demo ready: open http://localhost:${ports.WEB_PORT}`);
    for (const user of ['alice', 'bob', 'carol']) expect(output).toContain(user);
    expect([...stack.pids().keys()].sort()).toEqual(['api', 'idp', 'pdp', 'web']);
  });

  it('prefixes each service’s log lines and makes pino JSON readable', () => {
    const lines = stack.output().split('\n');
    for (const prefix of ['[idp]', '[pdp]', '[api]', '[web]']) {
      expect(lines.some((line) => line.startsWith(prefix)), `no line starts with ${prefix}`).toBe(true);
    }
    expect(lines.some((line) => /^\[pdp\]\s+\d\d:\d\d:\d\d INFO\s+pdp listening/.test(line))).toBe(true);
    expect(lines.filter((line) => /^\[\w+\]\s+\{"level"/.test(line))).toEqual([]);
  });

  it('signs alice in through the real login form and /api/me shows what the PDP allows', async () => {
    const web = `http://localhost:${ports.WEB_PORT}`;
    const jar = new CookieJar();

    const anonymous = await jarFetch(jar, `${web}/api/me`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await anonymous.body?.cancel();

    const { code, state } = await signIn(jar, web, 'alice');
    const token = await jarFetch(jar, `${web}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, state }),
    });
    const tokenBody = (await token.json()) as { access_token?: string; expires_in?: number };
    expect(token.status, JSON.stringify(tokenBody)).toBe(200);
    expect(tokenBody.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokenBody.expires_in).toBeGreaterThan(0);

    const me = await jarFetch(jar, `${web}/api/me`, { headers: { authorization: `Bearer ${tokenBody.access_token}` } });
    const body = (await me.json()) as {
      user: { sub: string; username: string; groups: string[] };
      permissions: Record<string, boolean>;
      revision: string;
    };
    expect(me.status, JSON.stringify(body)).toBe(200);
    expect(body.user.username).toBe('alice');
    expect(body.user.groups).toContain('oracle-ai-users');
    expect(body.permissions).toEqual({ chat: true, analytics: true, admin: false });
    expect(body.revision).toMatch(/^sha256:/);
    accessToken = tokenBody.access_token!;
  }, 30_000);

  it('answers the health checks docker-compose.yml runs, on each service’s own port', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { healthcheck: { test: string[] }; profiles?: string[] }>;
    };
    // The services of the default profile: the ones npm start runs too (the optional bundle
    // profile's are checked in ops/compose.test.ts).
    for (const [name, service] of Object.entries(compose.services).filter(([, s]) => s.profiles === undefined)) {
      const [, command, script, variable, , route] = service.healthcheck.test;
      const port = ports[variable as keyof Ports];
      expect(port, `${name}: ${variable}`).toBeDefined();
      const result = spawnSync(command!, [script!, variable!, '1', route!], {
        cwd: ROOT,
        env: { ...process.env, [variable!]: String(port) },
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(result.status, `${name}: ${result.stderr}`).toBe(0);
    }
  }, 30_000);

  it('runs the PDP with caller authentication, and its token mode verifies demo-idp’s tokens', async () => {
    const pdp = `http://127.0.0.1:${ports.PDP_PORT}`;
    for (const probe of ['/healthz', '/readyz']) expect((await fetch(`${pdp}${probe}`)).status, probe).toBe(200);
    const anonymous = await fetch(`${pdp}/v1/policies`);
    expect(anonymous.status).toBe(401);
    const policies = await fetch(`${pdp}/v1/policies`, { headers: { authorization: `Bearer ${pdpToken}` } });
    expect(policies.status).toBe(200);
    const { revision } = (await policies.json()) as { revision: string };
    const decide = (body: unknown) =>
      fetch(`${pdp}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pdpToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { allow: boolean; revision: string } }));
    const byToken = await decide({ token: accessToken, resource: { type: 'chat' }, action: 'read' });
    expect(byToken.status).toBe(200);
    expect(byToken.body).toMatchObject({ allow: true, revision });
    const bob = await decide({ subject: { id: 'bob', groups: [] }, resource: { type: 'chat' }, action: 'read' });
    expect(bob.body.allow).toBe(false);
  }, 20_000);

  it('stops every service on Ctrl-C and leaves no process behind', async () => {
    const result = await stopAndAssertNothingLeft(stack);
    expect(result.code).toBe(0);
    expect(stack.output()).toContain('all services stopped');
  }, 20_000);
});

describe('npm start with a provider of your own (OIDC_ISSUER set)', () => {
  it('starts no demo-idp, passes the OIDC settings through, and the login works against that issuer', async () => {
    const ports = await freePorts();
    // Any OpenID Provider will do; an in-process demo-idp with another client id, audience and
    // issuer host stands in for Keycloak or Entra ID here.
    const clientSecret = `external-${Math.random().toString(36).slice(2)}-secret`;
    const audience = 'https://api.example.test';
    const provider = await startIdp({
      host: '127.0.0.1',
      port: ports.IDP_PORT,
      issuer: `http://127.0.0.1:${ports.IDP_PORT}`,
      clientId: 'my-app',
      clientSecret,
      redirectUris: [`http://localhost:${ports.WEB_PORT}/auth/callback`],
      postLogoutRedirectUris: [`http://localhost:${ports.WEB_PORT}/`],
      apiAudience: audience,
      logLevel: 'silent',
    });
    const stack = launch(ports, {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: 'my-app',
      OIDC_CLIENT_SECRET: clientSecret,
      API_AUDIENCE: audience,
    });
    try {
      await stack.waitFor(/Demo ready[\s\S]*Press Ctrl-C/, READY_TIMEOUT_MS);
      expect([...stack.pids().keys()].sort()).toEqual(['api', 'pdp', 'web']);
      expect(stack.output()).toContain(`Sign in with a user of ${provider.issuer}`);
      const web = `http://localhost:${ports.WEB_PORT}`;
      const jar = new CookieJar();
      const { code, state } = await signIn(jar, web, 'bob');
      const token = await jarFetch(jar, `${web}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, state }),
      });
      const { access_token: accessToken } = (await token.json()) as { access_token: string };
      expect(token.status).toBe(200);
      const me = await jarFetch(jar, `${web}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      const body = (await me.json()) as { user: { username: string }; permissions: Record<string, boolean> };
      expect(me.status, JSON.stringify(body)).toBe(200);
      expect(body.user.username).toBe('bob');
      expect(body.permissions).toEqual({ chat: false, analytics: true, admin: false });
    } finally {
      const result = await stopAndAssertNothingLeft(stack);
      await provider.close();
      expect(result.code).toBe(0);
    }
  }, READY_TIMEOUT_MS + 30_000);

  it('refuses to start without the client secret the provider needs', async () => {
    const stack = launch(await freePorts(), { OIDC_ISSUER: 'https://login.example.test/realms/demo', OIDC_CLIENT_SECRET: '' });
    const result = await stack.exited;
    expect(result.code).toBe(2);
    expect(stack.output()).toContain('OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set');
  }, 20_000);
});

describe('npm start failures are reported clearly', () => {
  it('names the port that is already in use and starts nothing', async () => {
    const ports = await freePorts();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.API_PORT, '127.0.0.1', resolve));
    try {
      const stack = launch(ports);
      const result = await stack.exited;
      expect(result.code).toBe(1);
      expect(stack.output()).toContain(`port ${ports.API_PORT} on 127.0.0.1 is already in use`);
      expect(stack.output()).toMatch(/API_PORT=\d+ npm start/);
      expect(stack.pids().size).toBe(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 20_000);

  it('reports a service that dies with its exit code and stops the others', async () => {
    const ports = await freePorts();
    // A policy directory that does not exist: the PDP cannot load a policy set.
    const stack = launch(ports, { PDP_POLICIES: 'e2e/stack/no-such-policies', START_READY_TIMEOUT_MS: '20000' });
    const result = await stopAndAssertNothingLeft(await waitForExit(stack));
    expect(result.code).toBe(1);
    expect(stack.output()).toMatch(/pdp (exited with code [1-9]\d*|was not ready within)/);
    expect(stack.output()).not.toContain('Demo ready');
  }, 40_000);
});

async function waitForExit(stack: Launch): Promise<Launch> {
  await stack.exited;
  return stack;
}
