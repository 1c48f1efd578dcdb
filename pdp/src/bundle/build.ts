/**
 * `pdp build`'s library half: a checked policy directory into a bundle document. Only a valid set
 * is packed (a bundle that every replica would refuse is caught where it is built), and the
 * revision is the one the directory loads with, so a bundle and its source compare equal.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { checkReadSources, readJsonEntry, readPolicySources, type PolicyError, type SourceFile } from '../policy/loader.js';
import { canonicalJson } from '../policy/revision.js';
import { BUNDLE_FORMAT, BUNDLE_JWS_TYPE, BUNDLE_TESTS_DIR, BUNDLE_VERSION, manifestEntry, signedClaims, type BundleDocument } from './format.js';
import type { SigningKey } from './keys.js';

export interface BuildOptions {
  /** Wall clock (ms since epoch) for `builtAt`. */
  now?: () => number;
  key?: SigningKey;
}

export type BuildResult = { ok: true; bundle: BundleDocument } | { ok: false; errors: PolicyError[] };

/** `DIR/tests/*.json`, read like the policies (missing folder: none). */
async function readTests(dir: string, errors: PolicyError[]): Promise<SourceFile[]> {
  const testsDir = join(dir, BUNDLE_TESTS_DIR);
  const names = await readdir(testsDir).then((n) => n.sort(), () => [] as string[]);
  const files: SourceFile[] = [];
  for (const name of names) {
    const read = await readJsonEntry(testsDir, name);
    if (read === null) continue;
    const file = `${BUNDLE_TESTS_DIR}/${name}`;
    if ('error' in read) errors.push({ file, pointer: '', message: read.error });
    else files.push({ file, text: read.text });
  }
  return files;
}

/** Signs a bundle's claims; the result goes in its `signature`. */
export async function signBundle(doc: Pick<BundleDocument, 'revision' | 'builtAt' | 'manifest'>, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalJson(signedClaims(doc)))).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: BUNDLE_JWS_TYPE }).sign(key.key);
}

export async function buildBundle(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const read = await readPolicySources(dir);
  if (read.kind === 'bundle') return { ok: false, errors: [{ file: '.', pointer: '', message: 'is a bundle file already; pdp build packs a policy directory' }] };
  if (read.kind === 'unreadable') return { ok: false, errors: read.errors };
  // The checks of `pdp check`, every problem reported, on exactly the texts that are packed.
  const checked = checkReadSources(read);
  if (!checked.ok) return checked;
  const errors: PolicyError[] = [];
  const tests = await readTests(dir, errors);
  if (errors.length > 0) return { ok: false, errors };
  const { policies, roles, schema, data } = read.sources;
  const files = [...policies, ...(roles ? [roles] : []), ...(schema ? [schema] : []), ...(data ?? []), ...tests].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const bundle: BundleDocument = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    revision: checked.policySet.revision,
    builtAt: new Date((options.now ?? Date.now)()).toISOString(),
    manifest: files.map((f) => manifestEntry(f.file, f.text)),
    files: Object.fromEntries(files.map((f) => [f.file, f.text])),
  };
  if (options.key !== undefined) bundle.signature = await signBundle(bundle, options.key);
  return { ok: true, bundle };
}
