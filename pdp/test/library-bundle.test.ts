/**
 * The bundle API as a library user gets it, from the package name (the built dist): build and
 * sign a directory, verify and load the result from text or from a file, and the refusals a
 * replica would give for an unsigned or altered bundle.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  buildBundle,
  compile,
  decide,
  loadBundleFile,
  loadBundleText,
  loadPolicies,
  readBundleText,
  readPublicKeys,
  readSigningKey,
  type BundleDocument,
  type LoadOptions,
  type SigningKey,
} from '@oracle-ai/pdp';
import { policySet, removeAll, tempDir, writeKeyPair, writePolicyDir, type KeyFiles } from './bundle-helpers.js';

const made: string[] = [];
let work: string;
let dir: string;
let files: KeyFiles;
let key: SigningKey;
let verify: LoadOptions;
let revision: string;

beforeAll(async () => {
  work = await tempDir();
  made.push(work);
  dir = path.join(work, 'set');
  await writePolicyDir(dir, policySet('a'));
  files = await writeKeyPair(work, 'release');
  key = await readSigningKey(files.privatePem, 'release-1');
  verify = { bundleKeys: await readPublicKeys(files.publicPem) };
  const loaded = await loadPolicies(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  revision = loaded.policySet.revision;
});
afterAll(() => removeAll(made));

async function built(withKey: boolean): Promise<BundleDocument> {
  const result = await buildBundle(dir, { now: () => Date.parse('2026-01-02T03:04:05.000Z'), ...(withKey ? { key } : {}) });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.bundle;
}

describe("the bundle API from '@oracle-ai/pdp'", () => {
  it("builds and signs a directory into a bundle with the directory's revision", async () => {
    const bundle = await built(true);
    expect(bundle).toMatchObject({ format: BUNDLE_FORMAT, version: BUNDLE_VERSION, revision, builtAt: '2026-01-02T03:04:05.000Z' });
    expect(bundle.manifest.map((m) => m.path)).toEqual(['data/users.json', 'one.json', 'two.json']);
    expect(typeof bundle.signature).toBe('string');
  });

  it('reads and verifies it from text: the kid that signed it and the sources', async () => {
    const read = await readBundleText(JSON.stringify(await built(true)), verify);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.kid).toBe('release-1');
    expect(read.sources.policies.map((f) => f.file)).toEqual(['one.json', 'two.json']);
    expect(read.sources.data?.map((f) => f.file)).toEqual(['data/users.json']);
  });

  it('loads it from text or from a file as a checked policy set that decides', async () => {
    const text = JSON.stringify(await built(true));
    const file = path.join(work, 'bundle.json');
    await writeFile(file, text);
    for (const loaded of [await loadBundleText(text, verify), await loadBundleFile(file, verify), await loadPolicies(file, verify)]) {
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      expect(loaded.policySet.revision).toBe(revision);
      const decision = decide(compile(loaded.policySet), { subject: { id: 'alice' }, resource: { type: 'doc' }, action: 'read' });
      expect(decision.allow).toBe(true);
    }
  });

  it('refuses an unsigned bundle when keys are given, and an altered one either way', async () => {
    const unsigned = JSON.stringify(await built(false));
    expect(await loadBundleText(unsigned, verify)).toEqual({ ok: false, errors: [{ file: '.', pointer: '/signature', message: expect.stringContaining('the bundle is not signed') }] });
    expect((await loadBundleText(unsigned)).ok).toBe(true);

    const altered = await built(true);
    altered.files['two.json'] = altered.files['two.json']!.replace('mallory', 'nobody');
    const expected = { ok: false, errors: [{ file: 'two.json', pointer: '', message: expect.stringContaining('does not match the manifest') }] };
    expect(await loadBundleText(JSON.stringify(altered), verify)).toEqual(expected);
    expect(await loadBundleText(JSON.stringify(altered))).toEqual(expected);
  });
});
