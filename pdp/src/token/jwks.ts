/**
 * Where the issuer's signing keys come from: `PDP_JWKS_URL`, or else the `jwks_uri` of the
 * issuer's OpenID discovery document. The key set itself is jose's remote JWKS: cached, and
 * refetched on an unknown `kid` at most once per cooldown (a flood of forged kids cannot
 * turn into a flood of requests to the IdP).
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config.js';
import { KeySourceError } from './reasons.js';

type FetchLike = (input: string, init?: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<Response>;

export interface KeyResolverOptions {
  /** Clock for the discovery retry back-off (ms since epoch). */
  now?: () => number;
  fetch?: FetchLike;
}

/** Codes that say "the keys were fetched fine, this token does not fit them". */
const TOKEN_SIDE_CODES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED']);

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * A jose key function that resolves the JWKS lazily (the PDP starts, and serves subject-mode
 * decisions, even while the IdP is down). Any failure to obtain keys becomes a
 * {@link KeySourceError}, reported as `jwks_unavailable`.
 */
export function createKeyResolver(jwt: Readonly<JwtConfig>, options: KeyResolverOptions = {}): JWTVerifyGetKey {
  const now = options.now ?? Date.now;
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const jwksOptions = { cooldownDuration: jwt.jwksCooldownSec * 1000, timeoutDuration: jwt.jwksTimeoutMs };

  let remote: JWTVerifyGetKey | undefined = jwt.jwksUrl ? createRemoteJWKSet(new URL(jwt.jwksUrl), jwksOptions) : undefined;
  let discovering: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = -Infinity;
  let lastFailure: KeySourceError | undefined;
  // After a failed discovery, wait this long before asking again (same rate limit as kids).
  const retryMs = Math.max(1000, Math.min(jwksOptions.cooldownDuration, 30_000));

  async function discover(): Promise<JWTVerifyGetKey> {
    const url = discoveryUrl(jwt.issuer);
    let doc: unknown;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(jwt.jwksTimeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = await res.json();
    } catch (err) {
      throw new KeySourceError(`discovery failed at ${url}: ${(err as Error).message}`, { cause: err });
    }
    const d = doc as { issuer?: unknown; jwks_uri?: unknown } | null;
    // OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the one we asked.
    if (d === null || typeof d !== 'object' || d.issuer !== jwt.issuer) {
      throw new KeySourceError(`discovery document at ${url} names issuer ${JSON.stringify(d?.issuer)}, expected ${JSON.stringify(jwt.issuer)}`);
    }
    if (typeof d.jwks_uri !== 'string' || !/^https?:\/\//.test(d.jwks_uri)) {
      throw new KeySourceError(`discovery document at ${url} has no usable jwks_uri`);
    }
    return createRemoteJWKSet(new URL(d.jwks_uri), jwksOptions);
  }

  async function keySet(): Promise<JWTVerifyGetKey> {
    if (remote) return remote;
    if (now() - failedAt < retryMs && lastFailure) throw lastFailure;
    discovering ??= discover().then(
      (r) => {
        remote = r;
        discovering = undefined;
        return r;
      },
      (err: KeySourceError) => {
        failedAt = now();
        lastFailure = err;
        discovering = undefined;
        throw err;
      },
    );
    return discovering;
  }

  return async (header, token) => {
    const set = await keySet();
    try {
      return await set(header, token);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && TOKEN_SIDE_CODES.has(code)) throw err;
      throw new KeySourceError(`JWKS unavailable: ${(err as Error).message}`, { cause: err });
    }
  };
}
