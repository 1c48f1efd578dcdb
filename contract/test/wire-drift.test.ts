/**
 * The PDP publishes its answers as JSON Schema (pdp/schemas/responses.schema.json) and this
 * package as TypeScript types. These tests fail when the two drift apart:
 *
 * - a key table per type, checked by the compiler against the type (every key, whether it is
 *   required, whether it may be null) and at run time against the schema's `properties`,
 *   `required` and `type`;
 * - samples typed as the contract types, the edge cases included (null revision, no
 *   description, a failed reload), validated against the schema with ajv.
 */
import { readFileSync } from 'node:fs';

import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import type {
  AuthzenAction,
  AuthzenActionSearchResponse,
  AuthzenDecision,
  AuthzenDecisionContext,
  AuthzenEntity,
  AuthzenEntitySearchResponse,
  AuthzenEvaluationsResponse,
  AuthzenMetadata,
  AuthzenPage,
  AuthzenSearchContext,
  BatchResponse,
  DataFileSummary,
  DecisionReason,
  DecisionResponse,
  FieldError,
  PlanResponse,
  PoliciesView,
  PolicyLoadError,
  PolicyRuleSummary,
  PolicySummary,
  Problem,
  WouldAllow,
} from '../src/index.js';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  $ref?: string;
  [keyword: string]: unknown;
}

const schemaUrl = new URL('../../pdp/schemas/responses.schema.json', import.meta.url);
const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as Schema & { $id: string; $defs: Record<string, Schema> };

/** For each key of T: 'required' or 'optional', and '|null' when null is allowed. */
type KeyTable<T> = {
  [K in keyof T]-?: `${object extends Pick<T, K> ? 'optional' : 'required'}${null extends T[K] ? '|null' : ''}`;
};

type Element<T> = T extends readonly (infer E)[] ? E : never;

const reasonKeys = { policy: 'required', rule: 'required', effect: 'required', code: 'optional', message: 'optional' } as const satisfies KeyTable<DecisionReason>;
const decisionKeys = {
  decisionId: 'required',
  allow: 'required',
  effect: 'required',
  reasons: 'required',
  revision: 'required',
  explain: 'optional',
  schemaErrors: 'optional',
} as const satisfies KeyTable<DecisionResponse>;
const wouldAllowKeys = { policy: 'required', rule: 'required', groups: 'required', roles: 'required' } as const satisfies KeyTable<WouldAllow>;
const batchKeys = { results: 'required' } as const satisfies KeyTable<BatchResponse>;
const planKeys = { kind: 'required', condition: 'optional|null', revision: 'required', reasons: 'optional', schemaErrors: 'optional' } as const satisfies KeyTable<PlanResponse>;
const problemKeys = {
  type: 'required',
  title: 'required',
  status: 'required',
  code: 'required',
  detail: 'optional',
  instance: 'optional',
  errors: 'optional',
} as const satisfies KeyTable<Problem>;
const fieldErrorKeys = { pointer: 'required', detail: 'required' } as const satisfies KeyTable<FieldError>;
const policyErrorKeys = { file: 'required', pointer: 'required', message: 'required' } as const satisfies KeyTable<PolicyLoadError>;
const policiesKeys = {
  revision: 'required|null',
  loadedAt: 'required|null',
  policies: 'required',
  roles: 'required',
  lastError: 'required|null',
  lastChange: 'required|null',
  source: 'required',
  data: 'required',
  schema: 'optional',
} as const satisfies KeyTable<PoliciesView>;
const sourceKeys = { type: 'required', location: 'required', fetchedAt: 'required|null' } as const satisfies KeyTable<PoliciesView['source']>;
const dataFileKeys = { name: 'required', entities: 'required' } as const satisfies KeyTable<DataFileSummary>;
const policyKeys = { id: 'required', resource: 'required', description: 'optional', file: 'required', rules: 'required' } as const satisfies KeyTable<PolicySummary>;
const ruleKeys = { id: 'required', effect: 'required', actions: 'required', description: 'optional', subject: 'optional', when: 'optional' } as const satisfies KeyTable<PolicyRuleSummary>;
const lastErrorKeys = { at: 'required', errors: 'required' } as const satisfies KeyTable<NonNullable<PoliciesView['lastError']>>;
const lastChangeKeys = {
  at: 'required',
  revision: 'required',
  previousRevision: 'required|null',
  added: 'required',
  removed: 'required',
} as const satisfies KeyTable<NonNullable<PoliciesView['lastChange']>>;
const policyIdsKeys = { policies: 'required', rules: 'required' } as const satisfies KeyTable<NonNullable<PoliciesView['lastChange']>['added']>;

