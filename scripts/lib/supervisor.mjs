import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { formatLogLine } from './log-format.mjs';

/**
 * @typedef {object} ChildRecord
 * @property {{ name: string, colour: string, args: string[], cwd: string }} service
 * @property {import('node:child_process').ChildProcess} child
 * @property {boolean} exited
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 * @property {Error | undefined} error  set when the child could not be spawned at all
 * @property {Promise<void>} exited$
 */

/**
 * Runs child processes, each in its own process group so that stopping it also stops anything
 * it started, and nothing depends on the terminal delivering Ctrl-C to every process.
 */
export class Supervisor {
  #children = new Map();
  #painter;
  #out;
  #onUnexpectedExit;
  #stopping = false;

  /**
   * @param {{
   *   painter: ReturnType<typeof import('./log-format.mjs').createPainter>,
   *   out: (line: string) => void,
   *   onUnexpectedExit: (record: ChildRecord) => void,
   * }} options  `onUnexpectedExit` hears of every child that ends before stopAll or killAllNow
   */
  constructor({ painter, out, onUnexpectedExit }) {
    this.#painter = painter;
    this.#out = out;
    this.#onUnexpectedExit = onUnexpectedExit;
  }

  /** @returns {ChildRecord} */
  start(service, env) {
    const child = spawn(process.execPath, service.args, {
      cwd: service.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    /** @type {ChildRecord} */
    const record = { service, child, exited: false, code: null, signal: null, error: undefined, exited$: Promise.resolve() };
    const exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        record.exited = true;
        record.code = code;
        record.signal = signal;
        resolve();
      });
      // A child that could not be spawned has no pid and never emits 'exit': it counts as
      // exited, or stopAll would wait for it forever.
      child.on('error', (error) => {
        if (child.pid !== undefined || record.exited) return;
        record.exited = true;
        record.error = error;
        resolve();
      });
    });
    record.exited$ = exited;
    this.#children.set(service.name, record);
    const prefix = this.#painter.paint(service.colour, `[${service.name}]`.padEnd(6));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        if (line.trim() === '') return;
        for (const part of formatLogLine(line, this.#painter).split('\n')) this.#out(`${prefix} ${part}`);
      });
    }
    exited.then(() => {
      if (!this.#stopping) this.#onUnexpectedExit(record);
    });
    return record;
  }

  /** Sends `signal` to each child's whole process group. */
  #signalAll(signal) {
    for (const record of this.#children.values()) {
      const pid = record.child.pid;
      if (pid === undefined) continue;
      try {
        process.kill(-pid, signal);
      } catch {
        // ESRCH: the group is already gone.
      }
    }
  }

  /**
   * Stops every child: SIGTERM to each group, SIGKILL to what is left after `graceMs`.
   * @returns {Promise<boolean>} true when a child had to be killed
   */
  async stopAll(graceMs = 5000) {
    this.#stopping = true;
    this.#signalAll('SIGTERM');
    const all = Promise.all([...this.#children.values()].map((record) => record.exited$));
    let timer;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    // Even when the leaders exited, a grandchild may linger in a group: make sure.
    this.#signalAll('SIGKILL');
    if (timedOut) await all;
    return timedOut;
  }

  /** Last resort on the way out (uncaught error): nothing may outlive the launcher. */
  killAllNow() {
    this.#stopping = true;
    this.#signalAll('SIGKILL');
  }
}
