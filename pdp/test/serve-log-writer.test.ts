/** The batching log writer: every line arrives, in order, whether flushed by timer or at shutdown. */
import { closeSync, openSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LineWriter } from '../src/observability/log-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): { file: string; fd: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pdp-lw-'));
  dirs.push(dir);
  const file = path.join(dir, 'out.log');
  return { file, fd: openSync(file, 'a') };
}

describe('LineWriter', () => {
  test('lines written in bursts all arrive, in order, within the flush interval', async () => {
    const { file, fd } = tempFile();
    const w = new LineWriter({ fd, flushMs: 5 });
    for (let i = 0; i < 20_000; i++) w.write(`{"n":${i}}\n`);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 20_000; i < 20_010; i++) w.write(`{"n":${i}}\n`);
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20_010);
    expect(lines.every((l, i) => JSON.parse(l).n === i)).toBe(true);
    closeSync(fd);
  });

  test('flushSync writes what is pending at once (shutdown)', () => {
    const { file, fd } = tempFile();
    const w = new LineWriter({ fd, flushMs: 10_000 });
    w.write('a\n');
    w.write('b\n');
    w.flushSync();
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    closeSync(fd);
  });

  test('beyond the buffer limit lines are dropped and counted, not kept in memory', () => {
    const { fd } = tempFile();
    const w = new LineWriter({ fd, flushMs: 10_000, maxBuffered: 10 });
    expect(w.write('12345\n')).toBe(true);
    expect(w.write('123456\n')).toBe(false);
    expect(w.dropped).toBe(1);
    w.flushSync();
    closeSync(fd);
  });
});
