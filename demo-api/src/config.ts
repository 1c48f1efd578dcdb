import { randomBytes } from 'node:crypto';

import { ALLOWED_JWT_ALGORITHMS, DEFAULT_JWT_ALGORITHMS, LOG_LEVELS, claimPathProblem, isAllowedJwtAlgorithm, isLogLevel } from '@oracle-ai/contract';
import { SHUTDOWN_MS_MAX } from '@oracle-ai/contract/graceful-shutdown';

import { ConfigError } from './errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Everything demo-api needs, parsed and checked once at start, then frozen. */
export interface ApiConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly issuer: string;
  /** Where the discovery document is fetched from; differs from the issuer inside Docker. */
  readonly discoveryUrl: string;
  /** Endpoint overrides; each one set replaces the discovery document's value. */
  readonly authorizationEndpoint: string | undefined;
  readonly tokenEndpoint: string | undefined;
  readonly jwksUri: string | undefined;
  readonly endSessionEndpoint: string | undefined;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly scopes: string;
  /** Added to the authorize URL (e.g. SiteMinder's authentication_method); never the security parameters. */
  readonly extraAuthorizeParams: Readonly<Record<string, string>>;
  readonly groupsClaim: string;
  readonly apiAudience: string;
  readonly jwtAlgorithms: readonly string[];
  /** Required JOSE `typ` of access tokens (RFC 9068 `at+jwt`); empty: not checked (Entra ID, Keycloak). */
  readonly jwtTyp: string | undefined;
  readonly clockToleranceSec: number;
  /** How soon an unknown `kid` may trigger another JWKS fetch (jose's cooldown). */
  readonly jwksCooldownMs: number;
  /** Timeout of every call to the identity provider (discovery, JWKS, token). */
  readonly oidcTimeoutMs: number;
  readonly pdpUrl: string;
  readonly pdpClientToken: string | undefined;
  readonly pdpTimeoutMs: number;
  readonly corsOrigins: readonly string[];
  /** 32 bytes: the A256GCM key of the transaction cookie. */
  readonly txnCookieKey: Uint8Array;
  readonly txnTtlSec: number;
  /** Most used transactions remembered at once (replay guard). */
  readonly txnReplayCacheSize: number;
  readonly cookieSecure: boolean;
  /** Most client connections open at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** How long a client may take to send the request head, then the whole request. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** After SIGTERM/SIGINT: time /readyz answers 503 while requests are still served, then the most time they get to finish. */
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
  /** A Postgres server for the documents (postgres:// URL); unset: PGlite, in this process. Never logged. */
  readonly databaseUrl: string | undefined;
  /** Documents seeded into an empty table at start; 0: none. */
  readonly documentsSeedSize: number;
  /** demo-idp's user list (`GET /demo/users`) for `/api/demo/users`; unset: that route answers 404. */
  readonly demoUsersUrl: string | undefined;
}

/** What startApi takes: any field, as config or as the env would give it; the rest defaults. */
export type ApiConfigInput = Partial<Omit<{ -readonly [K in keyof ApiConfig]: ApiConfig[K] }, 'txnCookieKey'>> & {
  /** base64url of 32 bytes, or the bytes. */
  txnCookieKey?: string | Uint8Array;
};

// The flow's own parameters can never come from configuration.
const RESERVED_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_mode', 'request', 'request_uri']);

