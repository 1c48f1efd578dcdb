// @ts-check
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CompressedBodies, chooseCoding, isCompressible } from './compression.mjs';
import { readIndexPage } from './index-page.mjs';
import { sendProblem } from './problem.mjs';

const TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
});

// Angular's production build names bundles with a content hash, so they may be cached forever.
const HASHED = /-[A-Z0-9]{8}\.(?:js|css)$/;

/**
 * Serves the production build, with the SPA fallback: an unknown path without a file
 * extension gets index.html so the Angular router can handle deep links like /chat. Text files
 * go out compressed (br or gzip) to clients that accept it; index.html carries the build's
 * stylesheet inline (see index-page.mjs), with a CSP that allows exactly that.
 * @param {string} root absolute directory of the build
 * @param {Record<string, string>} headers security headers for every response
 * @param {(styleHashes: readonly string[]) => string} indexCsp the Content-Security-Policy of index.html
 */
export function createStaticHandler(root, headers, indexCsp) {
  const rootDir = normalize(root.endsWith(sep) ? root : root + sep);
  const indexFile = join(rootDir, 'index.html');
  const bodies = new CompressedBodies();
  /** @type {{ version: string, page: Promise<import('./index-page.mjs').IndexPage> } | null} */
  let index = null;

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} pathname already-decoded path from the request URL
   */
  return async function serveStatic(req, res, pathname) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendProblem(res, 405, 'Method Not Allowed', 'Static files are served for GET and HEAD only.', {
        ...headers,
        Allow: 'GET, HEAD',
      });
      return;
    }
    const candidate = normalize(join(rootDir, pathname));
    // Refuse anything that resolves outside the build directory (path traversal).
    if (candidate !== rootDir.slice(0, -1) && !candidate.startsWith(rootDir)) {
      sendProblem(res, 404, 'Not Found', 'No such file.', headers);
      return;
    }
    let file = candidate;
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (!info?.isFile()) {
      if (extname(pathname) !== '') {
        sendProblem(res, 404, 'Not Found', 'No such file.', headers);
        return;
      }
      file = indexFile;
      info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        sendProblem(res, 503, 'Service Unavailable', 'The app is not built yet: run `npm run build -w demo-web`.', headers);
        return;
      }
    }
    const isIndex = file === indexFile;
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const cacheControl = isIndex ? 'no-cache' : HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600';
    if (!isIndex && !isCompressible(type)) {
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': info.size, 'Cache-Control': cacheControl });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
      return;
    }
    const version = `${info.mtimeMs}:${info.size}`;
    /** @type {Record<string, string>} */
    let pageHeaders = headers;
    /** @type {() => Promise<Buffer>} */
    let load = () => readFile(file);
    if (isIndex) {
      if (index?.version !== version) {
        const page = readIndexPage(rootDir, indexFile);
        index = { version, page };
        page.catch(() => index?.page === page && (index = null));
      }
      const page = await index.page;
      pageHeaders = { ...headers, 'Content-Security-Policy': indexCsp(page.styleHashes) };
      load = async () => page.body;
    }
    const { body, coding } = await bodies.get(file, version, load, chooseCoding(req.headers['accept-encoding']));
    res.writeHead(200, {
      ...pageHeaders,
      'Content-Type': type,
      'Content-Length': body.length,
      'Cache-Control': cacheControl,
      // Caches must key on it: the same URL has a body per coding.
      Vary: 'Accept-Encoding',
      ...(coding ? { 'Content-Encoding': coding } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
