// demo-idp's graceful stop on a real server: /readyz answers 200, then 503 from close() on
// while the provider still serves for the shutdown delay; close() resolves after it.
import { describe, expect, it } from 'vitest';

import { startIdp } from '../src/index.js';

describe('demo-idp shutdown', () => {
  it('/readyz 503 at once, the provider still serving during IDP_SHUTDOWN_DELAY_MS', async () => {
    const delayMs = 300;
    const idp = await startIdp({ port: 0, clientSecret: 's'.repeat(20), logLevel: 'silent', shutdownDelayMs: delayMs, shutdownTimeoutMs: 2_000 });
    const ready = await fetch(`${idp.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    const started = performance.now();
    const closed = idp.close();
    const draining = await fetch(`${idp.url}/readyz`);
    expect(draining.status).toBe(503);
    expect(draining.headers.get('content-type')).toBe('application/problem+json');
    expect(await draining.json()).toMatchObject({ status: 503, code: 'shutting_down' });
    const discovery = await fetch(`${idp.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    await discovery.body?.cancel();
    await closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(delayMs);
  });
});
