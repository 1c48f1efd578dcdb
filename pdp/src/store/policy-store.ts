/**
 * The policy store: the compiled set being served, the last load error, and reloads. A reload
 * reads and validates the whole directory, compiles it, and only then swaps the one reference
 * decisions read, so a decision sees the old set or the new one, never a mix; a bad edit
 * leaves the last good set serving and is reported (log, metrics, GET /v1/policies).
 */
import type { ConditionView, PoliciesView } from '@oracle-ai/contract';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { Policy, PolicySet } from '../engine/types.js';
import type { PolicyError } from '../policy/check.js';
import type { PdpMetrics } from '../observability/metrics.js';
import { DATA_DIR, entityCounts } from '../policy/data.js';
import { watchDirectory, type DirectoryWatch } from './watch.js';
import { runInSlices, type LoadAndCompile } from './loaders.js';
import { messageWithCauses } from '../common/errors.js';

export interface PolicyStoreOptions {
  dir: string;
  /** The first load (at start). */
  load: LoadAndCompile;
  /** Every later load (default: `load`); the server's runs off the event loop (loaders.ts). */
  reload?: LoadAndCompile;
  logger: Logger;
  metrics?: PdpMetrics;
  /** Wall clock (ms since epoch), for `loadedAt` and `lastError.at`. */
  now?: () => number;
  watch: boolean;
  debounceMs: number;
  /** What GET /v1/policies names as the source (default: the directory `dir`). */
  source?: Omit<PoliciesView['source'], 'fetchedAt'>;
}

export type ReloadResult =
  | { result: 'success'; revision: string }
  | { result: 'unchanged'; revision: string }
  | { result: 'failure'; errors: PolicyError[] };

/** The body of GET /v1/policies (the `Policies` schema in responses.schema.json). */
export type { PoliciesView };
type PolicyChange = NonNullable<PoliciesView['lastChange']>;

/** Most ids a reload's log line lists per kind (all of them are in GET /v1/policies). */
const LOGGED_IDS = 100;

/** Elements sorted or merged between two pauses of {@link sortInSteps}. */
const SORT_STEP = 2000;

/**
 * `[...items].sort()` (code-unit order) in steps: runs of SORT_STEP sorted, then merged pairwise,
 * a pause after every SORT_STEP elements. Sorting the 45,000 rule ids of a large reload in one go
 * held the event loop for tens of milliseconds.
 */
export function* sortInSteps(items: readonly string[]): Generator<void, string[]> {
  let runs: string[][] = [];
  for (let i = 0; i < items.length; i += SORT_STEP) {
    runs.push(items.slice(i, i + SORT_STEP).sort());
    yield;
  }
  while (runs.length > 1) {
    const merged: string[][] = [];
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r] as string[];
      const b = runs[r + 1];
      if (b === undefined) {
        merged.push(a);
        continue;
      }
      const out: string[] = [];
      let i = 0;
      let j = 0;
      while (i < a.length || j < b.length) {
        out.push(j >= b.length || (i < a.length && (a[i] as string) <= (b[j] as string)) ? (a[i++] as string) : (b[j++] as string));
        if (out.length % SORT_STEP === 0) yield;
      }
      merged.push(out);
    }
    runs = merged;
  }
  return runs[0] ?? [];
}

/** What is in `a` and not in `b`, sorted, in steps. */
function* minus(a: Iterable<string>, b: ReadonlySet<string> | ReadonlyMap<string, unknown>): Generator<void, string[]> {
  const only: string[] = [];
  let n = 0;
  for (const x of a) {
    if (!b.has(x)) only.push(x);
    if (++n % SORT_STEP === 0) yield;
  }
  return yield* sortInSteps(only);
}

/**
 * `policy/rule` of each rule of `set` that `other` (policies by id) lacks, sorted, in steps. Rule
 * ids are compared per policy, so a reload that keeps most rules builds no string for them: the
 * ids of both sets as `policy/rule` strings (90,000 of them for a large set) were as much for the
 * young GC to copy as a good part of the set itself.
 */
