/**
 * `pdp serve` as a child process (the built CLI: run `npm run build` first), its log lines read
 * as they come; shared by the tests that start one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/pdp.js', import.meta.url));

export interface Child {
  child: ChildProcess;
  lines: Record<string, any>[];
  stderr: () => string;
  exit: Promise<number | null>;
  /** Resolves with the first log line matching. */
  waitFor(pred: (l: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
}

const children: Child[] = [];

/** Kills (SIGKILL) every child `run` started that is still running, and waits for each exit. */
export async function stopChildren(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exit;
  }
}

/** Runs `pdp serve ARGS` with only PATH and `env` in its environment, reading its JSON log lines. */
export function run(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  const waiters: { pred: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }[] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const parsed = JSON.parse(line) as Record<string, any>;
        lines.push(parsed);
        for (const w of [...waiters]) if (w.pred(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      } catch {
        // not a log line
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const c: Child = {
    child,
    lines,
    stderr: () => err,
    exit,
    waitFor(pred, ms = 20_000) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${ms} ms; stderr: ${err}`)), ms);
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exit.then((code) => reject(new Error(`exited ${code} before the line; stderr: ${err}`)));
      });
    },
  };
  children.push(c);
  return c;
}
