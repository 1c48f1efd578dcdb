/**
 * A policy store fed by a bundle (`pdp serve --bundle FILE|URL`) rather than a directory.
 *
 * - A file is reloaded when another file takes its place (a rename: `pdp build` writes that way),
 *   noticed by a watch on its folder and a stat once a second; the stat also catches a rename
 *   the watch missed, or a Kubernetes volume's symlink swap.
 * - A URL is polled every PDP_BUNDLE_POLL_S (each wait drawn from 80–100 % of it, so replicas do not
 *   fetch in step) with If-None-Match, a timeout and a size cap; failures back off (doubling,
 *   up to five minutes or the poll period, whichever is longer).
 *
 * Every bundle goes through the store's one reload, parsed, verified and compiled off the event
 * loop by the load worker (large ones; small ones in the process, as for a directory), so a bad
 * bundle is a failed reload: the last good set keeps serving and GET /v1/policies shows why.
 * With PDP_BUNDLE_CACHE, a verified download is kept on disk and read at start, so a restart
 * while the bundle server is down still serves the last good set.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { Counter, Gauge } from 'prom-client';
import { parsePublicKeys, readPublicKeys } from '../bundle/keys.js';
import type { BundleConfig, Location } from '../bundle/settings.js';
import { messageWithCauses } from '../common/errors.js';
import type { PdpMetrics } from '../observability/metrics.js';
import { readCapped, MAX_KEY_DOCUMENT_BYTES } from '../token/jwks.js';
import type { LoadOptions } from '../policy/loader.js';
import { createWorkerLoader, IN_PROCESS_MAX_BYTES, loadInProcess, type LoadAndCompile, type LoadOutcome } from './loaders.js';
import { PolicyStore, type ReloadResult } from './policy-store.js';

export interface BundleSourceDeps {
  logger: Logger;
  metrics: PdpMetrics;
  /** Wall clock (ms since epoch). */
  now?: () => number;
  /** Large bundles (default: the load worker); tests give another. */
  large?: LoadAndCompile;
  /** How often a bundle file is stat'ed (default 1000 ms). */
  fileCheckMs?: number;
}

/** The longest wait between two polls after failures (unless the poll period is longer). */
const MAX_BACKOFF_MS = 5 * 60_000;
const FILE_CHECK_MS = 1000;

