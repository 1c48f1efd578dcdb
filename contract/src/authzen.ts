/**
 * What the PDP's AuthZEN Authorization API 1.0 routes answer (/access/v1/…, and the metadata at
 * /.well-known/authzen-configuration), as other packages read it. pdp/schemas/responses.schema.json
 * describes the same bodies (the Authzen* `$defs`); test/wire-drift.test.ts fails when they disagree.
 */
import type { DecisionReason, FieldError } from './pdp.js';

/** What this PDP puts in a decision's `context`. */
export interface AuthzenDecisionContext {
  /** A single evaluation always has decisionId, revision, reason and reasons; an entry of evaluations only with options.decision_context. */
  decisionId?: string;
  revision?: string;
  /** One line for people: which rules allowed or denied, or default deny. */
  reason?: string;
  reasons?: readonly DecisionReason[];
  /** With PDP_SCHEMA_ENFORCE=warn: what does not fit the policy set's schema.json (also on entries of evaluations). */
  schemaErrors?: readonly FieldError[];
}

/** `POST /access/v1/evaluation`, and each entry of an evaluations answer. */
export interface AuthzenDecision {
  decision: boolean;
  context?: AuthzenDecisionContext;
}

/** `POST /access/v1/evaluations`: `evaluations` in the order asked; a request without evaluations is answered as a single evaluation. */
export interface AuthzenEvaluationsResponse {
  evaluations?: readonly AuthzenDecision[];
  decision?: boolean;
  context?: AuthzenDecisionContext;
}

/** A search answer's page. Present when the request had a page, or when more results follow. */
export interface AuthzenPage {
  /** Send it back as page.token for the next page; empty on the last page. */
  next_token: string;
  /** Results in this answer. */
  count: number;
}

/** What this PDP puts in a search answer's `context`. */
export interface AuthzenSearchContext {
  schemaErrors?: readonly FieldError[];
}

/** A subject or resource found by a search. */
export interface AuthzenEntity {
  type: string;
  id: string;
}

export interface AuthzenAction {
  name: string;
}

/** `POST /access/v1/search/subject` and `/access/v1/search/resource`. */
export interface AuthzenEntitySearchResponse {
  page?: AuthzenPage;
  context?: AuthzenSearchContext;
  results: readonly AuthzenEntity[];
}

/** `POST /access/v1/search/action`. */
export interface AuthzenActionSearchResponse {
  page?: AuthzenPage;
  context?: AuthzenSearchContext;
  results: readonly AuthzenAction[];
}

/** `GET /.well-known/authzen-configuration`: the PDP's identifier and every endpoint it serves. */
export interface AuthzenMetadata {
  policy_decision_point: string;
  access_evaluation_endpoint: string;
  access_evaluations_endpoint: string;
  search_subject_endpoint: string;
  search_resource_endpoint: string;
  search_action_endpoint: string;
}
