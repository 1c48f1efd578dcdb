/**
 * Configuration of `pdp serve`: flags and programmatic options win over the environment,
 * the environment over the defaults written here. Parsed and validated once at start into
 * one frozen object; nothing reads `process.env` after that. An invalid value stops the
 * start with a message naming the variable (or flag, or option) it came from.
 */
import path from 'node:path';
import { ConfigError } from '../common/errors.js';

import { LOG_LEVELS, type LogLevel } from '../observability/log.js';
export type { LogLevel };

/**
 * Asymmetric JWS algorithms only: `none` and the HMAC family are never accepted, because an
 * HMAC "verified" with a public key is a classic forgery (anyone holds the public key).
 */
export const ALLOWED_JWT_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

export interface JwtConfig {
  /** Expected `iss`; also where discovery is fetched from unless `jwksUrl` is set. */
  issuer: string;
  /** Accepted `aud` values (a token must carry one of them). */
  audience: string[];
  jwksUrl: string | undefined;
  algorithms: string[];
  clockToleranceSec: number;
  /** Minimum time between two JWKS refetches triggered by an unknown `kid`. */
  jwksCooldownSec: number;
  jwksTimeoutMs: number;
}

export interface Config {
  policiesDir: string;
  /**
   * Where `policiesDir` came from (`--policies`, `PDP_POLICIES`, `options.policiesDir`, or
   * `default`), so a start-up error names what the operator actually set.
   */
  policiesFrom: string;
  host: string;
  port: number;
  clientTokens: readonly string[];
  /** True when no caller tokens are configured (then the host is loopback: checked at load). */
  allowUnauthenticated: boolean;
  jwt: Readonly<JwtConfig> | undefined;
  groupsClaim: string;
  tokenCacheMax: number;
  tokenCacheMaxTtlSec: number;
  logLevel: LogLevel;
  decisionLog: boolean;
  logRedact: readonly string[];
  maxBatch: number;
  maxBodyBytes: number;
  maxDepth: number;
  workers: number;
  watch: boolean;
  reloadDebounceMs: number;
  shutdownTimeoutMs: number;
}

/** Programmatic options (the same settings as the environment, already typed). */
export interface ConfigOptions {
  policiesDir?: string;
  host?: string;
  port?: number;
  clientTokens?: readonly string[];
  allowUnauthenticated?: boolean;
  jwt?: {
    issuer: string;
    audience: string | readonly string[];
    jwksUrl?: string;
    algorithms?: readonly string[];
    clockToleranceSec?: number;
    jwksCooldownSec?: number;
    jwksTimeoutMs?: number;
  };
  groupsClaim?: string;
  tokenCacheMax?: number;
  tokenCacheMaxTtlSec?: number;
  logLevel?: LogLevel;
  decisionLog?: boolean;
  logRedact?: readonly string[];
  maxBatch?: number;
  maxBodyBytes?: number;
  maxDepth?: number;
  workers?: number;
  watch?: boolean;
  reloadDebounceMs?: number;
  shutdownTimeoutMs?: number;
}

/** Command-line flags of `pdp serve`, as strings (see cli/serve.ts). */
export type ConfigFlags = Partial<Record<'policies' | 'host' | 'port' | 'log-level' | 'workers' | 'max-batch' | 'decision-log', string>>;

type Env = Record<string, string | undefined>;

// ---- value parsers: each returns the value or throws ConfigError naming `name` ----

function int(name: string, raw: string | number, min: number, max: number): number {
  const s = String(raw).trim();
  const n = /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got ${JSON.stringify(String(raw))})`);
  }
  return n;
}

function bool(name: string, raw: string | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(s)) return true;
  if (['off', 'false', '0', 'no'].includes(s)) return false;
  throw new ConfigError(name, `must be on or off (got ${JSON.stringify(raw)})`);
}

function list(raw: string | readonly string[]): string[] {
  const items = typeof raw === 'string' ? raw.split(',') : raw;
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

function httpUrl(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL (got ${JSON.stringify(raw)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL (got ${JSON.stringify(raw)})`);
  }
  return raw;
}

