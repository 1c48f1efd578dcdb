// The launcher's pieces on their own, with real files, sockets on 127.0.0.1 and child processes:
// the build planner, the port checks, the readiness poll and the supervisor.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planBuild } from '../../scripts/lib/build.mjs';
import { createPainter } from '../../scripts/lib/log-format.mjs';
import { assertPortFree, findFreePort, freePort, probePort, readPort } from '../../scripts/lib/ports.mjs';
import { waitReady } from '../../scripts/lib/ready.mjs';
import { Supervisor, type ChildRecord } from '../../scripts/lib/supervisor.mjs';
import { ROOT, alive } from './launcher.js';

const HOST = '127.0.0.1';

describe('planBuild', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'plan-build-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Writes `file` under the temporary root with its modification time `seconds` after the epoch. */
  function file(relative: string, seconds: number): void {
    const target = path.join(root, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, '');
    utimesSync(target, seconds, seconds);
  }

  /** Sources at time 100, and a build at `built` (none when undefined). */
  function workspaces(built: number | undefined): void {
    for (const ws of ['pdp', 'demo-idp', 'demo-api']) {
      file(`${ws}/src/index.ts`, 100);
      file(`${ws}/src/nested/deep.ts`, 100);
      file(`${ws}/tsconfig.json`, 100);
      if (built !== undefined) file(`${ws}/dist/index.js`, built);
    }
    for (const input of ['demo-web/src/main.ts', 'demo-web/angular.json', 'demo-web/package.json']) file(input, 100);
    if (built !== undefined) file('demo-web/dist/demo-web/browser/index.html', built);
  }

  it('builds everything when nothing is built', () => {
    workspaces(undefined);
    expect(planBuild(root)).toEqual({ ts: ['pdp', 'demo-idp', 'demo-api'], web: true });
  });

  it('builds nothing when every output is newer than its sources', () => {
    workspaces(200);
    expect(planBuild(root)).toEqual({ ts: [], web: false });
  });

  it.each([
    ['a source file deep in src', 'demo-idp/src/nested/deep.ts', { ts: ['demo-idp'], web: false }],
    ['tsconfig.json', 'pdp/tsconfig.json', { ts: ['pdp'], web: false }],
    ["demo-web's sources", 'demo-web/src/main.ts', { ts: [], web: true }],
    ["demo-web's angular.json", 'demo-web/angular.json', { ts: [], web: true }],
  ])('rebuilds only the workspace whose %s changed after its build', (_what, changed, plan) => {
    workspaces(200);
    file(changed, 300);
    expect(planBuild(root)).toEqual(plan);
  });

  it('judges a build by its newest file, and an empty dist as no build', () => {
    workspaces(200);
    file('demo-api/dist/index.js', 50);
    file('demo-api/dist/routes/late.js', 150);
    rmSync(path.join(root, 'pdp', 'dist', 'index.js'));
    expect(planBuild(root)).toEqual({ ts: ['pdp'], web: false });
  });

  it('ignores what tools write under node_modules inside a source folder', () => {
    workspaces(200);
    file('demo-api/src/node_modules/.cache/x', 300);
    expect(planBuild(root).ts).toEqual([]);
  });
});

