import type { ApiConfig } from '../config.js';
import type { ApiContext } from './state.js';

const COOKIE_VALUE = /^[A-Za-z0-9\-._~]+$/;

/**
 * The path demo-api's cookies are scoped to. A `__Host-` cookie (COOKIE_SECURE=true) must have
 * Path=/ (RFC 6265bis §4.1.3.2); over plain http the cookie stays under /api, the only place
 * that reads it.
 */
export function cookiePath(config: Pick<ApiConfig, 'cookieSecure'>): string {
  return config.cookieSecure ? '/' : '/api';
}

/**
 * Set-Cookie written by hand: Koa's cookies refuse `Secure` on a plain-http hop, which is
 * exactly the case behind a TLS-terminating proxy (COOKIE_SECURE=true without trusting proxies).
 * Never a Domain attribute: the cookie belongs to this host alone.
 */
export function setCookie(ctx: ApiContext, config: ApiConfig, name: string, value: string, maxAgeSec: number, path = cookiePath(config)): void {
  if (!COOKIE_VALUE.test(value) && value !== '') throw new TypeError('cookie value must be URL-safe');
  const parts = [`${name}=${value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSec))}`];
  if (maxAgeSec <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (config.cookieSecure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}

/** Every value sent under `name`, in the order the browser sent them (Node joins repeated Cookie headers). */
export function getCookies(ctx: ApiContext, name: string): string[] {
  const header = ctx.get('Cookie');
  if (!header) return [];
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}
