/**
 * Where the issuer's signing keys come from: `PDP_JWKS_URL`, or else the `jwks_uri` of the
 * issuer's OpenID discovery document. The key set itself is jose's remote JWKS: cached, and
 * refetched on an unknown `kid` at most once per cooldown (a flood of forged kids cannot
 * turn into a flood of requests to the IdP).
 */
import { createRemoteJWKSet, customFetch, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from './config.js';
import { KeySourceError } from './reasons.js';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Largest discovery document or key set read. A real one is a few KiB; without a cap a broken
 * or hostile endpoint (or a URL pointing at the wrong file) is read whole into memory.
 */
export const MAX_KEY_DOCUMENT_BYTES = 256 * 1024;

/** The body as text, refusing more than `max` bytes (declared or actually sent). */
export async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw new KeySourceError(`response larger than ${max} bytes`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new KeySourceError(`response larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

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
  const cooldownMs = jwt.jwksCooldownSec * 1000;
  // After a failed discovery or JWKS fetch, wait this long before asking again (same rate limit as kids).
  const retryMs = Math.max(1000, Math.min(cooldownMs, 30_000));

  /**
   * jose's cooldown starts only after a *successful* fetch: while the JWKS endpoint fails (down,
   * 500, not JSON), every token that needs a key would trigger another request to it, so a flood
   * of forged tokens became a flood against the IdP at the moment it is weakest. Every fetch goes
   * through here instead: a failure is remembered and answered at once, without a request, for
   * `retryMs`; the body is size-capped and checked to be a key set before jose sees it.
   */
  let fetchFailedAt = -Infinity;
  let fetchFailure: KeySourceError | undefined;
  const guardedFetch: FetchImplementation = async (url, init) => {
    if (fetchFailure !== undefined && now() - fetchFailedAt < retryMs) throw fetchFailure;
    try {
      const res = await doFetch(url, init);
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new KeySourceError(`HTTP ${res.status}`);
      }
      const text = await readCapped(res, MAX_KEY_DOCUMENT_BYTES);
      const doc = JSON.parse(text) as { keys?: unknown } | null;
      if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.keys)) throw new KeySourceError('not a JSON Web Key Set');
      fetchFailure = undefined;
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      fetchFailedAt = now();
      fetchFailure = new KeySourceError(`JWKS fetch from ${url} failed`, { cause: err });
      throw fetchFailure;
    }
  };
  const jwksOptions = { cooldownDuration: cooldownMs, timeoutDuration: jwt.jwksTimeoutMs, [customFetch]: guardedFetch };

  let remote: JWTVerifyGetKey | undefined = jwt.jwksUrl ? createRemoteJWKSet(new URL(jwt.jwksUrl), jwksOptions) : undefined;
  let discovering: Promise<JWTVerifyGetKey> | undefined;
  let failedAt = -Infinity;
  let lastFailure: KeySourceError | undefined;

  async function discover(): Promise<JWTVerifyGetKey> {
    const url = discoveryUrl(jwt.issuer);
    let doc: unknown;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(jwt.jwksTimeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new KeySourceError(`HTTP ${res.status}`);
      doc = JSON.parse(await readCapped(res, MAX_KEY_DOCUMENT_BYTES));
    } catch (err) {
      throw new KeySourceError(`discovery failed at ${url}`, { cause: err });
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
      throw new KeySourceError('JWKS unavailable', { cause: err });
    }
  };
}
