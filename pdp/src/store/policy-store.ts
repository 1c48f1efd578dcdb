/**
 * The policy store: the compiled set being served, the last load error, and reloads. A reload
 * reads and validates the whole directory, compiles it, and only then swaps the one reference
 * decisions read, so a decision sees the old set or the new one, never a mix; a bad edit
 * leaves the last good set serving and is reported (log, metrics, GET /v1/policies).
 */
import type { PoliciesView } from '@oracle-ai/contract';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { PolicySet } from '../engine/types.js';
import type { PolicyError } from '../policy/check.js';
import type { PdpMetrics } from '../observability/metrics.js';
import { DATA_DIR } from '../policy/data.js';
import { watchDirectory, type DirectoryWatch } from './watch.js';
import { messageWithCauses } from '../common/errors.js';


export type LoadPolicies = (dir: string) => Promise<{ ok: true; policySet: PolicySet } | { ok: false; errors: PolicyError[] }>;
export type CompilePolicies = (set: PolicySet) => CompiledPolicySet;

export interface PolicyStoreOptions {
  dir: string;
  load: LoadPolicies;
  compile: CompilePolicies;
  logger: Logger;
  metrics?: PdpMetrics;
  /** Wall clock (ms since epoch), for `loadedAt` and `lastError.at`. */
  now?: () => number;
  watch: boolean;
  debounceMs: number;
}

export type ReloadResult =
  | { result: 'success'; revision: string }
  | { result: 'unchanged'; revision: string }
  | { result: 'failure'; errors: PolicyError[] };

/** The body of GET /v1/policies (the `Policies` schema in responses.schema.json). */
export type { PoliciesView };

export class PolicyStore {
  /** The set decisions read. Replaced, never mutated: reading it once per request is atomic. */
  current: CompiledPolicySet | undefined = undefined;
  private loadedAt: string | null = null;
  private lastError: PoliciesView['lastError'] = null;
  private view: PoliciesView | undefined;
  private running: Promise<ReloadResult> | undefined;
  private queued: Promise<ReloadResult> | undefined;
  private watcher: DirectoryWatch | undefined;
  private readonly now: () => number;

  constructor(private readonly options: PolicyStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** First load, then the directory watch (if enabled). Never throws for bad policies. */
  async start(): Promise<ReloadResult> {
    const first = await this.reload('start');
    if (this.options.watch) {
      this.watcher = watchDirectory(this.options.dir, {
        debounceMs: this.options.debounceMs,
        ignore: ['tests'],
        nested: [DATA_DIR],
        onChange: () => void this.reload('watch'),
        onError: (err) => this.options.logger.warn({ err, dir: this.options.dir }, 'policy directory watch failed; retrying'),
      });
    }
    return first;
  }

  /**
   * Loads the directory again. Reloads never overlap: a reload asked for while one runs waits
   * for it and then runs once (however many were asked for), so the last state on disk wins.
   */
  reload(trigger: string): Promise<ReloadResult> {
    if (this.running === undefined) {
      this.running = this.doReload(trigger).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload(trigger);
    });
    return this.queued;
  }

  private async doReload(trigger: string): Promise<ReloadResult> {
    const { logger, metrics } = this.options;
    let outcome: ReloadResult;
    try {
      const loaded = await this.options.load(this.options.dir);
      if (!loaded.ok) {
        outcome = { result: 'failure', errors: loaded.errors };
      } else if (this.current !== undefined && loaded.policySet.revision === this.current.revision) {
        outcome = { result: 'unchanged', revision: this.current.revision };
      } else {
        const compiled = this.options.compile(loaded.policySet);
        this.current = compiled;
        this.loadedAt = new Date(this.now()).toISOString();
        outcome = { result: 'success', revision: compiled.revision };
      }
    } catch (err) {
      // The loader reports problems as data; a throw here is a bug, and it still must not
      // replace the set being served.
      outcome = { result: 'failure', errors: [{ file: '.', pointer: '', message: `internal error while loading: ${messageWithCauses(err)}` }] };
    }
    metrics?.reloads.labels(outcome.result).inc();
    if (outcome.result === 'failure') {
      this.lastError = { at: new Date(this.now()).toISOString(), errors: outcome.errors };
      logger.error(
        { trigger, errors: outcome.errors, servingRevision: this.current?.revision ?? null },
        this.current ? 'policy reload failed; the last good revision keeps serving' : 'policy load failed; no policy set is loaded',
      );
    } else {
      // An operator who saw the error line in the log must also see that it is over.
      const recovered = this.lastError !== null;
      this.lastError = null;
      if (outcome.result === 'success') {
        metrics?.policiesLoaded.set(this.current?.policySet.policies.length ?? 0);
        // One label set at a time: the old revision's series goes, so a replica never shows two.
        metrics?.policyRevision.reset();
        metrics?.policyRevision.labels(outcome.revision).set(1);
        logger.info({ trigger, revision: outcome.revision, policies: this.current?.policySet.policies.length }, 'policies loaded');
      } else {
        if (recovered) logger.info({ trigger, revision: outcome.revision }, 'policy set valid again; the revision is unchanged');
        else logger.debug({ trigger, revision: outcome.revision }, 'policies unchanged');
      }
    }
    this.view = undefined;
    return outcome;
  }

  /** What GET /v1/policies shows; built once per change, not per request. */
  describe(): PoliciesView {
    if (this.view) return this.view;
    const set = this.current?.policySet;
    const rel = (file: string): string => (path.isAbsolute(file) ? path.relative(this.options.dir, file) : file);
    this.view = {
      revision: this.current?.revision ?? null,
      loadedAt: this.loadedAt,
      policies: (set?.policies ?? []).map((p) => ({
        id: p.id,
        resource: p.resource,
        ...(p.description !== undefined ? { description: p.description } : {}),
        file: rel(set?.sources?.[p.id] ?? ''),
        rules: p.rules.map((r) => ({ id: r.id, effect: r.effect, actions: [...r.actions] })),
      })),
      roles: Object.keys(set?.roles ?? {}).sort(),
      lastError: this.lastError,
    };
    return this.view;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
