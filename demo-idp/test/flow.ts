import { createHash, randomBytes } from 'node:crypto';
import { startIdp, type IdpHandle } from '../src/index.js';
import { CookieJar, loginThroughForm } from '../src/testing.js';

export const CLIENT_ID = 'demo-api';
export const CLIENT_SECRET = randomBytes(24).toString('base64url');
export const REDIRECT = 'http://127.0.0.1:5999/auth/callback';
export const POST_LOGOUT = 'http://127.0.0.1:5999/';
export const AUDIENCE = 'http://127.0.0.1:5998/api';

export function startTestIdp(extra: Parameters<typeof startIdp>[0] = {}): Promise<IdpHandle> {
  return startIdp({
    port: 0,
    clientSecret: CLIENT_SECRET,
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [POST_LOGOUT],
    apiAudience: AUDIENCE,
    logLevel: 'silent',
    ...extra,
  });
}

export interface Pkce { verifier: string; challenge: string }
export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${issuer}/auth`);
  const all: Record<string, string | undefined> = { response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT, scope: 'openid profile', ...params };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

export async function redeem(issuer: string, code: string, verifier: string, secret = CLIENT_SECRET): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Runs the browser half of the flow and returns the code with the PKCE verifier that goes with it. */
export async function codeFor(idp: IdpHandle, login: string, opts: { nonce?: string; jar?: CookieJar } = {}): Promise<{ code: string; verifier: string; callback: URL }> {
  const { verifier, challenge } = pkce();
  const { callback } = await loginThroughForm({
    authorizeUrl: authorizeUrl(idp.issuer, { state: 'st', nonce: opts.nonce ?? 'nn', code_challenge: challenge, code_challenge_method: 'S256' }),
    redirectUri: REDIRECT,
    login,
    password: 'demo',
    ...(opts.jar ? { jar: opts.jar } : {}),
  });
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in ${callback.href}`);
  return { code, verifier, callback };
}
