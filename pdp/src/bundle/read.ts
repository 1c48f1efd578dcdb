/**
 * Reading a bundle (format.ts) back into the policy sources a directory would give, checked in
 * this order: the document's shape and version, the signature (when keys are given), every file
 * against the manifest, then the one policy checker, and last the revision the files hash to
 * against the one the bundle (and its signature) names. Any failure is a load failure like a bad
 * directory: every error is reported, and a server keeps serving its last good set.
 */
import { readFile, stat } from 'node:fs/promises';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { isObject } from '../common/objects.js';
import { messageWithCauses } from '../common/errors.js';
import { SCHEMA_FILE } from '../policy/attribute-schema.js';
import { ROLES_FILE } from '../policy/check.js';
import { DATA_DIR, MAX_DATA_FILE_BYTES, MAX_DATA_TOTAL_BYTES } from '../policy/data.js';
import { parseJson } from '../policy/json.js';
import { checkPolicySources, MAX_FILE_BYTES, type LoadOptions, type LoadResult, type PolicyError, type PolicySources, type SourceFile } from '../policy/loader.js';
import { canonicalJson } from '../policy/revision.js';
import {
  BUNDLE_ALGORITHMS,
  BUNDLE_FORMAT,
  BUNDLE_JWS_TYPE,
  BUNDLE_PATH,
  BUNDLE_TESTS_DIR,
  BUNDLE_VERSION,
  MAX_BUNDLE_BYTES,
  sha256Hex,
  signedClaims,
  type BundleDocument,
} from './format.js';

/** An error about the bundle document itself: file `.`, which the CLI shows as the bundle's path. */
const envelope = (pointer: string, message: string): PolicyError => ({ file: '.', pointer, message });

export type ReadBundleResult = { ok: true; bundle: BundleDocument; sources: PolicySources; tests: SourceFile[]; kid: string | null } | { ok: false; errors: PolicyError[] };

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const REVISION = /^sha256:[0-9a-f]{64}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Shape and version; pushes each problem and returns the document when it is usable. */
function checkShape(value: unknown, errors: PolicyError[]): BundleDocument | undefined {
  if (!isObject(value)) {
    errors.push(envelope('', `not a policy bundle (a JSON object with "format": "${BUNDLE_FORMAT}")`));
    return undefined;
  }
  if (value.format !== BUNDLE_FORMAT) {
    errors.push(envelope('/format', `not a policy bundle: "format" must be "${BUNDLE_FORMAT}"`));
    return undefined;
  }
  if (value.version !== BUNDLE_VERSION) {
    errors.push(envelope('/version', `unsupported bundle version ${JSON.stringify(value.version)}; this pdp reads version ${BUNDLE_VERSION} (rebuild it with this pdp's "pdp build")`));
    return undefined;
  }
  const before = errors.length;
  if (typeof value.revision !== 'string' || !REVISION.test(value.revision)) errors.push(envelope('/revision', 'must be "sha256:" and 64 hex digits'));
  if (typeof value.builtAt !== 'string' || Number.isNaN(Date.parse(value.builtAt))) errors.push(envelope('/builtAt', 'must be a date-time'));
  if (value.signature !== undefined && typeof value.signature !== 'string') errors.push(envelope('/signature', 'must be a compact JWS'));
  if (!isObject(value.files) || !Object.values(value.files).every((t) => typeof t === 'string')) errors.push(envelope('/files', "must be an object of each file's text by path"));
  if (!Array.isArray(value.manifest)) errors.push(envelope('/manifest', 'must be an array of {path, size, sha256}'));
  else {
    value.manifest.forEach((entry: unknown, i) => {
      const ok = isObject(entry) && typeof entry.path === 'string' && Number.isSafeInteger(entry.size) && typeof entry.sha256 === 'string' && SHA256.test(entry.sha256);
      if (!ok) errors.push(envelope(`/manifest/${i}`, 'must be {path, size, sha256} (size in bytes, sha256 in hex)'));
    });
  }
  return errors.length === before ? (value as unknown as BundleDocument) : undefined;
}

/** Candidates for the JWS: the key with its kid, else every key (a PEM key has only its thumbprint as kid). */
function candidatesFor(keys: readonly JWK[], kid: string | undefined): readonly JWK[] {
  const byKid = kid === undefined ? [] : keys.filter((k) => k.kid === kid);
  return byKid.length > 0 ? byKid : keys;
}

