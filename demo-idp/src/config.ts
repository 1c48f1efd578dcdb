import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SHUTDOWN_MS_MAX } from '@oracle-ai/contract/graceful-shutdown';

import { pino } from 'pino';

import { IdpError } from './errors.js';

/** Everything demo-idp needs, parsed and checked once at start. */
export interface IdpConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Undefined: http://<host>:<actual port>, known once listening. */
  readonly issuer: string | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  /** The resource indicator and `aud` of access tokens. */
  readonly apiAudience: string;
  /** Scopes the API (resource server) knows; requested ones end up in the access token's `scope`. */
  readonly apiScopes: readonly string[];
  readonly usersFile: string;
  readonly keysFile: string | undefined;
  /** Failed sign-ins of one user name, within `loginWindow`, before it is locked out. */
  readonly loginMaxFailuresPerUser: number;
  /** Failed sign-ins from one client address, within `loginWindow`, before it is locked out. */
  readonly loginMaxFailuresPerAddress: number;
  /** Seconds of the first lockout; each further failure doubles it, up to `loginWindow`. */
  readonly loginLockout: number;
  /** Seconds after its last failure that a user name or address is forgotten. */
  readonly loginWindow: number;
  /** Client connections open at once; beyond it new ones are closed (IDP_MAX_CONNECTIONS). */
  readonly maxConnections: number;
  /** After SIGTERM/SIGINT: ms /readyz answers 503 while requests are still served (IDP_SHUTDOWN_DELAY_MS). */
  readonly shutdownDelayMs: number;
  /** Then the most ms accepted requests get to finish (IDP_SHUTDOWN_TIMEOUT_MS). */
  readonly shutdownTimeoutMs: number;
  readonly cookieKeys: readonly string[];
  readonly accessTokenTtl: number;
  /**
   * The access token's JOSE `typ`: `at+jwt` (RFC 9068), or the shapes other providers issue
   * (`JWT`, or `none` for no typ at all), so relying parties can be tried against them.
   */
  readonly accessTokenTyp: AccessTokenTyp;
  /** Where both tokens carry the user's groups: a claim name or a dotted path (`realm_access.roles`). */
  readonly groupsClaim: string;
  /** How the demo client authenticates at the token endpoint. */
  readonly clientAuthMethod: ClientAuthMethod;
  readonly logLevel: string;
}

export const ACCESS_TOKEN_TYPS = ['at+jwt', 'JWT', 'none'] as const;
export type AccessTokenTyp = (typeof ACCESS_TOKEN_TYPS)[number];
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export type IdpConfigInput = Partial<{ -readonly [K in keyof IdpConfig]: IdpConfig[K] }>;

/** The users file shipped with the demo. */
export const DEFAULT_USERS_FILE = fileURLToPath(new URL('../users.json', import.meta.url));

const DEFAULTS = {
  host: '127.0.0.1',
  port: 9000,
  clientId: 'demo-api',
  redirectUris: ['http://localhost:4200/auth/callback'],
  postLogoutRedirectUris: ['http://localhost:4200/'],
  apiAudience: 'http://localhost:3000/api',
  apiScopes: ['api'],
  loginMaxFailuresPerUser: 5,
  loginMaxFailuresPerAddress: 20,
  loginLockout: 30,
  loginWindow: 900,
  maxConnections: 1_000,
  // No delay by default: only an orchestrator that routes by /readyz needs one.
  shutdownDelayMs: 0,
  shutdownTimeoutMs: 10_000,
  accessTokenTtl: 900,
  accessTokenTyp: 'at+jwt',
  groupsClaim: 'groups',
  clientAuthMethod: 'client_secret_basic',
  logLevel: 'info',
} as const;

// Claim names the groups path may not step through: they would write to an object's prototype.
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function isClaimPath(path: string): boolean {
  return path.split('.').every((segment) => /^[A-Za-z0-9_:-]+$/.test(segment) && !PROTOTYPE_NAMES.has(segment));
}

function oneOf<T extends string>(allowed: readonly T[], value: string): value is T {
  return (allowed as readonly string[]).includes(value);
}

