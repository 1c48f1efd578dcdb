/**
 * The log destination (pino's asynchronous sonic-boom, as createLogDestination sets it up):
 * every line arrives, in order, whether written out by size, by the periodic flush or at
 * shutdown; a stuck output drops lines instead of holding them; no token reaches it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogDestination, createLogger, LOG_LEVELS, LOG_MAX_BUFFERED } from '../src/observability/log.js';
import { ALICE, post } from './http-helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function tempDestination(): Promise<{ file: string; dest: ReturnType<typeof createLogDestination> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pdp-lw-'));
  dirs.push(dir);
  const file = path.join(dir, 'out.log');
  const dest = createLogDestination({ dest: file });
  await once(dest, 'ready');
  return { file, dest };
}

const waitFor = async (check: () => boolean, ms = 2000): Promise<void> => {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
};

describe('log destination', () => {
  test('lines written in bursts all arrive, in order; a short tail is written by the periodic flush', async () => {
    const { file, dest } = await tempDestination();
    for (let i = 0; i < 20_000; i++) dest.write(`{"n":${i}}\n`);
    await new Promise((r) => setTimeout(r, 50));
    // Far below the 4 KiB write threshold: only the periodic flush writes these out.
    for (let i = 20_000; i < 20_010; i++) dest.write(`{"n":${i}}\n`);
    const count = () => readFileSync(file, 'utf8').trim().split('\n').length;
    await waitFor(() => count() === 20_010);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(20_010);
    expect(lines.every((l, i) => JSON.parse(l).n === i)).toBe(true);
    dest.end();
  });

  test('flushSync writes what is pending at once (shutdown)', async () => {
    const { file, dest } = await tempDestination();
    dest.write('a\n');
    dest.write('b\n');
    expect(readFileSync(file, 'utf8')).toBe('');
    dest.flushSync();
    expect(readFileSync(file, 'utf8')).toBe('a\nb\n');
    dest.end();
  });

  test('beyond the buffer limit lines are dropped, not kept in memory', async () => {
    const { file, dest } = await tempDestination();
    let dropped = 0;
    dest.on('drop', () => dropped++);
    // Written in one turn, so nothing can drain: everything past the limit must be dropped.
    const line = `${'x'.repeat(1023)}\n`;
    const n = LOG_MAX_BUFFERED / line.length + 100;
    for (let i = 0; i < n; i++) dest.write(line);
    expect(dropped).toBeGreaterThan(0);
    dest.flushSync();
    expect(statSync(file).size).toBeLessThanOrEqual(LOG_MAX_BUFFERED);
    dest.end();
  });

  test('a token or an authorization header passed in a log object is censored', async () => {
    const { file, dest } = await tempDestination();
    const { logger, flush } = createLogger({ level: 'info', destination: dest });
    logger.info({ token: 'eyJ.secret.token', headers: { authorization: 'Bearer s3cret' } }, 'oops');
    flush();
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ token: '[redacted]', headers: { authorization: '[redacted]' }, msg: 'oops' });
    expect(text).not.toContain('secret');
    expect(text).not.toContain('s3cret');
    dest.end();
  });

  test('pdp serve (the built CLI) stopped right after a decision still writes that decision line', async () => {
    const bin = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));
    const policies = fileURLToPath(new URL('../../policies', import.meta.url));
    const child = spawn(process.execPath, [bin, 'serve', '--policies', policies, '--port', '0'], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit');
    const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(() => lines().some((l) => l.msg === 'pdp listening'), 10_000);
    const { url } = lines().find((l) => l.msg === 'pdp listening') as { url: string };
    const { body } = await post(url, '/v1/decide', { subject: ALICE, resource: { type: 'chat' }, action: 'read' });
    // Sooner than the periodic flush: the line is still pending when the signal arrives.
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    expect(lines().filter((l) => l.kind === 'decision' && l.decisionId === body.decisionId)).toHaveLength(1);
  }, 20_000);

  test('LOG_LEVELS are pino levels, most severe first, then silent', () => {
    expect(LOG_LEVELS).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
  });
});
