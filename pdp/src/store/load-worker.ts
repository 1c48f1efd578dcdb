/**
 * The body of a reload's worker thread (see loaders.ts): reads and checks the policy directory
 * with the same `loadPolicies` the CLI and the first load use, off the server's event loop, and
 * posts back one message. A checked set travels as JSON pieces in one transferred buffer (never
 * copied, and decoded by the main thread a piece at a time); errors travel as they are.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicies } from '../policy/loader.js';
import type { WorkerReply, WorkerRequest } from './loaders.js';

/** Rules per JSON piece: small enough that decoding one piece takes well under a millisecond. */
const RULES_PER_PIECE = 200;

const { dir, servingRevision, options } = workerData as WorkerRequest;
const loaded = await loadPolicies(dir, options);
let reply: WorkerReply;
let transfer: ArrayBuffer[] = [];
if (!loaded.ok) {
  reply = { kind: 'failure', errors: loaded.errors };
} else if (loaded.policySet.revision === servingRevision) {
  reply = { kind: 'unchanged' };
} else {
  const { policies, roles, revision, sources, schema, data } = loaded.policySet;
  const texts: string[] = [];
  const rulesPerPolicy: number[] = [];
  for (const { rules, ...head } of policies) {
    texts.push(JSON.stringify(head));
    rulesPerPolicy.push(Math.ceil(rules.length / RULES_PER_PIECE));
    for (let i = 0; i < rules.length; i += RULES_PER_PIECE) texts.push(JSON.stringify(rules.slice(i, i + RULES_PER_PIECE)));
  }
  // Then the attribute schema and each data file, a piece each, in the order the reply names them.
  if (schema !== undefined) texts.push(JSON.stringify(schema));
  const dataNames = data === undefined ? [] : Object.keys(data);
  for (const name of dataNames) texts.push(JSON.stringify((data as Record<string, unknown>)[name]));
  const encoder = new TextEncoder();
  const parts = texts.map((t) => encoder.encode(t));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    ends.push((at += p.length));
  }
  reply = { kind: 'loaded', revision, roles, sources: sources ?? {}, bytes, ends, rulesPerPolicy, hasSchema: schema !== undefined, dataNames };
  transfer = [bytes.buffer];
}
parentPort?.postMessage(reply, transfer);
