/**
 * Prometheus metrics of one PDP instance (prom-client), in its own registry: several instances
 * in one process, as in tests, must not collide in prom-client's global registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A counter of one label value, counted on the decision path. */
export interface BoundCounter {
  inc(): void;
}

export interface PdpMetrics {
  registry: Registry;
  /** `pdp_decisions_total{effect}`: plain numbers on the decision path, handed to prom-client when the registry is read. */
  decisionsAllow: BoundCounter;
  decisionsDeny: BoundCounter;
  decisionSeconds: Histogram;
  reloads: Counter<'result'>;
  policiesLoaded: Gauge;
  /** 1 for the revision being served (one label set at a time): compare it across replicas. */
  policyRevision: Gauge<'revision'>;
  tokenCacheHits: Counter;
  tokenCacheMisses: Counter;
  tokenFailures: Counter<'code'>;
  /** Log lines lost (the decision log's and the service log's: they share one output). */
  logDropped: Counter<'reason'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): PdpMetrics {
  const registry = new Registry();
  const registers = [registry];
  // Decisions are counted in plain numbers and added to prom-client's counter by its collect
  // hook, which runs whenever the registry is read (a scrape, registry.metrics()): prom-client's
  // inc hashes the labels and checks the value on every call, several tenths of a µs per
  // decision, and a scrape shows the same totals either way.
  const pending = { allow: 0, deny: 0 };
  const decisions = new Counter({
    name: 'pdp_decisions_total',
    help: 'Decisions made, by effect.',
    labelNames: ['effect'] as const,
    registers,
    collect() {
      for (const effect of ['allow', 'deny'] as const) {
        if (pending[effect] === 0) continue;
        this.labels(effect).inc(pending[effect]);
        pending[effect] = 0;
      }
    },
  });
  const reloads = new Counter({
    name: 'pdp_policy_reloads_total',
    help: 'Policy set loads, by result (success, unchanged, failure).',
    labelNames: ['result'] as const,
    registers,
  });
  // Every series a dashboard expects is there from the start, at 0, not only after its first event.
  for (const effect of ['allow', 'deny']) decisions.labels(effect).inc(0);
  for (const result of ['success', 'unchanged', 'failure']) reloads.labels(result).inc(0);
  const logDropped = new Counter({
    name: 'pdp_decision_log_dropped_total',
    help: 'Decision and service log lines lost, by reason: buffer_full (the output did not keep up; one per line), write_error (the output refused a write; one per error).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['buffer_full', 'write_error']) logDropped.labels(reason).inc(0);
  const metrics: PdpMetrics = {
    registry,
    decisionsAllow: { inc: () => void pending.allow++ },
    decisionsDeny: { inc: () => void pending.deny++ },
    decisionSeconds: new Histogram({
      name: 'pdp_decision_duration_seconds',
      help: 'Time from request arrival to each decision (body read, validation and token check included).',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers,
    }),
    reloads,
    policiesLoaded: new Gauge({ name: 'pdp_policies_loaded', help: 'Policies in the revision being served.', registers }),
    policyRevision: new Gauge({
      name: 'pdp_policy_revision_info',
      help: 'The policy revision being served (value 1, the revision in the label); replicas serving the same set show the same label.',
      labelNames: ['revision'] as const,
      registers,
    }),
    tokenCacheHits: new Counter({ name: 'pdp_token_cache_hits_total', help: 'Tokens found in the verified-token cache (no signature check).', registers }),
    tokenCacheMisses: new Counter({ name: 'pdp_token_cache_misses_total', help: 'Tokens not in the verified-token cache (verified with the JWKS).', registers }),
    tokenFailures: new Counter({ name: 'pdp_token_failures_total', help: 'Tokens refused, by reason code.', labelNames: ['code'] as const, registers }),
    logDropped,
  };
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'pdp_' });
  return metrics;
}
