/**
 * How a checked policy set crosses from the reload worker to the main thread. Structured clone
 * would build the whole object graph on the main thread in one go; instead the set travels as
 * UTF-8 JSON pieces in one transferred buffer, which the main thread decodes a piece per step.
 *
 * What the main thread builds outlives the young generation, and a scavenge costs in proportion
 * to what survives it: decoding a 9 MB set as it is made minor GC pauses of 10 ms and more. So
 * a value that several rules hold (the same `actions`, `subject` or `when`, as rules written from
 * a template do) travels once, in a table ahead of the rules, and every rule that holds it gets
 * the one frozen copy: far fewer objects to build and keep, and the compiler sees the sharing
 * and compiles each shared value once.
 */
import type { CheckedPolicySet, Policy, RoleDefinition, Rule } from '../engine/types.js';
import { deepFreeze } from '../common/objects.js';

/** The rule fields that travel as a reference into the table of shared values. */
const SHARED_FIELDS = ['actions', 'subject', 'when'] as const satisfies readonly (keyof Rule)[];

/** Rules per piece: small enough that decoding one piece takes well under a millisecond. */
const RULES_PER_PIECE = 200;
/** Shared values per piece, likewise. */
const VALUES_PER_PIECE = 400;

/** An encoded set (the `loaded` reply of the worker, see loaders.ts). */
export interface EncodedSet {
  revision: string;
  roles: Record<string, RoleDefinition>;
  sources: Record<string, string>;
  /** UTF-8 JSON pieces back to back: the shared values, then per policy its head (no rules) and its rules' slices. */
  bytes: Uint8Array;
  /** End offset of each piece in `bytes`. */
  ends: number[];
  /** How many pieces of shared values come first. */
  sharedPieces: number;
  /** How many rule slices follow each policy's head. */
  rulesPerPolicy: number[];
  /** After the policies: a piece with the attribute schema (schema.json), when the set has one. */
  hasSchema: boolean;
  /** Then one piece per data file (data/<name>.json), in this order. */
  dataNames: string[];
}

/** The worker's side: `set` as pieces. Rule fields in SHARED_FIELDS become table positions. */
export function encodeSet(set: CheckedPolicySet): EncodedSet {
  const { policies, roles, revision, sources, schema, data } = set;
  const positions = new Map<string, number>();
  const values: string[] = [];
  const position = (field: string, value: unknown): number => {
    // Per field: a value is shared between rules, never between two fields of different meaning.
    const text = `${field}:${JSON.stringify(value)}`;
    let at = positions.get(text);
    if (at === undefined) {
      positions.set(text, (at = values.length));
      values.push(text.slice(field.length + 1));
    }
    return at;
  };
  const policyTexts: string[] = [];
  const rulesPerPolicy: number[] = [];
  for (const { rules, ...head } of policies) {
    policyTexts.push(JSON.stringify(head));
    rulesPerPolicy.push(Math.ceil(rules.length / RULES_PER_PIECE));
    for (let i = 0; i < rules.length; i += RULES_PER_PIECE) {
      const slice = rules.slice(i, i + RULES_PER_PIECE).map((rule) => {
        const out: Record<string, unknown> = { ...rule };
        for (const field of SHARED_FIELDS) if (rule[field] !== undefined) out[field] = position(field, rule[field]);
        return out;
      });
      policyTexts.push(JSON.stringify(slice));
    }
  }
  const texts: string[] = [];
  for (let i = 0; i < values.length; i += VALUES_PER_PIECE) texts.push(`[${values.slice(i, i + VALUES_PER_PIECE).join(',')}]`);
  const sharedPieces = texts.length;
  texts.push(...policyTexts);
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
  return { revision, roles, sources: sources ?? {}, bytes, ends, sharedPieces, rulesPerPolicy, hasSchema: schema !== undefined, dataNames };
}

/**
 * The main thread's side: the pieces back into a frozen policy set, a piece per step (the caller
 * runs the steps in slices). The worker ran the one checker on exactly these values, so the set
 * is marked checked here rather than checked (and its revision hashed) a second time.
 */
export function* decodeSet(encoded: EncodedSet): Generator<void, CheckedPolicySet> {
  const decoder = new TextDecoder();
  let piece = 0;
  const parse = (): unknown => {
    const start = piece === 0 ? 0 : (encoded.ends[piece - 1] as number);
    return JSON.parse(decoder.decode(encoded.bytes.subarray(start, encoded.ends[piece++])));
  };
  const next = (): unknown => deepFreeze(parse());
  const shared: unknown[] = [];
  for (let i = 0; i < encoded.sharedPieces; i++) {
    for (const value of next() as unknown[]) shared.push(value);
    yield;
  }
  const policies: Policy[] = [];
  for (const slices of encoded.rulesPerPolicy) {
    const head = next() as Omit<Policy, 'rules'>;
    const rules: Rule[] = [];
    for (let i = 0; i < slices; i++) {
      for (const rule of parse() as Record<string, unknown>[]) {
        for (const field of SHARED_FIELDS) {
          if (rule[field] === undefined) continue;
          const value = shared[rule[field] as number];
          // Our own worker wrote the positions; one that points nowhere is a bug, and fails the reload.
          if (value === undefined) throw new Error(`the load worker sent rule ${String(rule.id)} with no shared value at ${String(rule[field])}`);
          rule[field] = value;
        }
        rules.push(Object.freeze(rule) as unknown as Rule);
      }
      yield;
    }
    policies.push(Object.freeze({ ...head, rules: Object.freeze(rules) as Rule[] }));
  }
  const schema = encoded.hasSchema ? (next() as CheckedPolicySet['schema']) : undefined;
  const data: Record<string, Record<string, unknown>> = {};
  for (const name of encoded.dataNames) {
    yield;
    data[name] = next() as Record<string, unknown>;
  }
  // The same shape the checker gives a set: no schema or data key when the set has none.
  return Object.freeze({
    policies: Object.freeze(policies) as Policy[],
    roles: deepFreeze(encoded.roles),
    ...(schema === undefined ? {} : { schema }),
    revision: encoded.revision,
    sources: deepFreeze(encoded.sources),
    ...(encoded.dataNames.length === 0 ? {} : { data: Object.freeze(data) }),
  }) as CheckedPolicySet;
}
