// Decision latency while a large policy set (44,000 rules, about 8 MB in 40 files) is reloaded:
// `pdp serve`'s server in this process, an open-loop stream of POST /v1/decide every 5 ms, first
// with nothing else going on, then during a reload. Figures only; nothing here is a test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decideStream, writeLargePolicySet } from './large-reload.mjs';

const { startPdpServer } = await import('../dist/runtime/server.js');
const dir = await mkdtemp(path.join(tmpdir(), 'pdp-bench-reload-'));
try {
  await writeLargePolicySet(dir);
  const pdp = await startPdpServer({ policiesDir: dir, port: 0, logLevel: 'silent', watch: false });
  const ms = (x) => `${x.toFixed(1)} ms`;
  // Warm-up, not counted: the first requests pay for JIT compilation and new connections.
  await decideStream(pdp.url, new Promise((r) => setTimeout(r, 1500)));
  const quiet = await decideStream(pdp.url, new Promise((r) => setTimeout(r, 2000)));
  console.log(`decision p50/p99 without a reload:    ${ms(quiet.p50)} / ${ms(quiet.p99)} (${quiet.requests} requests)`);
  await writeLargePolicySet(dir, { tag: '-v2' });
  const started = performance.now();
  const reload = pdp.reload('bench');
  const during = await decideStream(pdp.url, reload);
  const took = performance.now() - started;
  console.log(`decision p50/p99 during a large reload: ${ms(during.p50)} / ${ms(during.p99)}, max ${ms(during.max)} (${during.requests} requests, ${during.failures} failed; reload ${(await reload).result} in ${(took / 1000).toFixed(1)} s)`);
  await pdp.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
