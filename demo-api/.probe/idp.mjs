import { readFileSync } from 'node:fs';
import { CookieJar, jarFetch } from 'demo-idp/testing';
const s = JSON.parse(readFileSync('/tmp/probe.json', 'utf8'));
const IDP = s.idp;
const REDIRECT = 'http://127.0.0.1:4299/auth/callback';
function authUrl(extra = {}) {
  const u = new URL(`${IDP}/auth`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: 'demo-api', redirect_uri: REDIRECT, scope: 'openid profile', state: 's', nonce: 'n', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...extra })) u.searchParams.set(k, v);
  return u.href;
}
async function start(extra) {
  const jar = new CookieJar();
  const r = await jarFetch(jar, authUrl(extra));
  const loc = new URL(r.headers.get('location'), IDP).href;
  const page = await jarFetch(jar, loc);
  return { jar, loc, page, html: await page.text() };
}
const strip = (h) => h.replace(/<style>[\s\S]*<\/style>/, '').replace(/\s+/g, ' ').slice(0, 900);
const xss = '"><script>alert(1)</script><img src=x onerror=alert(1)>';
let t = await start({ login_hint: xss });
console.log('login_hint xss:', t.page.status, t.page.headers.get('content-security-policy'), /<script>alert/.test(t.html), t.html.match(/value="[^"]*"/)?.[0]);
async function post(t, body, path = '/login', headers = {}) {
  const r = await jarFetch(t.jar, t.loc + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const text = await r.text();
  return { status: r.status, loc: r.headers.get('location'), text };
}
t = await start();
for (const [name, body] of [
  ['unknown user', 'login=mallory&password=demo'],
  ['empty', 'login=&password='],
  ['nothing', ''],
  ['xss login', new URLSearchParams({ login: xss, password: 'x' }).toString()],
  ['huge login 7k', new URLSearchParams({ login: 'a'.repeat(7000), password: 'x' }).toString()],
  ['huge 20k', new URLSearchParams({ login: 'a'.repeat(20000), password: 'x' }).toString()],
  ['dup login', 'login=bob&login=alice&password=demo&password=x'],
  ['unicode login', new URLSearchParams({ login: 'ａｌｉｃｅ', password: 'demo' }).toString()],
  ['proto login', new URLSearchParams({ login: '__proto__', password: 'demo' }).toString()],
  ['constructor login', new URLSearchParams({ login: 'constructor', password: 'demo' }).toString()],
  ['toString login', new URLSearchParams({ login: 'toString', password: 'demo' }).toString()],
  ['Alice uppercase', new URLSearchParams({ login: 'Alice', password: 'demo' }).toString()],
  [' alice  spaces', new URLSearchParams({ login: ' alice ', password: 'demo' }).toString()],
]) {
  const r = await post(t, body);
  console.log(name.padEnd(20), r.status, r.loc ?? '', strip(r.text).match(/<p class="error"[^<]*<\/p>|<h1>[^<]*<\/h1>|value="[^"]{0,60}/g)?.join(' | '), /<script>alert/.test(r.text) ? 'XSS!' : '');
  if (r.status === 303) { t = await start(); }
}
// JSON body / wrong content type
let r = await post(t, JSON.stringify({ login: 'alice', password: 'demo' }), '/login', { 'content-type': 'application/json' });
console.log('json body', r.status, r.loc);
// without cookie
t = await start();
let r2 = await fetch(t.loc + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=alice&password=demo', redirect: 'manual' });
console.log('no cookie', r2.status, strip(await r2.text()).match(/<h1>[^<]*<\/h1>/)?.[0]);
// wrong uid with a valid cookie
const other = t.loc.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
r = await jarFetch(t.jar, other + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=alice&password=demo' });
console.log('wrong uid', r.status, strip(await r.text()).match(/<h1>[^<]*<\/h1>/)?.[0]);
// cookie of interaction A on interaction B path
const t2 = await start();
r = await fetch(t2.loc + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: t.jar.header(t.loc) }, body: 'login=alice&password=demo', redirect: 'manual' });
console.log('cookie A on uid B', r.status, strip(await r.text()).match(/<h1>[^<]*<\/h1>/)?.[0]);
// GET login (method)
r = await jarFetch(t.jar, t.loc + '/login');
console.log('GET /login', r.status);
r = await jarFetch(t.jar, t.loc + '/abort', { method: 'POST' });
console.log('POST /abort', r.status);
r = await jarFetch(t.jar, t.loc + '/../../auth');
console.log('path trick', r.status);
r = await fetch(`${IDP}/interaction/${'a'.repeat(65)}`);
console.log('long uid', r.status);
r = await fetch(`${IDP}/interaction/x%2F..`);
console.log('encoded uid', r.status);
// cross-site post from evil origin with the cookie (CSRF-ish): SameSite? check cookie attrs
const t3 = await start();
const sc = (await fetch(authUrl(), { redirect: 'manual' })).headers.getSetCookie();
console.log('cookie attrs', sc.map((c) => c.replace(/=[^;]+;/, '=…;')));
