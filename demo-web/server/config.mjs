// @ts-check
import { fileURLToPath } from 'node:url';

/**
 * @typedef {object} WebConfig
 * @property {string} host     WEB_HOST, default 127.0.0.1 (0.0.0.0 in Docker)
 * @property {number} port     WEB_PORT, default 4200 (0 = any free port)
 * @property {URL} apiUrl      API_URL, default http://127.0.0.1:3000 — where /api/* is proxied
 * @property {string} root     WEB_ROOT, default dist/demo-web/browser next to this package
 * @property {string[]} formActions  WEB_FORM_ACTION_ORIGINS, extra CSP form-action origins (comma-separated)
 * @property {number} proxyTimeoutMs API_PROXY_TIMEOUT_MS, default 30000
 */

const DEFAULT_ROOT = fileURLToPath(new URL('../dist/demo-web/browser/', import.meta.url));

/**
 * Reads the environment once, at start; nothing reads process.env later.
 * @param {Record<string, string | undefined>} env
 * @returns {Readonly<WebConfig>}
 */
export function loadConfig(env) {
  const port = Number(env['WEB_PORT'] ?? '4200');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`WEB_PORT must be an integer 0-65535, got ${JSON.stringify(env['WEB_PORT'])}`);
  }
  let apiUrl;
  try {
    apiUrl = new URL(env['API_URL'] ?? 'http://127.0.0.1:3000');
  } catch {
    throw new TypeError(`API_URL must be an absolute http URL, got ${JSON.stringify(env['API_URL'])}`);
  }
  if (apiUrl.protocol !== 'http:' && apiUrl.protocol !== 'https:') {
    throw new TypeError('API_URL must use http or https');
  }
  const timeout = Number(env['API_PROXY_TIMEOUT_MS'] ?? '30000');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new TypeError('API_PROXY_TIMEOUT_MS must be a positive number');
  const formActions = (env['WEB_FORM_ACTION_ORIGINS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => new URL(s).origin);
  return Object.freeze({
    host: env['WEB_HOST'] || '127.0.0.1',
    port,
    apiUrl,
    root: env['WEB_ROOT'] || DEFAULT_ROOT,
    formActions,
    proxyTimeoutMs: timeout,
  });
}
