/**
 * SIGTERM of a real `pdp serve` under load (the built CLI: run `npm run build` first): 20
 * keep-alive callers, one connection each, keep sending /v1/decide while the process is told to
 * stop. None may see a reset; /readyz answers 503 during the drain delay while decisions are
 * still answered; each caller's connection ends with a `Connection: close` answer; exit 0.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { ALICE, makePolicyDir, removeDir } from './http-helpers.js';
import { run, stopChildren } from './serve-child.js';

const CALLERS = 20;
const DELAY_MS = 1500;

const dirs: string[] = [];
afterEach(async () => {
  await stopChildren();
  for (const d of dirs.splice(0)) await removeDir(d);
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(url: URL, path: string, agent: Agent | false, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('pdp serve: SIGTERM under keep-alive load', () => {
  // With workers, the primary forwards SIGTERM and each worker drains as one process does.
  test.each(['1', '2'])(`${CALLERS} keep-alive callers, PDP_WORKERS=%s: zero resets, /readyz 503 during the drain, exit 0`, async (workers) => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    const c = run(['--policies', dir, '--port', '0'], { PDP_SHUTDOWN_DELAY_MS: String(DELAY_MS), PDP_DECISION_LOG: 'off', PDP_WATCH: 'off', PDP_WORKERS: workers });
    const url = new URL((await c.waitFor((l) => l.msg === 'pdp listening')).url as string);
    const decide = JSON.stringify({ subject: ALICE, resource: { type: 'chat' }, action: 'read' });

    let signalledAt = 0;
    const counts = { requests: 0, duringDrain: 0, afterClose: 0, errors: [] as string[] };
    // One socket per caller, kept alive: the connections a caller service's pool holds.
    const caller = async (): Promise<'closed' | 'error'> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (;;) {
          let answer: Answer;
          try {
            answer = await send(url, '/v1/decide', agent, decide);
          } catch (err) {
            counts.errors.push(`${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
            return 'error';
          }
          counts.requests += 1;
          expect(answer.status, answer.body).toBe(200);
          expect((JSON.parse(answer.body) as { allow: boolean }).allow).toBe(true);
          if (signalledAt > 0 && answer.headers.connection !== 'close') counts.duringDrain += 1;
          // Told to go: a caller behind a load balancer would now use another instance.
          if (answer.headers.connection === 'close') {
            counts.afterClose += 1;
            return 'closed';
          }
        }
      } finally {
        agent.destroy();
      }
    };
    // An idle keep-alive connection must not hold the shutdown open: it is closed once idle.
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await send(url, '/v1/decide', idleAgent, decide)).status).toBe(200);

    const callers = Array.from({ length: CALLERS }, caller);
    await new Promise((r) => setTimeout(r, 300));
    const before = counts.requests;
    c.child.kill('SIGTERM');
    signalledAt = Date.now();

    // /readyz on a fresh connection each time, as a kubelet probes.
    const readyz: { at: number; status: number; code?: string }[] = [];
    while (Date.now() - signalledAt < DELAY_MS - 300) {
      const r = await send(url, '/readyz', false);
      readyz.push({ at: Date.now() - signalledAt, status: r.status, code: (JSON.parse(r.body) as { code?: string }).code });
      await new Promise((res) => setTimeout(res, 100));
    }
    const ends = await Promise.all(callers);
    const code = await c.exit;
    const exitedAfterMs = Date.now() - signalledAt;
    idleAgent.destroy();

    console.log(
      `pdp SIGTERM (${workers} worker(s)): ${counts.requests} decisions (${before} before the signal, ${counts.duringDrain} during the ${DELAY_MS} ms drain), ` +
        `${counts.errors.length} errors [${counts.errors.join(', ')}], ${counts.afterClose}/${CALLERS} connections ended by Connection: close, ` +
        `first /readyz after the signal: ${readyz[0]?.status} at ${readyz[0]?.at} ms, exit ${code} after ${exitedAfterMs} ms`,
    );
    expect(counts.errors).toEqual([]);
    expect(ends.every((e) => e === 'closed')).toBe(true);
    expect(readyz.length).toBeGreaterThan(0);
    expect(readyz.every((r) => r.status === 503 && r.code === 'shutting_down'), JSON.stringify(readyz)).toBe(true);
    expect(counts.duringDrain).toBeGreaterThan(CALLERS);
    expect(exitedAfterMs).toBeGreaterThanOrEqual(DELAY_MS);
    expect(code).toBe(0);
  }, 30_000);

  test('PDP_SHUTDOWN_TIMEOUT_MS bounds the wait: a request that never finishes is cut and the process still exits 0', async () => {
    const dir = await makePolicyDir();
    dirs.push(dir);
    const c = run(['--policies', dir, '--port', '0'], { PDP_SHUTDOWN_TIMEOUT_MS: '500', PDP_WATCH: 'off' });
    const url = new URL((await c.waitFor((l) => l.msg === 'pdp listening')).url as string);
    // A body announced and never sent: the request stays in flight until it is cut.
    const stuck = new Promise<string>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: '/v1/decide', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.on('response', (res) => resolve(`HTTP ${res.statusCode}`));
      req.write('{');
    });
    await new Promise((r) => setTimeout(r, 100));
    const signalledAt = Date.now();
    c.child.kill('SIGTERM');
    const code = await c.exit;
    const tookMs = Date.now() - signalledAt;
    console.log(`pdp SIGTERM with a stuck request: exit ${code} after ${tookMs} ms; the stuck request ended with ${await stuck}`);
    expect(code).toBe(0);
    expect(tookMs).toBeGreaterThanOrEqual(450);
    expect(tookMs).toBeLessThan(5000);
    expect(c.lines.some((l) => l.msg === 'shutdown timeout: closed the remaining connections')).toBe(true);
  }, 20_000);
});
