// A large policy set and decisions under an open-loop stream, shared by test/reload-stall.test.ts
// (which asserts on the figures) and bench/reload.mjs (which only prints them).
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** `files` policies (one per file) of `rulesPerFile` rules each, plus roles.json, into `dir`. */
export async function writeLargePolicySet(dir, { files = 45, rulesPerFile = 1_000, tag = '' } = {}) {
  await mkdir(path.join(dir, 'tests'), { recursive: true });
  await writeFile(path.join(dir, 'roles.json'), JSON.stringify({ roles: { 'ai-user': { fromGroups: ['oracle-ai-users'] } } }));
  for (let f = 0; f < files; f++) {
    const rules = [];
    for (let i = 0; i < rulesPerFile; i++) {
      rules.push({
        id: `r${i}${tag}`,
        description: `generated rule ${i} of policy ${f}`,
        effect: i % 7 === 0 ? 'deny' : 'allow',
        actions: [`act${i % 40}`],
        subject: { groups: { anyOf: [`g${i % 300}`, `team-${i % 17}`] } },
        when: { '==': [{ var: 'resource.attributes.owner' }, `owner-${i % 1000}`] },
      });
    }
    await writeFile(path.join(dir, `p${f}.json`), JSON.stringify({ id: `p${f}`, resource: `type${f}`, rules }));
  }
}

/**
 * POST /v1/decide every `intervalMs` (open loop: on a schedule, not after the previous answer),
 * until `until` settles and `tailMs` more have passed. Each latency is measured from when the
 * request was due, so a stalled event loop (which delays the sending too) shows in full.
 */
export async function decideStream(url, until, { intervalMs = 5, tailMs = 300, timeoutMs = 5000 } = {}) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify({ subject: { id: 'alice', groups: ['g1', 'team-1'] }, resource: { type: 'type1', attributes: { owner: 'owner-1' } }, action: 'act1' });
  const { hostname, port } = new URL(url);
  const latencies = [];
  let failures = 0;
  const failureCodes = [];
  const pending = [];
  let done = false;
  void Promise.resolve(until).finally(() => setTimeout(() => (done = true), tailMs));
  const start = performance.now();
  for (let i = 0; !done; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      new Promise((resolve) => {
        const req = request({ host: hostname, port, path: '/v1/decide', method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else {
              failures++;
              failureCodes.push(res.statusCode);
            }
            resolve();
          });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (err) => {
          failures++;
          failureCodes.push(err.code ?? err.message);
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { requests: latencies.length + failures, failures, failureCodes, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN };
}
