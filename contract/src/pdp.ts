/**
 * What the PDP's HTTP API answers, as other packages read it. pdp/schemas/responses.schema.json
 * describes the same bodies for non-TypeScript callers; test/wire-drift.test.ts fails when the
 * two disagree.
 */

export type Effect = 'allow' | 'deny';

/** Why a decision came out as it did: the rule that applied, or a refusal code. */
export interface DecisionReason {
  /** Policy id; `$token` when a token was refused. */
  policy: string;
  rule: string;
  effect: Effect;
  /** Set when the reason is not a plain rule match: evaluation_error, token_expired, token_invalid, … */
  code?: string;
  message?: string;
}

/** How one rule was considered, in an explained decision. */
export interface RuleTrace {
  policy: string;
  rule: string;
  effect: Effect;
  actionMatched: boolean;
  subjectMatched: boolean;
  /** `null` when the rule has no `when`, or when it was not reached. */
  whenResult: boolean | null;
  applied: boolean;
  error?: string;
}

/** One data lookup made while explaining a decision, and for which role or rule. */
export interface DataRead {
  file: string;
  /** The keys looked up, in order; null for a segment that was not a usable key (absent, not a string or index, or forbidden). */
  path: (string | null)[];
  found: boolean;
  role?: string;
  /** `<policy>/<rule>`. */
  rule?: string;
}

/** Derived roles and a trace of every rule considered. */
export interface DecisionExplain {
  /** Roles the subject holds after derivation and inheritance, sorted. */
  roles: string[];
  rules: RuleTrace[];
  /** Data entries read by role derivation and the rules' conditions (present only when some were). */
  data?: DataRead[];
  /** Roles whose `when` threw for this request (not granted; rules needing roles then fail closed). */
  roleErrors?: { role: string; message: string }[];
}

/** One answer of `POST /v1/decide`, and each entry of a batch answer. */
export interface DecisionResponse {
  /** Unique per decision; the key of its decision-log line. */
  decisionId: string;
  allow: boolean;
  effect: Effect;
  reasons: readonly DecisionReason[];
  /** sha256 of the policy set that decided. */
  revision: string;
  /** Present when the request asked for it. */
  explain?: DecisionExplain;
  /** With PDP_SCHEMA_ENFORCE=warn: the request's attributes that do not fit the policies' schema.json. */
  schemaErrors?: readonly FieldError[];
}

/** What `POST /v1/plan` says of every resource of the type asked about. */
export type PlanKind = 'always_allowed' | 'always_denied' | 'conditional';

/**
 * `POST /v1/plan`: which resources of a type the subject may act on. For `conditional`, a
 * resource is allowed exactly when `condition` (json-logic over `resource.id` and
 * `resource.attributes.*`) is truthy on it; an evaluation that fails denies.
 */
export interface PlanResponse {
  kind: PlanKind;
  /** Only for `conditional`. */
  condition?: unknown;
  /** sha256 of the policy set that planned. */
  revision: string;
  /** For `always_denied` by a rule, an error or a refused token: why (empty for default deny). */
  reasons?: readonly DecisionReason[];
}

/** `POST /v1/decide/batch`: one decision per item, in the order asked. */
export interface BatchResponse {
  results: readonly DecisionResponse[];
}

export interface PolicyRuleSummary {
  id: string;
  effect: Effect;
  actions: readonly string[];
}

export interface PolicySummary {
  id: string;
  resource: string;
  description?: string;
  /** Relative to the policy directory. */
  file: string;
  rules: readonly PolicyRuleSummary[];
}

/** One problem found while loading the policy directory. */
export interface PolicyLoadError {
  file: string;
  pointer: string;
  message: string;
}

/** `GET /v1/policies`. Before the first successful load `revision` and `loadedAt` are null. */
export interface PoliciesView {
  revision: string | null;
  loadedAt: string | null;
  policies: readonly PolicySummary[];
  roles: readonly string[];
  /** The last reload that failed (the previous set keeps serving), or null. */
  lastError: null | { at: string; errors: readonly PolicyLoadError[] };
  /**
   * What the last successful reload changed, by id (rules as `policy/rule`), or null before the
   * first one. A rule whose id stayed but whose content changed is in neither list.
   */
  lastChange: null | PolicyChange;
}

/** Ids of policies and of rules (`policy/rule`). */
export interface PolicyIds {
  policies: readonly string[];
  rules: readonly string[];
}

/** The diff of one reload. */
export interface PolicyChange {
  at: string;
  revision: string;
  /** Null when no set was being served before (the first load had failed). */
  previousRevision: string | null;
  added: PolicyIds;
  removed: PolicyIds;
}

/** One offending field of a request: where it is (RFC 6901 JSON pointer) and what is wrong. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details; `code` is stable, `errors` lists each offending field. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}