/** The signature's kid when it verifies against `keys` and covers `doc`; else pushes why not. */
async function checkSignature(doc: BundleDocument, keys: readonly JWK[], errors: PolicyError[]): Promise<string | null> {
  if (doc.signature === undefined) {
    errors.push(envelope('/signature', 'the bundle is not signed, and a bundle public key is configured: only signed bundles are accepted'));
    return null;
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(doc.signature);
  } catch {
    errors.push(envelope('/signature', 'is not a compact JWS'));
    return null;
  }
  const alg = header.alg;
  if (typeof alg !== 'string' || !(BUNDLE_ALGORITHMS as readonly string[]).includes(alg)) {
    errors.push(envelope('/signature', `algorithm ${JSON.stringify(alg)} is not accepted (${BUNDLE_ALGORITHMS.join(', ')})`));
    return null;
  }
  if (header.typ !== BUNDLE_JWS_TYPE) {
    errors.push(envelope('/signature', `the JWS typ must be "${BUNDLE_JWS_TYPE}" (got ${JSON.stringify(header.typ)}): it is not a bundle signature`));
    return null;
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  let payload: Uint8Array | undefined;
  for (const jwk of candidatesFor(keys, kid)) {
    if (jwk.alg !== undefined && jwk.alg !== alg) continue;
    try {
      payload = (await compactVerify(doc.signature, await importJWK(jwk, alg), { algorithms: [alg] })).payload;
      break;
    } catch {
      // The next candidate, if any; none verifying is reported below.
    }
  }
  if (payload === undefined) {
    errors.push(envelope('/signature', `no configured bundle public key verifies the signature${kid === undefined ? '' : ` (kid ${JSON.stringify(kid)})`}`));
    return null;
  }
  let signed: unknown;
  try {
    signed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    signed = undefined;
  }
  if (canonicalJson(signed) !== canonicalJson(signedClaims(doc))) {
    errors.push(envelope('/signature', 'the signature is valid but does not cover this bundle (its revision, build time or manifest differ from what was signed)'));
    return null;
  }
  return kid ?? null;
}

/** Every file against the manifest, and the files sorted into policy sources; pushes each problem. */
function unpack(doc: BundleDocument, errors: PolicyError[]): { sources: PolicySources; tests: SourceFile[] } {
  const sources: PolicySources = { policies: [] };
  const tests: SourceFile[] = [];
  const listed = new Set<string>();
  let dataBytes = 0;
  doc.manifest.forEach((entry, i) => {
    const { path } = entry;
    const at = `/manifest/${i}`;
    if (!BUNDLE_PATH.test(path)) return errors.push(envelope(`${at}/path`, `${JSON.stringify(path)} is not a path a bundle may carry (NAME.json, data/NAME.json or tests/NAME.json)`));
    if (listed.has(path)) return errors.push(envelope(`${at}/path`, `${path} is listed twice`));
    listed.add(path);
    if (!Object.hasOwn(doc.files, path)) return errors.push({ file: path, pointer: '', message: 'listed in the manifest but missing from the bundle' });
    const text = doc.files[path] as string;
    const size = Buffer.byteLength(text, 'utf8');
    if (size !== entry.size || sha256Hex(text) !== entry.sha256) return errors.push({ file: path, pointer: '', message: 'does not match the manifest (size or sha256): the bundle was altered or damaged' });
    const file: SourceFile = { file: path, text };
    if (path.startsWith(`${BUNDLE_TESTS_DIR}/`)) tests.push(file);
    else if (path.startsWith(`${DATA_DIR}/`)) {
      dataBytes += size;
      if (size > MAX_DATA_FILE_BYTES || dataBytes > MAX_DATA_TOTAL_BYTES) errors.push({ file: path, pointer: '', message: `data too large (at most ${MAX_DATA_FILE_BYTES} bytes per file and ${MAX_DATA_TOTAL_BYTES} for all)` });
      else (sources.data ??= []).push(file);
    } else if (size > MAX_FILE_BYTES) errors.push({ file: path, pointer: '', message: `file too large (${size} bytes; at most ${MAX_FILE_BYTES})` });
    else if (path === ROLES_FILE) sources.roles = file;
    else if (path === SCHEMA_FILE) sources.schema = file;
    else sources.policies.push(file);
    return undefined;
  });
  for (const path of Object.keys(doc.files)) if (!listed.has(path)) errors.push({ file: path, pointer: '', message: 'in the bundle but not in its manifest' });
  return { sources, tests };
}

/** The bundle at `path`, verified and unpacked; nothing is checked as policy yet. */
export async function readBundleFile(path: string, options: LoadOptions = {}): Promise<ReadBundleResult> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_BUNDLE_BYTES) return { ok: false, errors: [envelope('', `bundle too large (${info.size} bytes; at most ${MAX_BUNDLE_BYTES})`)] };
    text = UTF8.decode(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, errors: [envelope('', code === undefined ? 'not valid UTF-8' : `cannot read the bundle (${code})`)] };
  }
  return readBundleText(text, options);
}

/** A bundle's text, checked as {@link readBundleFile} checks a file's (the signature only when keys are given). */
export async function readBundleText(text: string, options: LoadOptions = {}): Promise<ReadBundleResult> {
  const parsed = parseJson(text);
  const errors: PolicyError[] = parsed.issues.map((issue) => envelope(issue.pointer, issue.message));
  if (!parsed.ok || errors.length > 0) return { ok: false, errors };
  const doc = checkShape(parsed.value, errors);
  if (doc === undefined) return { ok: false, errors };
  let kid: string | null = null;
  if (options.bundleKeys !== undefined) {
    try {
      kid = await checkSignature(doc, options.bundleKeys, errors);
    } catch (err) {
      errors.push(envelope('/signature', `cannot verify the signature: ${messageWithCauses(err)}`));
    }
    // Nothing of an unverified bundle is worth reading further.
    if (errors.length > 0) return { ok: false, errors };
  }
  const { sources, tests } = unpack(doc, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, bundle: doc, sources, tests, kid };
}

/** What `loadPolicies` returns for a bundle file. */
export async function loadBundleFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  return checkedBundle(await readBundleFile(path, options));
}

/** The same for a bundle's text (downloaded, say): verified, unpacked, checked as a policy set. */
export async function loadBundleText(text: string, options: LoadOptions = {}): Promise<LoadResult> {
  return checkedBundle(await readBundleText(text, options));
}

/** The policy check of a read bundle, and last its revision against the one it names (and was signed with). */
function checkedBundle(read: ReadBundleResult): LoadResult {
  if (!read.ok) return read;
  const checked = checkPolicySources(read.sources);
  if (checked.ok && checked.policySet.revision !== read.bundle.revision) {
    return { ok: false, errors: [envelope('/revision', `the files hash to ${checked.policySet.revision}, not to the revision the bundle names: the bundle was altered`)] };
  }
  return checked;
}
