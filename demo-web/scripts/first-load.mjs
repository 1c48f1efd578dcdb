#!/usr/bin/env node
// @ts-check
// What a browser fetches before it can render `/`: runs demo-web's server on the production build
// (an ephemeral port, no API behind it), reads index.html as served, and prints each script and
// modulepreload it references (size on disk, gzip -9 size, bytes sent for Accept-Encoding gzip)
// and the stylesheets that block the first render. `npm run first-load -w demo-web` after a build.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../server/config.mjs';
import { startWebServer } from '../server/web-server.mjs';

/**
 * The attributes of every `<tag …>` in `html` (enough for Angular's generated index.html).
 * @param {string} html
 * @param {string} tag
 * @returns {Record<string, string>[]}
 */
function tags(html, tag) {
  return [...html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'gi'))].map((m) =>
    Object.fromEntries([...(m[1] ?? '').matchAll(/([\w:-]+)(?:="([^"]*)")?/g)].map((a) => [a[1]?.toLowerCase() ?? '', a[2] ?? ''])),
  );
}

/**
 * A stylesheet link blocks rendering unless its media query does not apply to the screen
 * (`media="print"`, swapped by a script once loaded) or it sits in a `<noscript>`.
 * @param {string} html
 * @returns {string[]}
 */
export function renderBlockingStylesheets(html) {
  const withoutNoscript = html.replace(/<noscript>[\s\S]*?<\/noscript>/gi, '');
  return tags(withoutNoscript, 'link')
    .filter((a) => (a['rel'] ?? '').split(/\s+/).includes('stylesheet'))
    .filter((a) => a['media'] === undefined || /^(all|screen)$/i.test(a['media']))
    .map((a) => a['href'] ?? '');
}

/**
 * The JavaScript the first render needs: the module scripts and the modulepreloads.
 * @param {string} html
 * @returns {string[]}
 */
export function initialScripts(html) {
  const scripts = tags(html, 'script').map((a) => a['src']).filter((src) => src !== undefined && src !== '');
  const preloads = tags(html, 'link').filter((a) => a['rel'] === 'modulepreload').map((a) => a['href'] ?? '');
  return [...new Set([...preloads, ...scripts])].filter(Boolean).map(String);
}

/**
 * The body as sent on the wire (not decompressed), for the request headers given.
 * @param {string} url
 * @param {Record<string, string>} headers
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }>}
 */
function get(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const config = loadConfig({ ...process.env, WEB_PORT: '0', WEB_HOST: '127.0.0.1' });
  const web = await startWebServer(config, { log: () => undefined });
  try {
    const index = await get(`${web.url}/`, {});
    if (index.status !== 200) throw new Error(`GET / answered ${index.status}: build first (npm run build -w demo-web)`);
    const html = index.body.toString('utf8');
    let disk = 0;
    let gzip = 0;
    let sent = 0;
    console.log('Initial JavaScript for / (file: on disk, gzip -9, sent with Accept-Encoding: gzip)');
    for (const file of initialScripts(html)) {
      const bytes = await readFile(path.join(config.root, file));
      const wire = await get(new URL(file, `${web.url}/`).href, { 'Accept-Encoding': 'gzip' });
      disk += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
      sent += wire.body.length;
      console.log(`  ${file.padEnd(24)} ${kib(bytes.length).padStart(10)} ${kib(gzipSync(bytes, { level: 9 }).length).padStart(10)} ${kib(wire.body.length).padStart(10)}`);
    }
    console.log(`  ${'total'.padEnd(24)} ${kib(disk).padStart(10)} ${kib(gzip).padStart(10)} ${kib(sent).padStart(10)}`);
    const blocking = renderBlockingStylesheets(html);
    console.log(`Render-blocking stylesheets: ${blocking.length === 0 ? 'none' : blocking.join(', ')}`);
    const inlineStyles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1] ?? '');
    console.log(`Inline <style> in index.html: ${inlineStyles.length} (${kib(inlineStyles.reduce((n, s) => n + Buffer.byteLength(s), 0))})`);
    console.log(`index.html: ${kib(index.body.length)} as sent without compression`);
  } finally {
    await web.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