function nonEmpty(name: string, raw: string): string {
  const s = raw.trim();
  if (s.length === 0) throw new ConfigError(name, 'must not be empty');
  return s;
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Picks the first defined source for one setting, remembering its name for error messages.
 * Order: programmatic option, flag, environment variable.
 */
function pick<T>(
  option: [string, T | undefined] | undefined,
  flag: [string, string | undefined] | undefined,
  envVar: [string, string | undefined] | undefined,
): [string, T | string] | undefined {
  if (option && option[1] !== undefined) return [option[0], option[1]];
  if (flag && flag[1] !== undefined) return [flag[0], flag[1]];
  if (envVar && envVar[1] !== undefined && envVar[1] !== '') return [envVar[0], envVar[1]];
  return undefined;
}

export interface LoadConfigSources {
  env?: Env;
  flags?: ConfigFlags;
  options?: ConfigOptions;
  /** Base for a relative policies directory (default: `process.cwd()`). */
  cwd?: string;
}

/**
 * Builds the frozen {@link Config}. Throws {@link ConfigError} on the first invalid value.
 *
 * Defaults: policies `./policies`, host `127.0.0.1`, port 8181, no caller tokens (loopback
 * only), groups claim `groups`, algorithms RS256,PS256,ES256,EdDSA, clock tolerance 5 s,
 * JWKS cooldown 30 s and timeout 5 s, token cache 10,000 entries for at most 300 s (never
 * past `exp`), log level info, decision log on, batch 100 items, body 100 KiB, nesting
 * depth 32, 1 worker, watch on, debounce 100 ms, shutdown grace 10 s.
 */
export function loadConfig(sources: LoadConfigSources = {}): Readonly<Config> {
  const env: Env = sources.env ?? {};
  const flags: ConfigFlags = sources.flags ?? {};
  const o: ConfigOptions = sources.options ?? {};
  const cwd = sources.cwd ?? process.cwd();

  const intSetting = (
    optName: keyof ConfigOptions,
    flagName: keyof ConfigFlags | undefined,
    envName: string,
    def: number,
    min: number,
    max: number,
  ): number => {
    const src = pick(
      [`options.${optName}`, o[optName] as number | undefined],
      flagName ? [`--${flagName}`, flags[flagName]] : undefined,
      [envName, env[envName]],
    );
    return src === undefined ? def : int(src[0], src[1], min, max);
  };
  const boolSetting = (optName: keyof ConfigOptions, flagName: keyof ConfigFlags | undefined, envName: string, def: boolean): boolean => {
    const src = pick(
      [`options.${optName}`, o[optName] as boolean | undefined],
      flagName ? [`--${flagName}`, flags[flagName]] : undefined,
      [envName, env[envName]],
    );
    return src === undefined ? def : bool(src[0], src[1]);
  };

  const policiesSrc = pick(['options.policiesDir', o.policiesDir], ['--policies', flags.policies], ['PDP_POLICIES', env.PDP_POLICIES]);
  const policiesDir = path.resolve(cwd, policiesSrc ? nonEmpty(policiesSrc[0], policiesSrc[1]) : './policies');
  const policiesFrom = policiesSrc ? policiesSrc[0] : 'default';

  const hostSrc = pick(['options.host', o.host], ['--host', flags.host], ['PDP_HOST', env.PDP_HOST]);
  // `[::1]` is how an IPv6 address is written in a URL; listen() wants it bare.
  const host = hostSrc ? nonEmpty(hostSrc[0], hostSrc[1]).replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  const port = intSetting('port', 'port', 'PDP_PORT', 8181, 0, 65535);

  const tokensSrc = pick<readonly string[]>(['options.clientTokens', o.clientTokens], undefined, ['PDP_CLIENT_TOKENS', env.PDP_CLIENT_TOKENS]);
  const clientTokens = tokensSrc ? list(tokensSrc[1]) : [];
  if (tokensSrc && clientTokens.length === 0) {
    throw new ConfigError(tokensSrc[0], 'is set but holds no token');
  }
  // A caller sends `Bearer <token>`, read up to the first space: a token with a space or a
  // control character could never match, and every caller would get a 401 without a clue why.
  // The message gives the position, never the token.
  clientTokens.forEach((t, i) => {
    if (!/^[\x21-\x7e]+$/.test(t)) {
      throw new ConfigError(tokensSrc![0], `token ${i + 1} contains a space, a control or a non-ASCII character; use printable ASCII only`);
    }
  });

  // Running open is possible only on loopback, and only when nobody asked for it to be closed.
  const allowUnauthenticated = clientTokens.length === 0;
  if (allowUnauthenticated) {
    if (o.allowUnauthenticated === false) {
      throw new ConfigError('options.clientTokens', 'no caller token is configured and options.allowUnauthenticated is false');
    }
    if (!isLoopbackHost(host)) {
      throw new ConfigError(
        'PDP_CLIENT_TOKENS',
        `refusing to serve without caller authentication on the non-loopback host ${host}; ` +
          'set PDP_CLIENT_TOKENS (comma-separated) or listen on 127.0.0.1',
      );
    }
  }

  const jwt = loadJwt(env, o);

  const groupsSrc = pick(['options.groupsClaim', o.groupsClaim], undefined, ['PDP_GROUPS_CLAIM', env.PDP_GROUPS_CLAIM]);
  const groupsClaim = groupsSrc ? nonEmpty(groupsSrc[0], groupsSrc[1]) : 'groups';
  // A dot path into the verified claims, read through own properties only; a prototype segment
  // or an empty one (`a..b`) is a typo or an attack on the reader, never a claim name.
  if (groupsClaim.split('.').some((seg) => seg === '' || seg === '__proto__' || seg === 'constructor' || seg === 'prototype')) {
    throw new ConfigError(groupsSrc![0], `invalid claim path ${JSON.stringify(groupsClaim)} (dot-separated claim names, e.g. groups or realm_access.roles)`);
  }

  const levelSrc = pick(['options.logLevel', o.logLevel], ['--log-level', flags['log-level']], ['PDP_LOG_LEVEL', env.PDP_LOG_LEVEL]);
  let logLevel: LogLevel = 'info';
  if (levelSrc) {
    const l = levelSrc[1].trim().toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(l)) {
      throw new ConfigError(levelSrc[0], `must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(levelSrc[1])})`);
    }
    logLevel = l as LogLevel;
  }

  const redactSrc = pick<readonly string[]>(['options.logRedact', o.logRedact], undefined, ['PDP_LOG_REDACT', env.PDP_LOG_REDACT]);
  const logRedact = redactSrc ? list(redactSrc[1]) : [];
  for (const p of logRedact) {
    if (!/^[A-Za-z0-9_$*]+(\.[A-Za-z0-9_$*]+|\["[^"]+"\])*$/.test(p)) {
      throw new ConfigError(redactSrc![0], `invalid redaction path ${JSON.stringify(p)} (use dotted paths such as subject.id or resource.*)`);
    }
  }

  const config: Config = {
    policiesDir,
    policiesFrom,
    host,
    port,
    clientTokens: Object.freeze(clientTokens),
    allowUnauthenticated,
    jwt: jwt ? Object.freeze(jwt) : undefined,
    groupsClaim,
    tokenCacheMax: intSetting('tokenCacheMax', undefined, 'PDP_TOKEN_CACHE_MAX', 10_000, 0, 10_000_000),
    tokenCacheMaxTtlSec: intSetting('tokenCacheMaxTtlSec', undefined, 'PDP_TOKEN_CACHE_TTL', 300, 0, 86_400),
    logLevel,
    decisionLog: boolSetting('decisionLog', 'decision-log', 'PDP_DECISION_LOG', true),
    logRedact: Object.freeze(logRedact),
    maxBatch: intSetting('maxBatch', 'max-batch', 'PDP_MAX_BATCH', 100, 1, 10_000),
    maxBodyBytes: intSetting('maxBodyBytes', undefined, 'PDP_MAX_BODY_BYTES', 100 * 1024, 256, 64 * 1024 * 1024),
    maxDepth: intSetting('maxDepth', undefined, 'PDP_MAX_DEPTH', 32, 4, 1000),
    workers: intSetting('workers', 'workers', 'PDP_WORKERS', 1, 1, 256),
    watch: boolSetting('watch', undefined, 'PDP_WATCH', true),
    reloadDebounceMs: intSetting('reloadDebounceMs', undefined, 'PDP_RELOAD_DEBOUNCE_MS', 100, 0, 60_000),
    shutdownTimeoutMs: intSetting('shutdownTimeoutMs', undefined, 'PDP_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
  return Object.freeze(config);
}

function loadJwt(env: Env, o: ConfigOptions): JwtConfig | undefined {
  const j = o.jwt;
  const issuerSrc = pick(['options.jwt.issuer', j?.issuer], undefined, ['PDP_JWT_ISSUER', env.PDP_JWT_ISSUER]);
  const audSrc = pick<string | readonly string[]>(['options.jwt.audience', j?.audience], undefined, ['PDP_JWT_AUDIENCE', env.PDP_JWT_AUDIENCE]);
  const jwksSrc = pick(['options.jwt.jwksUrl', j?.jwksUrl], undefined, ['PDP_JWKS_URL', env.PDP_JWKS_URL]);
  if (!issuerSrc) {
    if (audSrc) throw new ConfigError(audSrc[0], 'is set but PDP_JWT_ISSUER is not (token mode needs both)');
    if (jwksSrc) throw new ConfigError(jwksSrc[0], 'is set but PDP_JWT_ISSUER is not (token mode needs it)');
    return undefined;
  }
  const issuer = httpUrl(issuerSrc[0], nonEmpty(issuerSrc[0], issuerSrc[1]));
  // Without an audience check a token minted for any other API of the same issuer would pass.
  if (!audSrc) throw new ConfigError('PDP_JWT_AUDIENCE', 'is required when PDP_JWT_ISSUER is set');
  const audience = list(audSrc[1]);
  if (audience.length === 0) throw new ConfigError(audSrc[0], 'must name at least one audience');

  const algSrc = pick<readonly string[]>(['options.jwt.algorithms', j?.algorithms], undefined, ['PDP_JWT_ALGORITHMS', env.PDP_JWT_ALGORITHMS]);
  const algorithms = algSrc ? list(algSrc[1]) : ['RS256', 'PS256', 'ES256', 'EdDSA'];
  if (algorithms.length === 0) throw new ConfigError(algSrc![0], 'must name at least one algorithm');
  for (const a of algorithms) {
    if (!(ALLOWED_JWT_ALGORITHMS as readonly string[]).includes(a)) {
      throw new ConfigError(
        algSrc![0],
        `algorithm ${JSON.stringify(a)} is not allowed; choose from ${ALLOWED_JWT_ALGORITHMS.join(', ')} (never none or HMAC)`,
      );
    }
  }
  const num = (opt: number | undefined, optName: string, envName: string, def: number, min: number, max: number): number => {
    const src = pick([optName, opt], undefined, [envName, env[envName]]);
    return src === undefined ? def : int(src[0], src[1], min, max);
  };
  return {
    issuer,
    audience,
    jwksUrl: jwksSrc ? httpUrl(jwksSrc[0], jwksSrc[1].trim()) : undefined,
    algorithms,
    clockToleranceSec: num(j?.clockToleranceSec, 'options.jwt.clockToleranceSec', 'PDP_JWT_CLOCK_TOLERANCE', 5, 0, 300),
    jwksCooldownSec: num(j?.jwksCooldownSec, 'options.jwt.jwksCooldownSec', 'PDP_JWKS_COOLDOWN', 30, 0, 3600),
    jwksTimeoutMs: num(j?.jwksTimeoutMs, 'options.jwt.jwksTimeoutMs', 'PDP_JWKS_TIMEOUT_MS', 5000, 100, 60_000),
  };
}
