/**
 * Caller authentication: `Authorization: Bearer <token>` against the configured client tokens.
 * A header value seen for the first time is checked by digest: both sides are hashed, so the
 * comparison is constant-time and of equal length whatever the caller sends, and every
 * configured token is compared (no early exit that would tell which one matched). A header
 * value that passed is remembered, so the callers' steady stream of the same few values costs
 * one lookup, not a sha256 per request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import type { RouteContext } from './handlers.js';
import { PdpError } from '../common/errors.js';

const CHALLENGE = 'Bearer realm="pdp"';

/**
 * Header values remembered as valid, at most. Only values carrying a configured token get in,
 * so only a caller that holds one can fill it (with spellings of the same header: `bearer`,
 * extra spaces); past the limit a value is checked by digest each time, as before.
 */
const MAX_REMEMBERED = 32;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function authorizationHeaders(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization') n++;
  }
  return n;
}

export type CallerAuth = (ctx: RouteContext, next: Next) => Promise<void>;

/**
 * What `callerAuth` is when no client token is configured: nothing to check (such a PDP
 * answers loopback hosts only). Routes still declare it, so the API description says which
 * routes need a token; the app leaves it out when it composes a route.
 */
export const callerAuthOff: CallerAuth = (_ctx, next) => next();

/**
 * The `callerAuth` middleware: throws `unauthorized` (401 + WWW-Authenticate) unless the caller
 * holds one of `tokens`.
 */
export function createCallerAuth(tokens: readonly string[]): CallerAuth {
  if (tokens.length === 0) return callerAuthOff;
  const expected = tokens.map(digest);
  // A Set lookup hashes the presented value (V8's string hash, seeded per process) and compares
  // contents only on a full hash match, so its timing does not follow a token's characters the
  // way a plain string comparison would; and it only ever holds values that passed the digest check.
  const valid = new Set<string>();
  const check = (header: string): boolean => {
    if (valid.has(header)) return true;
    const presented = /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
    let ok = false;
    if (presented !== undefined) {
      const d = digest(presented);
      for (const e of expected) ok = timingSafeEqual(d, e) || ok;
    }
    if (ok && valid.size < MAX_REMEMBERED) valid.add(header);
    return ok;
  };
  return function callerAuth(ctx, next) {
    const req = ctx.req;
    const header = req.headers.authorization;
    if (header === undefined) {
      throw new PdpError('unauthorized', 'Send Authorization: Bearer <client token>.', { headers: { 'WWW-Authenticate': CHALLENGE } });
    }
    // Node keeps only the first of several Authorization headers; a proxy in front may keep the
    // last. Which credential was checked must not depend on who reads the request.
    if (authorizationHeaders(req.rawHeaders) > 1) {
      throw new PdpError('unauthorized', 'Send exactly one Authorization header.', {
        headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_request"` },
      });
    }
    if (!check(header)) {
      throw new PdpError('unauthorized', 'The client token is not valid.', {
        headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` },
      });
    }
    return next();
  };
}