const azDecisionKeys = { decision: 'required', context: 'optional' } as const satisfies KeyTable<AuthzenDecision>;
const azContextKeys = { decisionId: 'optional', revision: 'optional', reason: 'optional', reasons: 'optional', schemaErrors: 'optional' } as const satisfies KeyTable<AuthzenDecisionContext>;
const azEvaluationsKeys = { evaluations: 'optional', decision: 'optional', context: 'optional' } as const satisfies KeyTable<AuthzenEvaluationsResponse>;
const azPageKeys = { next_token: 'required', count: 'required' } as const satisfies KeyTable<AuthzenPage>;
const azSearchContextKeys = { schemaErrors: 'optional' } as const satisfies KeyTable<AuthzenSearchContext>;
const azEntityKeys = { type: 'required', id: 'required' } as const satisfies KeyTable<AuthzenEntity>;
const azActionKeys = { name: 'required' } as const satisfies KeyTable<AuthzenAction>;
const azEntitySearchKeys = { page: 'optional', context: 'optional', results: 'required' } as const satisfies KeyTable<AuthzenEntitySearchResponse>;
const azActionSearchKeys = { page: 'optional', context: 'optional', results: 'required' } as const satisfies KeyTable<AuthzenActionSearchResponse>;
const azMetadataKeys = {
  policy_decision_point: 'required',
  access_evaluation_endpoint: 'required',
  access_evaluations_endpoint: 'required',
  search_subject_endpoint: 'required',
  search_resource_endpoint: 'required',
  search_action_endpoint: 'required',
} as const satisfies KeyTable<AuthzenMetadata>;

// Compile-time only: the nested tables above are the element types the schema nests.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const nested: [
  Same<Element<PoliciesView['policies']>, PolicySummary>,
  Same<Element<PoliciesView['data']>, DataFileSummary>,
  Same<Element<PolicySummary['rules']>, PolicyRuleSummary>,
  Same<Element<NonNullable<Problem['errors']>>, FieldError>,
  Same<Element<BatchResponse['results']>, DecisionResponse>,
  Same<Element<DecisionResponse['reasons']>, DecisionReason>,
  Same<Element<NonNullable<NonNullable<DecisionResponse['explain']>['wouldAllow']>>, WouldAllow>,
  Same<Element<NonNullable<AuthzenEvaluationsResponse['evaluations']>>, AuthzenDecision>,
  Same<Element<AuthzenEntitySearchResponse['results']>, AuthzenEntity>,
  Same<Element<AuthzenActionSearchResponse['results']>, AuthzenAction>,
] = [true, true, true, true, true, true, true, true, true, true];

function resolve(node: Schema): Schema {
  if (node.$ref === undefined) return node;
  const name = /^#\/\$defs\/(\w+)$/.exec(node.$ref)?.[1];
  const target = name === undefined ? undefined : schema.$defs[name];
  if (!target) throw new Error(`unresolved $ref ${node.$ref}`);
  return resolve(target);
}

/** The object schema of a node: itself, the items of an array, or the non-null branch of a oneOf. */
function objectOf(node: Schema): Schema {
  const resolved = resolve(node);
  if (resolved.items) return objectOf(resolved.items);
  const branch = resolved.oneOf?.map(resolve).find((b) => b.type !== 'null');
  return branch ? objectOf(branch) : resolved;
}

function allowsNull(node: Schema): boolean {
  const resolved = resolve(node);
  // A schema that constrains nothing (e.g. a json-logic expression) allows null too.
  if (resolved.type === undefined && resolved.oneOf === undefined && resolved['enum'] === undefined && resolved['const'] === undefined && resolved['not'] === undefined) return true;
  const types = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  return types.includes('null') || (resolved.oneOf ?? []).some((b) => allowsNull(b));
}

function tableFromSchema(node: Schema): Record<string, string> {
  const object = objectOf(node);
  const required = new Set(object.required ?? []);
  return Object.fromEntries(
    Object.entries(object.properties ?? {}).map(([key, property]) => [key, `${required.has(key) ? 'required' : 'optional'}${allowsNull(property) ? '|null' : ''}`]),
  );
}

const defs = schema.$defs;
const at = (node: Schema | undefined, ...keys: string[]): Schema => {
  let current = node;
  for (const key of keys) current = current ? objectOf(current).properties?.[key] : undefined;
  if (!current) throw new Error(`no schema at ${keys.join('.')}`);
  return current;
};

