/** The PDP's Prometheus metrics: every series name, the zeroed label sets, the revision info. */
import { describe, expect, test } from 'vitest';
import { createMetrics } from '../src/observability/metrics.js';

describe('metrics', () => {
  test('counters, the histogram and the revision info render in the exposition format', async () => {
    const m = createMetrics();
    const before = await m.registry.metrics();
    // Label sets a dashboard expects exist before their first event.
    expect(before).toContain('pdp_decisions_total{effect="deny"} 0');
    expect(before).toContain('pdp_policy_reloads_total{result="failure"} 0');

    m.decisionsAllow.inc();
    m.decisionsAllow.inc();
    m.decisionsDeny.inc();
    m.decisionSeconds.observe(0.0002);
    m.reloads.labels('success').inc();
    m.policiesLoaded.set(3);
    m.policyRevision.labels('sha256:aa').set(1);
    m.policyRevision.reset();
    m.policyRevision.labels('sha256:bb').set(1);
    m.tokenCacheHits.inc();
    m.tokenCacheMisses.inc();
    m.tokenFailures.labels('token_expired').inc();

    const text = await m.registry.metrics();
    expect(text).toContain('pdp_decisions_total{effect="allow"} 2');
    expect(text).toContain('pdp_decisions_total{effect="deny"} 1');
    expect(text).toContain('pdp_decision_duration_seconds_bucket{le="0.0001"} 0');
    expect(text).toContain('pdp_decision_duration_seconds_bucket{le="0.00025"} 1');
    expect(text).toContain('pdp_decision_duration_seconds_count 1');
    expect(text).toContain('pdp_policy_reloads_total{result="success"} 1');
    expect(text).toContain('pdp_policies_loaded 3');
    expect(text).toContain('pdp_policy_revision_info{revision="sha256:bb"} 1');
    expect(text).not.toContain('sha256:aa');
    expect(text).toContain('pdp_token_cache_hits_total 1');
    expect(text).toContain('pdp_token_cache_misses_total 1');
    expect(text).toContain('pdp_token_failures_total{code="token_expired"} 1');
  });

  test('two instances in one process keep their own registries', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.decisionsAllow.inc();
    expect(await b.registry.metrics()).toContain('pdp_decisions_total{effect="allow"} 0');
  });
});