describe('port checks', () => {
  const servers: Server[] = [];
  const listen = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: HOST, port, exclusive: true }, () => {
        servers.push(server);
        resolve(true);
      });
    });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('freePort gives a port that can be bound, and probePort agrees until something listens on it', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await probePort(HOST, port)).toBeNull();
    expect(await listen(port)).toBe(true);
    expect(await probePort(HOST, port)).toBe('EADDRINUSE');
  });

  it('accepts a free port', async () => {
    await expect(assertPortFree(HOST, await freePort(), 'API_PORT', 'api')).resolves.toBeUndefined();
  });

  it('names a busy port, the variable that moves it, how to find the holder, and a free port to use', async () => {
    const port = await freePort();
    expect(await listen(port)).toBe(true);
    // The next port is busy too (ours, or already someone's), and the one after is another service's.
    await listen(port + 1);
    const avoid = [port, port + 2];
    const error = await assertPortFree(HOST, port, 'API_PORT', 'api', avoid).then(
      () => undefined,
      (reason: unknown) => reason as Error,
    );
    expect(error?.message).toContain(`api: port ${port} on ${HOST} is already in use`);
    expect(error?.message).toContain(`lsof -i :${port}`);
    const suggested = Number(/API_PORT=(\d+) npm start/.exec(error?.message ?? '')?.[1]);
    expect(suggested).toBeGreaterThan(port + 2);
    expect(await probePort(HOST, suggested)).toBeNull();
  });

  it('findFreePort skips busy and reserved ports', async () => {
    const port = await freePort();
    expect(await listen(port + 1)).toBe(true);
    const found = await findFreePort(HOST, port, [port + 2]);
    expect(found).toBeGreaterThan(port + 2);
    expect(await probePort(HOST, found!)).toBeNull();
  });

  it('reports an address that cannot be bound with its error code and no made-up suggestion', async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    await expect(assertPortFree('192.0.2.1', 4000, 'WEB_PORT', 'web')).rejects.toThrow(
      /^web: port 4000 on 192\.0\.2\.1 cannot be used \(EADDRNOTAVAIL\)\..* WEB_PORT=<port> npm start$/,
    );
  });

  it.each([
    ['unset', undefined, 3000],
    ['empty', '', 3000],
    ['a port', '8080', 8080],
  ])('readPort takes %s', (_what, raw, expected) => {
    expect(readPort(raw === undefined ? {} : { API_PORT: raw }, 'API_PORT', 3000)).toBe(expected);
  });

  it.each(['0', '65536', '80.5', 'http', '-1'])('readPort rejects %j', (raw) => {
    expect(() => readPort({ API_PORT: raw }, 'API_PORT', 3000)).toThrow(`API_PORT must be a TCP port (1-65535), got "${raw}"`);
  });
});

