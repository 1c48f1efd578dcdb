/**
 * How the store gets a compiled policy set from a directory. The first load at start runs in
 * the process (nothing is being served yet). A reload must not stall the decisions being served
 * meanwhile: reading and checking an 8 MB set takes a second or more, so a large one runs in a worker
 * thread; the compiled index (Maps, Sets, closures) cannot cross a thread boundary, so the main
 * thread decodes the worker's result and compiles it in slices of at most SLICE_MS, yielding to
 * requests (setImmediate) between slices. A worker that crashes, or does not answer within the
 * timeout, is a failed reload like any other: the last good set keeps serving.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { compile, compileSteps, type CompiledPolicySet } from '../engine/compile.js';
import { messageWithCauses } from '../common/errors.js';
import { loadPolicies, type LoadOptions, type PolicyError } from '../policy/loader.js';
import { DATA_DIR } from '../policy/data.js';
import { decodeSet, type EncodedSet } from './wire.js';

export type LoadOutcome = { kind: 'failure'; errors: PolicyError[] } | { kind: 'unchanged' } | { kind: 'loaded'; compiled: CompiledPolicySet };

/** Loads and compiles `dir`; `unchanged` when its revision is `servingRevision`. Never throws. */
export type LoadAndCompile = (dir: string, servingRevision: string | undefined, options?: LoadOptions) => Promise<LoadOutcome>;

/** What the worker is given. */
export interface WorkerRequest {
  dir: string;
  servingRevision: string | undefined;
  options?: LoadOptions;
}

/** The worker's one message (see load-worker.ts). */
export type WorkerReply = { kind: 'failure'; errors: PolicyError[] } | { kind: 'unchanged' } | ({ kind: 'loaded' } & EncodedSet);

/** The longest the main thread works on a reload before it lets requests run. */
export const SLICE_MS = 4;
/** Default for a worker that neither answers nor exits. */
export const DEFAULT_LOAD_TIMEOUT_MS = 60_000;

/**
 * Below this many bytes of *.json a reload runs in the process, as the first load does: such a
 * set loads and compiles in a few tens of ms, less than a worker takes to start (it loads the
 * checker and compiles its schemas each time), and edits stay in force well within a second.
 */
export const IN_PROCESS_MAX_BYTES = 256 * 1024;

/** The first load: in the process, in one go. */
export const loadInProcess: LoadAndCompile = async (dir, servingRevision, options) => {
  const loaded = await loadPolicies(dir, options);
  if (!loaded.ok) return { kind: 'failure', errors: loaded.errors };
  if (loaded.policySet.revision === servingRevision) return { kind: 'unchanged' };
  return { kind: 'loaded', compiled: compile(loaded.policySet) };
};

/**
 * Runs a stepwise job on the event loop, in slices of about `sliceMs`, with a turn of the event
 * loop (setImmediate: after pending I/O, so waiting requests go first) between slices.
 */
export async function runInSlices<T>(steps: Generator<void, T>, sliceMs = SLICE_MS): Promise<T> {
  let deadline = performance.now() + sliceMs;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() >= deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      deadline = performance.now() + sliceMs;
    }
  }
}

/** The worker's entry: the built file next to this one (tests run sources; they build first). */
function workerEntry(): URL {
  const built = new URL('./load-worker.js', import.meta.url);
  return existsSync(built) ? built : new URL('../../dist/store/load-worker.js', import.meta.url);
}

/** Bytes of a directory's *.json entries; 0 when it cannot be read (the loader says why). */
async function jsonBytesIn(dir: string): Promise<number> {
  try {
    const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json'));
    const sizes = await Promise.all(names.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)));
    return sizes.reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

/** What a reload would read: the policies, roles and schema, and the data files. */
async function jsonBytes(dir: string): Promise<number> {
  return (await jsonBytesIn(dir)) + (await jsonBytesIn(join(dir, DATA_DIR)));
}

/** Reloads: small sets in the process, large ones through `large` (the worker loader). */
export function createReloadLoader(large: LoadAndCompile = createWorkerLoader(), inProcessMaxBytes = IN_PROCESS_MAX_BYTES): LoadAndCompile {
  return async (dir, servingRevision) => ((await jsonBytes(dir)) < inProcessMaxBytes ? loadInProcess : large)(dir, servingRevision);
}

export interface WorkerLoaderOptions {
  timeoutMs?: number;
  /** The worker script (tests give a broken one); default: load-worker.js. */
  entry?: URL;
}

/** The worker's set decoded, then compiled, a step at a time. */
function* decodeAndCompile(encoded: EncodedSet): Generator<void, CompiledPolicySet> {
  return yield* compileSteps(yield* decodeSet(encoded));
}

/** Reloads: load and check in a worker thread, then decode and compile in slices. */
export function createWorkerLoader(options: WorkerLoaderOptions = {}): LoadAndCompile {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  return async (dir, servingRevision, loadOptions) => {
    const failure = (message: string): LoadOutcome => ({ kind: 'failure', errors: [{ file: '.', pointer: '', message }] });
    let reply: WorkerReply | undefined;
    try {
      reply = await runWorker(options.entry ?? workerEntry(), { dir, servingRevision, ...(loadOptions ? { options: loadOptions } : {}) }, timeoutMs);
    } catch (err) {
      return failure(messageWithCauses(err));
    }
    if (reply.kind !== 'loaded') return reply;
    try {
      return { kind: 'loaded', compiled: await runInSlices(decodeAndCompile(reply)) };
    } catch (err) {
      return failure(`internal error while compiling: ${messageWithCauses(err)}`);
    }
  };
}

function runWorker(entry: URL, request: WorkerRequest, timeoutMs: number): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(entry, { workerData: request });
      // A reload still running must not keep a closing process alive.
      worker.unref();
    } catch (err) {
      reject(new Error('cannot start the policy load worker', { cause: err }));
      return;
    }
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`the policy load worker did not answer within ${timeoutMs} ms`))), timeoutMs);
    timer.unref();
    worker.once('message', (reply: WorkerReply) => settle(() => resolve(reply)));
    worker.once('error', (err) => settle(() => reject(new Error('the policy load worker failed', { cause: err }))));
    worker.once('exit', (code) => settle(() => reject(new Error(`the policy load worker exited (code ${code}) without an answer`))));
  });
}
