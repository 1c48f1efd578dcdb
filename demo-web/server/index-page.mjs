// @ts-check
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Larger stylesheets stay linked: index.html is fetched again on every visit (no-cache), a
 * linked stylesheet only once.
 */
export const INLINE_STYLES_MAX_BYTES = 16 * 1024;

// Angular's build writes the global stylesheet as exactly this tag, with a bare hashed file name.
const STYLESHEET_LINK = /<link rel="stylesheet" href="([\w.-]+\.css)">/g;

/**
 * @typedef {object} IndexPage
 * @property {Buffer} body index.html as served
 * @property {string[]} styleHashes CSP sources (`'sha256-…'`) of the `<style>` elements inlined into it
 */

/**
 * index.html with the build's stylesheets inlined as `<style>`, so the first render waits for no
 * second request. The CSP allows exactly these elements by their hash (no 'unsafe-inline', no
 * nonce, no inline script): the page is static, so its hashes are too. Stylesheets larger than
 * {@link INLINE_STYLES_MAX_BYTES} in total, or holding text that would end a `<style>` early,
 * stay linked.
 * @param {string} rootDir the build directory, ending in a separator
 * @param {string} indexFile
 * @returns {Promise<IndexPage>}
 */
export async function readIndexPage(rootDir, indexFile) {
  const html = await readFile(indexFile, 'utf8');
  const links = [...html.matchAll(STYLESHEET_LINK)];
  const sheets = await Promise.all(links.map((m) => readFile(join(rootDir, m[1] ?? ''), 'utf8').catch(() => null)));
  const total = sheets.reduce((n, css) => n + (css === null ? Infinity : Buffer.byteLength(css)), 0);
  if (links.length === 0 || total > INLINE_STYLES_MAX_BYTES || sheets.some((css) => css === null || /<\/style/i.test(css))) {
    return { body: Buffer.from(html), styleHashes: [] };
  }
  /** @type {string[]} */
  const styleHashes = [];
  let i = 0;
  const inlined = html.replace(STYLESHEET_LINK, () => {
    const css = /** @type {string} */ (sheets[i++]);
    styleHashes.push(`'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`);
    return `<style>${css}</style>`;
  });
  return { body: Buffer.from(inlined), styleHashes };
}
