// @ts-check
import http from 'node:http';
import { createApiProxy } from './api-proxy.mjs';
import { sendProblem } from './problem.mjs';
import { securityHeaders } from './security-headers.mjs';
import { createStaticHandler } from './static-files.mjs';

/**
 * Starts demo-web's server: the production build plus the /api proxy.
 * @param {Readonly<import('./config.mjs').WebConfig>} config
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startWebServer(config) {
  const headers = securityHeaders(config.formActions);
  const serveStatic = createStaticHandler(config.root, headers);
  const proxyApi = createApiProxy(config.apiUrl, config.proxyTimeoutMs, headers);

  const server = http.createServer((req, res) => {
    let rawPath;
    let pathname;
    try {
      rawPath = new URL(req.url ?? '/', 'http://placeholder').pathname;
      pathname = decodeURIComponent(rawPath);
    } catch {
      sendProblem(res, 400, 'Bad Request', 'The request path is not valid.', headers);
      return;
    }
    // Routed on the path as sent (not decoded), the same one demo-api will see: `/api%2F..%2Fx`
    // must not count as /api here and as something else there.
    if (rawPath === '/api' || rawPath.startsWith('/api/')) {
      proxyApi(req, res);
      return;
    }
    serveStatic(req, res, pathname).catch(() => sendProblem(res, 500, 'Internal Server Error', 'Could not read the file.', headers));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
