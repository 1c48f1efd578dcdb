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
 * @property {number} headersTimeoutMs WEB_HEADERS_TIMEOUT_MS, default 10000 — time a client has to send the request head
 * @property {number} requestTimeoutMs WEB_REQUEST_TIMEOUT_MS, default 30000 — time a client has to send the whole request
 * @property {number} maxConnections WEB_MAX_CONNECTIONS, default 1000 — client connections open at once
 * @property {number} shutdownDelayMs WEB_SHUTDOWN_DELAY_MS, default 0 — after SIGTERM/SIGINT, time /readyz answers 503 while requests are still served
 * @property {number} shutdownTimeoutMs WEB_SHUTDOWN_TIMEOUT_MS, default 10000 — then the most time accepted requests get to finish
 */

/**
 * An integer setting within [min, max], or its default when unset.
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function intSetting(env, name, fallback, min, max) {
  const raw = env[name];
  const value = raw === undefined || raw.trim() === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

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
  const headersTimeoutMs = intSetting(env, 'WEB_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = intSetting(env, 'WEB_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  // Node refuses a head timeout longer than the request timeout.
  if (headersTimeoutMs > requestTimeoutMs) throw new TypeError('WEB_HEADERS_TIMEOUT_MS must not exceed WEB_REQUEST_TIMEOUT_MS');
  return Object.freeze({
    host: env['WEB_HOST'] || '127.0.0.1',
    port,
    apiUrl,
    root: env['WEB_ROOT'] || DEFAULT_ROOT,
    formActions,
    proxyTimeoutMs: timeout,
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: intSetting(env, 'WEB_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    // No delay by default: only an orchestrator that routes by /readyz needs one.
    shutdownDelayMs: intSetting(env, 'WEB_SHUTDOWN_DELAY_MS', 0, 0, 600_000),
    shutdownTimeoutMs: intSetting(env, 'WEB_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  });
}
