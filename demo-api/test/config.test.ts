import { describe, expect, it } from 'vitest';

import { apiConfigFromEnv, buildApiConfig, ConfigError } from '../src/index.js';
import { assistantReply } from '../src/routes/app.js';
import { safeEqual } from '../src/oidc/random.js';

const SECRET = { OIDC_CLIENT_SECRET: 'secret' };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    buildApiConfig(apiConfigFromEnv(env));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('config', () => {
  it('has the documented defaults and is frozen', () => {
    const config = buildApiConfig(apiConfigFromEnv(SECRET));
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      issuer: 'http://localhost:9000',
      discoveryUrl: 'http://localhost:9000/.well-known/openid-configuration',
      clientId: 'demo-api',
      clientAuthMethod: 'client_secret_basic',
      redirectUri: 'http://localhost:4200/auth/callback',
      postLogoutRedirectUri: 'http://localhost:4200/',
      scopes: 'openid profile',
      extraAuthorizeParams: {},
      groupsClaim: 'groups',
      apiAudience: 'http://localhost:3000/api',
      jwtAlgorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      jwtTyp: 'at+jwt',
      pdpUrl: 'http://127.0.0.1:8181',
      pdpTimeoutMs: 1500,
      corsOrigins: ['http://localhost:4200'],
      txnTtlSec: 600,
      cookieSecure: false,
      maxConnections: 1000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 10_000,
      logLevel: 'info',
    });
    expect(config.txnCookieKey).toHaveLength(32);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.corsOrigins)).toBe(true);
  });

  it('reads every documented variable', () => {
    const key = Buffer.alloc(32, 7).toString('base64url');
    const config = buildApiConfig(
      apiConfigFromEnv({
        ...SECRET,
        API_HOST: '0.0.0.0',
        API_PORT: '3100',
        OIDC_ISSUER: 'https://idp.example/realms/x/',
        OIDC_DISCOVERY_URL: 'http://idp:8080/realms/x/.well-known/openid-configuration',
        OIDC_TOKEN_ENDPOINT: 'http://idp:8080/token',
        OIDC_CLIENT_AUTH_METHOD: 'client_secret_post',
        OIDC_SCOPES: 'openid  profile email',
        OIDC_EXTRA_AUTHORIZE_PARAMS: 'authentication_method=urn%3Ax&acr_values=2',
        OIDC_GROUPS_CLAIM: 'roles',
        JWT_ALGORITHMS: 'RS256',
        JWT_TYP: '',
        PDP_TIMEOUT_MS: '250',
        CORS_ORIGINS: 'http://a.example, https://b.example:8443',
        TXN_COOKIE_KEY: key,
        COOKIE_SECURE: 'true',
        API_MAX_CONNECTIONS: '50',
        API_HEADERS_TIMEOUT_MS: '2000',
        API_REQUEST_TIMEOUT_MS: '4000',
        API_SHUTDOWN_DELAY_MS: '5000',
        API_SHUTDOWN_TIMEOUT_MS: '20000',
      }),
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3100,
      issuer: 'https://idp.example/realms/x',
      discoveryUrl: 'http://idp:8080/realms/x/.well-known/openid-configuration',
      tokenEndpoint: 'http://idp:8080/token',
      clientAuthMethod: 'client_secret_post',
      scopes: 'openid profile email',
      extraAuthorizeParams: { authentication_method: 'urn:x', acr_values: '2' },
      groupsClaim: 'roles',
      jwtAlgorithms: ['RS256'],
      jwtTyp: undefined,
      pdpTimeoutMs: 250,
      corsOrigins: ['http://a.example', 'https://b.example:8443'],
      cookieSecure: true,
      maxConnections: 50,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      shutdownDelayMs: 5000,
      shutdownTimeoutMs: 20_000,
    });
    expect(Buffer.from(config.txnCookieKey).equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it.each([
    ['no client secret', {}, /OIDC_CLIENT_SECRET/],
    ['alg none', { ...SECRET, JWT_ALGORITHMS: 'none' }, /JWT_ALGORITHMS/],
    ['HS256', { ...SECRET, JWT_ALGORITHMS: 'RS256,HS256' }, /JWT_ALGORITHMS/],
    ['a wildcard CORS origin', { ...SECRET, CORS_ORIGINS: '*' }, /CORS_ORIGINS/],
    ['a CORS origin with a path', { ...SECRET, CORS_ORIGINS: 'http://a.example/app' }, /CORS_ORIGINS/],
    ['extra params overriding state', { ...SECRET, OIDC_EXTRA_AUTHORIZE_PARAMS: 'state=x' }, /must not set state/],
    ['extra params overriding the PKCE method', { ...SECRET, OIDC_EXTRA_AUTHORIZE_PARAMS: 'code_challenge_method=plain' }, /code_challenge_method/],
    ['a short cookie key', { ...SECRET, TXN_COOKIE_KEY: 'c2hvcnQ' }, /TXN_COOKIE_KEY/],
    ['scopes without openid', { ...SECRET, OIDC_SCOPES: 'profile' }, /openid/],
    ['a bad port', { ...SECRET, API_PORT: '70000' }, /API_PORT/],
    ['a bad boolean', { ...SECRET, COOKIE_SECURE: 'maybe' }, /COOKIE_SECURE/],
    ['a non-URL PDP', { ...SECRET, PDP_URL: 'pdp:8181' }, /PDP_URL/],
    ['a groups claim path with an empty segment', { ...SECRET, OIDC_GROUPS_CLAIM: 'realm_access..roles' }, /OIDC_GROUPS_CLAIM/],
    ['a groups claim path through a prototype', { ...SECRET, OIDC_GROUPS_CLAIM: '__proto__.groups' }, /OIDC_GROUPS_CLAIM must not name __proto__/],
    ['no connections allowed', { ...SECRET, API_MAX_CONNECTIONS: '0' }, /API_MAX_CONNECTIONS/],
    ['a head timeout longer than the request timeout', { ...SECRET, API_HEADERS_TIMEOUT_MS: '5000', API_REQUEST_TIMEOUT_MS: '1000' }, /must not exceed API_REQUEST_TIMEOUT_MS/],
    ['an unknown log level', { ...SECRET, LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error/],
    ['a negative shutdown delay', { ...SECRET, API_SHUTDOWN_DELAY_MS: '-1' }, /API_SHUTDOWN_DELAY_MS must be an integer 0-600000/],
    ['a shutdown timeout that is not a number', { ...SECRET, API_SHUTDOWN_TIMEOUT_MS: 'soon' }, /API_SHUTDOWN_TIMEOUT_MS/],
  ])('refuses %s', (_name, env, message) => {
    expect(problems(env).join('\n')).toMatch(message);
  });

  it('accepts a dotted groups claim path (realm_access.roles)', () => {
    expect(problems({ ...SECRET, OIDC_GROUPS_CLAIM: 'realm_access.roles' })).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(problems({ API_PORT: 'x', JWT_ALGORITHMS: 'none', CORS_ORIGINS: '*' }).length).toBeGreaterThanOrEqual(4);
  });
});

describe('helpers', () => {
  it('safeEqual compares exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });

  it('the assistant echoes', () => {
    expect(assistantReply('alice', 'hello there')).toContain('Hello alice');
    expect(assistantReply('alice', 'Is it safe?')).toContain('"Is it safe?"');
    expect(assistantReply('alice', 'one two')).toBe('You said: "one two" (2 words).');
  });
});
