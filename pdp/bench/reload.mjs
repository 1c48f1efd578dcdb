// Decision latency while a large policy set (45,000 rules, about 9 MB in 45 files) is reloaded:
// `pdp serve`'s server in this process, an open-loop stream of POST /v1/decide every 5 ms, first
// with nothing else going on, then during a reload. During the reload it also records the event
// loop's delay (perf_hooks, 1 ms resolution) and the main thread's GC pauses, which say where a
// stall came from. Figures only; nothing here is a test.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
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
  const gcs = [];
  const gcWatch = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ ms: e.duration, kind: e.detail?.kind === 1 ? 'minor' : 'major' });
  });
  gcWatch.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  const reload = pdp.reload('bench');
  const during = await decideStream(pdp.url, reload);
  const took = performance.now() - started;
  loop.disable();
  gcWatch.disconnect();
  console.log(`decision p50/p99 during a large reload: ${ms(during.p50)} / ${ms(during.p99)}, max ${ms(during.max)} (${during.requests} requests, ${during.failures} failed; reload ${(await reload).result} in ${(took / 1000).toFixed(1)} s; target p99 < 20 ms: ${during.p99 < 20 ? 'met' : 'MISSED'})`);
  const longest = gcs.sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(
    `  event loop delay during the reload: p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}; ${gcs.length} GC pauses, ${ms(gcs.reduce((n, g) => n + g.ms, 0))} in all, longest ${longest.map((g) => `${g.ms.toFixed(1)} (${g.kind})`).join(', ')} ms`,
  );
  // The young generation's size bounds what one scavenge can copy (node --max-semi-space-size=N).
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  console.log(`  heap used after the reload ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB (the old set stays in it until a major GC); young generation ${(young / 2 ** 20).toFixed(0)} MB`);
  console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine's other work shows in these figures)`);
  await pdp.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
