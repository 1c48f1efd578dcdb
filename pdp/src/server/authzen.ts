/**
 * AuthZEN Authorization API 1.0 in the engine's terms, for every AuthZEN route (evaluation,
 * evaluations, the searches): an AuthZEN subject, action, resource and context become one
 * decision request, and a decision becomes an AuthZEN Decision. Only the members the
 * specification defines are read; unknown ones, which the schemas let through because the
 * specification says receivers must ignore them, never reach a policy.
 */
import type { AuthzenDecision, AuthzenDecisionContext } from '@oracle-ai/contract';
import { isDefaultDeny } from '../engine/decide.js';
import type { DecisionResource, DecisionSubject } from '../engine/types.js';
import type { DecisionResponse } from './decisions.js';

export type { AuthzenDecision };

/** An AuthZEN subject or resource: the two have the same shape. */
export interface AzEntity {
  type: string;
  id: string;
  properties?: Record<string, unknown>;
}
export interface AzAction {
  name: string;
  properties?: Record<string, unknown>;
}
export interface AzEvaluation {
  subject?: AzEntity;
  action?: AzAction;
  resource?: AzEntity;
  context?: Record<string, unknown>;
}
export interface AzEvaluationsBody extends AzEvaluation {
  evaluations?: AzEvaluation[];
  options?: { evaluations_semantic?: 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit'; decision_context?: boolean };
}

/** An AuthZEN evaluation in the engine's terms. */
export interface AuthzenRequest {
  subject: DecisionSubject;
  resource: DecisionResource;
  action: string;
  actionProperties: Record<string, unknown> | undefined;
  context: Record<string, unknown> | undefined;
}

export function authzenRequest(e: Required<AzEvaluation>): AuthzenRequest {
  // properties are the subject's attributes as the (authenticated) PEP asserts them, exactly
  // like `subject.claims` on /v1/decide. `groups` (schema: an array of strings) feeds the group
  // matchers and role derivation. A `roles` property grants nothing: roles are derived from the
  // policy set only, so it is not passed as roles and stays readable only as subject.claims.roles.
  // `type` is kept: a user and a service with the same id are different subjects.
  const props = e.subject.properties;
  const subject: DecisionSubject = { id: e.subject.id, type: e.subject.type, claims: props ?? {} };
  if (Array.isArray(props?.groups)) subject.groups = props.groups as string[];
  const resource: DecisionResource = { type: e.resource.type, id: e.resource.id };
  if (e.resource.properties !== undefined) resource.attributes = e.resource.properties;
  return { subject, resource, action: e.action.name, actionProperties: e.action.properties, context: e.context };
}

/** A one-line reason for AuthZEN callers, who read `context` rather than our `reasons`. */
function reasonText(d: DecisionResponse): string {
  // A default deny's words are its reason's (the engine's), not a second copy here.
  const only = d.reasons.length === 1 ? d.reasons[0] : undefined;
  if (only !== undefined && isDefaultDeny(only) && only.message !== undefined) return only.message;
  if (d.reasons.length === 0) return d.allow ? 'allowed' : 'denied';
  const names = d.reasons.map((r) => (r.code !== undefined ? `${r.policy}/${r.rule} (${r.code})` : `${r.policy}/${r.rule}`)).join(', ');
  return `${d.allow ? 'allowed by' : 'denied by'} ${names}`;
}

/** A decision as a single evaluation answers it: with the PDP's whole context (its id for the decision log, the revision, the reasons). */
export function authzenDecision(d: DecisionResponse): AuthzenDecision {
  const context: AuthzenDecisionContext = { decisionId: d.decisionId, revision: d.revision, reason: reasonText(d), reasons: d.reasons };
  if (d.schemaErrors !== undefined) context.schemaErrors = d.schemaErrors;
  return { decision: d.allow, context };
}

/**
 * An entry of an evaluations answer without options.decision_context: `{"decision": …}` as the
 * specification's examples have it (interop suites compare entries exactly), with a context
 * only for what is wrong with that evaluation (schema errors, PDP_SCHEMA_ENFORCE=warn), which
 * the specification puts in the entry's context.
 */
export function evaluationsEntry(full: AuthzenDecision): AuthzenDecision {
  const schemaErrors = full.context?.schemaErrors;
  return schemaErrors === undefined ? { decision: full.decision } : { decision: full.decision, context: { schemaErrors } };
}
