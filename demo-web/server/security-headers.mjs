// @ts-check

/**
 * The headers every response from demo-web carries. The CSP allows only this origin: the
 * production build has no inline script or style (inlineCritical is off and all styles are in
 * one stylesheet), and the app talks to nothing but its own /api. Leaving for the IdP is a
 * top-level navigation, which CSP does not restrict.
 * @param {readonly string[]} formActions extra origins forms may post to
 * @returns {Record<string, string>}
 */
export function securityHeaders(formActions) {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    `form-action ${["'self'", ...formActions].join(' ')}`,
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}
