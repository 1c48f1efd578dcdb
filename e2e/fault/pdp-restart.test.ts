// The PDP restarted under demo-api load, as real processes on 127.0.0.1.
//
// SIGTERM: a rolling update. demo-api's PDP_URL is a proxy standing in for a Kubernetes Service:
// it routes each new connection to a PDP whose /readyz answers 200, and leaves open connections
// where they are. One PDP stops (draining), a replacement starts on its port, then the other
// stops: signed-in users must see no 503 at all. (A replacement on the same port cannot bind
// while the old process still listens, and a lone PDP that stops has nobody to hand over to, so
// two PDPs behind a readiness-routed address is the honest setting for "zero 503s".)
//
// SIGKILL: no drain at all. 503s only while no PDP runs, and 200s within a second of it being back.
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.mjs';
import { load, signIn, stackConfig, startService, stopAll, tally, tcpProxy, type Running, type TcpProxy } from './support.js';

const DRAIN_MS = 1_000;
const CALLERS = 8;

let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await stopAll();
});

describe('the PDP restarted under demo-api load', () => {
  it('SIGTERM, one PDP at a time behind a readiness-routed address: zero 503s', async () => {
    const stack = await stackConfig();
    const [portA, portB] = [stack.ports.PDP_PORT, await freePort()];
    const drain = { PDP_SHUTDOWN_DELAY_MS: String(DRAIN_MS), PDP_DECISION_LOG: 'off' };
    const pdp = (port: number) => startService(stack.service('pdp', { PDP_PORT: port }), drain);
    let a: Running = await pdp(portA);
    let b: Running = await pdp(portB);
    proxy = await tcpProxy({ backends: [portA, portB], readiness: '/readyz', probeEveryMs: 100 });
    await startService(stack.service('idp'));
    await startService(stack.service('api'), { PDP_URL: stack.internal(proxy.port) });
    const token = await signIn(stack, 'alice');

    const traffic = load(stack, '/api/chat', token, CALLERS);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const events: string[] = [];
    const roll = async (old: Running, port: number): Promise<Running> => {
      await pause(500);
      events.push(`${traffic.now()} ms: SIGTERM to the PDP on ${port}`);
      const { code } = await old.stop('SIGTERM');
      events.push(`${traffic.now()} ms: it exited ${code}`);
      expect(code).toBe(0);
      const replacement = await pdp(port);
      events.push(`${traffic.now()} ms: its replacement is ready`);
      return replacement;
    };
    a = await roll(a, portA);
    b = await roll(b, portB);
    await pause(500);
    const answers = await traffic.stop();

    console.log(`PDP rolling restart (SIGTERM, ${DRAIN_MS} ms drain) under ${CALLERS} callers: ${answers.length} requests in ${traffic.now()} ms: ${tally(answers)}\n  ${events.join('\n  ')}`);
    expect(answers.length).toBeGreaterThan(100);
    expect(answers.filter((x) => x.status !== 200)).toEqual([]);
  }, 120_000);

  it('SIGKILL: 503s only while it is down, and 200s within a second of it being back', async () => {
    const stack = await stackConfig();
    const pdpDef = stack.service('pdp');
    let pdp = await startService(pdpDef, { PDP_DECISION_LOG: 'off' });
    await startService(stack.service('idp'));
    await startService(stack.service('api'));
    const token = await signIn(stack, 'alice');

    const traffic = load(stack, '/api/chat', token, CALLERS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const killedAt = traffic.now();
    await pdp.stop('SIGKILL');
    const downAt = traffic.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const restartAt = traffic.now();
    pdp = await startService(pdpDef, { PDP_DECISION_LOG: 'off' });
    const backAt = traffic.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const answers = await traffic.stop();

    const failures = answers.filter((x) => x.status !== 200);
    const firstOkAfter = answers.find((x) => x.status === 200 && x.at >= backAt);
    const lastFailure = failures.at(-1);
    console.log(
      `PDP SIGKILL under ${CALLERS} callers: ${answers.length} requests: ${tally(answers)}; killed at ${killedAt} ms (gone at ${downAt}), ` +
        `restarted at ${restartAt} ms, ready at ${backAt} ms; last failure sent at ${lastFailure?.at} ms, first 200 after it was back sent at ${firstOkAfter?.at} ms`,
    );
    expect(failures.length).toBeGreaterThan(0);
    // Every failure is demo-api failing closed, answered after the kill, and sent before the PDP was back.
    for (const f of failures) expect({ status: f.status, code: f.code }).toEqual({ status: 503, code: 'pdp_unavailable' });
    expect(failures.filter((f) => f.done < killedAt || f.at > backAt)).toEqual([]);
    expect(firstOkAfter).toBeDefined();
    expect(firstOkAfter!.at - backAt).toBeLessThan(1_000);
  }, 120_000);
});
