/**
 * True when `url` (relative or absolute) points at this app's own `/api`. Only these requests
 * carry the bearer token: a token sent to any other origin would leak the user's session.
 */
export function isOwnApiUrl(url: string, appOrigin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url, appOrigin);
  } catch {
    return false;
  }
  return parsed.origin === appOrigin && (parsed.pathname === '/api' || parsed.pathname.startsWith('/api/'));
}

/**
 * A return address after login must stay inside the app: a path starting with a single "/".
 * Anything else ("//evil.example", "https://…", "javascript:…") becomes "/" (open-redirect guard).
 */
export function safeReturnUrl(candidate: string | null | undefined): string {
  if (!candidate || !candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) {
    return '/';
  }
  if (candidate === '/auth/callback' || candidate.startsWith('/auth/callback?')) return '/';
  return candidate;
}

/** The IdP URLs we navigate to must be http(s); a `javascript:` URL from a broken API must not run. */
export function isHttpUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
