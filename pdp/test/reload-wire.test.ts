/**
 * The reload worker's encoding of a checked set: decoded, it is the same set (frozen), with one
 * frozen copy of each value rules share, and it compiles to the same decisions. A position that
 * points at no shared value fails the decode instead of leaving a rule without its condition.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { writeLargePolicySet } from '../bench/large-reload.mjs';
import { compile } from '../src/engine/compile.js';
import { decide } from '../src/engine/decide.js';
import type { CheckedPolicySet } from '../src/engine/types.js';
import { loadPolicies } from '../src/policy/loader.js';
import { decodeSet, encodeSet, type EncodedSet } from '../src/store/wire.js';
import { removeDir } from './http-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeDir(d);
});

function decodeAll(encoded: EncodedSet): CheckedPolicySet {
  const steps = decodeSet(encoded);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

async function loadedSet(files: number, rulesPerFile: number): Promise<CheckedPolicySet> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pdp-wire-'));
  dirs.push(dir);
  await writeLargePolicySet(dir, { files, rulesPerFile });
  const loaded = await loadPolicies(dir);
  if (!loaded.ok) throw new Error('expected the generated set to load');
  return loaded.policySet;
}

describe('reload wire encoding', () => {
  test('a set comes back equal and frozen, each shared value once, with the same decisions', async () => {
    const set = await loadedSet(3, 450);
    const decoded = decodeAll(encodeSet(set));
    expect(decoded).toEqual(set);
    const [first, second] = decoded.policies;
    const a = first?.rules[0];
    const b = second?.rules[0];
    if (a === undefined || b === undefined) throw new Error('expected rules');
    expect(Object.isFrozen(a) && Object.isFrozen(a.subject) && Object.isFrozen(a.when)).toBe(true);
    // Rule 0 of every generated policy has the same actions, subject and condition.
    expect(b.actions).toBe(a.actions);
    expect(b.subject).toBe(a.subject);
    expect(b.when).toBe(a.when);
    expect(first?.rules[1]?.when).not.toBe(a.when);
    const fromWire = compile(decoded);
    const inProcess = compile(set);
    let allowed = 0;
    for (let i = 0; i < 60; i++) {
      const request = { subject: { id: 'u', groups: [`g${i % 300}`] }, resource: { type: `type${i % 3}`, attributes: { owner: `owner-${i}` } }, action: `act${i % 40}` };
      const decision = decide(fromWire, request);
      expect(decision).toEqual(decide(inProcess, request));
      if (decision.allow) allowed++;
    }
    // Rule i of each policy allows request i unless it is a deny rule (every seventh).
    expect(allowed).toBeGreaterThan(40);
  });

  test('a rule that points at no shared value fails the decode', async () => {
    const encoded = encodeSet(await loadedSet(1, 5));
    const pieces: string[] = [];
    const text = new TextDecoder().decode(encoded.bytes);
    encoded.ends.forEach((end, i) => pieces.push(text.slice(i === 0 ? 0 : encoded.ends[i - 1], end)));
    // The first rule piece (after the shared values and the policy's head): its first rule's `when` at 9999.
    const at = encoded.sharedPieces + 1;
    pieces[at] = (pieces[at] as string).replace(/"when":\d+/, '"when":9999');
    const bytes = new TextEncoder().encode(pieces.join(''));
    let end = 0;
    const ends = pieces.map((p) => (end += Buffer.byteLength(p)));
    expect(() => decodeAll({ ...encoded, bytes, ends })).toThrow(/no shared value at 9999/);
  });
});