/** A URL as shown in logs, metrics and GET /v1/policies: no credentials, no query (a presigned URL's signature). */
export function displayUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.origin}${url.pathname}${url.search === '' ? '' : '?…'}`;
}

export function displayLocation(location: Location): string {
  return location.kind === 'file' ? location.path : displayUrl(location.url);
}

/** A fetch that failed, or an answer that is not a bundle to load. */
class FetchError extends Error {}

/** `dev:ino:size:mtime`: another file at the path (a rename) or the same file rewritten. */
async function identityOf(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

interface BundleMetrics {
  info: Gauge<'revision' | 'source'>;
  lastFetch: Gauge;
  failures: Counter<'reason'>;
}

function bundleMetrics(metrics: PdpMetrics): BundleMetrics {
  const registers = [metrics.registry];
  const failures = new Counter({
    name: 'pdp_bundle_fetch_failures_total',
    help: 'Bundle reads that failed, by reason: fetch (unreachable, timeout, HTTP error, too large), invalid (refused: signature, integrity or policy errors).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['fetch', 'invalid']) failures.labels(reason).inc(0);
  return {
    info: new Gauge({ name: 'pdp_bundle_info', help: 'The bundle being served (value 1): its revision and where it is read from.', labelNames: ['revision', 'source'] as const, registers }),
    lastFetch: new Gauge({ name: 'pdp_bundle_last_fetch_timestamp_seconds', help: 'When the bundle source was last read and held a valid bundle (a 304 counts), in Unix seconds.', registers }),
    failures,
  };
}

export class BundleSource {
  readonly store: PolicyStore;
  private readonly now: () => number;
  private readonly label: string;
  private readonly metrics: BundleMetrics;
  private readonly large: LoadAndCompile;
  /** The file (or the cache) identity last loaded good, and the one last refused (not retried until it changes). */
  private goodIdentity: string | undefined;
  private badIdentity: string | undefined;
  private etag: string | undefined;
  private keys: JWK[] | undefined;
  private started = false;
  /** The set being served came from the cache, not (yet) from the URL. */
  private fromCache = false;
  private failures = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly config: Readonly<BundleConfig>,
    private readonly deps: BundleSourceDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.label = displayLocation(config.source);
    this.metrics = bundleMetrics(deps.metrics);
    this.large = deps.large ?? createWorkerLoader();
    const load: LoadAndCompile = (_dir, serving) => this.load(serving);
    this.store = new PolicyStore({
      dir: config.source.kind === 'file' ? config.source.path : this.label,
      load,
      reload: load,
      logger: deps.logger,
      metrics: deps.metrics,
      now: this.now,
      watch: false,
      debounceMs: 0,
      source: { type: config.source.kind === 'file' ? 'bundle-file' : 'bundle-url', location: this.label },
    });
  }

  /** The first load (the cache first, when there is one), then the watch or the polling. */
  async start(): Promise<ReloadResult> {
    const first = await this.reload('start');
    if (this.config.source.kind === 'file') this.watchFile(this.config.source.path);
    // After a start from the cache, the URL is asked at once: the cache may be old.
    else this.schedule(this.fromCache ? 0 : this.delayMs());
    return first;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    this.store.close();
  }

  private async reload(trigger: string): Promise<ReloadResult> {
    const result = await this.store.reload(trigger);
    this.failures = result.result === 'failure' ? this.failures + 1 : 0;
    if (result.result !== 'failure') {
      this.metrics.lastFetch.set(this.now() / 1000);
      this.metrics.info.reset();
      this.metrics.info.labels(result.revision, this.label).set(1);
    }
    return result;
  }

  /** The next poll's wait: the period with jitter, doubled per failure in a row. */
  private delayMs(): number {
    const period = this.config.pollS * 1000;
    const backoff = this.failures === 0 ? period : Math.min(period * 2 ** this.failures, Math.max(period, MAX_BACKOFF_MS));
    return Math.round(backoff * (0.8 + 0.2 * Math.random()));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.reload('bundle-poll').then(() => this.schedule(this.delayMs()));
    }, ms);
    this.timer.unref();
  }

  private watchFile(file: string): void {
    const check = async (): Promise<void> => {
      const identity = await identityOf(file);
      if (this.closed || identity === undefined || identity === this.goodIdentity || identity === this.badIdentity) return;
      await this.reload('bundle-file');
    };
    try {
      this.watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || String(name) === path.basename(file)) void check();
      });
      this.watcher.on('error', (err) => this.deps.logger.warn({ err, file }, 'bundle file watch failed; the file is still checked every second'));
    } catch (err) {
      this.deps.logger.warn({ err, file }, 'cannot watch the bundle file; it is checked every second');
    }
    const tick = (): void => {
      void check().finally(() => {
        if (this.closed) return;
        this.timer = setTimeout(tick, this.deps.fileCheckMs ?? FILE_CHECK_MS);
        this.timer.unref();
      });
    };
    tick();
  }

  /** The store's load: never throws; every problem is a failure the store reports. */
  private async load(serving: string | undefined): Promise<LoadOutcome> {
    const first = !this.started;
    this.started = true;
    const failure = (file: string, message: string): LoadOutcome => {
      this.metrics.failures.labels('fetch').inc();
      return { kind: 'failure', errors: [{ file, pointer: '', message }] };
    };
    let options: LoadOptions;
    try {
      options = await this.loadOptions();
    } catch (err) {
      return failure(this.config.publicKey ? displayLocation(this.config.publicKey) : '.', `cannot read the bundle public key: ${messageWithCauses(err)}`);
    }
    const source = this.config.source;
    if (source.kind === 'file') return this.loadFile(source.path, serving, options);

    const cache = this.config.cache;
    if (first && cache !== undefined && (await identityOf(cache)) !== undefined) {
      const cached = await this.loadFile(cache, serving, options);
      if (cached.kind !== 'failure') {
        this.fromCache = true;
        this.deps.logger.info({ cache }, 'serving the cached bundle until the bundle URL answers');
        return cached;
      }
      this.deps.logger.warn({ cache, errors: cached.errors }, 'the cached bundle is not usable; fetching the bundle URL');
    }
    let body: string | undefined;
    let etag: string | undefined;
    try {
      ({ body, etag } = await this.fetchBundle(source.url, serving));
    } catch (err) {
      return failure(this.label, messageWithCauses(err));
    }
    if (body === undefined) return { kind: 'unchanged' };
    // Staged where the load worker can read it; it becomes the cache only once it loaded.
    const staged = cache === undefined ? path.join(tmpdir(), `pdp-bundle-${process.pid}-${randomUUID()}.json`) : `${cache}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(staged), { recursive: true });
      await writeFile(staged, body);
      const outcome = await this.loadFile(staged, serving, options);
      if (outcome.kind !== 'failure') {
        this.etag = etag;
        this.fromCache = false;
        if (cache !== undefined) await rename(staged, cache);
      }
      return outcome;
    } catch (err) {
      return failure(staged, `cannot stage the downloaded bundle: ${messageWithCauses(err)}`);
    } finally {
      await rm(staged, { force: true });
    }
  }

  private async loadFile(file: string, serving: string | undefined, options: LoadOptions): Promise<LoadOutcome> {
    const identity = await identityOf(file);
    const size = Number(identity?.split(':')[2] ?? 0);
    const outcome = await (size < IN_PROCESS_MAX_BYTES ? loadInProcess : this.large)(file, serving, options);
    if (outcome.kind === 'failure') {
      this.badIdentity = identity;
      this.metrics.failures.labels('invalid').inc();
      return outcome;
    }
    this.goodIdentity = identity;
    this.badIdentity = undefined;
    return outcome;
  }

  /** The public keys, read again for every load (a rotated key file or JWKS takes effect without a restart). */
  private async loadOptions(): Promise<LoadOptions> {
    const key = this.config.publicKey;
    if (key === undefined) return {};
    if (key.kind === 'file') return { bundleKeys: await readPublicKeys(key.path) };
    try {
      const res = await fetch(key.url, { signal: AbortSignal.timeout(this.config.timeoutMs), headers: { accept: 'application/json' } });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new FetchError(`HTTP ${res.status}`);
      }
      this.keys = await parsePublicKeys(await readCapped(res, MAX_KEY_DOCUMENT_BYTES), displayUrl(key.url));
    } catch (err) {
      // The last keys fetched keep verifying while the JWKS is unreachable; without any, nothing loads.
      if (this.keys === undefined) throw new FetchError(`JWKS ${displayUrl(key.url)}`, { cause: err });
      this.deps.logger.warn({ err, jwks: displayUrl(key.url) }, 'bundle JWKS fetch failed; verifying with the keys fetched before');
    }
    return { bundleKeys: this.keys };
  }

  /** GET with If-None-Match; `body` undefined on a 304. */
  private async fetchBundle(url: string, serving: string | undefined): Promise<{ body?: string; etag?: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // Only an ETag of the set being served: a 304 must mean "what you serve is current".
    if (this.etag !== undefined && serving !== undefined) headers['if-none-match'] = this.etag;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.config.timeoutMs), redirect: 'follow' });
    } catch (err) {
      throw new FetchError(`GET ${this.label} failed`, { cause: err });
    }
    if (res.status === 304 && headers['if-none-match'] !== undefined) {
      await res.body?.cancel();
      return {};
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new FetchError(`GET ${this.label} answered HTTP ${res.status}`);
    }
    try {
      const body = await readCapped(res, this.config.maxBytes);
      const etag = res.headers.get('etag') ?? undefined;
      return etag === undefined ? { body } : { body, etag };
    } catch (err) {
      throw new FetchError(`GET ${this.label}: reading the body failed`, { cause: err });
    }
  }
}
