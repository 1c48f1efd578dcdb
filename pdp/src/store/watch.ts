/**
 * Watches a policy directory and calls back once per burst of changes (editors and
 * `git checkout` write several files, or a temp file and a rename, for one edit). Not
 * recursive: `tests/` holds policy tests, which do not change what is served. If the watch
 * breaks (the directory was removed or replaced), it is set up again once a second.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface DirectoryWatchOptions {
  debounceMs: number;
  onChange: () => void;
  onError: (err: Error) => void;
  /** Top-level entries whose changes are ignored. */
  ignore?: readonly string[];
}

export interface DirectoryWatch {
  close(): void;
}

export function watchDirectory(dir: string, options: DirectoryWatchOptions): DirectoryWatch {
  const ignore = new Set(options.ignore ?? []);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) options.onChange();
    }, options.debounceMs);
    timer.unref();
  };

  const start = (): boolean => {
    try {
      // Not persistent: the HTTP server keeps the process alive, the watcher must not.
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename !== null && ignore.has(String(filename))) return;
        // Every other event counts, whatever the name: a Kubernetes ConfigMap update, for one,
        // swaps a `..data` symlink and never names a *.json file.
        schedule();
      });
      watcher.on('error', (err) => {
        watcher?.close();
        watcher = undefined;
        options.onError(err);
        rewatch();
      });
      return true;
    } catch (err) {
      options.onError(err as Error);
      return false;
    }
  };

  const rewatch = (): void => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (closed) return;
      if (start()) schedule();
      else rewatch();
    }, 1000);
    retry.unref();
  };

  if (!start()) rewatch();

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (retry) clearTimeout(retry);
      watcher?.close();
    },
  };
}