describe('contract types and responses.schema.json have the same keys', () => {
  it.each([
    ['Reason', defs['Reason'], reasonKeys],
    ['Decision', defs['Decision'], decisionKeys],
    ['WouldAllow', defs['WouldAllow'], wouldAllowKeys],
    ['Decision.explain.wouldAllow[]', at(defs['Decision'], 'explain', 'wouldAllow'), wouldAllowKeys],
    ['BatchResponse', defs['BatchResponse'], batchKeys],
    ['Plan', defs['Plan'], planKeys],
    ['Problem', defs['Problem'], problemKeys],
    ['Problem.errors[]', at(defs['Problem'], 'errors'), fieldErrorKeys],
    ['PolicyError', defs['PolicyError'], policyErrorKeys],
    ['Policies', defs['Policies'], policiesKeys],
    ['Policies.policies[]', at(defs['Policies'], 'policies'), policyKeys],
    ['Policies.policies[].rules[]', at(defs['Policies'], 'policies', 'rules'), ruleKeys],
    ['Policies.lastError', at(defs['Policies'], 'lastError'), lastErrorKeys],
    ['Policies.lastChange', at(defs['Policies'], 'lastChange'), lastChangeKeys],
    ['Policies.lastChange.added', at(defs['Policies'], 'lastChange', 'added'), policyIdsKeys],
    ['Policies.lastChange.removed', at(defs['Policies'], 'lastChange', 'removed'), policyIdsKeys],
    ['AuthzenDecision', defs['AuthzenDecision'], azDecisionKeys],
    ['AuthzenDecision.context', at(defs['AuthzenDecision'], 'context'), azContextKeys],
    ['AuthzenEvaluationsResponse', defs['AuthzenEvaluationsResponse'], azEvaluationsKeys],
    ['AuthzenEvaluationsResponse.evaluations[]', at(defs['AuthzenEvaluationsResponse'], 'evaluations'), azDecisionKeys],
    ['AuthzenEvaluationsResponse.context', at(defs['AuthzenEvaluationsResponse'], 'context'), azContextKeys],
    ['AuthzenPage', defs['AuthzenPage'], azPageKeys],
    ['AuthzenSearchContext', defs['AuthzenSearchContext'], azSearchContextKeys],
    ['AuthzenEntitySearchResponse', defs['AuthzenEntitySearchResponse'], azEntitySearchKeys],
    ['AuthzenEntitySearchResponse.results[]', at(defs['AuthzenEntitySearchResponse'], 'results'), azEntityKeys],
    ['AuthzenActionSearchResponse', defs['AuthzenActionSearchResponse'], azActionSearchKeys],
    ['AuthzenActionSearchResponse.results[]', at(defs['AuthzenActionSearchResponse'], 'results'), azActionKeys],
    ['AuthzenMetadata', defs['AuthzenMetadata'], azMetadataKeys],
    ['Policies.source', at(defs['Policies'], 'source'), sourceKeys],
    ['Policies.data[]', at(defs['Policies'], 'data'), dataFileKeys],
  ])('%s', (_name, node, table) => {
    expect(tableFromSchema(node!)).toEqual(table);
  });

  it('the nested element types are the ones tabled', () => {
    expect(nested.every(Boolean)).toBe(true);
  });
});

const reason: DecisionReason = { policy: 'chat', rule: 'members-may-chat', effect: 'allow' };
const tokenReason: DecisionReason = { policy: '$token', rule: 'token_expired', effect: 'deny', code: 'token_expired', message: 'the token has expired' };
const decision: DecisionResponse = { decisionId: 'd-1', allow: true, effect: 'allow', reasons: [reason], revision: 'sha256:0123' };
const explained: DecisionResponse = {
  decisionId: 'd-2',
  allow: false,
  effect: 'deny',
  reasons: [tokenReason],
  revision: 'sha256:0123',
  explain: {
    roles: ['member'],
    rules: [{ policy: 'chat', rule: 'r', effect: 'allow', actionMatched: true, subjectMatched: false, whenResult: null, applied: false }],
    roleErrors: [{ role: 'x', message: 'boom' }],
    wouldAllow: [{ policy: 'chat', rule: 'r', groups: ['chat-users'], roles: [] }],
  },
};
const loaded: PoliciesView = {
  revision: 'sha256:0123',
  loadedAt: '2026-01-02T03:04:05.000Z',
  policies: [
    { id: 'chat', resource: 'chat', description: 'who may chat', file: 'chat.json', rules: [{ id: 'members-may-chat', effect: 'allow', actions: ['read', 'write'], description: 'members', subject: { roles: { anyOf: ['member'] } }, when: { '==': [{ var: 'subject.claims.status' }, 'active'] } }] },
    { id: 'admin', resource: 'admin', file: 'admin.json', rules: [] },
  ],
  roles: ['member'],
  schema: { resources: { chat: { description: 'The chat.' } }, claims: { attributes: { status: { type: 'string', enum: ['active'] } } } },
  lastError: { at: '2026-01-02T03:05:00.000Z', errors: [{ file: 'bad.json', pointer: '/rules/0', message: 'must have id' }] },
  lastChange: {
    at: '2026-01-02T03:04:05.000Z',
    revision: 'sha256:0123',
    previousRevision: 'sha256:4567',
    added: { policies: [], rules: ['chat/members-may-chat'] },
    removed: { policies: ['reports'], rules: ['reports/all'] },
  },
  source: { type: 'bundle-url', location: 'https://bundles.example/pdp/bundle.json', fetchedAt: '2026-01-02T03:06:00.000Z' },
  data: [{ name: 'users', entities: 2 }],
};
const empty: PoliciesView = {
  revision: null,
  loadedAt: null,
  policies: [],
  roles: [],
  lastError: null,
  lastChange: null,
  source: { type: 'directory', location: '/policies', fetchedAt: null },
  data: [],
};
const problem: Problem = { type: 'urn:pdp:problem:validation_failed', title: 'Request body does not match the schema', status: 400, code: 'validation_failed', detail: 'x', instance: '/v1/decide', errors: [{ pointer: '/action', detail: 'must be string' }] };
const bareProblem: Problem = { type: 'urn:pdp:problem:not_ready', title: 'No policy set is loaded yet', status: 503, code: 'not_ready' };

