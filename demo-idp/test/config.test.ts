import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildIdpConfig, idpConfigFromEnv, IdpError, UserStore, hashPassword } from '../src/index.js';
import { escapeHtml } from '../src/html.js';
import { loadOrCreateJwks } from '../src/keys.js';

describe('config', () => {
  it('requires a client secret', () => {
    expect(() => buildIdpConfig({})).toThrow(IdpError);
    expect(() => buildIdpConfig({})).toThrow(/IDP_CLIENT_SECRET/);
  });

  it('reads the documented env with its defaults', () => {
    const config = buildIdpConfig(idpConfigFromEnv({ IDP_CLIENT_SECRET: 's'.repeat(20) }));
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 9000,
      issuer: 'http://localhost:9000',
      clientId: 'demo-api',
      redirectUris: ['http://localhost:4200/auth/callback'],
      postLogoutRedirectUris: ['http://localhost:4200/'],
      apiAudience: 'http://localhost:3000/api',
      accessTokenTtl: 900,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.cookieKeys).toHaveLength(1);
  });

  it('throttles sign-ins by default, and reads the IDP_LOGIN_* settings', () => {
    expect(buildIdpConfig({ clientSecret: 's'.repeat(20) })).toMatchObject({ loginMaxFailuresPerUser: 5, loginMaxFailuresPerAddress: 20, loginLockout: 30, loginWindow: 900 });
    const config = buildIdpConfig(
      idpConfigFromEnv({ IDP_CLIENT_SECRET: 's'.repeat(20), IDP_LOGIN_MAX_FAILURES_PER_USER: '3', IDP_LOGIN_MAX_FAILURES_PER_ADDRESS: '50', IDP_LOGIN_LOCKOUT: '10', IDP_LOGIN_WINDOW: '600' }),
    );
    expect(config).toMatchObject({ loginMaxFailuresPerUser: 3, loginMaxFailuresPerAddress: 50, loginLockout: 10, loginWindow: 600 });
  });

  it('drains for IDP_SHUTDOWN_DELAY_MS (none by default) and waits IDP_SHUTDOWN_TIMEOUT_MS at most', () => {
    expect(buildIdpConfig({ clientSecret: 's'.repeat(20) })).toMatchObject({ shutdownDelayMs: 0, shutdownTimeoutMs: 10_000 });
    const env = { IDP_CLIENT_SECRET: 's'.repeat(20), IDP_SHUTDOWN_DELAY_MS: '5000', IDP_SHUTDOWN_TIMEOUT_MS: '20000' };
    expect(buildIdpConfig(idpConfigFromEnv(env))).toMatchObject({ shutdownDelayMs: 5000, shutdownTimeoutMs: 20_000 });
    expect(() => buildIdpConfig(idpConfigFromEnv({ ...env, IDP_SHUTDOWN_DELAY_MS: '-5' }))).toThrow(/IDP_SHUTDOWN_DELAY_MS must be an integer, 0-600000/);
  });

  it('refuses every bad IDP_LOGIN_* setting at once', () => {
    const env = { IDP_CLIENT_SECRET: 's'.repeat(20), IDP_LOGIN_MAX_FAILURES_PER_USER: '0', IDP_LOGIN_MAX_FAILURES_PER_ADDRESS: 'many', IDP_LOGIN_LOCKOUT: '1.5', IDP_LOGIN_WINDOW: '-1' };
    expect(() => buildIdpConfig(idpConfigFromEnv(env))).toThrow(
      new IdpError(
        'config_invalid',
        [
          'IDP_LOGIN_MAX_FAILURES_PER_USER must be an integer, 1-1000',
          'IDP_LOGIN_MAX_FAILURES_PER_ADDRESS must be an integer, 1-100000',
          'IDP_LOGIN_LOCKOUT must be an integer number of seconds, 1-86400',
          'IDP_LOGIN_WINDOW must be an integer number of seconds, 1-86400',
        ].join('\n'),
      ),
    );
    expect(() => buildIdpConfig(idpConfigFromEnv({ IDP_CLIENT_SECRET: 's'.repeat(20), IDP_LOGIN_LOCKOUT: '600', IDP_LOGIN_WINDOW: '60' }))).toThrow(/IDP_LOGIN_WINDOW must be at least IDP_LOGIN_LOCKOUT/);
  });

  it('refuses an issuer with a path', () => {
    expect(() => buildIdpConfig({ clientSecret: 's'.repeat(20), issuer: 'http://localhost:9000/oidc' })).toThrow(/IDP_ISSUER/);
  });

  it('lists every problem at once', () => {
    try {
      buildIdpConfig(idpConfigFromEnv({ IDP_PORT: 'x', IDP_ISSUER: 'ftp://a', IDP_ACCESS_TOKEN_TTL: '5' }));
      expect.unreachable();
    } catch (err) {
      expect((err as IdpError).code).toBe('config_invalid');
      expect((err as Error).message.split('\n').length).toBeGreaterThanOrEqual(4);
    }
  });
});

describe('users', () => {
  it('the shipped users file has alice, bob and carol with password "demo"', async () => {
    const users = UserStore.fromFile(new URL('../users.json', import.meta.url).pathname);
    for (const name of ['alice', 'bob', 'carol']) {
      expect(await users.authenticate(name, 'demo')).toMatchObject({ username: name });
      expect(await users.authenticate(name, 'Demo')).toBeUndefined();
    }
    expect(users.find('alice')?.groups).toEqual(['oracle-ai-users']);
    expect(users.find('bob')?.groups).toEqual([]);
    expect(users.find('carol')?.groups).toEqual(['oracle-ai-admins']);
    expect(await users.authenticate('nobody', 'demo')).toBeUndefined();
  });

  it('refuses a malformed users file with the pointer of each problem', async () => {
    const good = await hashPassword('x');
    expect(() => UserStore.fromJSON({ users: [{ username: 'a b', passwordHash: good }, { username: 'ok', groups: 'x', passwordHash: 'plain' }] })).toThrow(
      /\/users\/0\/username[\s\S]*\/users\/1\/groups[\s\S]*\/users\/1\/passwordHash/,
    );
  });

  it('refuses claims the provider owns, so a users file cannot set email_verified, scope or azp', async () => {
    const good = await hashPassword('x');
    for (const key of ['email_verified', 'scope', 'client_id', 'azp', 'sid', 'auth_time']) {
      expect(() => UserStore.fromJSON({ users: [{ username: 'u', passwordHash: good, claims: { [key]: true } }] })).toThrow(`/users/0/claims/${key} is reserved`);
    }
    expect(() => UserStore.fromJSON({ users: [{ username: 'u', passwordHash: good, claims: { department: 'x' } }] })).not.toThrow();
  });
});

describe('escapeHtml', () => {
  it('escapes every character that can break out of text or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  });
});

describe('IDP_KEYS_FILE', () => {
  it('is generated once (mode 0600), then read back with the same keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-idp-keys-'));
    try {
      const file = join(dir, 'idp.jwks.json');
      const first = await loadOrCreateJwks(file);
      expect(first.source).toBe('generated-and-saved');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const second = await loadOrCreateJwks(file);
      expect(second.source).toBe('file');
      expect(second.jwks.keys.map((k) => k.kid)).toEqual(first.jwks.keys.map((k) => k.kid));

      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] }));
      await expect(loadOrCreateJwks(bad)).rejects.toMatchObject({ code: 'keys_invalid' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
