/**
 * The node:cluster primary of `pdp serve` with PDP_WORKERS=N > 1: forks N workers that share
 * the port, announces "pdp listening" once all of them take connections, forwards SIGHUP
 * (reload) and SIGTERM/SIGINT (stop) to them, and replaces a worker that dies. Each worker
 * drains as a single process does (runtime/server.ts); the primary only bounds the wait.
 */
import cluster, { type Worker } from 'node:cluster';
import { createLogger } from '../observability/log.js';
import type { Config } from './config.js';

/** Past a worker's own shutdown bounds: time for its last log lines and its exit. */
const STUCK_WORKER_GRACE_MS = 5_000;

/** The cluster primary: forks workers, forwards signals, restarts a worker that dies. */
export function runPrimary(config: Readonly<Config>): Promise<number> {
  const { logger, flush } = createLogger({ level: config.logLevel, redact: config.logRedact });
  const workers = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;
  let announced = false;
  let everListened = false;
  const listening = new Set<number>();

  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      flush();
      resolve(code);
    };
    const fork = (): void => {
      const w = cluster.fork();
      workers.add(w);
      w.on('message', (msg: { type?: string; url?: string; revision?: string | null }) => {
        if (msg?.type !== 'pdp:listening') return;
        everListened = true;
        listening.add(w.id);
        // Announce once every worker takes connections, so "listening" means fully up.
        if (!announced && listening.size >= config.workers) {
          announced = true;
          logger.info({ url: msg.url, revision: msg.revision, workers: config.workers, policies: config.policiesDir }, 'pdp listening');
        }
      });
      w.on('exit', (code, signal) => {
        workers.delete(w);
        if (stopping) {
          if (workers.size === 0) finish(exitCode);
          return;
        }
        // A worker that never listened hit a start error every other worker will hit too.
        if (!everListened) {
          logger.fatal({ code, signal }, 'worker failed to start; stopping');
          stopping = true;
          exitCode = 1;
          for (const other of workers) other.process.kill('SIGTERM');
          if (workers.size === 0) finish(exitCode);
          return;
        }
        logger.error({ code, signal, pid: w.process.pid }, 'worker died; starting another');
        // Not unref'd: when every worker has died, this timer is what keeps the primary alive to fork again.
        setTimeout(() => {
          if (!stopping) fork();
        }, 1000);
      });
    };
    for (let i = 0; i < config.workers; i++) fork();

    process.on('SIGHUP', () => {
      logger.info('SIGHUP: reloading policies in every worker');
      for (const w of workers) w.process.kill('SIGHUP');
    });
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down workers');
      for (const w of workers) w.process.kill('SIGTERM');
      if (workers.size === 0) finish(0);
      // Each worker drains and closes within these bounds itself; one that does not is stuck.
      setTimeout(() => {
        if (workers.size === 0) return;
        logger.error({ workers: workers.size }, 'workers did not stop within the shutdown delay and timeout; killing them');
        exitCode = 1;
        for (const w of workers) w.process.kill('SIGKILL');
      }, config.shutdownDelayMs + config.shutdownTimeoutMs + STUCK_WORKER_GRACE_MS).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
