// Decision latency while a large policy set (45,000 rules, about 9 MB in 45 files) is reloaded:
// `pdp serve`'s server in a child process (as deployed: callers are other processes, so only the
// server's own event loop is measured), an open-loop stream of POST /v1/decide every 5 ms from
// this process, first with nothing else going on, then during a reload. During the reload the
// server also records its event loop's delay (perf_hooks, 1 ms resolution) and its main thread's
// GC pauses, which say where a stall came from. Figures only; nothing here is a test.
//
//   node bench/reload.mjs [--node-flags "--max-semi-space-size=2"]
//
// --node-flags: V8/Node flags for the server's process, e.g. to see what the young generation's
// size does to the GC pauses (the default: none, as `pdp serve` runs).
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { decideStream, writeLargePolicySet } from './large-reload.mjs';

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]);
} else {
  await main();
}

/** The child: `pdp serve`'s server over `dir`, reloading when told, reporting what its loop saw. */
async function serve(dir) {
  const { startPdpServer } = await import('../dist/runtime/server.js');
  const pdp = await startPdpServer({ policiesDir: dir, port: 0, logLevel: 'silent', watch: false });
  process.on('message', async (msg) => {
    if (msg === 'stop') {
      await pdp.close();
      process.disconnect();
      return;
    }
    const gcs = [];
    const gcWatch = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcs.push({ ms: e.duration, kind: e.detail?.kind === 1 ? 'minor' : 'major' });
    });
    gcWatch.observe({ entryTypes: ['gc'] });
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const started = performance.now();
    const result = (await pdp.reload('bench')).result;
    const took = performance.now() - started;
    loop.disable();
    gcWatch.disconnect();
    // The young generation's size bounds what one scavenge can copy (node --max-semi-space-size=N).
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    process.send({ result, took, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, gcs, heapUsed: process.memoryUsage().heapUsed, young });
  });
  process.send({ url: pdp.url });
}

async function main() {
  const { values } = parseArgs({ options: { 'node-flags': { type: 'string' }, quick: { type: 'boolean' } }, strict: false });
  const nodeFlags = typeof values['node-flags'] === 'string' ? values['node-flags'].split(/\s+/).filter(Boolean) : [];
  const dir = await mkdtemp(path.join(tmpdir(), 'pdp-bench-reload-'));
  const child = fork(fileURLToPath(import.meta.url), ['--serve', dir], { execArgv: nodeFlags, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  try {
    await writeLargePolicySet(dir);
    const { url } = await next();
    const ms = (x) => `${x.toFixed(1)} ms`;
    console.log(`server: pdp serve's server in a child process${nodeFlags.length > 0 ? ` (node ${nodeFlags.join(' ')})` : ''}; client: this process, one POST /v1/decide every 5 ms`);
    // Warm-up, not counted: the first requests pay for JIT compilation and new connections.
    await decideStream(url, new Promise((r) => setTimeout(r, 1500)));
    const quiet = await decideStream(url, new Promise((r) => setTimeout(r, 2000)));
    console.log(`decision p50/p99 without a reload:    ${ms(quiet.p50)} / ${ms(quiet.p99)} (${quiet.requests} requests)`);
    await writeLargePolicySet(dir, { tag: '-v2' });
    const report = next();
    child.send('reload');
    const during = await decideStream(url, report);
    const r = await report;
    console.log(`decision p50/p99 during a large reload: ${ms(during.p50)} / ${ms(during.p99)}, max ${ms(during.max)} (${during.requests} requests, ${during.failures} failed; reload ${r.result} in ${(r.took / 1000).toFixed(1)} s; target p99 < 20 ms: ${during.p99 < 20 ? 'met' : 'MISSED'})`);
    const longest = r.gcs.sort((a, b) => b.ms - a.ms).slice(0, 5);
    console.log(
      `  the server's event loop delay during the reload: p99 ${ms(r.loopP99)}, max ${ms(r.loopMax)}; ${r.gcs.length} GC pauses, ${ms(r.gcs.reduce((n, g) => n + g.ms, 0))} in all, longest ${longest.map((g) => `${g.ms.toFixed(1)} (${g.kind})`).join(', ')} ms`,
    );
    console.log(`  heap used after the reload ${(r.heapUsed / 2 ** 20).toFixed(0)} MB (the old set stays in it until a major GC); young generation ${(r.young / 2 ** 20).toFixed(0)} MB`);
    console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine's other work shows in these figures)`);
    child.send('stop');
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
