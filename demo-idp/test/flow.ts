import { randomBytes } from 'node:crypto';
import { startIdp, type IdpHandle } from '../src/index.js';
import { authorizeUrl as clientAuthorizeUrl, codeFor as clientCodeFor, CookieJar, jarFetch, pkce, readForm, redeemCode, type TestClient } from '../src/testing.js';

export { pkce };

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

/** The test client at `issuer`, with its secret (or another one, to see it refused). */
function client(issuer: string, secret = CLIENT_SECRET): TestClient {
  return { issuer, clientId: CLIENT_ID, clientSecret: secret, redirectUri: REDIRECT };
}

export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): string {
  return clientAuthorizeUrl(client(issuer), params);
}

export function redeem(issuer: string, code: string, verifier: string, secret = CLIENT_SECRET): Promise<{ status: number; body: Record<string, unknown> }> {
  return redeemCode(client(issuer, secret), code, verifier);
}

export function codeFor(idp: IdpHandle, login: string, opts: { nonce?: string; jar?: CookieJar } = {}): Promise<{ code: string; verifier: string; callback: URL }> {
  return clientCodeFor(client(idp.issuer), login, opts);
}

export interface LoginForm {
  jar: CookieJar;
  /** The absolute URL the form posts to. */
  action: string;
  html: string;
  /** Posts the form once, as a browser would; the interaction stays open after a refusal. */
  submit(login: string, password: string, headers?: Record<string, string>): Promise<Response>;
}

/** Starts a code flow at `issuer` and opens its login page, ready to be submitted (again and again). */
export async function openLoginForm(issuer: string): Promise<LoginForm> {
  const jar = new CookieJar();
  const { challenge } = pkce();
  const start = await jarFetch(jar, authorizeUrl(issuer, { state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }));
  const pageUrl = new URL(String(start.headers.get('location')), issuer).href;
  const page = await jarFetch(jar, pageUrl);
  const html = await page.text();
  const form = readForm(html, pageUrl);
  if (page.status !== 200 || !form) throw new Error(`no login form at ${pageUrl}: HTTP ${page.status}`);
  const { action } = form;
  return {
    jar,
    action,
    html,
    submit: (login, password, headers = {}) =>
      jarFetch(jar, action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ login, password }).toString(),
      }),
  };
}
