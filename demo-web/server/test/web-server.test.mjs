// @ts-check
// demo-web's server against a real upstream on an ephemeral port: static files, SPA fallback,
// security headers, and the /api proxy (cookies, bodies, API down).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { acceptedRequestId } from '@oracle-ai/contract';
import { loadConfig } from '../config.mjs';
import { startWebServer } from '../web-server.mjs';

/** @type {string} */ let root;
/** @type {http.Server} */ let api;
/** @type {{ url: string, close(): Promise<void> }} */ let web;
/** @type {{ url: string, close(): Promise<void> }} */ let webWithoutApi;
/** @type {{ method?: string, url?: string, headers: http.IncomingHttpHeaders, body: string }[]} */
const seen = [];
/** @type {import('../web-server.mjs').RequestLine[]} */
const logged = [];
const options = { log: (/** @type {import('../web-server.mjs').RequestLine} */ line) => void logged.push(line) };
/** @type {number} */ let apiPort;

/** @param {http.Server} server @returns {Promise<number>} */
function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'demo-web-'));
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(path.join(root, 'main-ABCD1234.js'), 'console.log(1)');
  await mkdir(path.join(root, 'sub'));
  await writeFile(path.join(root, '..', `${path.basename(root)}-secret.txt`), 'secret');

  api = http.createServer(async (req, res) => {
    let body = '';
    try {
      for await (const chunk of req) body += chunk;
    } catch {
      return; // The client (a slow one the web server cut off) went away mid-body.
    }
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['txn=abc; Path=/api; HttpOnly; SameSite=Lax'] });
    res.end(JSON.stringify({ ok: true }));
  });
  apiPort = await listen(api);
  web = await startWebServer(loadConfig({ WEB_PORT: '0', API_URL: `http://127.0.0.1:${apiPort}`, WEB_ROOT: root }), options);
  // A port that was free a moment ago: nothing answers there.
  const probe = http.createServer();
  const deadPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  webWithoutApi = await startWebServer(loadConfig({ WEB_PORT: '0', API_URL: `http://127.0.0.1:${deadPort}`, WEB_ROOT: root }), options);
});

after(async () => {
  await web?.close();
  await webWithoutApi?.close();
  await new Promise((resolve) => api?.close(resolve));
  await rm(`${root}-secret.txt`, { force: true });
  await rm(root, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves index.html with a strict CSP and the other security headers', async () => {
    const res = await fetch(`${web.url}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"]) {
      assert.ok(csp.includes(d), `${d} in ${csp}`);
    }
    assert.ok(!csp.includes('unsafe'), csp);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
  });

  it('falls back to index.html for app routes (deep links)', async () => {
    const res = await fetch(`${web.url}/chat?x=1`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>app<\/title>/);
  });

  it('caches hashed bundles for good and gives a missing file a 404, not the app', async () => {
    const js = await fetch(`${web.url}/main-ABCD1234.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const missing = await fetch(`${web.url}/missing-1234.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  });

  it('never serves a file outside the build directory', async () => {
    const name = `${path.basename(root)}-secret.txt`;
    for (const p of [`/..%2f${name}`, `/sub/..%2f..%2f${name}`, `/%2e%2e/${name}`]) {
      /** @type {{ status?: number, body: string }} */
      const res = await new Promise((resolve, reject) => {
        http.get(`${web.url}${p}`, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode, body }));
        }).on('error', reject);
      });
      assert.ok(!res.body.includes('secret'), `${p} leaked the file`);
    }
  });

  it('answers 405 to a POST outside /api', async () => {
    const res = await fetch(`${web.url}/chat`, { method: 'POST' });
    assert.equal(res.status, 405);
  });
});

describe('/api proxy', () => {
  it('passes method, path, query, body and headers through, and Set-Cookie back', async () => {
    const res = await fetch(`${web.url}/api/token?a=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t', cookie: 'txn=xyz' },
      body: JSON.stringify({ code: 'c', state: 's' }),
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(res.headers.get('set-cookie'), 'txn=abc; Path=/api; HttpOnly; SameSite=Lax');
    const last = seen.at(-1);
    assert.equal(last?.method, 'POST');
    assert.equal(last?.url, '/api/token?a=1');
    assert.equal(last?.body, '{"code":"c","state":"s"}');
    assert.equal(last?.headers.authorization, 'Bearer t');
    assert.equal(last?.headers.cookie, 'txn=xyz');
  });

  it('routes on the path as sent: an encoded slash does not make a path /api', async () => {
    const before = seen.length;
    const res = await fetch(`${web.url}/api%2F..%2Fchat`);
    assert.notEqual(res.status, 201);
    assert.equal(seen.length, before, 'nothing reached demo-api');
  });

  it('answers 502 problem+json when demo-api is down', async () => {
    const res = await fetch(`${webWithoutApi.url}/api/me`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const body = /** @type {{ status: number, title: string }} */ (await res.json());
    assert.equal(body.status, 502);
    assert.equal(body.title, 'Bad Gateway');
  });
});

describe('config', () => {
  it('refuses a bad port or API URL at start', () => {
    assert.throws(() => loadConfig({ WEB_PORT: 'abc' }), /WEB_PORT/);
    assert.throws(() => loadConfig({ API_URL: 'ftp://x' }), /API_URL/);
    assert.throws(() => loadConfig({ API_URL: 'not a url' }), /API_URL/);
  });

  it('has documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 4200);
    assert.equal(c.apiUrl.href, 'http://127.0.0.1:3000/');
    assert.equal(c.headersTimeoutMs, 10_000);
    assert.equal(c.requestTimeoutMs, 30_000);
    assert.equal(c.maxConnections, 1000);
  });

  it('refuses bad timeouts and connection caps', () => {
    assert.throws(() => loadConfig({ WEB_MAX_CONNECTIONS: '0' }), /WEB_MAX_CONNECTIONS/);
    assert.throws(() => loadConfig({ WEB_REQUEST_TIMEOUT_MS: 'soon' }), /WEB_REQUEST_TIMEOUT_MS/);
    assert.throws(() => loadConfig({ WEB_HEADERS_TIMEOUT_MS: '5000', WEB_REQUEST_TIMEOUT_MS: '1000' }), /must not exceed/);
  });
});

describe('X-Request-ID', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('follows the contract\'s rule: a valid one is kept, any other replaced by a UUID', async () => {
    const samples = ['a', 'req-1', 'x'.repeat(128), 'x'.repeat(129), '!~', 'has space', 'é', '\u007f'];
    for (const sample of samples) {
      const res = await fetch(`${web.url}/chat`, { headers: { 'x-request-id': sample } }).catch(() => undefined);
      if (res === undefined) continue; // fetch itself refuses some header values
      const got = res.headers.get('x-request-id') ?? '';
      const expected = acceptedRequestId(sample);
      if (expected === undefined) assert.match(got, UUID, JSON.stringify(sample));
      else assert.equal(got, expected);
    }
  });

  it('a valid one is echoed on every answer (static, 404, 405, proxied, 502), sent on to demo-api and logged', async () => {
    /** @type {[string, string, RequestInit, number][]} */
    const cases = [
      ['static', `${web.url}/chat`, {}, 200],
      ['missing', `${web.url}/nope.js`, {}, 404],
      ['post', `${web.url}/chat`, { method: 'POST' }, 405],
      ['proxied', `${web.url}/api/things`, {}, 201],
      ['down', `${webWithoutApi.url}/api/me`, {}, 502],
    ];
    for (const [name, url, init, status] of cases) {
      const id = `req-${name}`;
      const res = await fetch(url, { ...init, headers: { 'x-request-id': id } });
      await res.arrayBuffer();
      assert.deepEqual({ name, status: res.status, id: res.headers.get('x-request-id') }, { name, status, id });
    }
    assert.equal(seen.at(-1)?.headers['x-request-id'], 'req-proxied');
    await waitFor(() => cases.every(([name]) => logged.some((line) => line.requestId === `req-${name}`)));
    const line = logged.find((l) => l.requestId === 'req-proxied');
    assert.deepEqual({ method: line?.method, path: line?.path, status: line?.status }, { method: 'GET', path: '/api/things', status: 201 });
  });

  it('a missing or invalid one is replaced by a fresh UUID, which demo-api gets too', async () => {
    for (const bad of [undefined, 'has space', 'x'.repeat(129)]) {
      const res = await fetch(`${web.url}/api/things`, { headers: bad === undefined ? {} : { 'x-request-id': bad } });
      await res.arrayBuffer();
      const id = res.headers.get('x-request-id') ?? '';
      assert.match(id, UUID);
      assert.equal(seen.at(-1)?.headers['x-request-id'], id);
    }
  });
});

