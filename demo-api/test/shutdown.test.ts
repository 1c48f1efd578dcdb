/**
 * demo-api's graceful stop, on a real server: from close() on, /readyz answers 503 while
 * requests are still served for the shutdown delay; then an open keep-alive connection gets its
 * next answer with `Connection: close`, and close() resolves once every connection is gone.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

function get(url: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('demo-api shutdown', () => {
  it('/readyz 503 at once, still serving during API_SHUTDOWN_DELAY_MS, then Connection: close', async () => {
    const delayMs = 400;
    const api = await stack.startApi({ shutdownDelayMs: delayMs, shutdownTimeoutMs: 2_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await get(`${api.url}/readyz`, agent)).toMatchObject({ status: 200, connection: 'keep-alive', body: { status: 'ready' } });

    const started = performance.now();
    const closed = api.close();
    const draining = await get(`${api.url}/readyz`, agent);
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ code: 'shutting_down', status: 503 });
    expect(draining.connection).toBe('keep-alive');
    expect(await get(`${api.url}/healthz`, agent)).toMatchObject({ status: 200, connection: 'keep-alive' });

    await new Promise((resolve) => setTimeout(resolve, delayMs + 100));
    // The connection opened before the stop is still served, and told to close.
    expect(await get(`${api.url}/healthz`, agent)).toMatchObject({ status: 200, connection: 'close' });
    await closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(delayMs);
    agent.destroy();
  });
});
