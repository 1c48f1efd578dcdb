/**
 * Loopback hosts: a PDP without caller tokens listens only on them (checked when the
 * configuration is loaded and again on the address actually bound) and answers only requests
 * addressed to them.
 */
import type { Next } from 'koa';
import type { RouteContext } from './handlers.js';
import { PdpError } from '../common/errors.js';

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host of a Host header value (`127.0.0.1:8181` → `127.0.0.1`, `[::1]:8181` → `::1`). */
function hostName(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.indexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

/**
 * Open (no caller tokens) is allowed on loopback only, but a browser can still reach loopback:
 * a page whose DNS name is re-bound to 127.0.0.1 is then same-origin with the PDP and could read
 * /v1/policies and ask for decisions. Such a request carries the page's host name; a local
 * caller uses an address or `localhost`. The last accepted value is remembered, so the check
 * costs one comparison per request.
 */
export function createLoopbackHostOnly(): (ctx: RouteContext, next: Next) => Promise<void> {
  let lastGoodHost: string | undefined;
  return function loopbackHostOnly(ctx, next) {
    const host = ctx.req.headers.host;
    if (host !== lastGoodHost) {
      if (host === undefined || !isLoopbackHost(hostName(host))) {
        throw new PdpError('host_not_allowed', 'Without caller tokens this PDP answers only requests addressed to a loopback host (127.0.0.1, [::1], localhost).');
      }
      lastGoodHost = host;
    }
    return next();
  };
}