describe('waitReady', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  async function serve(status: () => number): Promise<string> {
    server = createHttpServer((_req, res) => {
      res.statusCode = status();
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, HOST, resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return `http://${HOST}:${address.port}/readyz`;
  }

  it('waits through non-2xx answers until the service is ready, saying what it got meanwhile', async () => {
    let calls = 0;
    const url = await serve(() => (++calls < 5 ? 503 : 200));
    const notices: string[] = [];
    const state = await waitReady(url, { timeoutMs: 10_000, hasExited: () => false, intervalMs: 20, noticeEveryMs: 30, onWaiting: (last: string) => notices.push(last) });
    expect(state).toBe('ready');
    expect(calls).toBe(5);
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((notice) => notice === 'answers 503')).toBe(true);
  });

  it('gives up at the timeout when nothing answers, and says why', async () => {
    const url = `http://${HOST}:${await freePort()}/readyz`;
    const notices: string[] = [];
    const started = Date.now();
    const state = await waitReady(url, { timeoutMs: 400, hasExited: () => false, intervalMs: 20, noticeEveryMs: 100, onWaiting: (last: string) => notices.push(last) });
    expect(state).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(notices[0]).toBe('no answer (ECONNREFUSED)');
  });

  it('stops waiting as soon as the process has exited', async () => {
    const url = await serve(() => 503);
    let exited = false;
    setTimeout(() => (exited = true), 100);
    const started = Date.now();
    expect(await waitReady(url, { timeoutMs: 10_000, hasExited: () => exited, intervalMs: 20 })).toBe('exited');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('Supervisor', () => {
  const plain = createPainter(false);
  let lines: string[];
  let unexpected: ChildRecord[];
  let supervisor: Supervisor;
  beforeEach(() => {
    lines = [];
    unexpected = [];
    supervisor = new Supervisor({ painter: plain, out: (line) => lines.push(line), onUnexpectedExit: (record) => unexpected.push(record) });
  });
  afterEach(() => supervisor.killAllNow());

  /** A Node child running `code`. */
  const start = (name: string, code: string, cwd = ROOT): ChildRecord => supervisor.start({ name, colour: 'cyan', args: ['-e', code], cwd }, process.env);
  const STAYS = 'setInterval(() => {}, 1000);';
  const IGNORES_SIGTERM = `process.on('SIGTERM', () => {}); console.log('armed'); ${STAYS}`;
  const printed = (text: string) => expect.poll(() => lines.some((line) => line.includes(text)), { timeout: 5_000 }).toBe(true);

  it('prefixes each output line with the service and makes pino JSON readable', async () => {
    const record = start('one', `console.log(JSON.stringify({ level: 40, time: Date.now(), msg: 'careful', pid: 1 })); console.error('plain text'); ${STAYS}`);
    await printed('plain text');
    await printed('careful');
    expect(lines).toContain('[one]  plain text');
    expect(lines.some((line) => /^\[one\]\s+\d\d:\d\d:\d\d WARN\s+careful$/.test(line))).toBe(true);
    expect(record.exited).toBe(false);
  });

  it('reports a child that exits by itself, with its exit code, and only that child', async () => {
    const stays = start('stays', STAYS);
    start('dies', 'setTimeout(() => process.exit(3), 50);');
    await expect.poll(() => unexpected.length, { timeout: 5_000 }).toBe(1);
    expect(unexpected[0]).toMatchObject({ exited: true, code: 3, signal: null });
    expect(unexpected[0]!.service.name).toBe('dies');
    expect(stays.exited).toBe(false);
    expect(alive(stays.child.pid!)).toBe(true);
  });

  it('reports a child killed by a signal with that signal', async () => {
    const victim = start('victim', STAYS);
    process.kill(victim.child.pid!, 'SIGKILL');
    await expect.poll(() => unexpected.length, { timeout: 5_000 }).toBe(1);
    expect(unexpected[0]).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('reports a child that cannot be spawned, and still stops promptly', async () => {
    const record = start('nowhere', STAYS, path.join(ROOT, 'no-such-directory'));
    await expect.poll(() => unexpected.length, { timeout: 5_000 }).toBe(1);
    expect(record.exited).toBe(true);
    expect(record.error?.message).toMatch(/ENOENT/);
    expect(await supervisor.stopAll(200)).toBe(false);
  });

  it('stops every child and what each one started, without reporting them as failures', async () => {
    // The grandchild ignores SIGTERM: only the group-wide SIGKILL after its parent exits ends it.
    const grandchild = `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(IGNORES_SIGTERM)}], { stdio: 'inherit' }).on('spawn', function () { console.log('grandchild ' + this.pid); });`;
    const parent = start('parent', `${grandchild} ${STAYS}`);
    const other = start('other', STAYS);
    await printed('armed');
    const grandPid = Number(/grandchild (\d+)/.exec(lines.join('\n'))?.[1]);
    expect(alive(grandPid)).toBe(true);

    expect(await supervisor.stopAll(5_000)).toBe(false);
    expect(parent).toMatchObject({ exited: true, signal: 'SIGTERM' });
    expect(other).toMatchObject({ exited: true, signal: 'SIGTERM' });
    await expect.poll(() => alive(grandPid), { timeout: 5_000 }).toBe(false);
    expect(unexpected).toEqual([]);
  });

  it('kills a child that ignores SIGTERM once the grace period is over, and says so', async () => {
    const stubborn = start('stubborn', IGNORES_SIGTERM);
    await printed('armed');
    const started = Date.now();
    expect(await supervisor.stopAll(300)).toBe(true);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300);
    expect(took).toBeLessThan(3_000);
    expect(stubborn).toMatchObject({ exited: true, signal: 'SIGKILL' });
    expect(unexpected).toEqual([]);
  });

  it('killAllNow ends every child at once', async () => {
    const records = [start('a', IGNORES_SIGTERM), start('b', STAYS)];
    await printed('armed');
    supervisor.killAllNow();
    await Promise.all(records.map((record) => record.exited$));
    for (const record of records) expect(record.signal).toBe('SIGKILL');
    expect(unexpected).toEqual([]);
  });
});
