/**
 * Test helpers: a tiny cookie jar and a "browser" that follows the demo-idp login form with
 * fetch, so tests can run the whole code flow over real HTTP without a browser.
 */

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

/** fetch with the jar, never following redirects. */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
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

const FORM_ACTION = /<form[^>]*\baction="([^"]+)"/i;

/**
 * Follows redirects from `authorizeUrl` through the login form until the IdP redirects to
 * `redirectUri`; submits `login`/`password` when it meets the form.
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
      url = new URL(location, url).href;
      continue;
    }
    const body = await response.text();
    pages.push(body);
    const action = FORM_ACTION.exec(body)?.[1];
    if (response.ok && action && body.includes('name="password"')) {
      url = new URL(action.replace(/&amp;/g, '&'), url).href;
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: opts.login, password: opts.password }).toString(),
      };
      continue;
    }
    throw new LoginFlowError(`login flow stopped at ${new URL(url).pathname} with HTTP ${response.status}`, response.status, body);
  }
  throw new LoginFlowError('login flow did not finish', 0, '');
}
