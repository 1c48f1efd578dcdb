/**
 * The settings of token mode: the issuer, audiences and algorithms a caller's JWT is verified
 * against, where the groups claim is, and the verified-token cache. Parsed here, with the
 * reader of whoever assembles the whole configuration, so every problem is reported at once.
 */
import { ACCESS_TOKEN_TYP, ALLOWED_JWT_ALGORITHMS, claimPathProblem, DEFAULT_JWT_ALGORITHMS } from '@oracle-ai/contract';
import type { SettingsReader } from '../common/settings.js';

// Asymmetric JWS algorithms only (never `none` or HMAC); the list is shared with demo-api.
export { ALLOWED_JWT_ALGORITHMS };

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
  /**
   * The JOSE `typ` a token must carry (compared case-insensitively, `application/` optional);
   * undefined: not checked (ID, logout and security event tokens are still refused).
   */
  typ: string | undefined;
}

/** The token settings as programmatic options (already typed). */
export interface TokenOptions {
  jwt?: {
    issuer: string;
    audience: string | readonly string[];
    jwksUrl?: string;
    algorithms?: readonly string[];
    clockToleranceSec?: number;
    jwksCooldownSec?: number;
    jwksTimeoutMs?: number;
    /** Empty string: no typ check. */
    typ?: string;
  };
  groupsClaim?: string;
  tokenCacheMax?: number;
  tokenCacheMaxTtlSec?: number;
}

export interface TokenSettings {
  /** Undefined: token mode is off (requests must send a subject). */
  jwt: Readonly<JwtConfig> | undefined;
  /** Dot path of the groups claim in a verified payload. */
  groupsClaim: string;
  tokenCacheMax: number;
  tokenCacheMaxTtlSec: number;
}

/**
 * Token mode is on when PDP_JWT_ISSUER is set. Defaults: groups claim `groups`, algorithms
 * RS256,PS256,ES256,EdDSA, typ at+jwt, clock tolerance 5 s, JWKS cooldown 30 s and timeout 5 s, cache
 * 10,000 tokens for at most 300 s (never past `exp`).
 */
export function readTokenSettings(r: SettingsReader, o: TokenOptions): TokenSettings {
  const groupsSrc = r.pick(['options.groupsClaim', o.groupsClaim], undefined, 'PDP_GROUPS_CLAIM');
  const groupsClaim = r.nonEmpty(groupsSrc, 'groups');
  // A dot path into the verified claims, read through own properties only; a prototype segment
  // or an empty one (`a..b`) is a typo or an attack on the reader, never a claim name.
  if (groupsSrc !== undefined && claimPathProblem(groupsClaim) !== undefined) {
    r.report(groupsSrc.name, `invalid claim path ${JSON.stringify(groupsClaim)} (dot-separated claim names, e.g. groups or realm_access.roles)`);
  }
  return {
    jwt: readJwt(r, o.jwt),
    groupsClaim,
    tokenCacheMax: r.int(r.pick(['options.tokenCacheMax', o.tokenCacheMax], undefined, 'PDP_TOKEN_CACHE_MAX'), 10_000, 0, 10_000_000),
    tokenCacheMaxTtlSec: r.int(r.pick(['options.tokenCacheMaxTtlSec', o.tokenCacheMaxTtlSec], undefined, 'PDP_TOKEN_CACHE_TTL'), 300, 0, 86_400),
  };
}

function readJwt(r: SettingsReader, j: TokenOptions['jwt']): Readonly<JwtConfig> | undefined {
  const issuerSrc = r.pick(['options.jwt.issuer', j?.issuer], undefined, 'PDP_JWT_ISSUER');
  const audSrc = r.pick<string | readonly string[]>(['options.jwt.audience', j?.audience], undefined, 'PDP_JWT_AUDIENCE');
  const jwksSrc = r.pick(['options.jwt.jwksUrl', j?.jwksUrl], undefined, 'PDP_JWKS_URL');
  if (issuerSrc === undefined) {
    if (audSrc !== undefined) r.report(audSrc.name, 'is set but PDP_JWT_ISSUER is not (token mode needs both)');
    if (jwksSrc !== undefined) r.report(jwksSrc.name, 'is set but PDP_JWT_ISSUER is not (token mode needs it)');
    return undefined;
  }
  const issuer = r.httpUrl(issuerSrc);
  // Without an audience check a token minted for any other API of the same issuer would pass.
  if (audSrc === undefined) r.report('PDP_JWT_AUDIENCE', 'is required when PDP_JWT_ISSUER is set');
  const audience = r.list(audSrc);
  if (audSrc !== undefined && audience.length === 0) r.report(audSrc.name, 'must name at least one audience');

  const algSrc = r.pick<readonly string[]>(['options.jwt.algorithms', j?.algorithms], undefined, 'PDP_JWT_ALGORITHMS');
  const algorithms = algSrc === undefined ? [...DEFAULT_JWT_ALGORITHMS] : r.list(algSrc);
  if (algSrc !== undefined && algorithms.length === 0) r.report(algSrc.name, 'must name at least one algorithm');
  for (const a of algorithms) {
    if (!(ALLOWED_JWT_ALGORITHMS as readonly string[]).includes(a)) {
      r.report(algSrc?.name ?? 'PDP_JWT_ALGORITHMS', `algorithm ${JSON.stringify(a)} is not allowed; choose from ${ALLOWED_JWT_ALGORITHMS.join(', ')} (never none or HMAC)`);
    }
  }
  const typSrc = r.pick(['options.jwt.typ', j?.typ], undefined, 'PDP_JWT_TYP', true);
  const typ = typSrc === undefined ? ACCESS_TOKEN_TYP : typSrc.value.trim();
  if (typ !== '' && !/^[\x21-\x7e]+$/.test(typ)) r.report(typSrc?.name ?? 'PDP_JWT_TYP', `invalid typ ${JSON.stringify(typ)} (e.g. at+jwt; empty turns the check off)`);
  const jwt: JwtConfig = {
    issuer: issuer ?? '',
    audience,
    jwksUrl: jwksSrc === undefined ? undefined : r.httpUrl(jwksSrc),
    algorithms: [...algorithms],
    clockToleranceSec: r.int(r.pick(['options.jwt.clockToleranceSec', j?.clockToleranceSec], undefined, 'PDP_JWT_CLOCK_TOLERANCE'), 5, 0, 300),
    jwksCooldownSec: r.int(r.pick(['options.jwt.jwksCooldownSec', j?.jwksCooldownSec], undefined, 'PDP_JWKS_COOLDOWN'), 30, 0, 3600),
    jwksTimeoutMs: r.int(r.pick(['options.jwt.jwksTimeoutMs', j?.jwksTimeoutMs], undefined, 'PDP_JWKS_TIMEOUT_MS'), 5000, 100, 60_000),
    typ: typ === '' ? undefined : typ,
  };
  // A value that failed above was reported; the reader's finish() throws before this is used.
  return Object.freeze(jwt);
}
