/**
 * The body of a reload's worker thread (see loaders.ts): reads and checks the policy directory
 * with the same `loadPolicies` the CLI and the first load use, off the server's event loop, and
 * posts back one message. A checked set travels encoded (wire.ts) in one transferred buffer,
 * never copied; errors travel as they are.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicies } from '../policy/loader.js';
import type { WorkerReply, WorkerRequest } from './loaders.js';
import { encodeSet } from './wire.js';

const { dir, servingRevision, options } = workerData as WorkerRequest;
const loaded = await loadPolicies(dir, options);
let reply: WorkerReply;
let transfer: ArrayBuffer[] = [];
if (!loaded.ok) {
  reply = { kind: 'failure', errors: loaded.errors };
} else if (loaded.policySet.revision === servingRevision) {
  reply = { kind: 'unchanged' };
} else {
  const encoded = encodeSet(loaded.policySet);
  reply = { kind: 'loaded', ...encoded };
  transfer = [encoded.bytes.buffer as ArrayBuffer];
}
parentPort?.postMessage(reply, transfer);
