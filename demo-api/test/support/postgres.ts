import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway Postgres cluster (initdb + postgres from PATH), on 127.0.0.1 and a free port. */
export interface TempPostgres {
  readonly url: string;
  close(): Promise<void>;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Postgres refuses to run as root: then it runs as the `postgres` user, when there is one. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  return Number.isInteger(uid) && uid > 0 ? { uid, gid } : undefined;
}

/** Why no temporary Postgres can run here, or undefined when one can. */
export function postgresUnavailable(): string | undefined {
  if (!onPath('initdb') || !onPath('postgres')) return 'initdb and postgres are not on PATH';
  if (process.getuid?.() === 0 && !runAs()) return 'running as root without a postgres user';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startTempPostgres(): Promise<TempPostgres> {
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'demo-api-pg-'));
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync('initdb', ['-D', data, '-U', 'demo', '--auth=trust', '-E', 'UTF8', '--no-locale'], { encoding: 'utf8', ...ids });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const server: ChildProcess = spawn('postgres', ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir, '-c', 'fsync=off'], { stdio: ['ignore', 'ignore', 'pipe'], ...ids });
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${log}`)), 20_000);
    const check = setInterval(() => {
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 50);
    server.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`postgres exited (${code}):\n${log}`));
    });
  });
  return {
    url: `postgres://demo@127.0.0.1:${port}/postgres`,
    async close() {
      await new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        // SIGINT: Postgres's fast shutdown.
        server.kill('SIGINT');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
