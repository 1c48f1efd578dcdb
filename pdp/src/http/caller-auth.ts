/**
 * Caller authentication: `Authorization: Bearer <token>` against the configured client tokens.
 * Both sides are hashed first, so the comparison is constant-time and of equal length whatever
 * the caller sends, and every configured token is compared (no early exit that would tell
 * which one matched).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PdpError } from '../errors.js';

const CHALLENGE = 'Bearer realm="pdp"';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export type CallerCheck = (req: IncomingMessage) => void;

/** A check that throws `unauthorized` (401 + WWW-Authenticate) unless the caller holds a token. */
export function createCallerAuth(tokens: readonly string[]): CallerCheck {
  const expected = tokens.map(digest);
  return (req) => {
    const header = req.headers.authorization;
    if (header === undefined) {
      throw new PdpError('unauthorized', 'Send Authorization: Bearer <client token>.', { headers: { 'WWW-Authenticate': CHALLENGE } });
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
  };
}
