// A PDP slower than demo-api's timeout (real processes on 127.0.0.1; the real PDP behind a
// proxy that holds its answers back). demo-api answers 503 pdp_unavailable within its timeout,
// never waits for the late answer and never allows; with the delay gone, decisions are back.
import { afterAll, describe, expect, it } from 'vitest';
import { call, signIn, stackConfig, startService, stopAll, tcpProxy, type TcpProxy } from './support.js';

const TIMEOUT_MS = 500;

let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await stopAll();
});

describe('a PDP slower than demo-api’s timeout', () => {
  it('is a 503 pdp_unavailable within the timeout, and decisions are back once it is fast again', async () => {
    const stack = await stackConfig();
    await startService(stack.service('pdp'), { PDP_DECISION_LOG: 'off' });
    proxy = await tcpProxy({ backends: [stack.ports.PDP_PORT] });
    await startService(stack.service('idp'));
    await startService(stack.service('api'), { PDP_URL: stack.internal(proxy.port), PDP_TIMEOUT_MS: String(TIMEOUT_MS) });
    const token = await signIn(stack, 'alice');
    expect((await call(stack, '/api/chat', token)).status).toBe(200);

    proxy.delayMs = TIMEOUT_MS * 4;
    const slow: { status: number; code?: string; ms: number }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const started = performance.now();
      const answer = await call(stack, '/api/chat', token);
      slow.push({ status: answer.status, code: answer.code, ms: Math.round(performance.now() - started) });
    }
    proxy.delayMs = 0;
    // A connection that timed out is abandoned by demo-api; the next one is fresh.
    const recoveredStarted = performance.now();
    let after = await call(stack, '/api/chat', token);
    for (let i = 0; i < 3 && after.status !== 200; i += 1) after = await call(stack, '/api/chat', token);
    const recoveredMs = Math.round(performance.now() - recoveredStarted);

    console.log(`PDP ${TIMEOUT_MS * 4} ms slow, demo-api timeout ${TIMEOUT_MS} ms: ${slow.map((s) => `${s.status} ${s.code} in ${s.ms} ms`).join(', ')}; fast again: ${after.status} after ${recoveredMs} ms`);
    for (const s of slow) {
      expect({ status: s.status, code: s.code }).toEqual({ status: 503, code: 'pdp_unavailable' });
      expect(s.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(s.ms).toBeLessThan(TIMEOUT_MS + 400);
    }
    expect(after.status).toBe(200);
  }, 120_000);
});
