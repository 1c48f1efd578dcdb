/**
 * `POST /v1/plan`: the query plan of the engine (engine/plan.ts) for a subject, or for the subject
 * of a token the PDP verifies, as /v1/decide does. A refused token plans `always_denied`, naming
 * why, as it denies a decision; a plan the engine cannot express is a 422 problem
 * (`plan_unsupported`), never a wider answer.
 */
import type { PlanResponse } from '@oracle-ai/contract';
import { PdpError } from '../common/errors.js';
import { plan, PlanUnsupportedError, type PlanRequest } from '../engine/plan.js';
import type { DecisionSubject } from '../engine/types.js';
import { tokenFailureMessage } from '../token/reasons.js';
import { TOKEN_POLICY, type DecisionCore } from './decisions.js';
import type { Middleware, RouteState } from './handlers.js';
import { sendJson } from './respond.js';

/** The body, valid against schemas/plan-request.schema.json. */
type PlanBody = Omit<PlanRequest, 'subject'> & { subject?: DecisionSubject; token?: string };

export function createPlanStep(deps: { core: Pick<DecisionCore, 'subjectOf'> }): Middleware {
  return async (ctx) => {
    const st = ctx.state as RouteState;
    const body = st.body as unknown as PlanBody;
    const who = await deps.core.subjectOf(body);
    const revision = st.policies.revision;
    let answer: PlanResponse;
    if (who.subject === undefined) {
      const code = who.failure;
      answer = { kind: 'always_denied', revision, reasons: [{ policy: TOKEN_POLICY, rule: code, effect: 'deny', code, message: tokenFailureMessage(code) }] };
    } else {
      const { action, resourceType, actionProperties, context } = body;
      try {
        answer = plan(st.policies, { subject: who.subject, action, resourceType, actionProperties, context });
      } catch (err) {
        if (!(err instanceof PlanUnsupportedError)) throw err;
        throw new PdpError('plan_unsupported', `Rule ${err.rule}: ${err.message}. Decide each resource with /v1/decide or /v1/decide/batch instead.`);
      }
    }
    sendJson(ctx, answer);
  };
}
