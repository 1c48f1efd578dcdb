/**
 * `POST /v1/plan`: the query plan of the engine (engine/plan.ts) for a subject, or for the subject
 * of a token the PDP verifies, as /v1/decide does. A refused token plans `always_denied`, naming
 * why, as it denies a decision; a plan the engine cannot express is a 422 problem
 * (`plan_unsupported`), never a wider answer.
 *
 * Like a decision, a plan is checked against schema.json (PDP_SCHEMA_ENFORCE, on the body as the
 * caller sent it) and writes one line to the decision log: `kind: "plan"`, so `pdp replay`, which
 * reads decision lines only, passes over it. The line never holds the condition: it may carry
 * folded subject values that PDP_LOG_REDACT paths, written for the request, would not censor.
 */
import type { PlanKind, PlanResponse } from '@oracle-ai/contract';
import type { Logger } from 'pino';
import { PdpError, type FieldError } from '../common/errors.js';
import { plan, PlanUnsupportedError, type PlanRequest } from '../engine/plan.js';
import type { DecisionReason, DecisionSubject } from '../engine/types.js';
import { DECIDE_POINTERS, type RequestPointers, type SchemaEnforceMode } from '../policy/request-attributes.js';
import { tokenFailureMessage, type TokenFailureCode } from '../token/reasons.js';
import { TOKEN_POLICY, type Clock, type DecisionCore } from './decisions.js';
import type { Middleware, RouteState } from './handlers.js';
import { sendJson } from './respond.js';
import { enforceSchema } from './schema-enforce.js';

/** The body, valid against schemas/plan-request.schema.json. */
type PlanBody = Omit<PlanRequest, 'subject'> & { subject?: DecisionSubject; token?: string };

/** Where a plan request's checked parts are: a decision's, but for the resource type (no attributes: the resource is what is planned). */
export const PLAN_POINTERS: RequestPointers = { ...DECIDE_POINTERS, resourceType: '/resourceType' };

/** One plan line of the decision log (beside the `kind: "plan"` binding); never the token or the condition. */
export interface PlanLogEntry {
  /** The plan's kind, or `unsupported` for a 422 plan_unsupported. */
  plan: PlanKind | 'unsupported';
  revision: string;
  /** The subject's id (a verified token's subject), as in a decision line. */
  subject: string | undefined;
  resourceType: string;
  action: string;
  /** An always_denied plan's reasons. */
  reasons: readonly DecisionReason[] | undefined;
  /** The rule (`policy/rule`) the engine could not plan. */
  rule: string | undefined;
  latencyUs: number;
  tokenError: TokenFailureCode | undefined;
  api: 'plan';
  schemaErrors: readonly FieldError[] | undefined;
  requestId: string;
  /** The request as a /v1/plan body with the decided-for subject, when PDP_DECISION_LOG_INPUT is on and there is one. */
  input: (Omit<PlanRequest, 'actionProperties' | 'context'> & Pick<Partial<PlanRequest>, 'actionProperties' | 'context'>) | undefined;
}

export interface PlanStepDeps {
  core: Pick<DecisionCore, 'subjectOf'>;
  clock: Clock;
  schemaEnforce: SchemaEnforceMode;
  /** The decision log's logger, bound to `kind: "plan"`; undefined when the decision log is off. */
  log: Logger | undefined;
  /** Lines carry the request (`PDP_DECISION_LOG_INPUT`). */
  logInput: boolean;
}

export function createPlanStep(deps: PlanStepDeps): Middleware {
  const { core, clock, log } = deps;
  return async (ctx) => {
    const st = ctx.state as RouteState;
    const body = st.body as unknown as PlanBody;
    const { action, resourceType, actionProperties, context } = body;
    const who = await core.subjectOf(body);
    const schemaErrors = enforceSchema(deps.schemaEnforce, st.policies, { subject: body.subject, resource: { type: resourceType }, actionProperties, context }, PLAN_POINTERS);
    const revision = st.policies.revision;
    let answer: PlanResponse | undefined;
    let refused: PlanUnsupportedError | undefined;
    if (who.subject === undefined) {
      const code = who.failure;
      answer = { kind: 'always_denied', revision, reasons: [{ policy: TOKEN_POLICY, rule: code, effect: 'deny', code, message: tokenFailureMessage(code) }] };
    } else {
      try {
        answer = plan(st.policies, { subject: who.subject, action, resourceType, actionProperties, context });
      } catch (err) {
        if (!(err instanceof PlanUnsupportedError)) throw err;
        refused = err;
      }
    }
    if (log !== undefined) {
      const entry: PlanLogEntry = {
        plan: answer?.kind ?? 'unsupported',
        revision,
        subject: who.subject?.id,
        resourceType,
        action,
        reasons: answer?.reasons,
        rule: refused?.rule,
        latencyUs: Math.round((clock.monotonic() - st.t0) * 1000),
        tokenError: who.failure,
        api: 'plan',
        schemaErrors,
        requestId: st.requestId,
        input: deps.logInput && who.subject !== undefined ? { subject: who.subject, resourceType, action, actionProperties, context } : undefined,
      };
      log.info(entry, 'plan');
    }
    if (refused !== undefined) {
      throw new PdpError('plan_unsupported', `Rule ${refused.rule}: ${refused.message}. Decide each resource with /v1/decide or /v1/decide/batch instead.`);
    }
    sendJson(ctx, schemaErrors === undefined ? answer : { ...answer, schemaErrors });
  };
}
