// @ts-check
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
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
 * extension gets index.html so the Angular router can handle deep links like /chat.
 * @param {string} root absolute directory of the build
 * @param {Record<string, string>} headers security headers for every response
 */
export function createStaticHandler(root, headers) {
  const rootDir = normalize(root.endsWith(sep) ? root : root + sep);
  const indexFile = join(rootDir, 'index.html');

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
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': isIndex ? 'no-cache' : HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
