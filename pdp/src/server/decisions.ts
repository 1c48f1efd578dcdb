/**
 * The path every decision takes after the edge, whichever API asked: resolve the subject
 * (given, or from a verified token), call the engine, give the decision an id, write its
 * log line and metrics, and return the response object. Shared by /v1/decide, the batch
 * endpoint and AuthZEN, so they cannot drift apart.
 */
import type { DecisionResponse } from '@oracle-ai/contract';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { decide as engineDecide } from '../engine/decide.js';
import type { DecisionExplain, DecisionReason, DecisionRequest, DecisionResource, DecisionSubject, Effect } from '../engine/types.js';
import { PdpError, type FieldError } from '../common/errors.js';
import type { DecisionLog } from '../observability/log.js';
import type { PdpMetrics } from '../observability/metrics.js';
import { tokenFailureMessage, type TokenFailureCode } from '../token/reasons.js';
import type { TokenVerifier } from '../token/verifier.js';

/** The decision as the API returns it (the `Decision` schema in responses.schema.json). */
export type { DecisionResponse };

export interface Clock {
  /** Wall clock, ms since epoch. */
  now(): number;
  /** Monotonic, fractional ms (latency). */
  monotonic(): number;
}

export const systemClock: Clock = { now: Date.now, monotonic: () => performance.now() };

/** The pseudo-policy that names a refused token in a decision's reasons (ids cannot start with `$`). */
export const TOKEN_POLICY = '$token';

export type SubjectResult = { subject: DecisionSubject; failure?: undefined } | { subject?: undefined; failure: TokenFailureCode };

export interface DecisionCoreDeps {
  engine: { decide: typeof engineDecide };
  tokens: TokenVerifier | undefined;
  decisionLog: DecisionLog;
  metrics: PdpMetrics;
  clock: Clock;
  nextId: () => string;
  onTokenFailure?: (code: TokenFailureCode, detail: string) => void;
}

export interface DecisionCore {
  /** The subject of a request: as given, or from the token (a refused token is a failure code, not a throw). */
  subjectOf(body: { subject?: unknown; token?: unknown }): SubjectResult | Promise<SubjectResult>;
  /** One decision; `input` is read, not kept (a batch fills one input in place for every item). */
  decide(input: Readonly<DecideInput>): DecisionResponse;
}

/** What one decision needs, whichever API asked. */
export interface DecideInput {
  compiled: CompiledPolicySet;
  who: SubjectResult;
  resource: DecisionResource;
  action: string;
  /** The action's properties (`action.properties.*` in conditions). */
  actionProperties?: Record<string, unknown> | undefined;
  context: Record<string, unknown> | undefined;
  /** Found by the edge's schema check, reported with the decision (PDP_SCHEMA_ENFORCE=warn). */
  schemaErrors?: readonly FieldError[] | undefined;
  explain: boolean;
  /** When the request began (monotonic ms), for the latency. */
  t0: number;
  /** Which API asked, for the decision log. */
  api: string;
  /** The request's id, for the decision log. */
  requestId: string;
}

const EXPLAIN = Object.freeze({ explain: true });

export function createDecisionCore(deps: DecisionCoreDeps): DecisionCore {
  const { engine, tokens, decisionLog, metrics, clock, nextId } = deps;
  const tokenReasons = new Map<TokenFailureCode, readonly DecisionReason[]>();
  const reasonsFor = (code: TokenFailureCode): readonly DecisionReason[] => {
    let r = tokenReasons.get(code);
    if (r === undefined) {
      r = Object.freeze([Object.freeze({ policy: TOKEN_POLICY, rule: code, effect: 'deny' as const, code, message: tokenFailureMessage(code) })]);
      tokenReasons.set(code, r);
    }
    return r;
  };

  async function verifySlow(verifier: TokenVerifier, token: string): Promise<SubjectResult> {
    const result = await verifier.verify(token);
    if (result.ok) return { subject: result.subject };
    metrics.tokenFailures.labels(result.code).inc();
    deps.onTokenFailure?.(result.code, result.detail);
    return { failure: result.code };
  }

  return {
    subjectOf(body) {
      if (body.token === undefined) return { subject: body.subject as DecisionSubject };
      if (tokens === undefined) {
        throw new PdpError('token_mode_not_configured', 'This PDP has no PDP_JWT_ISSUER configured, so it cannot verify tokens; send subject instead.', {
          errors: [{ pointer: '/token', detail: 'token mode is not configured' }],
        });
      }
      const token = body.token as string;
      const hit = tokens.cached(token);
      if (hit !== undefined) {
        metrics.tokenCacheHits.inc();
        return { subject: hit };
      }
      metrics.tokenCacheMisses.inc();
      return verifySlow(tokens, token);
    },

    decide(input) {
      const { compiled, who, resource, action, actionProperties, context, schemaErrors } = input;
      let allow: boolean;
      let effect: Effect;
      let reasons: readonly DecisionReason[];
      let trace: DecisionExplain | undefined;
      if (who.subject !== undefined) {
        const request: DecisionRequest = { subject: who.subject, resource, action };
        if (actionProperties !== undefined) request.actionProperties = actionProperties;
        if (context !== undefined) request.context = context;
        const d = engine.decide(compiled, request, input.explain ? EXPLAIN : undefined);
        allow = d.allow;
        effect = d.effect;
        reasons = d.reasons;
        trace = d.explain;
      } else {
        allow = false;
        effect = 'deny';
        reasons = reasonsFor(who.failure);
      }
      const decisionId = nextId();
      const elapsedMs = clock.monotonic() - input.t0;
      (allow ? metrics.decisionsAllow : metrics.decisionsDeny).inc();
      metrics.decisionSeconds.observe(elapsedMs / 1000);
      if (decisionLog.enabled) {
        decisionLog.write({
          decisionId,
          revision: compiled.revision,
          subject: who.subject?.id,
          resource: { type: resource.type, id: resource.id },
          action,
          effect,
          reasons,
          latencyUs: Math.round(elapsedMs * 1000),
          // Always present (maybe undefined), so every entry has one shape: a spread here made
          // the log writer's property reads several times slower.
          tokenError: who.failure,
          api: input.api,
          schemaErrors,
          requestId: input.requestId,
          // A fresh object: a batch's input is filled in place for the next item. Always the
          // same five members (maybe undefined), for the same reason as tokenError above.
          input:
            decisionLog.input && who.subject !== undefined
              ? { subject: who.subject, resource, action, actionProperties, context }
              : undefined,
        });
      }
      const out: DecisionResponse = { decisionId, allow, effect, reasons, revision: compiled.revision };
      if (trace !== undefined) out.explain = trace;
      if (schemaErrors !== undefined) out.schemaErrors = schemaErrors;
      return out;
    },
  };
}
