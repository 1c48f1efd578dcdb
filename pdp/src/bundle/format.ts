/**
 * The policy bundle, format `pdp-bundle` version 1 (docs/bundles.md): one JSON document that
 * carries a whole policy directory to every replica as a unit, so a replica serves the old set or
 * the new one, never a copy caught half way.
 *
 *   { "format": "pdp-bundle", "version": 1, "revision": "sha256:…", "builtAt": "…Z",
 *     "manifest": [{ "path": "chat.json", "size": 312, "sha256": "…" }, …],
 *     "files": { "chat.json": "<the file's text>", … },
 *     "signature": "<compact JWS>" }
 *
 * The signature is a compact JWS (typ `pdp-bundle+jws`) whose payload is {@link SignedClaims}:
 * the revision, build time and a digest of the manifest. The revision is the content hash of the
 * policy set (policy/revision.ts), recomputed by every reader from the files themselves, so a
 * signature over it covers every policy, role, schema and data entity; the manifest digest covers
 * the rest (file names and the tests). Files stay text in the document (not base64 in the JWS):
 * the bundle can be read and diffed, and the signature stays a few hundred bytes.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../policy/revision.js';

export const BUNDLE_FORMAT = 'pdp-bundle';
export const BUNDLE_VERSION = 1;
/** The JWS `typ`: a token signed with the same key for another purpose is not a bundle signature. */
export const BUNDLE_JWS_TYPE = 'pdp-bundle+jws';
export const BUNDLE_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type BundleAlgorithm = (typeof BUNDLE_ALGORITHMS)[number];
/**
 * The most a bundle may weigh, read from a file or downloaded: room for the 64 MiB of data files
 * a directory may hold, the policies, and JSON's escaping of them.
 */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;
/** The folder of policy tests, packed so that `pdp test BUNDLE` runs what was shipped. */
export const BUNDLE_TESTS_DIR = 'tests';

export interface ManifestEntry {
  /** Relative to the policy directory, `/`-separated: `chat.json`, `data/users.json`, `tests/chat.json`. */
  path: string;
  /** Bytes of the file's UTF-8 text. */
  size: number;
  /** Hex SHA-256 of those bytes. */
  sha256: string;
}

export interface BundleDocument {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  revision: string;
  builtAt: string;
  manifest: ManifestEntry[];
  files: Record<string, string>;
  signature?: string;
}

/** The JWS payload. */
export interface SignedClaims {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  revision: string;
  builtAt: string;
  manifestSha256: string;
}

/** A path a bundle may carry: a top-level `*.json`, or one in `data/` or `tests/`; no dot-files. */
export const BUNDLE_PATH = /^(?:(?:data|tests)\/)?[^./\\][^/\\]*\.json$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function manifestEntry(path: string, text: string): ManifestEntry {
  return { path, size: Buffer.byteLength(text, 'utf8'), sha256: sha256Hex(text) };
}

export function signedClaims(doc: Pick<BundleDocument, 'revision' | 'builtAt' | 'manifest'>): SignedClaims {
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, revision: doc.revision, builtAt: doc.builtAt, manifestSha256: sha256Hex(canonicalJson(doc.manifest)) };
}
