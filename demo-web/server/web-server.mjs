// @ts-check
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createApiProxy } from './api-proxy.mjs';
import { gracefulServer } from '@oracle-ai/contract/graceful-shutdown';
import { sendProblem } from './problem.mjs';
import { acceptedRequestId } from '@oracle-ai/contract';
import { contentSecurityPolicy, securityHeaders } from './security-headers.mjs';
import { createStaticHandler } from './static-files.mjs';

/**
 * @typedef {object} RequestLine One line of the request log: never the query string, a header value or a body.
 * @property {string} requestId
 * @property {string | undefined} method
 * @property {string} path
 * @property {number} status
 * @property {number} ms
 */

/** @param {RequestLine} line */
function logToStdout(line) {
  console.log(JSON.stringify({ level: 30, time: Date.now(), name: 'demo-web', msg: 'request', ...line }));
}

/**
 * Starts demo-web's server: the production build plus the /api proxy.
 * @param {Readonly<import('./config.mjs').WebConfig>} config
 * @param {{ log?: (line: RequestLine) => void }} [options] where request log lines go (stdout, as JSON, by default)
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startWebServer(config, { log = logToStdout } = {}) {
  const headers = securityHeaders(config.formActions);
  const serveStatic = createStaticHandler(config.root, headers, (styleHashes) => contentSecurityPolicy(config.formActions, styleHashes));
  const proxyApi = createApiProxy(config.apiUrl, config.proxyTimeoutMs, headers);

  const server = http.createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      // Node looks for overdue requests this often (30 s by default): a slow client would
      // otherwise keep its connection up to that much past its timeout.
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    (req, res) => {
      const started = performance.now();
      // Set before anything can answer, so every response (errors included) carries it; the
      // proxy passes the same id on to demo-api.
      const requestId = acceptedRequestId(req.headers['x-request-id']) ?? randomUUID();
      res.setHeader('X-Request-ID', requestId);
      let rawPath = '';
      res.once('close', () => {
        log({ requestId, method: req.method, path: rawPath, status: res.statusCode, ms: Math.round(performance.now() - started) });
      });
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
      if (rawPath === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
        if (shutdown.draining) sendProblem(res, 503, 'Shutting down', 'This instance is shutting down; send new requests to another one.', headers);
        else {
          res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
          res.end(JSON.stringify({ status: 'ready' }));
        }
        return;
      }
      if (rawPath === '/api' || rawPath.startsWith('/api/')) {
        proxyApi(req, res, requestId);
        return;
      }
      serveStatic(req, res, pathname).catch(() => sendProblem(res, 500, 'Internal Server Error', 'Could not read the file.', headers));
    },
  );
  server.keepAliveTimeout = 5_000;
  server.maxConnections = config.maxConnections;
  const shutdown = gracefulServer(server, { delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    // Graceful: /readyz 503 at once, served for the shutdown delay, then stop accepting (@oracle-ai/contract/graceful-shutdown).
    close: () => shutdown.shutdown().then(() => undefined),
  };
}
