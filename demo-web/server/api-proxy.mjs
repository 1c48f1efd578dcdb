// @ts-check
import http from 'node:http';
import https from 'node:https';
import { sendProblem } from './problem.mjs';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @returns {import('node:http').OutgoingHttpHeaders}
 */
function withoutHopByHop(headers) {
  /** @type {import('node:http').OutgoingHttpHeaders} */
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/**
 * Proxies /api/* to demo-api, streaming both bodies. Cookies and all end-to-end headers pass
 * through (the login transaction cookie must reach the browser and come back). When the API
 * cannot be reached the browser gets a 502 problem+json, never a hang.
 * @param {URL} apiUrl
 * @param {number} timeoutMs
 * @param {Record<string, string>} securityHeaders
 */
export function createApiProxy(apiUrl, timeoutMs, securityHeaders) {
  const client = apiUrl.protocol === 'https:' ? https : http;
  const basePath = apiUrl.pathname.replace(/\/$/, '');

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   * @param {string} requestId this request's id, sent on to demo-api in place of the caller's
   */
  return function proxyApi(req, res, requestId) {
    const headers = withoutHopByHop(req.headers);
    headers['x-request-id'] = requestId;
    headers['host'] = apiUrl.host;
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';

    const upstream = client.request(
      {
        protocol: apiUrl.protocol,
        hostname: apiUrl.hostname,
        port: apiUrl.port,
        method: req.method,
        path: basePath + (req.url ?? '/'),
        headers,
        timeout: timeoutMs,
      },
      (upstreamRes) => {
        const responseHeaders = withoutHopByHop(upstreamRes.headers);
        // This server's request id stays the one answered (demo-api echoes it anyway).
        delete responseHeaders['x-request-id'];
        // The page's own security headers stay in charge; the API's JSON gets nosniff too.
        responseHeaders['x-content-type-options'] = 'nosniff';
        responseHeaders['referrer-policy'] = securityHeaders['Referrer-Policy'];
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
      },
    );
    upstream.on('timeout', () => {
      upstream.destroy(new Error('timeout'));
    });
    upstream.on('error', (error) => {
      const timedOut = error.message === 'timeout';
      sendProblem(
        res,
        timedOut ? 504 : 502,
        timedOut ? 'Gateway Timeout' : 'Bad Gateway',
        timedOut ? 'demo-api did not answer in time.' : 'demo-api is not reachable.',
        securityHeaders,
      );
    });
    req.on('aborted', () => upstream.destroy());
    req.pipe(upstream);
  };
}
