import type { ApiConfig } from '../config.js';
import type { ApiContext } from './state.js';

const COOKIE_VALUE = /^[A-Za-z0-9\-._~]+$/;

/**
 * Set-Cookie written by hand: Koa's cookies refuse `Secure` on a plain-http hop, which is
 * exactly the case behind a TLS-terminating proxy (COOKIE_SECURE=true without trusting proxies).
 */
export function setCookie(ctx: ApiContext, config: ApiConfig, name: string, value: string, maxAgeSec: number): void {
  if (!COOKIE_VALUE.test(value) && value !== '') throw new TypeError('cookie value must be URL-safe');
  const parts = [`${name}=${value}`, 'Path=/api', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSec))}`];
  if (maxAgeSec <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (config.cookieSecure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}

export function getCookie(ctx: ApiContext, name: string): string | undefined {
  const header = ctx.get('Cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