function str(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
function list(value: string | undefined): string[] | undefined {
  const v = str(value);
  return v === undefined ? undefined : v.split(',').map((item) => item.trim()).filter(Boolean);
}
function num(value: string | undefined): number | undefined {
  const v = str(value);
  return v === undefined ? undefined : Number(v);
}
function bool(value: string | undefined): boolean | undefined {
  const v = str(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return Number.NaN as unknown as boolean;
}

/** Reads the environment variables documented in demo-api/README.md. */
export function apiConfigFromEnv(env: NodeJS.ProcessEnv): ApiConfigInput {
  const raw: Record<string, unknown> = {
    host: str(env.API_HOST ?? env.HOST),
    port: num(env.API_PORT),
    issuer: str(env.OIDC_ISSUER),
    discoveryUrl: str(env.OIDC_DISCOVERY_URL),
    authorizationEndpoint: str(env.OIDC_AUTHORIZATION_ENDPOINT),
    tokenEndpoint: str(env.OIDC_TOKEN_ENDPOINT),
    jwksUri: str(env.OIDC_JWKS_URI),
    endSessionEndpoint: str(env.OIDC_END_SESSION_ENDPOINT),
    clientId: str(env.OIDC_CLIENT_ID),
    clientSecret: str(env.OIDC_CLIENT_SECRET),
    clientAuthMethod: str(env.OIDC_CLIENT_AUTH_METHOD),
    redirectUri: str(env.OIDC_REDIRECT_URI),
    postLogoutRedirectUri: str(env.OIDC_POST_LOGOUT_REDIRECT_URI),
    scopes: str(env.OIDC_SCOPES),
    extraAuthorizeParams: str(env.OIDC_EXTRA_AUTHORIZE_PARAMS) === undefined ? undefined : Object.fromEntries(new URLSearchParams(str(env.OIDC_EXTRA_AUTHORIZE_PARAMS))),
    groupsClaim: str(env.OIDC_GROUPS_CLAIM),
    apiAudience: str(env.API_AUDIENCE),
    jwtAlgorithms: list(env.JWT_ALGORITHMS),
    // Set but empty means "do not check typ"; unset means the default.
    jwtTyp: env.JWT_TYP === undefined ? undefined : env.JWT_TYP.trim(),
    clockToleranceSec: num(env.JWT_CLOCK_TOLERANCE_SEC),
    jwksCooldownMs: num(env.JWKS_COOLDOWN_MS),
    oidcTimeoutMs: num(env.OIDC_TIMEOUT_MS),
    pdpUrl: str(env.PDP_URL),
    pdpClientToken: str(env.PDP_CLIENT_TOKEN),
    pdpTimeoutMs: num(env.PDP_TIMEOUT_MS),
    corsOrigins: list(env.CORS_ORIGINS),
    txnCookieKey: str(env.TXN_COOKIE_KEY),
    txnTtlSec: num(env.TXN_TTL_SEC),
    cookieSecure: bool(env.COOKIE_SECURE),
    maxConnections: num(env.API_MAX_CONNECTIONS),
    headersTimeoutMs: num(env.API_HEADERS_TIMEOUT_MS),
    requestTimeoutMs: num(env.API_REQUEST_TIMEOUT_MS),
    shutdownDelayMs: num(env.API_SHUTDOWN_DELAY_MS),
    shutdownTimeoutMs: num(env.API_SHUTDOWN_TIMEOUT_MS),
    logLevel: str(env.LOG_LEVEL),
    databaseUrl: str(env.DATABASE_URL),
    demoUsersUrl: str(env.DEMO_USERS_URL),
    documentsSeedSize: num(env.DOCUMENTS_SEED_SIZE),
  };
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as ApiConfigInput;
}

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.hash && !url.username && !url.password;
  } catch {
    return false;
  }
}

function postgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
}

function decodeKey(value: string | Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return new Uint8Array(randomBytes(32));
  if (value instanceof Uint8Array) return value.length === 32 ? new Uint8Array(value) : undefined;
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === 32 ? new Uint8Array(bytes) : undefined;
}

