import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Middleware } from 'koa';

import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import type { ApiState, AuthUser } from './state.js';

// RFC 6750 §2.1 b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_TOKEN_LENGTH = 16 * 1024;
// Claims that describe the token, not the user: the PDP gets the rest.
const TOKEN_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'cnf', 'azp', 'nonce', 'at_hash', 'c_hash', 'sid', 'auth_time']);

function groupsOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (value === undefined) return [];
  // A malformed groups claim is refused, not emptied: deny rules may depend on groups.
  if (!Array.isArray(value) || value.length > 1000 || !value.every((g) => typeof g === 'string' && g.length > 0 && g.length <= 256)) {
    throw new ApiError('token_invalid', 'The access token is not valid.');
  }
  return [...(value as string[])];
}

export function userFromClaims(payload: JWTPayload, groupsClaim: string): AuthUser {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 1024) throw new ApiError('token_invalid', 'The access token is not valid.');
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (!TOKEN_CLAIMS.has(name) && name !== 'sub' && name !== groupsClaim) claims[name] = value;
  }
  const preferred = payload.preferred_username;
  return { sub, username: typeof preferred === 'string' && preferred ? preferred : sub, groups: groupsOf(payload, groupsClaim), claims };
}

/**
 * The global JWT check for everything under /api except the given paths: signature against
 * the issuer's JWKS, iss, aud = API audience, exp/nbf, algorithm allow-list, typ at+jwt.
 * Why a failure is refused is logged by code; the answer only says invalid_token.
 */
export function bearerAuth(config: ApiConfig, keys: JWTVerifyGetKey, exempt: ReadonlySet<string>): Middleware<ApiState> {
  return async (ctx, next) => {
    // Lower-cased, so /API/... cannot slip past the gate (the router is case-sensitive too).
    const path = ctx.path.toLowerCase();
    if (!(path === '/api' || path.startsWith('/api/')) || exempt.has(ctx.path)) return next();
    const header = ctx.get('Authorization');
    if (!header) throw new ApiError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
    const match = header.length <= MAX_TOKEN_LENGTH + 10 ? BEARER.exec(header) : null;
    if (!match?.[1]) throw new ApiError('token_invalid', 'The access token is not valid.');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1], keys, {
        issuer: config.issuer,
        audience: config.apiAudience,
        algorithms: [...config.jwtAlgorithms],
        clockTolerance: config.clockToleranceSec,
        requiredClaims: ['sub', 'exp'],
        ...(config.jwtTyp ? { typ: config.jwtTyp } : {}),
      }));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof errors.JWTExpired) throw new ApiError('token_expired', 'The access token has expired; sign in again.');
      ctx.state.authFailure = err instanceof errors.JOSEError ? err.code : 'ERR_UNKNOWN';
      throw new ApiError('token_invalid', 'The access token is not valid.');
    }
    ctx.state.user = userFromClaims(payload, config.groupsClaim);
    await next();
  };
}
