import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

import type { ApiConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { readJson } from '../upstream.js';
import type { OidcEndpoints } from './discovery.js';
import { safeEqual, s256 } from './random.js';
import type { Transaction } from './transaction.js';

/** What the app may ask of a sign-in: `login` makes the provider ask for credentials again (OIDC Core §3.1.2.1). */
export type AuthorizePrompt = 'login';

/**
 * `?prompt=` of `GET /api/authorize`: absent, or `login` (after a logout, so the next sign-in
 * can be someone else even when the provider's session outlived the app's).
 */
export function authorizePromptOf(value: unknown): AuthorizePrompt | undefined {
  if (value === undefined) return undefined;
  if (value === 'login') return value;
  throw new ApiError('invalid_request', 'The query parameter prompt may only be "login".', {
    errors: [{ pointer: '/prompt', detail: 'must be "login", once' }],
  });
}

/** The authorization request URL of the code flow with PKCE (S256), state and nonce. */
export function authorizeUrl(config: ApiConfig, endpoints: OidcEndpoints, txn: Transaction, prompt?: AuthorizePrompt): string {
  const url = new URL(endpoints.authorizationEndpoint);
  // Extra parameters first, so the flow's own parameters (checked at config time) always win.
  for (const [name, value] of Object.entries(config.extraAuthorizeParams)) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.redirectUri);
  url.searchParams.set('scope', config.scopes);
  url.searchParams.set('state', txn.state);
  url.searchParams.set('nonce', txn.nonce);
  url.searchParams.set('code_challenge', s256(txn.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (prompt) url.searchParams.set('prompt', prompt);
  return url.href;
}

/** The end-session URL (RP-initiated logout); without one, the app just goes home. */
export function logoutUrl(config: ApiConfig, endpoints: OidcEndpoints): string {
  if (!endpoints.endSessionEndpoint) return config.postLogoutRedirectUri;
  const url = new URL(endpoints.endSessionEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', config.postLogoutRedirectUri);
  return url.href;
}

export interface TokenSet {
  accessToken: string;
  idToken: string;
  expiresIn: number | undefined;
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined for Basic.
function basic(id: string, secret: string): string {
  const enc = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** Redeems the code at the token endpoint with the client secret and the PKCE verifier. */
export async function exchangeCode(config: ApiConfig, endpoints: OidcEndpoints, code: string, verifier: string): Promise<TokenSet> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: config.redirectUri, code_verifier: verifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (config.clientAuthMethod === 'client_secret_basic') {
    headers.authorization = basic(config.clientId, config.clientSecret);
  } else {
    form.set('client_id', config.clientId);
    form.set('client_secret', config.clientSecret);
  }
  let response: Response;
  let body: Record<string, unknown>;
  try {
    response = await fetch(endpoints.tokenEndpoint, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(config.oidcTimeoutMs), redirect: 'error' });
  } catch (cause) {
    throw new ApiError('idp_unavailable', 'The identity provider cannot be reached.', {}, { cause });
  }
  try {
    body = (await readJson(response)) as Record<string, unknown>;
    if (typeof body !== 'object' || body === null) throw new TypeError('not an object');
  } catch (cause) {
    throw new ApiError(response.status >= 500 ? 'idp_unavailable' : 'idp_bad_response', `The token endpoint answered HTTP ${response.status} without JSON.`, {}, { cause });
  }
  if (!response.ok) {
    if (response.status >= 500) throw new ApiError('idp_unavailable', `The token endpoint answered HTTP ${response.status}.`);
    // Only the OAuth error code goes back: its description may echo request data.
    const error = typeof body.error === 'string' && /^[\x20-\x7e]{1,64}$/.test(body.error) ? body.error : 'unknown';
    if (error === 'invalid_client') throw new ApiError('idp_bad_response', 'The identity provider refused the client credentials (check OIDC_CLIENT_SECRET).', { idp_error: error });
    throw new ApiError('code_rejected', `The identity provider refused the code (${error}); start again.`, { idp_error: error });
  }
  const { access_token: accessToken, id_token: idToken, token_type: tokenType, expires_in: expiresIn } = body;
  if (typeof accessToken !== 'string' || !accessToken || typeof idToken !== 'string' || !idToken) {
    throw new ApiError('idp_bad_response', 'The token response lacks an access token or an ID token.');
  }
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw new ApiError('idp_bad_response', 'The token response is not a Bearer token.');
  }
  return { accessToken, idToken, expiresIn: typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? Math.floor(expiresIn) : undefined };
}

/** OIDC Core §3.1.3.7: signature (allow-listed algs), iss, aud = our client, exp, azp, nonce. */
export async function verifyIdToken(config: ApiConfig, keys: JWTVerifyGetKey, idToken: string, txn: Transaction): Promise<Record<string, unknown>> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: config.issuer,
      audience: config.clientId,
      algorithms: [...config.jwtAlgorithms],
      clockTolerance: config.clockToleranceSec,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const reason = err instanceof errors.JOSEError ? err.code : 'ERR_UNKNOWN';
    throw new ApiError('id_token_invalid', 'The ID token from the identity provider did not verify.', { reason });
  }
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== config.clientId) {
    throw new ApiError('id_token_invalid', 'The ID token is for several audiences and not authorized for this client.', { reason: 'azp' });
  }
  if (typeof payload.nonce !== 'string' || !safeEqual(payload.nonce, txn.nonce)) {
    throw new ApiError('nonce_mismatch', 'The ID token does not belong to this sign-in (nonce).');
  }
  return payload;
}