/** Applies the documented defaults and checks everything; throws one ConfigError listing every problem. */
export function buildApiConfig(input: ApiConfigInput): ApiConfig {
  const problems: string[] = [];
  const issuer = (input.issuer ?? 'http://localhost:9000').replace(/\/+$/, '');
  const key = decodeKey(input.txnCookieKey);
  const config: ApiConfig = {
    host: input.host ?? '127.0.0.1',
    port: input.port ?? 3000,
    issuer,
    discoveryUrl: input.discoveryUrl ?? `${issuer}/.well-known/openid-configuration`,
    authorizationEndpoint: input.authorizationEndpoint,
    tokenEndpoint: input.tokenEndpoint,
    jwksUri: input.jwksUri,
    endSessionEndpoint: input.endSessionEndpoint,
    clientId: input.clientId ?? 'demo-api',
    clientSecret: input.clientSecret ?? '',
    clientAuthMethod: input.clientAuthMethod ?? 'client_secret_basic',
    redirectUri: input.redirectUri ?? 'http://localhost:4200/auth/callback',
    postLogoutRedirectUri: input.postLogoutRedirectUri ?? 'http://localhost:4200/',
    scopes: (input.scopes ?? 'openid profile').trim().replace(/\s+/g, ' '),
    extraAuthorizeParams: Object.freeze({ ...(input.extraAuthorizeParams ?? {}) }),
    groupsClaim: input.groupsClaim ?? 'groups',
    apiAudience: input.apiAudience ?? 'http://localhost:3000/api',
    jwtAlgorithms: Object.freeze([...(input.jwtAlgorithms ?? DEFAULT_JWT_ALGORITHMS)]),
    jwtTyp: input.jwtTyp === undefined ? 'at+jwt' : input.jwtTyp || undefined,
    clockToleranceSec: input.clockToleranceSec ?? 5,
    jwksCooldownMs: input.jwksCooldownMs ?? 30_000,
    oidcTimeoutMs: input.oidcTimeoutMs ?? 5_000,
    pdpUrl: (input.pdpUrl ?? 'http://127.0.0.1:8181').replace(/\/+$/, ''),
    pdpClientToken: input.pdpClientToken,
    pdpTimeoutMs: input.pdpTimeoutMs ?? 1_500,
    corsOrigins: Object.freeze([...(input.corsOrigins ?? ['http://localhost:4200'])]),
    txnCookieKey: key ?? new Uint8Array(32),
    txnTtlSec: input.txnTtlSec ?? 600,
    txnReplayCacheSize: input.txnReplayCacheSize ?? 10_000,
    cookieSecure: input.cookieSecure ?? false,
    maxConnections: input.maxConnections ?? 1_000,
    headersTimeoutMs: input.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: input.requestTimeoutMs ?? 30_000,
    // No delay by default: only an orchestrator that routes by /readyz needs one.
    shutdownDelayMs: input.shutdownDelayMs ?? 0,
    shutdownTimeoutMs: input.shutdownTimeoutMs ?? 10_000,
    logLevel: input.logLevel ?? 'info',
    databaseUrl: input.databaseUrl,
    documentsSeedSize: input.documentsSeedSize ?? 100,
    demoUsersUrl: input.demoUsersUrl,
  };

  const int = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  if (!int(config.port, 0, 65535)) problems.push('API_PORT must be an integer 0-65535');
  if (!httpUrl(config.issuer)) problems.push('OIDC_ISSUER must be an http(s) URL');
  for (const [name, value] of [
    ['OIDC_DISCOVERY_URL', config.discoveryUrl],
    ['OIDC_AUTHORIZATION_ENDPOINT', config.authorizationEndpoint],
    ['OIDC_TOKEN_ENDPOINT', config.tokenEndpoint],
    ['OIDC_JWKS_URI', config.jwksUri],
    ['OIDC_END_SESSION_ENDPOINT', config.endSessionEndpoint],
    ['OIDC_REDIRECT_URI', config.redirectUri],
    ['OIDC_POST_LOGOUT_REDIRECT_URI', config.postLogoutRedirectUri],
    ['PDP_URL', config.pdpUrl],
    ['DEMO_USERS_URL', config.demoUsersUrl],
  ] as const) {
    if (value !== undefined && !httpUrl(value)) problems.push(`${name} must be an http(s) URL`);
  }
  if (!config.clientId) problems.push('OIDC_CLIENT_ID must not be empty');
  if (!config.clientSecret) problems.push('OIDC_CLIENT_SECRET is required (the start script generates one)');
  if (config.clientAuthMethod !== 'client_secret_basic' && config.clientAuthMethod !== 'client_secret_post') {
    problems.push('OIDC_CLIENT_AUTH_METHOD must be client_secret_basic or client_secret_post');
  }
  if (!config.scopes.split(' ').includes('openid')) problems.push('OIDC_SCOPES must include openid');
  for (const name of Object.keys(config.extraAuthorizeParams)) {
    if (RESERVED_PARAMS.has(name)) problems.push(`OIDC_EXTRA_AUTHORIZE_PARAMS must not set ${name}`);
  }
  const groupsClaimProblem = claimPathProblem(config.groupsClaim);
  if (groupsClaimProblem) problems.push(`OIDC_GROUPS_CLAIM ${groupsClaimProblem}`);
  if (!config.apiAudience) problems.push('API_AUDIENCE must not be empty');
  if (config.jwtAlgorithms.length === 0 || !config.jwtAlgorithms.every(isAllowedJwtAlgorithm)) {
    problems.push(`JWT_ALGORITHMS must be a comma-separated list of ${ALLOWED_JWT_ALGORITHMS.join(', ')} (never none or HS*)`);
  }
  if (!int(config.clockToleranceSec, 0, 300)) problems.push('JWT_CLOCK_TOLERANCE_SEC must be an integer 0-300');
  if (!int(config.jwksCooldownMs, 0, 3_600_000)) problems.push('JWKS_COOLDOWN_MS must be an integer 0-3600000');
  if (!int(config.oidcTimeoutMs, 100, 60_000)) problems.push('OIDC_TIMEOUT_MS must be an integer 100-60000');
  if (!int(config.pdpTimeoutMs, 10, 60_000)) problems.push('PDP_TIMEOUT_MS must be an integer 10-60000');
  if (config.corsOrigins.some((origin) => origin === '*' || !httpUrl(origin) || new URL(origin).origin !== origin)) {
    problems.push('CORS_ORIGINS must be origins (scheme://host[:port]), comma-separated; "*" is not allowed');
  }
  if (!key) problems.push('TXN_COOKIE_KEY must be 32 bytes, base64url (e.g. node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))")');
  if (!int(config.txnTtlSec, 30, 3600)) problems.push('TXN_TTL_SEC must be an integer 30-3600');
  if (!int(config.txnReplayCacheSize, 100, 10_000_000)) problems.push('txnReplayCacheSize must be an integer >= 100');
  if (typeof config.cookieSecure !== 'boolean' || Number.isNaN(config.cookieSecure)) problems.push('COOKIE_SECURE must be true or false');
  if (!int(config.maxConnections, 1, 1_000_000)) problems.push('API_MAX_CONNECTIONS must be an integer 1-1000000');
  if (!int(config.headersTimeoutMs, 100, 600_000)) problems.push('API_HEADERS_TIMEOUT_MS must be an integer 100-600000');
  if (!int(config.requestTimeoutMs, 100, 600_000)) problems.push('API_REQUEST_TIMEOUT_MS must be an integer 100-600000');
  else if (config.headersTimeoutMs > config.requestTimeoutMs) problems.push('API_HEADERS_TIMEOUT_MS must not exceed API_REQUEST_TIMEOUT_MS');
  if (!int(config.shutdownDelayMs, 0, SHUTDOWN_MS_MAX)) problems.push(`API_SHUTDOWN_DELAY_MS must be an integer 0-${SHUTDOWN_MS_MAX}`);
  if (!int(config.shutdownTimeoutMs, 0, SHUTDOWN_MS_MAX)) problems.push(`API_SHUTDOWN_TIMEOUT_MS must be an integer 0-${SHUTDOWN_MS_MAX}`);
  if (config.databaseUrl !== undefined && !postgresUrl(config.databaseUrl)) problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  if (!int(config.documentsSeedSize, 0, 1_000_000)) problems.push('DOCUMENTS_SEED_SIZE must be an integer 0-1000000');
  if (!isLogLevel(config.logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}
