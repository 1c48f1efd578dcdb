/**
 * Lost log lines are counted and reported: past the destination's buffer limit (an output that
 * does not keep up, here a pipe nobody reads) sonic-boom drops lines, and each one raises
 * pdp_decision_log_dropped_total; the service log gets one warning per interval with the count;
 * the server keeps answering.
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError } from '../src/common/errors.js';
import { createLogDestination, LOG_MIN_BUFFERED, monitorLogDrops } from '../src/observability/log.js';
import { loadConfig } from '../src/runtime/config.js';
import { ALICE, captureLog, eventually, get, post, startTestPdp, type TestPdp } from './http-helpers.js';
import { pino, type DestinationStream } from 'pino';

let pdp: TestPdp | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await pdp?.stop();
  pdp = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

const dropped = (metrics: string, reason: string): number => Number(new RegExp(`^pdp_decision_log_dropped_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? NaN);

describe('lost log lines', () => {
  test('a stuck output: lines past the buffer are dropped and counted, decisions go on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pdp-drops-'));
    const fifo = path.join(dir, 'out');
    execFileSync('mkfifo', [fifo]);
    // Read and write: the open does not wait for a reader, and nobody reads until the end.
    const fd = openSync(fifo, 'r+');
    const destination = createLogDestination({ fd }, LOG_MIN_BUFFERED);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // Before the server stops: its shutdown flush writes synchronously and would wait on the
    // pipe. Reading unblocks the write the pipe holds up, too.
    let reader: ReturnType<typeof createReadStream> | undefined;
    cleanups.push(async () => {
      reader?.destroy();
      closeSync(fd);
    });
    const drain = async () => {
      reader = createReadStream(fifo, { flags: 'r' });
      await once(reader, 'data');
      reader.resume();
      await new Promise((r) => setTimeout(r, 200));
    };
    pdp = await startTestPdp({ logDestination: destination, watch: false });
    expect(dropped((await get(pdp.url, '/metrics')).text, 'buffer_full')).toBe(0);
    // About 400 bytes a line: 1,000 lines are several times the 64 KiB buffer and the pipe's 64 KiB.
    for (let i = 0; i < 20; i++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => post((pdp as TestPdp).url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' })));
      expect(answers.every((a) => a.status === 200 && a.body.allow === true)).toBe(true);
    }
    const count = dropped((await get(pdp.url, '/metrics')).text, 'buffer_full');
    expect(count).toBeGreaterThan(100);
    expect(count).toBeLessThanOrEqual(1000 + 10);
    await drain();
    await pdp.stop();
    pdp = undefined;
  });

  test('one warning per interval, with the count since the last one', async () => {
    const destination = new EventEmitter() as EventEmitter & DestinationStream;
    destination.write = () => true;
    const log = captureLog();
    const counted: string[] = [];
    const monitor = monitorLogDrops(destination, { logger: pino({ level: 'info' }, log), count: (r) => counted.push(r), intervalMs: 1000 });
    const started = Date.now();
    for (let i = 0; i < 500; i++) destination.emit('drop', 'x\n');
    await new Promise((r) => setTimeout(r, 50));
    const warnings = () => log.lines.filter((l) => l.level === 40);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ dropped: { buffer_full: 500, write_error: 0 } });
    for (let i = 0; i < 7; i++) destination.emit('drop', 'x\n');
    destination.emit('error', Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
    // The second warning waits for the end of the interval, however loaded the machine.
    await eventually(async () => warnings().length === 2, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatchObject({ dropped: { buffer_full: 7, write_error: 1 }, writeError: 'EPIPE' });
    expect(counted).toHaveLength(508);
    monitor.close();
    expect(warnings()).toHaveLength(2);
  });

  test('PDP_LOG_MAX_BUFFER_BYTES is checked with the other settings', () => {
    expect(loadConfig({ env: { PDP_LOG_MAX_BUFFER_BYTES: '1048576' } }).logMaxBufferBytes).toBe(1048576);
    let err: unknown;
    try {
      loadConfig({ env: { PDP_LOG_MAX_BUFFER_BYTES: '1000', PDP_PORT: 'x' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['PDP_LOG_MAX_BUFFER_BYTES', 'PDP_PORT']);
  });
});
