import { DATA_DIR } from '../policy/data.js';
import { TESTS_DIR } from '../policy/loader.js';
import { watchDirectory } from '../store/watch.js';
import type { CliIo } from './output.js';

/** A burst of saves (an editor's temp file and rename, a `git checkout`) is one re-run. */
export const WATCH_DEBOUNCE_MS = 200;

export interface WatchOptions {
  /** Stops the watch; without one, SIGINT or SIGTERM does. */
  signal?: AbortSignal;
  debounceMs?: number;
}

/** Aborted on the first SIGINT or SIGTERM; the listeners go when the watch ends. */
function processSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/**
 * Runs `run`, then again after each change to `dir`, its data/ or its tests/, until stopped;
 * resolves to the last run's exit code. One run at a time: changes during a run make exactly
 * one more run after it, never a queue of them.
 */
export async function rerunOnChange(dir: string, run: () => Promise<number>, io: CliIo, options: WatchOptions = {}): Promise<number> {
  const own = options.signal === undefined ? processSignal() : undefined;
  const signal = options.signal ?? (own as { signal: AbortSignal }).signal;
  let last = await run();
  if (signal.aborted) {
    own?.dispose();
    return last;
  }
  io.err(io.errStyle.dim(`watching ${dir} for changes (Ctrl-C stops)`));
  return new Promise<number>((resolve) => {
    let running: Promise<void> | null = null;
    let again = false;
    const loop = async (): Promise<void> => {
      do {
        again = false;
        io.err(io.errStyle.dim(`\n${new Date().toISOString()} change in ${dir}: running again`));
        last = await run();
      } while (again && !signal.aborted);
      running = null;
    };
    const onChange = (): void => {
      if (signal.aborted) return;
      if (running !== null) again = true;
      else running = loop();
    };
    // The directory watch neither keeps a process alive (the server's sockets do that for
    // `pdp serve`) nor should it; here nothing else would, so this timer does until the stop.
    const alive = setInterval(() => {}, 1 << 30);
    const watch = watchDirectory(dir, {
      debounceMs: options.debounceMs ?? WATCH_DEBOUNCE_MS,
      onChange,
      onError: (err) => io.err(io.errStyle.red(`watch: ${err.message}`)),
      nested: [DATA_DIR, TESTS_DIR],
    });
    signal.addEventListener(
      'abort',
      () => {
        watch.close();
        clearInterval(alive);
        own?.dispose();
        void (running ?? Promise.resolve()).then(() => resolve(last));
      },
      { once: true },
    );
  });
}
