/**
 * Caller authentication: `Authorization: Bearer <token>` against the configured client tokens.
 * Both sides are hashed first, so the comparison is constant-time and of equal length whatever
 * the caller sends, and every configured token is compared (no early exit that would tell
 * which one matched).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { PdpError } from '../common/errors.js';

const CHALLENGE = 'Bearer realm="pdp"';

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

export type CallerAuth = (ctx: Context, next: Next) => Promise<void>;

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
    const presented = /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
    let ok = false;
    if (presented !== undefined) {
      const d = digest(presented);
      for (const e of expected) ok = timingSafeEqual(d, e) || ok;
    }
    if (!ok) {
      throw new PdpError('unauthorized', 'The client token is not valid.', {
        headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` },
      });
    }
    return next();
  };
}
