/**
 * The engine's public shapes. This file is the contract between the engine (pure),
 * the policy loader, the HTTP server and the CLI; change it only with all of them.
 */
import type { DecisionExplain, DecisionReason, Effect } from '@oracle-ai/contract';

/** A json-logic expression, as written in a policy's `when` or a role's `when`. */
export type JsonLogic = unknown;

export type { Effect } from '@oracle-ai/contract';

export interface SubjectMatcher {
  groups?: { anyOf?: string[]; allOf?: string[] };
  roles?: { anyOf?: string[]; allOf?: string[] };
}

export interface Rule {
  id: string;
  description?: string;
  effect: Effect;
  /** Non-empty; `"*"` matches every action. */
  actions: string[];
  subject?: SubjectMatcher;
  when?: JsonLogic;
}

export interface Policy {
  id: string;
  description?: string;
  /** A resource type, or `"*"` for every type. */
  resource: string;
  rules: Rule[];
}

/**
 * A role granted from a data file: the value at `data/<file>.json` › path (each segment a literal
 * key or index, a `var`, or a nested `data` lookup) is `value` (default: the role's name) or an
 * array that contains it.
 */
export interface FromData {
  file: string;
  path: JsonLogic[];
  value?: string | number | boolean;
}

export interface RoleDefinition {
  description?: string;
  fromGroups?: string[];
  fromData?: FromData;
  when?: JsonLogic;
  inherits?: string[];
}

/** The type of one declared attribute (schema.json; see schemas/attribute-schema.schema.json). */
export type AttributeType =
  | { type: 'string' | 'number' | 'integer' | 'boolean'; enum?: (string | number | boolean)[]; description?: string }
  | { type: 'array'; items: AttributeType; description?: string }
  | { type: 'object'; properties?: Record<string, AttributeType>; additionalProperties?: boolean; description?: string };

/** The declared attributes of one part of a request. Undeclared ones are refused unless `additionalAttributes`. */
export interface AttributeSet {
  description?: string;
  attributes?: Record<string, AttributeType>;
  additionalAttributes?: boolean;
}

/** A policy directory's schema.json: what policies may read, and requests may carry. */
export interface AttributeSchema {
  description?: string;
  /** Every resource type policies may name (besides `*`). */
  resources: Record<string, AttributeSet>;
  claims: AttributeSet;
  /** When absent, context is not checked. */
  context?: AttributeSet;
  /** When absent, action properties are not checked. */
  actionProperties?: AttributeSet;
}
/** The set's data files (`data/<name>.json`): entities by key, read by the `data` operator and `fromData`. */
export type DataFiles = Record<string, Record<string, unknown>>;

/** A policy set: every policy, the roles, and the set's revision. */
export interface PolicySet {
  policies: Policy[];
  roles: Record<string, RoleDefinition>;
  /** The attribute schema (schema.json), when the set has one; part of the revision. */
  schema?: AttributeSchema;
  /** `sha256:<hex>` of the canonical serialisation of the whole set. */
  revision: string;
  /** The file each policy came from, by policy id (for reports; not part of the revision). */
  sources?: Record<string, string>;
  /** Data files by name (part of the revision); absent when the set has none. */
  data?: DataFiles;
}

declare const checked: unique symbol;

/**
 * A policy set the policy checker accepted (the loader's result, or a hand-built set that
 * `compilePolicySet` checked). Only these reach the engine's `compile`, which does not check
 * them again; the brand keeps an unchecked set from being passed by mistake.
 */
export type CheckedPolicySet = PolicySet & { readonly [checked]: true };

export interface DecisionSubject {
  id: string;
  /** The kind of subject (`user`, `service`, …): a user and a service with the same id are different subjects. */
  type?: string;
  groups?: string[];
  /** Ignored by the engine: roles are only derived from the policy set's roles.json. */
  roles?: string[];
  claims?: Record<string, unknown>;
}

export interface DecisionResource {
  type: string;
  id?: string;
  attributes?: Record<string, unknown>;
}

export interface DecisionRequest {
  subject: DecisionSubject;
  resource: DecisionResource;
  /** The action's name; policies read it as `action` (or `action.name`). */
  action: string;
  /** The action's properties (AuthZEN `action.properties`); policies read them as `action.properties.*`. */
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

// The decision's parts that travel over HTTP are the contract's, so a service reading them and
// the engine producing them cannot disagree (type-only: the engine stays free of any import).
export type { DataRead, DecisionExplain, DecisionReason, RuleTrace, WouldAllow } from '@oracle-ai/contract';

export interface Decision {
  allow: boolean;
  effect: Effect;
  /**
   * For an allow: the allow rules that applied. For a deny: the deny rules (or errors) that applied, or the one `default_deny` reason when no rule applied.
   * The array is fresh per decision; a plain rule's reason object is shared and frozen (treat reasons as read-only).
   */
  reasons: DecisionReason[];
  explain?: DecisionExplain;
}

export interface DecideOptions {
  explain?: boolean;
}
