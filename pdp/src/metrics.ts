/**
 * Prometheus metrics of one PDP instance, in its own registry (several instances in one
 * process, as in tests, must not collide in prom-client's global registry).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PdpMetrics {
  registry: Registry;
  /** Pre-bound label children: `inc()` on them skips label hashing on the hot path. */
  decisionsAllow: Counter.Internal;
  decisionsDeny: Counter.Internal;
  decisionSeconds: Histogram;
  reloads: Counter<'result'>;
  policiesLoaded: Gauge;
  tokenCacheHits: Counter;
  tokenCacheMisses: Counter;
  tokenFailures: Counter<'code'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): PdpMetrics {
  const registry = new Registry();
  const decisions = new Counter({
    name: 'pdp_decisions_total',
    help: 'Decisions made, by effect.',
    labelNames: ['effect'],
    registers: [registry],
  });
  const metrics: PdpMetrics = {
    registry,
    decisionsAllow: decisions.labels('allow'),
    decisionsDeny: decisions.labels('deny'),
    decisionSeconds: new Histogram({
      name: 'pdp_decision_duration_seconds',
      help: 'Time from request arrival to decision, per decision request (token check included).',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5],
      registers: [registry],
    }),
    reloads: new Counter({
      name: 'pdp_policy_reloads_total',
      help: 'Policy set loads, by result (success, unchanged, failure).',
      labelNames: ['result'],
      registers: [registry],
    }),
    policiesLoaded: new Gauge({
      name: 'pdp_policies_loaded',
      help: 'Policies in the revision being served.',
      registers: [registry],
    }),
    tokenCacheHits: new Counter({
      name: 'pdp_token_cache_hits_total',
      help: 'Tokens found in the verified-token cache (no signature check).',
      registers: [registry],
    }),
    tokenCacheMisses: new Counter({
      name: 'pdp_token_cache_misses_total',
      help: 'Tokens not in the verified-token cache (verified with the JWKS).',
      registers: [registry],
    }),
    tokenFailures: new Counter({
      name: 'pdp_token_failures_total',
      help: 'Tokens refused, by reason code.',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
  decisions.labels('allow').inc(0);
  decisions.labels('deny').inc(0);
  for (const r of ['success', 'unchanged', 'failure']) metrics.reloads.labels(r).inc(0);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'pdp_' });
  return metrics;
}
