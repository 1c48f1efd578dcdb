// @ts-check
// What the first load of `/` costs: index.html carries the stylesheet inline under a CSP that
// allows exactly it, and text files go out compressed to clients that accept it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { initialScripts, renderBlockingStylesheets } from '../../scripts/first-load.mjs';
import { chooseCoding } from '../compression.mjs';
import { loadConfig } from '../config.mjs';
import { INLINE_STYLES_MAX_BYTES } from '../index-page.mjs';
import { startWebServer } from '../web-server.mjs';

const CSS = 'body{margin:0}main{color:#123}'.repeat(40);
const JS = `export const x = ${JSON.stringify('a'.repeat(5000))};`;
const indexHtml = (/** @type {string} */ css) =>
  `<!doctype html><html><head><title>app</title><link rel="stylesheet" href="${css}"></head><body><app-root></app-root><link rel="modulepreload" href="chunk-AAAA1111.js"><script src="main-BBBB2222.js" type="module"></script></body></html>`;

/** @type {string[]} */ const roots = [];
/** @type {{ url: string, close(): Promise<void> }[]} */ const servers = [];

/** @param {Record<string, string>} files @returns {Promise<string>} the server's URL */
async function serve(files) {
  const root = await mkdtemp(path.join(tmpdir(), 'demo-web-first-load-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  const web = await startWebServer(loadConfig({ WEB_PORT: '0', API_URL: 'http://127.0.0.1:9', WEB_ROOT: root }), { log: () => undefined });
  servers.push(web);
  return web.url;
}

/**
 * The response as sent (not decompressed).
 * @param {string} url @param {Record<string, string>} [headers]
 * @returns {Promise<{ headers: http.IncomingHttpHeaders, body: Buffer }>}
 */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      /** @type {Buffer[]} */ const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

/** @type {string} */ let url;
before(async () => {
  url = await serve({ 'index.html': indexHtml('styles-CCCC3333.css'), 'styles-CCCC3333.css': CSS, 'chunk-AAAA1111.js': JS, 'main-BBBB2222.js': 'import "./chunk-AAAA1111.js";' });
});

after(async () => {
  for (const s of servers) await s.close();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('index.html', () => {
  it('carries the stylesheet inline, and the CSP allows that one <style> by its hash only', async () => {
    const res = await get(`${url}/`);
    const html = res.body.toString('utf8');
    assert.deepEqual(renderBlockingStylesheets(html), []);
    assert.ok(html.includes(`<style>${CSS}</style>`), html);
    assert.equal(res.headers['content-length'], String(res.body.length));
    const csp = String(res.headers['content-security-policy']);
    const hash = createHash('sha256').update(CSS).digest('base64');
    assert.match(csp, new RegExp(`style-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`));
    assert.match(csp, /script-src 'self';/);
    assert.ok(!csp.includes('unsafe'), csp);
    // Deep links get the same page and policy.
    assert.equal(String((await get(`${url}/chat`)).headers['content-security-policy']), csp);
  });

  it('other responses keep the plain style-src', async () => {
    const res = await get(`${url}/main-BBBB2222.js`);
    assert.match(String(res.headers['content-security-policy']), /style-src 'self';/);
  });

  it('keeps a stylesheet too large to inline linked, and its CSP without hashes', async () => {
    const big = await serve({ 'index.html': indexHtml('styles-DDDD4444.css'), 'styles-DDDD4444.css': 'a{b:c}'.repeat(INLINE_STYLES_MAX_BYTES / 6 + 1) });
    const res = await get(`${big}/`);
    assert.deepEqual(renderBlockingStylesheets(res.body.toString('utf8')), ['styles-DDDD4444.css']);
    assert.match(String(res.headers['content-security-policy']), /style-src 'self';/);
  });

  it('keeps a stylesheet that would end the <style> early linked', async () => {
    const odd = await serve({ 'index.html': indexHtml('styles-EEEE5555.css'), 'styles-EEEE5555.css': 'a{content:"</style><script>x()</script>"}' });
    const html = (await get(`${odd}/`)).body.toString('utf8');
    assert.deepEqual(renderBlockingStylesheets(html), ['styles-EEEE5555.css']);
    assert.ok(!html.includes('<script>x()'), html);
  });
});

describe('compression', () => {
  it('sends br or gzip as accepted, identity otherwise, and says it varies', async () => {
    const file = `${url}/chunk-AAAA1111.js`;
    const br = await get(file, { 'Accept-Encoding': 'gzip, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(br.body).toString(), JS);
    const gz = await get(file, { 'Accept-Encoding': 'gzip, br;q=0' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), JS);
    assert.ok(gz.body.length < JS.length / 10, `${gz.body.length} bytes`);
    const plain = await get(file);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString(), JS);
    for (const r of [br, gz, plain]) {
      assert.equal(r.headers['vary'], 'Accept-Encoding');
      assert.equal(r.headers['content-length'], String(r.body.length));
      assert.match(String(r.headers['cache-control']), /immutable/);
    }
  });

  it('compresses index.html too, inline style and all', async () => {
    const res = await get(`${url}/`, { 'Accept-Encoding': 'gzip' });
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(res.body).toString().includes(`<style>${CSS}</style>`));
  });

  it('reads Accept-Encoding as RFC 9110 does: q=0 refuses, * stands for the rest', () => {
    assert.equal(chooseCoding(undefined), null);
    assert.equal(chooseCoding('identity'), null);
    assert.equal(chooseCoding('gzip'), 'gzip');
    assert.equal(chooseCoding('gzip;q=0.5, br;q=0.1'), 'br');
    assert.equal(chooseCoding('br;q=0, gzip;q=0'), null);
    assert.equal(chooseCoding('*'), 'br');
    assert.equal(chooseCoding('*;q=0'), null);
    assert.equal(chooseCoding('BR;Q=1'), 'br');
  });
});

describe('the first-load report', () => {
  it('counts the module script and the modulepreloads, and a stylesheet link as blocking unless media=print or in <noscript>', () => {
    const html = indexHtml('styles-X.css');
    assert.deepEqual(initialScripts(html), ['chunk-AAAA1111.js', 'main-BBBB2222.js']);
    assert.deepEqual(renderBlockingStylesheets(html), ['styles-X.css']);
    assert.deepEqual(renderBlockingStylesheets('<link rel="stylesheet" href="a.css" media="print"><noscript><link rel="stylesheet" href="b.css"></noscript>'), []);
  });
});
