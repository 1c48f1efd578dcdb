/**
 * The settings of `pdp serve --bundle`: where the bundle comes from (a file, or an http(s) URL
 * polled with ETags), the key it must be signed with, and the cache a restart falls back on.
 * Parsed with the reader of whoever assembles the whole configuration (runtime/config.ts), so
 * every problem is reported at once.
 */
import path from 'node:path';
import type { Setting, SettingsReader } from '../common/settings.js';
import { MAX_BUNDLE_BYTES } from './format.js';

export interface BundleOptions {
  /** A bundle file, or an http(s) URL; instead of `policiesDir`. */
  bundle?: string;
  bundlePollS?: number;
  /** PEM or JWK file, or a JWKS URL: only bundles signed with one of its keys are accepted. */
  bundlePublicKey?: string;
  /** A file a verified bundle is written to and read from at start. */
  bundleCache?: string;
  bundleTimeoutMs?: number;
  bundleMaxBytes?: number;
}

/** A file path (absolute) or an http(s) URL. */
export type Location = { kind: 'file'; path: string } | { kind: 'url'; url: string };

export interface BundleConfig {
  source: Location;
  /** Seconds between two polls of a URL (each delay drawn from 80–100 % of it, so replicas spread out). */
  pollS: number;
  publicKey: Location | undefined;
  cache: string | undefined;
  /** Per request, the body included. */
  timeoutMs: number;
  maxBytes: number;
}

export interface BundleSettings {
  /** Null: policies come from the directory. */
  bundle: Readonly<BundleConfig> | null;
}

export const DEFAULT_BUNDLE_POLL_S = 30;
export const DEFAULT_BUNDLE_TIMEOUT_MS = 10_000;

function location(r: SettingsReader, s: Setting<string>, cwd: string): Location | undefined {
  const raw = s.value.trim();
  if (raw === '') {
    r.report(s.name, 'must not be empty');
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const url = r.httpUrl(s);
    return url === undefined ? undefined : { kind: 'url', url };
  }
  return { kind: 'file', path: path.resolve(cwd, raw) };
}

/**
 * Defaults: poll every 30 s, 10 s per request, at most 256 MiB. `policiesGiven` names the
 * setting that chose a policy directory, if any: a directory and a bundle at once is an error.
 */
export function readBundleSettings(r: SettingsReader, o: BundleOptions, flag: string | undefined, cwd: string, policiesGiven: string | undefined): BundleSettings {
  const src = r.pick(['options.bundle', o.bundle], ['--bundle', flag], 'PDP_BUNDLE');
  const poll = r.pick(['options.bundlePollS', o.bundlePollS], undefined, 'PDP_BUNDLE_POLL_S');
  const key = r.pick(['options.bundlePublicKey', o.bundlePublicKey], undefined, 'PDP_BUNDLE_PUBLIC_KEY');
  const cache = r.pick(['options.bundleCache', o.bundleCache], undefined, 'PDP_BUNDLE_CACHE');
  const timeout = r.pick(['options.bundleTimeoutMs', o.bundleTimeoutMs], undefined, 'PDP_BUNDLE_TIMEOUT_MS');
  const maxBytes = r.pick(['options.bundleMaxBytes', o.bundleMaxBytes], undefined, 'PDP_BUNDLE_MAX_BYTES');
  if (src === undefined) {
    // A bundle setting without a bundle would be silently ignored: a key meant to be enforced, say.
    for (const s of [poll, key, cache, timeout, maxBytes]) if (s !== undefined) r.report(s.name, 'has no effect without PDP_BUNDLE (or --bundle)');
    return { bundle: null };
  }
  if (policiesGiven !== undefined) r.report(src.name, `cannot be used with ${policiesGiven}: serve either a policy directory or a bundle`);
  const source = location(r, src, cwd);
  const publicKey = key === undefined ? undefined : location(r, key, cwd);
  const cachePath = cache === undefined ? undefined : r.nonEmpty(cache, '');
  const bundle: BundleConfig = {
    source: source ?? { kind: 'file', path: '' },
    pollS: r.int(poll, DEFAULT_BUNDLE_POLL_S, 1, 86_400),
    publicKey,
    cache: cachePath ? path.resolve(cwd, cachePath) : undefined,
    timeoutMs: r.int(timeout, DEFAULT_BUNDLE_TIMEOUT_MS, 100, 600_000),
    maxBytes: r.int(maxBytes, MAX_BUNDLE_BYTES, 1024, MAX_BUNDLE_BYTES),
  };
  if (source?.kind === 'file' && bundle.cache !== undefined) r.report(cache?.name ?? 'PDP_BUNDLE_CACHE', 'caches a bundle fetched from a URL; a bundle file is its own copy');
  return { bundle: Object.freeze(bundle) };
}
