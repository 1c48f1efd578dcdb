/**
 * Watches a policy directory and calls back once per burst of changes (editors and
 * `git checkout` write several files, or a temp file and a rename, for one edit). Not
 * recursive: `tests/` holds policy tests, which do not change what is served. The `nested`
 * subdirectories (`data/`) get a watch of their own: an edit inside one changes its entries,
 * not the parent's, so the parent's watch never hears of it.
 *
 * An inotify watch follows the directory's inode, not its path. When the directory is deleted
 * and created again, replaced by a rename (`mv policies.new policies`), or reached through a
 * symlink that is switched to another release, the watch would stay on the old inode and never
 * fire again: edits would silently stop taking effect. So the path is also checked once a second
 * (one stat); when it now names another directory, or comes back after being gone, the watch is
 * set up again on it and a reload is scheduled.
 */
import { stat, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface DirectoryWatchOptions {
  debounceMs: number;
  onChange: () => void;
  onError: (err: Error) => void;
  /** Top-level entries whose changes are ignored. */
  ignore?: readonly string[];
  /** How often the path is checked for a replaced directory (default 1000 ms). */
  pollMs?: number;
  /** Top-level subdirectories watched too, when they exist (their own entries only). */
  nested?: readonly string[];
}

export interface DirectoryWatch {
  close(): void;
}

interface NestedWatch {
  /** Compares what the path names now with what is watched (`initial`: no reload for what start-up loads anyway). */
  check(initial: boolean): void;
  close(): void;
}

/**
 * One optional subdirectory: watched while it exists, its watch set up again when it is replaced
 * (same identity test as the top directory's). Its absence is no error: `data/` is optional, and
 * the parent's watch already reports it coming and going.
 */
function watchNested(path: string, onChange: () => void, onError: (err: Error) => void): NestedWatch {
  let watcher: FSWatcher | undefined;
  let watched: string | undefined;
  let failed = false;
  let closed = false;
  const stop = (): void => {
    watcher?.close();
    watcher = undefined;
    watched = undefined;
  };
  const apply = (info: Stats | undefined, initial: boolean): void => {
    if (closed) return;
    if (info === undefined || !info.isDirectory()) {
      if (watched !== undefined) onChange();
      stop();
      return;
    }
    const identity = `${info.dev}:${info.ino}:${info.birthtimeMs}`;
    if (identity === watched) return;
    stop();
    try {
      const w = watch(path, { persistent: false }, () => onChange());
      w.on('error', (err) => {
        if (watcher !== w) return;
        stop();
        onError(err);
      });
      watcher = w;
      watched = identity;
      failed = false;
    } catch (err) {
      // Retried on every poll, each retry reloading (as for the top directory); reported once.
      if (!failed) onError(err as Error);
      failed = true;
    }
    if (!initial) onChange();
  };
  return {
    check(initial) {
      if (initial) {
        let info: Stats | undefined;
        try {
          info = statSync(path);
        } catch {
          info = undefined;
        }
        apply(info, true);
      } else {
        stat(path, (err, info) => apply(err ? undefined : info, false));
      }
    },
    close() {
      closed = true;
      stop();
    },
  };
}

export function watchDirectory(dir: string, options: DirectoryWatchOptions): DirectoryWatch {
  const ignore = new Set(options.ignore ?? []);
  const pollMs = options.pollMs ?? 1000;
  let watcher: FSWatcher | undefined;
  /** `dev:ino:birthtime` of the directory the watch is on (undefined while there is no watch). */
  let watched: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let closed = false;
  /** The last poll found the path missing or unreadable (reported once, not every second). */
  let missing = false;
  let startFailed = false;

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) options.onChange();
    }, options.debounceMs);
    timer.unref();
  };

  const stop = (): void => {
    watcher?.close();
    watcher = undefined;
    watched = undefined;
  };

  const nestedNames = new Set(options.nested ?? []);
  const nested = [...nestedNames].map((name) => watchNested(join(dir, name), schedule, options.onError));
  const checkNested = (): void => {
    if (!closed) for (const n of nested) n.check(false);
  };

  const start = (identity: string): void => {
    try {
      // Not persistent: the HTTP server keeps the process alive, the watcher must not.
      const w = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename !== null && ignore.has(String(filename))) return;
        // A nested directory created, removed or replaced: watch what is there now.
        if (filename === null || nestedNames.has(String(filename))) checkNested();
        // Every other event counts, whatever the name: a Kubernetes ConfigMap update, for one,
        // swaps a `..data` symlink and never names a *.json file.
        schedule();
      });
      w.on('error', (err) => {
        if (watcher !== w) return;
        stop();
        options.onError(err);
        // The next poll sets the watch up again once the directory is there.
      });
      watcher = w;
      watched = identity;
      startFailed = false;
    } catch (err) {
      // E.g. the inotify watch limit: retried on every poll (each retry also reloads, so edits
      // still take effect within about a second), reported once.
      stop();
      if (!startFailed) options.onError(err as Error);
      startFailed = true;
    }
  };

  /** Compares what the path names now with what is watched; sets the watch up again if needed. */
  const onStat = (err: Error | null, info: Stats | undefined): void => {
    if (closed) return;
    if (err || info === undefined || !info.isDirectory()) {
      if (!missing) {
        missing = true;
        // A reload now reports the directory as gone; the last good set keeps serving.
        if (watcher !== undefined) schedule();
        stop();
        options.onError(err ?? new Error(`${dir} is not a directory`));
      }
      return;
    }
    // The inode number alone is not enough: a directory deleted and created again within a
    // poll often gets the same one back; its birth time differs.
    const identity = `${info.dev}:${info.ino}:${info.birthtimeMs}`;
    if (identity !== watched) {
      const initial = watched === undefined && !missing && poll === undefined;
      stop();
      start(identity);
      // Another directory at the path (or the same one back): its contents may differ.
      if (!initial) schedule();
    }
    missing = false;
  };

  const tick = (): void => {
    checkNested();
    stat(dir, (err, info) => {
      onStat(err, info);
      if (!closed) {
        poll = setTimeout(tick, pollMs);
        poll.unref();
      }
    });
  };

  // The first watch is set up synchronously, so no edit made right after start-up is missed.
  let first: Stats | undefined;
  let firstErr: Error | null = null;
  try {
    first = statSync(dir);
  } catch (err) {
    firstErr = err as Error;
  }
  onStat(firstErr, first);
  for (const n of nested) n.check(true);
  poll = setTimeout(tick, pollMs);
  poll.unref();

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poll) clearTimeout(poll);
      stop();
      for (const n of nested) n.close();
    },
  };
}