// The levels the logger itself knows, plus the one that turns it off: no list of our own to drift.
const LOG_LEVELS: ReadonlySet<string> = new Set([...Object.keys(pino.levels.values), 'silent']);

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A number setting: undefined when unset, NaN (refused by the checks) when not a number. */
function numeric(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  return text === undefined ? undefined : Number(text);
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Reads the IDP_* environment variables (documented in demo-idp/README.md) into a config input. */
export function idpConfigFromEnv(env: NodeJS.ProcessEnv): IdpConfigInput {
  const input: IdpConfigInput = {};
  const set = <K extends keyof IdpConfigInput>(key: K, value: IdpConfigInput[K] | undefined): void => {
    if (value !== undefined) input[key] = value;
  };
  set('host', nonEmpty(env.IDP_HOST));
  set('port', nonEmpty(env.IDP_PORT) === undefined ? undefined : Number(env.IDP_PORT));
  // The issuer is what browsers see, so the default names localhost, not the bind address.
  set('issuer', nonEmpty(env.IDP_ISSUER) ?? `http://localhost:${input.port ?? DEFAULTS.port}`);
  set('clientId', nonEmpty(env.IDP_CLIENT_ID));
  set('clientSecret', nonEmpty(env.IDP_CLIENT_SECRET));
  set('redirectUris', list(env.IDP_REDIRECT_URIS));
  set('postLogoutRedirectUris', list(env.IDP_POST_LOGOUT_REDIRECT_URIS));
  set('apiAudience', nonEmpty(env.IDP_API_AUDIENCE));
  set('apiScopes', list(env.IDP_API_SCOPES?.replace(/\s+/g, ',')));
  set('usersFile', nonEmpty(env.IDP_USERS_FILE));
  set('keysFile', nonEmpty(env.IDP_KEYS_FILE));
  set('loginMaxFailuresPerUser', numeric(env.IDP_LOGIN_MAX_FAILURES_PER_USER));
  set('loginMaxFailuresPerAddress', numeric(env.IDP_LOGIN_MAX_FAILURES_PER_ADDRESS));
  set('loginLockout', numeric(env.IDP_LOGIN_LOCKOUT));
  set('loginWindow', numeric(env.IDP_LOGIN_WINDOW));
  set('maxConnections', numeric(env.IDP_MAX_CONNECTIONS));
  set('shutdownDelayMs', numeric(env.IDP_SHUTDOWN_DELAY_MS));
  set('shutdownTimeoutMs', numeric(env.IDP_SHUTDOWN_TIMEOUT_MS));
  set('cookieKeys', list(env.IDP_COOKIE_KEYS));
  set('accessTokenTtl', nonEmpty(env.IDP_ACCESS_TOKEN_TTL) === undefined ? undefined : Number(env.IDP_ACCESS_TOKEN_TTL));
  set('accessTokenTyp', nonEmpty(env.IDP_ACCESS_TOKEN_TYP) as AccessTokenTyp | undefined);
  set('groupsClaim', nonEmpty(env.IDP_GROUPS_CLAIM));
  set('clientAuthMethod', nonEmpty(env.IDP_CLIENT_AUTH_METHOD) as ClientAuthMethod | undefined);
  set('logLevel', nonEmpty(env.IDP_LOG_LEVEL ?? env.LOG_LEVEL));
  return input;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.hash;
  } catch {
    return false;
  }
}

