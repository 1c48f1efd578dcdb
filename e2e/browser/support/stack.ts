// Runs the whole demo as `npm start` does (scripts/start.mjs: demo-idp, pdp, demo-api and the
// production build of demo-web) on free ports, with every origin on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Stack {
  readonly webUrl: string;
  readonly idpUrl: string;
  readonly apiUrl: string;
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

export async function startStack(): Promise<Stack> {
  const build = path.join(ROOT, 'demo-web', 'dist', 'demo-web', 'browser', 'index.html');
  if (!existsSync(build)) {
    throw new Error(`${path.relative(ROOT, build)} is missing: build first (npm run build at the repository root)`);
  }
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [idp, pdp, api, web] = [...ports] as [number, number, number, number];

  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      IDP_PORT: String(idp),
      PDP_PORT: String(pdp),
      API_PORT: String(api),
      WEB_PORT: String(web),
      // The browser reaches every service on 127.0.0.1, so issuer, redirect URI and CORS use it.
      PUBLIC_HOST: '127.0.0.1',
      START_SKIP_BUILD: '1',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    for (const waiter of waiters) waiter();
  });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // start.mjs stops its services itself on SIGTERM.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no "Demo ready" within ${READY_TIMEOUT_MS} ms:\n${text}`)), READY_TIMEOUT_MS);
      const check = () => {
        if (text.includes('Demo ready')) done();
        else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`scripts/start.mjs exited early:\n${text}`));
      };
      const done = (error?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      waiters.add(check);
      check();
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    webUrl: `http://127.0.0.1:${web}`,
    idpUrl: `http://127.0.0.1:${idp}`,
    apiUrl: `http://127.0.0.1:${api}`,
    output: () => text,
    stop,
  };
}