describe('slow and many clients', () => {
  it('a slow head or a slow body is cut off within the configured timeouts', async () => {
    const slow = await startWebServer(
      loadConfig({ WEB_PORT: '0', API_URL: `http://127.0.0.1:${apiPort}`, WEB_ROOT: root, WEB_HEADERS_TIMEOUT_MS: '300', WEB_REQUEST_TIMEOUT_MS: '600' }),
      options,
    );
    try {
      const { port } = new URL(slow.url);
      assert.ok((await trickle(Number(port), 'GET / HTTP/1.1\r\nHost: x\r\n', 'a: 1\r\n')) < 3_000);
      assert.ok((await trickle(Number(port), 'POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{', ' ')) < 3_000);
    } finally {
      await slow.close();
    }
  });

  it('WEB_MAX_CONNECTIONS caps the connections open at once; more are closed as they arrive', async () => {
    const capped = await startWebServer(loadConfig({ WEB_PORT: '0', API_URL: `http://127.0.0.1:${apiPort}`, WEB_ROOT: root, WEB_MAX_CONNECTIONS: '2' }), options);
    const { port } = new URL(capped.url);
    /** @type {net.Socket[]} */
    const held = [];
    try {
      held.push(await openSocket(Number(port)), await openSocket(Number(port)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const third = await openSocket(Number(port));
      const closed = await new Promise((resolve) => {
        third.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 2_000);
      });
      third.destroy();
      assert.equal(closed, true);
      assert.ok(held.every((socket) => !socket.destroyed));
    } finally {
      for (const socket of held) socket.destroy();
      await capped.close();
    }
  });
});

/** @param {() => boolean} condition */
async function waitFor(condition, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** @param {number} port @returns {Promise<net.Socket>} */
function openSocket(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/**
 * Writes `start`, then `drip` every 100 ms; resolves with how long the server kept the connection.
 * @param {number} port @param {string} start @param {string} drip @returns {Promise<number>}
 */
function trickle(port, start, drip) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(start));
    const timer = setInterval(() => socket.writable && socket.write(drip), 100);
    const limit = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error('the server kept a slow connection open for 5 s'));
    }, 5_000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve(Date.now() - started);
    });
  });
}