describe('contract samples validate against responses.schema.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // The schema names date-time; ajv needs to be told what that is.
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addSchema(schema);
  const validator = (def: string) => {
    const validate = ajv.getSchema(`${schema.$id}#/$defs/${def}`);
    if (!validate) throw new Error(`no $defs/${def}`);
    return (value: unknown) => (validate(value) ? [] : validate.errors);
  };

  it.each([
    ['Reason', reason],
    ['Reason', tokenReason],
    ['Decision', decision],
    ['Decision', explained],
    ['BatchResponse', { results: [decision, explained] } satisfies BatchResponse],
    ['Plan', { kind: 'conditional', condition: { '==': [{ var: 'resource.attributes.owner' }, 'alice'] }, revision: 'sha256:0123' } satisfies PlanResponse],
    ['Plan', { kind: 'always_denied', revision: 'sha256:0123', reasons: [tokenReason] } satisfies PlanResponse],
    ['Policies', loaded],
    ['Policies', empty],
    ['Problem', problem],
    ['Problem', bareProblem],
    ['AuthzenDecision', { decision: true, context: { decisionId: 'd-1', revision: 'sha256:0123', reason: 'allowed by chat/members-may-chat', reasons: [reason] } } satisfies AuthzenDecision],
    ['AuthzenEvaluationsResponse', { evaluations: [{ decision: true }, { decision: false, context: { schemaErrors: [{ pointer: '/evaluations/1/context/x', detail: 'is not declared' }] } }] } satisfies AuthzenEvaluationsResponse],
    ['AuthzenEntitySearchResponse', { page: { next_token: '', count: 1 }, results: [{ type: 'user', id: 'alice' }] } satisfies AuthzenEntitySearchResponse],
    ['AuthzenActionSearchResponse', { results: [{ name: 'view' }], context: { schemaErrors: [] } } satisfies AuthzenActionSearchResponse],
    ['AuthzenMetadata', {
      policy_decision_point: 'https://pdp.example.com',
      access_evaluation_endpoint: 'https://pdp.example.com/access/v1/evaluation',
      access_evaluations_endpoint: 'https://pdp.example.com/access/v1/evaluations',
      search_subject_endpoint: 'https://pdp.example.com/access/v1/search/subject',
      search_resource_endpoint: 'https://pdp.example.com/access/v1/search/resource',
      search_action_endpoint: 'https://pdp.example.com/access/v1/search/action',
    } satisfies AuthzenMetadata],
  ])('%s %#', (def, sample) => {
    expect(validator(def)(sample)).toEqual([]);
  });

  it('the schema refuses what the types refuse (so the samples above can fail)', () => {
    expect(validator('Policies')({ ...empty, revision: 42 })).not.toEqual([]);
    expect(validator('Policies')({ ...empty, source: { ...empty.source, type: 'git' } })).not.toEqual([]);
    expect(validator('Decision')({ ...decision, effect: 'maybe' })).not.toEqual([]);
    expect(validator('Decision')({ ...decision, explain: { roles: [], rules: [], wouldAllow: [{ policy: 'chat', rule: 'r', groups: 'chat-users', roles: [] }] } })).not.toEqual([]);
    expect(validator('Plan')({ kind: 'sometimes', revision: 'sha256:0123' })).not.toEqual([]);
    expect(validator('Problem')({ ...bareProblem, errors: [{ pointer: '/a', message: 'old shape' }] })).not.toEqual([]);
    expect(validator('AuthzenEntitySearchResponse')({ page: { next_token: '' }, results: [] })).not.toEqual([]);
  });
});
