/** Configuration: flags > env > defaults, validated once, frozen; every bad value is reported, naming its variable. */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../src/common/errors.js';
import { loadConfig } from '../src/runtime/config.js';
import { isLoopbackHost } from '../src/server/host.js';

const cwd = '/srv/pdp';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('documented defaults', () => {
    const c = loadConfig({ env: {}, cwd });
    expect(c).toMatchObject({
      policiesDir: path.resolve(cwd, 'policies'),
      host: '127.0.0.1',
      port: 8181,
      clientTokens: [],
      allowUnauthenticated: true,
      jwt: undefined,
      groupsClaim: 'groups',
      logLevel: 'info',
      decisionLog: true,
      maxBatch: 100,
      workers: 1,
      watch: true,
      reloadDebounceMs: 100,
    });
  });

  test('the result is frozen', () => {
    const c = loadConfig({ env: {}, cwd });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.clientTokens)).toBe(true);
  });

  test('flags win over env, env over defaults', () => {
    const env = { PDP_PORT: '9000', PDP_HOST: '127.0.0.2', PDP_POLICIES: 'from-env', PDP_LOG_LEVEL: 'warn' };
    const c = loadConfig({ env, flags: { port: '9100', policies: 'from-flag' }, cwd });
    expect(c.port).toBe(9100);
    expect(c.policiesDir).toBe(path.resolve(cwd, 'from-flag'));
    expect(c.host).toBe('127.0.0.2');
    expect(c.logLevel).toBe('warn');
  });

  test('env values are parsed: tokens list, decision log off, batch size, redaction paths', () => {
    const c = loadConfig({
      env: { PDP_CLIENT_TOKENS: ' a-token , b-token ,', PDP_DECISION_LOG: 'off', PDP_MAX_BATCH: '7', PDP_LOG_REDACT: 'subject,resource.id' },
      cwd,
    });
    expect(c.clientTokens).toEqual(['a-token', 'b-token']);
    expect(c.allowUnauthenticated).toBe(false);
    expect(c.decisionLog).toBe(false);
    expect(c.maxBatch).toBe(7);
    expect(c.logRedact).toEqual(['subject', 'resource.id']);
  });

  test('PDP_JWT_TYP set but empty turns the typ check off (an empty value here means something)', () => {
    const env = { PDP_JWT_ISSUER: 'http://localhost:9000', PDP_JWT_AUDIENCE: 'http://localhost:3000/api' };
    expect(loadConfig({ env: { ...env, PDP_JWT_TYP: '' }, cwd }).jwt?.typ).toBeUndefined();
    expect(loadConfig({ env: { ...env, PDP_JWT_TYP: 'JWT' }, cwd }).jwt?.typ).toBe('JWT');
    expect(loadConfig({ env, cwd }).jwt?.typ).toBe('at+jwt');
  });

  test('token mode: issuer + audience, default algorithms and tolerance', () => {
    const c = loadConfig({ env: { PDP_JWT_ISSUER: 'http://localhost:9000', PDP_JWT_AUDIENCE: 'http://localhost:3000/api' }, cwd });
    expect(c.jwt).toEqual({
      issuer: 'http://localhost:9000',
      audience: ['http://localhost:3000/api'],
      jwksUrl: undefined,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockToleranceSec: 5,
      jwksCooldownSec: 30,
      jwksTimeoutMs: 5000,
      typ: 'at+jwt',
    });
  });

  test.each([
    [{ PDP_PORT: 'eighty' }, 'PDP_PORT'],
    [{ PDP_PORT: '70000' }, 'PDP_PORT'],
    [{ PDP_PORT: '-1' }, 'PDP_PORT'],
    [{ PDP_MAX_BATCH: '0' }, 'PDP_MAX_BATCH'],
    [{ PDP_WORKERS: '1.5' }, 'PDP_WORKERS'],
    [{ PDP_LOG_LEVEL: 'loud' }, 'PDP_LOG_LEVEL'],
    [{ PDP_DECISION_LOG: 'maybe' }, 'PDP_DECISION_LOG'],
    [{ PDP_CLIENT_TOKENS: ' , ' }, 'PDP_CLIENT_TOKENS'],
    [{ PDP_JWT_ISSUER: 'not a url', PDP_JWT_AUDIENCE: 'a' }, 'PDP_JWT_ISSUER'],
    [{ PDP_JWT_ISSUER: 'http://idp' }, 'PDP_JWT_AUDIENCE'],
    [{ PDP_JWT_AUDIENCE: 'api' }, 'PDP_JWT_AUDIENCE'],
    [{ PDP_JWKS_URL: 'http://idp/jwks' }, 'PDP_JWKS_URL'],
    [{ PDP_JWT_ISSUER: 'http://idp', PDP_JWT_AUDIENCE: 'a', PDP_JWT_ALGORITHMS: 'RS256,none' }, 'PDP_JWT_ALGORITHMS'],
    [{ PDP_JWT_ISSUER: 'http://idp', PDP_JWT_AUDIENCE: 'a', PDP_JWT_ALGORITHMS: 'HS256' }, 'PDP_JWT_ALGORITHMS'],
    [{ PDP_JWT_ISSUER: 'http://idp', PDP_JWT_AUDIENCE: 'a', PDP_JWKS_URL: 'ftp://idp/jwks' }, 'PDP_JWKS_URL'],
    [{ PDP_JWT_ISSUER: 'http://idp', PDP_JWT_AUDIENCE: 'a', PDP_JWT_CLOCK_TOLERANCE: '3600' }, 'PDP_JWT_CLOCK_TOLERANCE'],
    [{ PDP_LOG_REDACT: 'subject,bad path' }, 'PDP_LOG_REDACT'],
    [{ PDP_GROUPS_CLAIM: 'realm.__proto__.groups' }, 'PDP_GROUPS_CLAIM'],
    [{ PDP_CLIENT_TOKENS: 'good-token,has space' }, 'PDP_CLIENT_TOKENS'],
    [{ PDP_CLIENT_TOKENS: 'tab\there' }, 'PDP_CLIENT_TOKENS'],
    [{ PDP_CLIENT_TOKENS: 'jeton-clé' }, 'PDP_CLIENT_TOKENS'],
    [{ PDP_GROUPS_CLAIM: 'constructor.name' }, 'PDP_GROUPS_CLAIM'],
    [{ PDP_GROUPS_CLAIM: 'realm..groups' }, 'PDP_GROUPS_CLAIM'],
  ])('%o is refused, naming %s', (env, variable) => {
    const err = configError(() => loadConfig({ env, cwd }));
    expect(err.code).toBe('invalid_config');
    expect(err.problems.map((p) => p.variable)).toEqual([variable]);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
  });

  test('every bad value is reported at once, each naming its own variable or flag', () => {
    const err = configError(() =>
      loadConfig({
        env: { PDP_PORT: 'eighty', PDP_MAX_BATCH: '0', PDP_JWT_ISSUER: 'not a url', PDP_GROUPS_CLAIM: 'a..b', PDP_LOG_LEVEL: 'loud' },
        flags: { workers: 'many' },
        cwd,
      }),
    );
    expect(err.problems.map((p) => p.variable).sort()).toEqual(
      ['--workers', 'PDP_GROUPS_CLAIM', 'PDP_JWT_AUDIENCE', 'PDP_JWT_ISSUER', 'PDP_LOG_LEVEL', 'PDP_MAX_BATCH', 'PDP_PORT'].sort(),
    );
    expect(err.message.split('\n')).toHaveLength(err.problems.length);
  });

  test('a refused client token is never quoted in the message', () => {
    const err = configError(() => loadConfig({ env: { PDP_CLIENT_TOKENS: 'first-token,secret with space' }, cwd }));
    expect(err.message).toContain('token 2');
    expect(err.message).not.toContain('secret');
  });

  test('a bad flag is named as the flag', () => {
    expect(configError(() => loadConfig({ env: { PDP_PORT: '1' }, flags: { port: 'x' }, cwd })).problems[0]?.variable).toBe('--port');
  });

  test('a bad programmatic option is named as the option', () => {
    expect(configError(() => loadConfig({ options: { port: 1.5 } })).problems[0]?.variable).toBe('options.port');
  });

  test('refuses to serve open on a non-loopback host', () => {
    // `0` and `127.1` are shorthands the resolver may turn into any address (0 is INADDR_ANY);
    // `localhost.` is a fully qualified name a resolver may send to DNS: all refused, fail closed.
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'pdp.internal', '0', '127.1', '0x7f.0.0.1', 'localhost.', '::ffff:10.0.0.1', '[::]']) {
      const err = configError(() => loadConfig({ env: { PDP_HOST: host }, cwd }));
      expect(err.problems.map((p) => p.variable)).toEqual(['PDP_CLIENT_TOKENS']);
      expect(err.message).toContain('refusing to serve without caller authentication');
    }
    expect(loadConfig({ env: { PDP_HOST: '0.0.0.0', PDP_CLIENT_TOKENS: 'secret-token' }, cwd }).host).toBe('0.0.0.0');
  });

  test('an IPv6 host in brackets is taken bare (as listen() needs it)', () => {
    expect(loadConfig({ env: { PDP_HOST: '[::1]' }, cwd }).host).toBe('::1');
    expect(loadConfig({ env: { PDP_HOST: '::ffff:127.0.0.1' }, cwd }).host).toBe('::ffff:127.0.0.1');
  });

  test('allowUnauthenticated: false demands tokens even on loopback', () => {
    expect(configError(() => loadConfig({ options: { allowUnauthenticated: false } })).problems[0]?.variable).toBe('options.clientTokens');
  });

  test('loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.1', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });

  test('nothing reads process.env: an env passed in is the only source', () => {
    process.env.PDP_PORT = '1234';
    try {
      expect(loadConfig({ env: {}, cwd }).port).toBe(8181);
    } finally {
      delete process.env.PDP_PORT;
    }
  });
});
