// An ID, logout or security event token is refused even with JWT_TYP= (the PDP's token mode
// refuses by the same rule).
import { groupsFromClaims, otherTokenKind } from '@oracle-ai/contract';
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

// The PDP's token mode reads groups by the same rule (a dotted path; one string is one group).
function groupsOf(payload: JWTPayload, claim: string): string[] {
  const groups = groupsFromClaims(payload, claim);
  // A malformed groups claim is refused, not emptied: deny rules may depend on groups.
  if (groups === undefined) throw new ApiError('token_invalid', 'The access token is not valid.');
  return groups;
}

function headerCount(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === name) count += 1;
  return count;
}

export function userFromClaims(payload: JWTPayload, groupsClaim: string): AuthUser {
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 1024) throw new ApiError('token_invalid', 'The access token is not valid.');
  // fromEntries defines own properties: a claim named "__proto__" stays a claim and cannot swap
  // the prototype of what the PDP is sent.
  const claims: Record<string, unknown> = Object.fromEntries(
    Object.entries(payload).filter(([name]) => !TOKEN_CLAIMS.has(name) && name !== 'sub' && name !== groupsClaim),
  );
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
    // Node keeps the first of several Authorization headers; a proxy in front may honour another
    // one. RFC 6750 §3.1: more than one credential is an invalid_request, so refuse the ambiguity.
    if (headerCount(ctx.req.rawHeaders, 'authorization') > 1) throw new ApiError('invalid_request', 'Send exactly one Authorization header.');
    const header = ctx.get('Authorization');
    if (!header) throw new ApiError('token_missing', 'Send an access token: Authorization: Bearer <token>.');
    const match = header.length <= MAX_TOKEN_LENGTH + 10 ? BEARER.exec(header) : null;
    if (!match?.[1]) throw new ApiError('token_invalid', 'The access token is not valid.');
    let payload: JWTPayload;
    try {
      let protectedHeader: { typ?: string | undefined };
      ({ payload, protectedHeader } = await jwtVerify(match[1], keys, {
        issuer: config.issuer,
        audience: config.apiAudience,
        algorithms: [...config.jwtAlgorithms],
        clockTolerance: config.clockToleranceSec,
        requiredClaims: ['sub', 'exp'],
        ...(config.jwtTyp ? { typ: config.jwtTyp } : {}),
      }));
      const kind = otherTokenKind(protectedHeader, payload);
      if (kind) {
        ctx.state.authFailure = `not_an_access_token:${kind}`;
        throw new ApiError('token_invalid', 'The access token is not valid.');
      }
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
