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
  /**
   * Set when the reason is not a plain rule match: default_deny (no rule applied; policy and rule
   * are empty), invalid_request, evaluation_error, token_expired, token_invalid, …
   */
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

/**
 * An allow rule that would grant this exact request if the subject held more groups or roles
 * (checked by deciding the request again with them). Never a removal.
 */
export interface WouldAllow {
  policy: string;
  rule: string;
  /** Groups to add to the subject's own (all of them are needed); may be empty. */
  groups: string[];
  /** Roles (roles.json) still needed beyond what those groups derive; may be empty. */
  roles: string[];
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
  /** On every explained deny except invalid_request: what would make it an allow, in policy-set order (at most 20); [] when nothing would. */
  wouldAllow?: WouldAllow[];
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
  /** With PDP_SCHEMA_ENFORCE=warn and a schema.json: the request's attributes that do not fit it, by JSON pointer. */
  schemaErrors?: readonly FieldError[];
}

/** `POST /v1/decide/batch`: one decision per item, in the order asked. */
export interface BatchResponse {
  results: readonly DecisionResponse[];
}

export interface PolicyRuleSummary {
  id: string;
  effect: Effect;
  actions: readonly string[];
  description?: string;
  /** Who the rule is for, as the policy writes it. */
  subject?: SubjectMatcherView;
  /** The rule's json-logic condition, as the policy writes it. */
  when?: ConditionView;
}

/** A json-logic expression (an operation object, or a literal). */
export type ConditionView = string | number | boolean | readonly unknown[] | { readonly [operator: string]: unknown };

/** A rule's `subject`: groups and roles, any of or all of. */
export interface SubjectMatcherView {
  groups?: { anyOf?: readonly string[]; allOf?: readonly string[] };
  roles?: { anyOf?: readonly string[]; allOf?: readonly string[] };
}

/** One declared attribute of schema.json (pdp/schemas/attribute-schema.schema.json has the whole language). */
export interface AttributeView {
  type: string;
  description?: string;
  enum?: readonly (string | number | boolean)[];
  items?: AttributeView;
  properties?: Readonly<Record<string, AttributeView>>;
}

/** The declared attributes of one part of a request. */
export interface AttributeSetView {
  description?: string;
  attributes?: Readonly<Record<string, AttributeView>>;
  additionalAttributes?: boolean;
}

/** The policy set's schema.json: what policies may read and requests may carry. */
export interface AttributeSchemaView {
  description?: string;
  resources: Readonly<Record<string, AttributeSetView>>;
  claims: AttributeSetView;
  context?: AttributeSetView;
  actionProperties?: AttributeSetView;
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
  /** Where the set is read from, and when it was last read and found valid. */
  source: PolicySource;
  /** The data files of the set being served (empty before the first load). */
  data: readonly DataFileSummary[];
  /** The set's schema.json, when it has one. */
  schema?: AttributeSchemaView;
}

/** Where a PDP reads its policy set: a directory, a bundle file, or a bundle URL (polled). */
export interface PolicySource {
  type: 'directory' | 'bundle-file' | 'bundle-url';
  /** The path, or the URL without credentials or query string (a presigned URL's signature is a secret). */
  location: string;
  /** When the source was last read and held a valid set (for a URL, a 304 counts), or null. */
  fetchedAt: string | null;
}

/** A data file (`data/<name>.json`) and how many entities (top-level keys) it holds. */
export interface DataFileSummary {
  name: string;
  entities: number;
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