/** Applies defaults and checks the whole config; throws one IdpError listing every problem. */
export function buildIdpConfig(input: IdpConfigInput): IdpConfig {
  const problems: string[] = [];
  const config: IdpConfig = {
    host: input.host ?? DEFAULTS.host,
    port: input.port ?? DEFAULTS.port,
    issuer: input.issuer?.replace(/\/+$/, ''),
    clientId: input.clientId ?? DEFAULTS.clientId,
    clientSecret: input.clientSecret ?? '',
    redirectUris: [...(input.redirectUris ?? DEFAULTS.redirectUris)],
    postLogoutRedirectUris: [...(input.postLogoutRedirectUris ?? DEFAULTS.postLogoutRedirectUris)],
    apiAudience: input.apiAudience ?? DEFAULTS.apiAudience,
    apiScopes: [...(input.apiScopes ?? DEFAULTS.apiScopes)],
    usersFile: input.usersFile ?? DEFAULT_USERS_FILE,
    keysFile: input.keysFile,
    loginMaxFailuresPerUser: input.loginMaxFailuresPerUser ?? DEFAULTS.loginMaxFailuresPerUser,
    loginMaxFailuresPerAddress: input.loginMaxFailuresPerAddress ?? DEFAULTS.loginMaxFailuresPerAddress,
    loginLockout: input.loginLockout ?? DEFAULTS.loginLockout,
    loginWindow: input.loginWindow ?? DEFAULTS.loginWindow,
    maxConnections: input.maxConnections ?? DEFAULTS.maxConnections,
    shutdownDelayMs: input.shutdownDelayMs ?? DEFAULTS.shutdownDelayMs,
    shutdownTimeoutMs: input.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    // Random keys mean sessions do not survive a restart, which is right for a demo.
    cookieKeys: [...(input.cookieKeys ?? [randomBytes(32).toString('base64url')])],
    accessTokenTtl: input.accessTokenTtl ?? DEFAULTS.accessTokenTtl,
    accessTokenTyp: input.accessTokenTyp ?? DEFAULTS.accessTokenTyp,
    groupsClaim: input.groupsClaim ?? DEFAULTS.groupsClaim,
    clientAuthMethod: input.clientAuthMethod ?? DEFAULTS.clientAuthMethod,
    logLevel: input.logLevel ?? DEFAULTS.logLevel,
  };
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) problems.push('IDP_PORT must be an integer 0-65535');
  if (config.issuer !== undefined && !isHttpUrl(config.issuer)) problems.push('IDP_ISSUER must be an http(s) URL');
  // The provider is served at the root of its server; an issuer path would name endpoints that do not exist.
  if (config.issuer !== undefined && isHttpUrl(config.issuer) && (new URL(config.issuer).search || new URL(config.issuer).pathname !== '/')) {
    problems.push('IDP_ISSUER must be an origin (scheme://host[:port]) without path or query');
  }
  if (!config.clientId) problems.push('IDP_CLIENT_ID must not be empty');
  if (config.clientSecret.length < 16) problems.push('IDP_CLIENT_SECRET is required (at least 16 characters; the start script generates one)');
  if (config.redirectUris.length === 0 || !config.redirectUris.every(isHttpUrl)) problems.push('IDP_REDIRECT_URIS must be one or more http(s) URLs, comma-separated');
  if (!config.postLogoutRedirectUris.every(isHttpUrl)) problems.push('IDP_POST_LOGOUT_REDIRECT_URIS must be http(s) URLs, comma-separated');
  if (!isHttpUrl(config.apiAudience)) problems.push('IDP_API_AUDIENCE must be an absolute http(s) URL (a resource indicator)');
  if (config.apiScopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))) problems.push('IDP_API_SCOPES must be scope tokens');
  if (!isIntegerIn(config.loginMaxFailuresPerUser, 1, 1000)) problems.push('IDP_LOGIN_MAX_FAILURES_PER_USER must be an integer, 1-1000');
  if (!isIntegerIn(config.loginMaxFailuresPerAddress, 1, 100_000)) problems.push('IDP_LOGIN_MAX_FAILURES_PER_ADDRESS must be an integer, 1-100000');
  if (!isIntegerIn(config.loginLockout, 1, 86400)) problems.push('IDP_LOGIN_LOCKOUT must be an integer number of seconds, 1-86400');
  if (!isIntegerIn(config.loginWindow, 1, 86400)) problems.push('IDP_LOGIN_WINDOW must be an integer number of seconds, 1-86400');
  else if (config.loginWindow < config.loginLockout) problems.push('IDP_LOGIN_WINDOW must be at least IDP_LOGIN_LOCKOUT (failures are forgotten after the window)');
  if (!isIntegerIn(config.maxConnections, 1, 1_000_000)) problems.push('IDP_MAX_CONNECTIONS must be an integer, 1-1000000');
  if (!isIntegerIn(config.shutdownDelayMs, 0, SHUTDOWN_MS_MAX)) problems.push(`IDP_SHUTDOWN_DELAY_MS must be an integer, 0-${SHUTDOWN_MS_MAX}`);
  if (!isIntegerIn(config.shutdownTimeoutMs, 0, SHUTDOWN_MS_MAX)) problems.push(`IDP_SHUTDOWN_TIMEOUT_MS must be an integer, 0-${SHUTDOWN_MS_MAX}`);
  if (config.cookieKeys.some((key) => key.length < 16)) problems.push('IDP_COOKIE_KEYS must be comma-separated secrets of at least 16 characters');
  if (!Number.isInteger(config.accessTokenTtl) || config.accessTokenTtl < 30 || config.accessTokenTtl > 86400) problems.push('IDP_ACCESS_TOKEN_TTL must be an integer number of seconds, 30-86400');
  if (!oneOf(ACCESS_TOKEN_TYPS, config.accessTokenTyp)) problems.push(`IDP_ACCESS_TOKEN_TYP must be one of ${ACCESS_TOKEN_TYPS.join(', ')}`);
  if (!isClaimPath(config.groupsClaim)) problems.push('IDP_GROUPS_CLAIM must be a claim name or a dotted path of claim names (e.g. groups or realm_access.roles)');
  if (!oneOf(CLIENT_AUTH_METHODS, config.clientAuthMethod)) problems.push(`IDP_CLIENT_AUTH_METHOD must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  if (!LOG_LEVELS.has(config.logLevel)) problems.push(`IDP_LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  if (problems.length) throw new IdpError('config_invalid', problems.join('\n'));
  return Object.freeze({
    ...config,
    redirectUris: Object.freeze(config.redirectUris),
    postLogoutRedirectUris: Object.freeze(config.postLogoutRedirectUris),
    apiScopes: Object.freeze(config.apiScopes),
    cookieKeys: Object.freeze(config.cookieKeys),
  });
}
