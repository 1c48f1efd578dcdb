/**
 * A reload of a large policy set (45,000 rules, about 9 MB in 45 files) must not stall the
 * decisions being served meanwhile: loading and checking run in a worker thread, decoding and
 * compiling on the event loop in short slices. Loading it in one go on the event loop takes a
 * second or more, during which every request waits.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { decideStream, writeLargePolicySet } from '../bench/large-reload.mjs';
import { get, removeDir, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp | undefined;
let dir: string | undefined;
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
  if (dir !== undefined) await removeDir(dir);
});

/**
 * Decision p99 while the reload runs, in ms, at most. On an idle machine it stays within a few ms
 * of the quiet p99; on the shared 2-core machine this was written on the quiet p99 alone reached
 * 100 to 700 ms with the load average between 4 and 17 (client and server in one process). So
 * the bound is this, or three times the quiet p99 measured just before, whichever is larger.
 * Loading on the event loop instead, as before, gave a p99 of 5 s there (p50 2.4 s); the real
 * figure is printed by bench/reload.mjs.
 */
const P99_BOUND_MS = 500;
const QUIET_FACTOR = 3;

describe('a large reload', () => {
  test('decisions keep their latency while 45,000 rules are reloaded, and the new set is served', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pdp-stall-'));
    await writeLargePolicySet(dir);
    pdp = await startTestPdp({ dir, watch: false });
    const before = (await get(pdp.url, '/v1/policies')).body.revision as string;
    const quiet = await decideStream(pdp.url, new Promise((r) => setTimeout(r, 1500)), { intervalMs: 10 });
    expect(quiet.failureCodes).toEqual([]);
    const bound = Math.max(P99_BOUND_MS, QUIET_FACTOR * quiet.p99);
    // Every rule id changes: a new revision, and a diff naming all 90,000 of them.
    await writeLargePolicySet(dir, { tag: '-v2' });
    const p = pdp;
    let reloaded: Awaited<ReturnType<TestPdp['reload']>> | undefined;
    const reload = p.reload('test').then((r) => (reloaded = r));
    const stream = await decideStream(p.url, reload, { intervalMs: 10 });
    expect(reloaded).toMatchObject({ result: 'success' });
    expect((await get(p.url, '/v1/policies')).body.revision).not.toBe(before);
    expect(stream.failureCodes).toEqual([]);
    expect(stream.requests).toBeGreaterThan(100);
    expect(stream.p99, `decision p99 during the reload: ${stream.p99.toFixed(1)} ms (max ${stream.max.toFixed(1)} ms; quiet p99 ${quiet.p99.toFixed(1)} ms)`).toBeLessThan(bound);
  }, 120_000);
});
