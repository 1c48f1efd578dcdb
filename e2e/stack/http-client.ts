// A minimal browser over fetch: a cookie jar per origin and manual redirects, enough to walk
// the real login form.

interface Cookie {
  value: string;
  path: string;
}

export class CookieJar {
  readonly #byOrigin = new Map<string, Map<string, Cookie>>();

  store(url: string, response: Response): void {
    const origin = new URL(url).origin;
    const jar = this.#byOrigin.get(origin) ?? new Map<string, Cookie>();
    this.#byOrigin.set(origin, jar);
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const pathAttr = attributes.find((attribute) => attribute.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : '/';
      const expired = attributes.some(
        (attribute) => /^max-age=(0|-)/i.test(attribute) || (/^expires=/i.test(attribute) && Date.parse(attribute.slice(8)) < Date.now()),
      );
      const key = `${name}\u0000${path}`;
      if (expired || value === '') jar.delete(key);
      else jar.set(key, { value, path });
    }
  }

  header(url: string): string | undefined {
    const target = new URL(url);
    const jar = this.#byOrigin.get(target.origin);
    if (!jar) return undefined;
    const pairs: string[] = [];
    for (const [key, cookie] of jar) {
      const name = key.slice(0, key.indexOf('\u0000'));
      const scope = cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`;
      if (target.pathname === cookie.path || target.pathname.startsWith(scope)) pairs.push(`${name}=${cookie.value}`);
    }
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }

  names(url: string): string[] {
    const header = this.header(url);
    return header ? header.split('; ').map((pair) => pair.slice(0, pair.indexOf('='))) : [];
  }
}

export async function request(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  jar.store(url, response);
  return response;
}

export interface LoginForm {
  action: string;
  fields: Record<string, string>;
}

/** Reads the first form of a page: its absolute action URL and its named inputs' values. */
export function readForm(html: string, pageUrl: string): LoginForm {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no <form> in the page at ${pageUrl}:\n${html.slice(0, 500)}`);
  const open = /<form\b[^>]*>/i.exec(form[0])![0];
  const action = /\baction\s*=\s*"([^"]*)"/i.exec(open)?.[1] ?? pageUrl;
  const fields: Record<string, string> = {};
  for (const input of form[1]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname\s*=\s*"([^"]*)"/i.exec(input[0])?.[1];
    if (!name) continue;
    fields[name] = decodeEntities(/\bvalue\s*=\s*"([^"]*)"/i.exec(input[0])?.[1] ?? '');
  }
  return { action: new URL(decodeEntities(action), pageUrl).href, fields };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
