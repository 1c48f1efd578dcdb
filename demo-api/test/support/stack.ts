import { randomBytes } from 'node:crypto';
import { startIdp, type IdpHandle, type PrivateJwks } from 'demo-idp';
import type { Logger } from 'pino';
import { CookieJar, DEMO_PASSWORD, codeFromCallback, jarFetch, loginThroughForm, type TestClient } from 'demo-idp/testing';

import { startApi, type ApiConfigInput, type ApiHandle } from '../../src/index.js';
import { startPdp, type RunningPdp } from './pdp.js';

export const REDIRECT = 'http://127.0.0.1:4299/auth/callback';
export const POST_LOGOUT = 'http://127.0.0.1:4299/';
export const WEB_ORIGIN = 'http://127.0.0.1:4299';
export const AUDIENCE = 'http://127.0.0.1:3999/api';
export const CLIENT_ID = 'demo-api';

export interface Stack {
  idp: IdpHandle;
  pdp: RunningPdp;
  api: ApiHandle;
  clientSecret: string;
  /** demo-api's registration at the IdP, for going to the IdP directly. */
  idpClient: TestClient;
  pdpToken: string;
  txnKey: Uint8Array;
  /** Starts another API against the same IdP and PDP with some settings changed. */
  startApi(overrides?: ApiConfigInput, logger?: Logger): Promise<ApiHandle>;
  close(): Promise<void>;
}

export async function startStack(apiOverrides: ApiConfigInput = {}, options: { jwks?: PrivateJwks; logger?: Logger } = {}): Promise<Stack> {
  const clientSecret = randomBytes(24).toString('base64url');
  const pdpToken = randomBytes(24).toString('base64url');
  const txnKey = new Uint8Array(randomBytes(32));
  const idp = await startIdp({ port: 0, clientSecret, redirectUris: [REDIRECT], postLogoutRedirectUris: [POST_LOGOUT], apiAudience: AUDIENCE, logLevel: 'silent', ...(options.jwks ? { jwks: options.jwks } : {}) });
  const pdp = await startPdp(pdpToken);
  const extraApis: ApiHandle[] = [];
  const base = (): ApiConfigInput => ({
    port: 0,
    issuer: idp.issuer,
    clientId: CLIENT_ID,
    clientSecret,
    redirectUri: REDIRECT,
    postLogoutRedirectUri: POST_LOGOUT,
    apiAudience: AUDIENCE,
    pdpUrl: pdp.url,
    pdpClientToken: pdpToken,
    pdpTimeoutMs: 1000,
    corsOrigins: [WEB_ORIGIN],
    txnCookieKey: txnKey,
    jwksCooldownMs: 0,
    logLevel: 'silent',
  });
  const api = await startApi({ ...base(), ...apiOverrides }, options.logger ? { logger: options.logger } : {});
  return {
    idp,
    pdp,
    api,
    clientSecret,
    idpClient: { issuer: idp.issuer, clientId: CLIENT_ID, clientSecret, redirectUri: REDIRECT },
    pdpToken,
    txnKey,
    async startApi(overrides = {}, logger) {
      const extra = await startApi({ ...base(), ...overrides }, logger ? { logger } : {});
      extraApis.push(extra);
      return extra;
    },
    async close() {
      await Promise.allSettled([api.close(), ...extraApis.map((a) => a.close()), pdp.close(), idp.close()]);
    },
  };
}

/** What the browser holds after GET /api/authorize. */
export interface Started {
  jar: CookieJar;
  authorizeUrl: string;
  txnCookie: string;
}

export async function beginLogin(api: ApiHandle, jar = new CookieJar()): Promise<Started> {
  const response = await jarFetch(jar, `${api.url}/api/authorize`);
  if (response.status !== 200) throw new Error(`GET /api/authorize: ${response.status} ${await response.text()}`);
  const { authorize_url: authorizeUrl } = (await response.json()) as { authorize_url: string };
  const txnCookie = jar.get('demo_api_txn');
  if (!txnCookie) throw new Error('no transaction cookie');
  return { jar, authorizeUrl, txnCookie };
}

/** The IdP half: the login form, up to the redirect back with code and state. */
export async function authenticate(authorizeUrl: string, login: string): Promise<{ code: string; state: string; iss: string | null }> {
  const { callback } = await loginThroughForm({ authorizeUrl, redirectUri: REDIRECT, login, password: DEMO_PASSWORD });
  const { code, state, iss } = codeFromCallback(callback);
  if (!state) throw new Error(`no state in ${callback.href}`);
  return { code, state, iss };
}

export async function postToken(api: ApiHandle, body: unknown, cookie: string | undefined): Promise<Response> {
  return fetch(`${api.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie: `demo_api_txn=${cookie}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** The whole code flow through the API, as demo-web does it; returns the access token. */
export async function signIn(api: ApiHandle, login: string): Promise<string> {
  const { authorizeUrl, txnCookie } = await beginLogin(api);
  const { code, state } = await authenticate(authorizeUrl, login);
  const response = await postToken(api, { code, state }, txnCookie);
  if (response.status !== 200) throw new Error(`POST /api/token: ${response.status} ${await response.text()}`);
  const { access_token: accessToken } = (await response.json()) as { access_token: string };
  return accessToken;
}

export async function get(api: ApiHandle, path: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${api.url}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

export async function post(api: ApiHandle, path: string, token: string | undefined, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
