// @ts-check
// The contract's graceful stop, which demo-web's server uses, under checks on real servers; then
// demo-web's server using it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { gracefulServer as contractGracefulServer } from '@oracle-ai/contract/graceful-shutdown';
import { loadConfig } from '../config.mjs';
import { startWebServer } from '../web-server.mjs';

/**
 * A server whose /slow answers after `slowMs`, and /stuck never.
 * @param {typeof contractGracefulServer} graceful
 * @param {{ delayMs: number, timeoutMs: number, idleCloseMs?: number }} timing
 */
async function start(graceful, timing) {
  const server = http.createServer((req, res) => {
    if (req.url === '/stuck') return;
    setTimeout(() => res.end(req.url === '/readyz' ? String(shutdown.draining) : 'ok'), req.url === '/slow' ? 300 : 0);
  });
  const shutdown = graceful(server, timing);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, shutdown, port };
}

/**
 * @param {number} port
 * @param {string} path
 * @param {http.Agent | false} agent
 * @returns {Promise<{ status: number, connection: string | undefined, body: string }>}
 */
function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
  });
}

for (const [name, graceful] of /** @type {const} */ ([['contract', contractGracefulServer]])) {
  describe(`gracefulServer (${name})`, () => {
    it('drains, answers the request in flight with Connection: close, closes the idle connection, resolves', async () => {
      const { shutdown, port } = await start(graceful, { delayMs: 200, timeoutMs: 5_000, idleCloseMs: 100 });
      const busy = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
      assert.equal((await get(port, '/', idle)).connection, 'keep-alive');
      const inFlight = get(port, '/slow', busy);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      const stopped = shutdown.shutdown();
      assert.equal(shutdown.draining, true);
      assert.equal(shutdown.closing, false);
      // Still served during the delay, on a new connection too.
      assert.deepEqual(await get(port, '/readyz', false), { status: 200, connection: 'close', body: 'true' });
      const slow = await inFlight;
      assert.equal(slow.body, 'ok');
      assert.equal(slow.connection, 'close');
      assert.deepEqual(await stopped, { timedOut: false, cut: 0 });
      assert.ok(Date.now() - started >= 200);
      busy.destroy();
      idle.destroy();
    });

    it('cuts a request that never finishes once the timeout is over', async () => {
      const { shutdown, port } = await start(graceful, { delayMs: 0, timeoutMs: 200 });
      const stuck = get(port, '/stuck', false).then(
        () => 'answered',
        (/** @type {NodeJS.ErrnoException} */ err) => err.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(await shutdown.shutdown(), { timedOut: true, cut: 1 });
      assert.equal(await stuck, 'ECONNRESET');
    });
  });
}

describe("demo-web's server shutdown", () => {
  it('/readyz 503 from close() on, still serving during WEB_SHUTDOWN_DELAY_MS', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'demo-web-shutdown-'));
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
    const config = loadConfig({ WEB_PORT: '0', WEB_ROOT: root, API_URL: 'http://127.0.0.1:9', WEB_SHUTDOWN_DELAY_MS: '300', WEB_SHUTDOWN_TIMEOUT_MS: '2000' });
    assert.equal(config.shutdownDelayMs, 300);
    const web = await startWebServer(config, { log: () => {} });
    const port = Number(new URL(web.url).port);
    assert.deepEqual(await get(port, '/readyz', false), { status: 200, connection: 'close', body: '{"status":"ready"}' });
    const started = Date.now();
    const closed = web.close();
    const draining = await get(port, '/readyz', false);
    assert.equal(draining.status, 503);
    assert.equal(JSON.parse(draining.body).title, 'Shutting down');
    assert.equal((await get(port, '/', false)).status, 200);
    await closed;
    assert.ok(Date.now() - started >= 300);
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a shutdown delay out of range, naming the variable', () => {
    assert.throws(() => loadConfig({ WEB_SHUTDOWN_DELAY_MS: '-1' }), /WEB_SHUTDOWN_DELAY_MS must be an integer 0-600000/);
  });
});
