// @ts-check

/**
 * The CSP: this origin only. The production build has no inline script (inlineCritical is off)
 * and one stylesheet, which index.html may carry inline: `styleHashes` are the hashes of exactly
 * those `<style>` elements (never 'unsafe-inline'). The app talks to nothing but its own /api.
 * Leaving for the IdP is a top-level navigation, which CSP does not restrict.
 * @param {readonly string[]} formActions extra origins forms may post to
 * @param {readonly string[]} [styleHashes] `'sha256-…'` sources of the inline styles allowed
 * @returns {string}
 */
export function contentSecurityPolicy(formActions, styleHashes = []) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    ["style-src 'self'", ...styleHashes].join(' '),
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    `form-action ${["'self'", ...formActions].join(' ')}`,
  ].join('; ');
}

/**
 * The headers every response from demo-web carries (index.html's CSP adds its style hashes).
 * @param {readonly string[]} formActions extra origins forms may post to
 * @returns {Record<string, string>}
 */
export function securityHeaders(formActions) {
  return {
    'Content-Security-Policy': contentSecurityPolicy(formActions),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  };
}