function* rulesOnlyIn(set: PolicySet | undefined, other: ReadonlyMap<string, Policy>): Generator<void, string[]> {
  const only: string[] = [];
  let n = 0;
  for (const policy of set?.policies ?? []) {
    const there = new Set<string>();
    for (const rule of other.get(policy.id)?.rules ?? []) {
      there.add(rule.id);
      if (++n % SORT_STEP === 0) yield;
    }
    for (const rule of policy.rules) {
      if (!there.has(rule.id)) only.push(`${policy.id}/${rule.id}`);
      if (++n % SORT_STEP === 0) yield;
    }
  }
  return yield* sortInSteps(only);
}

/** Policies and rules (by id) in `next` and not in `previous`, and the other way round. */
function* diffSets(previous: PolicySet | undefined, next: PolicySet): Generator<void, Pick<PolicyChange, 'added' | 'removed'>> {
  const before = new Map((previous?.policies ?? []).map((p) => [p.id, p]));
  const after = new Map(next.policies.map((p) => [p.id, p]));
  return {
    added: { policies: yield* minus(after.keys(), before), rules: yield* rulesOnlyIn(next, before) },
    removed: { policies: yield* minus(before.keys(), after), rules: yield* rulesOnlyIn(previous, after) },
  };
}

export class PolicyStore {
  /** The set decisions read. Replaced, never mutated: reading it once per request is atomic. */
  current: CompiledPolicySet | undefined = undefined;
  private loadedAt: string | null = null;
  private lastError: PoliciesView['lastError'] = null;
  private lastChange: PoliciesView['lastChange'] = null;
  private fetchedAt: string | null = null;
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
      const first = trigger === 'start';
      const load = first ? this.options.load : (this.options.reload ?? this.options.load);
      const previous = this.current;
      const loaded = await load(this.options.dir, previous?.revision);
      if (loaded.kind === 'failure') {
        outcome = { result: 'failure', errors: loaded.errors };
      } else if (loaded.kind === 'unchanged' && previous !== undefined) {
        outcome = { result: 'unchanged', revision: previous.revision };
      } else if (loaded.kind === 'loaded') {
        const compiled = loaded.compiled;
        const change = first ? undefined : await runInSlices(diffSets(previous?.policySet, compiled.policySet));
        // The one swap: a decision reads `current` once, so it sees the old set or the new one.
        this.current = compiled;
        this.loadedAt = new Date(this.now()).toISOString();
        if (change !== undefined) {
          this.lastChange = { at: this.loadedAt, revision: compiled.revision, previousRevision: previous?.revision ?? null, ...change };
          this.logChange(trigger, this.lastChange);
        }
        outcome = { result: 'success', revision: compiled.revision };
      } else {
        throw new Error('the loader reported an unchanged set while none is loaded');
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
      this.fetchedAt = new Date(this.now()).toISOString();
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

  /**
   * A removed policy or rule is worth a warning: a deny policy deleted by mistake, or a release
   * copied file by file and caught half way, widens access without any error.
   */
  private logChange(trigger: string, change: PolicyChange): void {
    const ids = (list: readonly string[]): readonly string[] => (list.length > LOGGED_IDS ? [...list.slice(0, LOGGED_IDS), `… ${list.length - LOGGED_IDS} more`] : list);
    const removedAny = change.removed.policies.length + change.removed.rules.length > 0;
    const fields = {
      trigger,
      revision: change.revision,
      previousRevision: change.previousRevision,
      added: { policies: ids(change.added.policies), rules: ids(change.added.rules) },
      removed: { policies: ids(change.removed.policies), rules: ids(change.removed.rules) },
      addedRules: change.added.rules.length,
      removedRules: change.removed.rules.length,
    };
    if (removedAny) this.options.logger.warn(fields, 'policy reload removed policies or rules; check that this was intended');
    else this.options.logger.info(fields, 'policy reload changed the set');
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
        rules: p.rules.map((r) => ({
          id: r.id,
          effect: r.effect,
          actions: [...r.actions],
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.subject !== undefined ? { subject: r.subject } : {}),
          // The checker let only a json-logic expression through (policy.schema.json's Logic).
          ...(r.when !== undefined && r.when !== null ? { when: r.when as ConditionView } : {}),
        })),
      })),
      roles: Object.keys(set?.roles ?? {}).sort(),
      ...(set?.schema !== undefined ? { schema: set.schema } : {}),
      lastError: this.lastError,
      lastChange: this.lastChange,
      source: { ...(this.options.source ?? { type: 'directory', location: this.options.dir }), fetchedAt: this.fetchedAt },
      data: entityCounts(set?.data),
    };
    return this.view;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
