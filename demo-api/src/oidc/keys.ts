import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import type { OidcDiscovery } from './discovery.js';

// Errors that say "this token's key is not in the set" (a bad token), as opposed to "the set
// cannot be fetched" (an IdP outage, which must not look like the user's fault).
const TOKEN_KEY_ERRORS = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JWS_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED']);

/**
 * The IdP's signing keys: jose's remote JWKS (cached; refetched on an unknown kid after the
 * cooldown, which is how key rotation is followed), created once discovery has said where.
 */
export function issuerKeys(config: ApiConfig, discovery: OidcDiscovery): JWTVerifyGetKey {
  let remote: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    if (!remote) {
      const { jwksUri } = await discovery.get();
      remote = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: config.oidcTimeoutMs,
        cooldownDuration: config.jwksCooldownMs,
        cacheMaxAge: 10 * 60_000,
      });
    }
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JOSEError && TOKEN_KEY_ERRORS.has(err.code)) throw err;
      throw new ApiError('idp_unavailable', "The identity provider's signing keys cannot be fetched.", {}, { cause: err });
    }
  };
}
