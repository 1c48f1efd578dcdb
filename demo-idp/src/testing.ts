/**
 * Test helpers: a tiny cookie jar and a "browser" that follows the demo-idp login form with
 * fetch, so tests can run the whole code flow over real HTTP without a browser. Every package
 * whose tests sign in imports them from `demo-idp/testing`, since the IdP owns its login form.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** The password of every user in users.json. */
export const DEMO_PASSWORD = 'demo';

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  expires: number | undefined;
}

/** Cookies by host and path prefix; enough for the demo's flows (no domain cookies, no Secure on http). */
export class CookieJar {
  readonly #cookies: StoredCookie[] = [];

  store(url: string, response: Response): void {
    const { host } = new URL(url);
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const cookie: StoredCookie = { name: pair.slice(0, eq), value: pair.slice(eq + 1), host, path: '/', expires: undefined };
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') cookie.path = value || '/';
        if (key.toLowerCase() === 'max-age') cookie.expires = Date.now() + Number(value) * 1000;
        if (key.toLowerCase() === 'expires' && cookie.expires === undefined) cookie.expires = Date.parse(value);
      }
      const existing = this.#cookies.findIndex((c) => c.name === cookie.name && c.host === host && c.path === cookie.path);
      if (existing >= 0) this.#cookies.splice(existing, 1);
      if (cookie.expires === undefined || cookie.expires > Date.now()) this.#cookies.push(cookie);
    }
  }

  header(url: string): string {
    const { host, pathname } = new URL(url);
    return this.#cookies
      .filter((c) => c.host === host && (pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .filter((c) => c.expires === undefined || c.expires > Date.now())
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  get(name: string): string | undefined {
    return this.#cookies.find((c) => c.name === name)?.value;
  }

  names(): string[] {
    return this.#cookies.map((c) => c.name);
  }
}

/** A hung server fails the test that waits on it, with a message, instead of its timeout. */
const REQUEST_TIMEOUT_MS = 10_000;

/** fetch with the jar, never following redirects. */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}

export interface PageForm {
  /** The absolute URL the form posts to (the page's own URL when it has no action). */
  action: string;
  /** Each named input with its value as the page set it (hidden fields included). */
  fields: Record<string, string>;
}

/** Reads the first form of a page, or undefined when the page has none. */
export function readForm(html: string, pageUrl: string): PageForm | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = attribute(form[1] ?? '', 'action') ?? pageUrl;
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const name = attribute(input[1] ?? '', 'name');
    if (name) fields[name] = attribute(input[1] ?? '', 'value') ?? '';
  }
  return { action: new URL(action, pageUrl).href, fields };
}

function attribute(tag: string, name: string): string | undefined {
  const raw = new RegExp(`(?:^|\\s)${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag)?.[1];
  return raw === undefined ? undefined : decodeEntities(raw);
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' || entity[1] === 'X' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return Number.isInteger(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

export interface LoginResult {
  /** The redirect to the client's redirect_uri, with code, state and iss. */
  callback: URL;
  /** Every page the "browser" saw, for assertions on the login page. */
  pages: string[];
}

export class LoginFlowError extends Error {
  constructor(message: string, readonly status: number, readonly body: string) {
    super(message);
    this.name = 'LoginFlowError';
  }
}

/**
 * Follows redirects from `authorizeUrl` through the login form until the IdP redirects to
 * `redirectUri`; submits `login`/`password`, with the form's other fields as the page set them,
 * when it meets a form that asks for a password. Any other page stops the walk with a
 * LoginFlowError that carries it.
 */
export async function loginThroughForm(opts: { authorizeUrl: string; redirectUri: string; login: string; password: string; jar?: CookieJar; maxSteps?: number }): Promise<LoginResult> {
  const jar = opts.jar ?? new CookieJar();
  const pages: string[] = [];
  let url = opts.authorizeUrl;
  let init: RequestInit = {};
  for (let step = 0; step < (opts.maxSteps ?? 12); step += 1) {
    if (url.startsWith(opts.redirectUri)) return { callback: new URL(url), pages };
    const response = await jarFetch(jar, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    const body = await response.text();
    pages.push(body);
    const form = readForm(body, url);
    if (response.ok && form && Object.hasOwn(form.fields, 'password')) {
      url = form.action;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form.fields, login: opts.login, password: opts.password }).toString(),
      };
      continue;
    }
    throw new LoginFlowError(`login flow stopped at ${new URL(url).pathname} with HTTP ${response.status}`, response.status, body);
  }
  throw new LoginFlowError('login flow did not finish', 0, '');
}

/** What the IdP sent back to the redirect URI: a code, or an error that fails the caller. */
export function codeFromCallback(callback: URL): { code: string; state: string | null; iss: string | null } {
  const code = callback.searchParams.get('code');
  if (!code) throw new LoginFlowError(`no code in the redirect back: ${callback.href}`, 0, '');
  return { code, state: callback.searchParams.get('state'), iss: callback.searchParams.get('iss') };
}

/** A client registered at the IdP, as the code flow's test helpers need it. */
export interface TestClient {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** A fresh S256 PKCE pair. */
export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The IdP's authorization URL for `client`: a code request for openid profile unless `params` say otherwise (undefined drops one). */
export function authorizeUrl(client: TestClient, params: Record<string, string | undefined>): string {
  const url = new URL(`${client.issuer}/auth`);
  const all: Record<string, string | undefined> = { response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'openid profile', ...params };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
  return url.href;
}

/** Redeems a code at the token endpoint with client_secret_basic, as a confidential client does. */
export async function redeemCode(client: TestClient, code: string, verifier: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
  const response = await fetch(`${client.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The browser half of the code flow straight at the IdP (no relying party in between): signs
 * `login` in with the demo password and returns the code with the PKCE verifier that goes with it.
 */
export async function codeFor(client: TestClient, login: string, opts: { nonce?: string; state?: string; jar?: CookieJar } = {}): Promise<{ code: string; verifier: string; callback: URL }> {
  const { verifier, challenge } = pkce();
  const { callback } = await loginThroughForm({
    authorizeUrl: authorizeUrl(client, { state: opts.state ?? 'st', nonce: opts.nonce ?? 'nn', code_challenge: challenge, code_challenge_method: 'S256' }),
    redirectUri: client.redirectUri,
    login,
    password: DEMO_PASSWORD,
    ...(opts.jar ? { jar: opts.jar } : {}),
  });
  return { code: codeFromCallback(callback).code, verifier, callback };
}

/**
 * Opens `cap` connections to `url` and one more, holds them idle, and says whether the extra one
 * was closed by the server (within 2 s) while the first `cap` stayed open. Every socket is
 * closed before it returns. For the services' connection caps (`*_MAX_CONNECTIONS`).
 */
export async function probeConnectionCap(url: string, cap: number): Promise<{ extraClosed: boolean; heldOpen: boolean }> {
  const { hostname, port } = new URL(url);
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname.replace(/^\[(.*)\]$/, '$1'), () => resolve(socket));
      socket.on('error', reject);
    });
  const held: Socket[] = [];
  try {
    for (let i = 0; i < cap; i++) held.push(await open());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = await open();
    const extraClosed = await new Promise<boolean>((resolve) => {
      extra.on('close', () => resolve(true));
      extra.on('error', () => undefined);
      setTimeout(() => resolve(false), 2_000);
    });
    extra.destroy();
    return { extraClosed, heldOpen: held.every((socket) => !socket.destroyed) };
  } finally {
    for (const socket of held) socket.destroy();
    // The server counts closed connections down as it sees them go.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
