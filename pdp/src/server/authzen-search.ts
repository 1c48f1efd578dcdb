/**
 * The AuthZEN Search APIs: `POST /access/v1/search/{subject,resource,action}`. A search is the
 * engine's decision for every candidate, in order, so its results are exactly what an evaluation
 * of each would allow (the specification's search semantics, here without exception: the engine
 * is pure, so the same request decides the same way).
 *
 * A resource search asks the engine's query plan first (engine/plan.ts, once per request): a plan
 * `always_denied` has no results and looks at no candidate, `always_allowed` lists every
 * candidate, and a `conditional` one runs its condition on each candidate instead of a decision;
 * the plan equals the decision on every resource, so the results are the same. A plan the engine
 * refuses falls back to deciding each candidate. Subject and action searches always decide each
 * candidate: a plan leaves the resource unknown, not the subject or the action.
 *
 * Candidates ({@link searchCandidates}, the one place that lists them): the subjects or resources
 * of a type are the entities of the policy directory's data file named after the type
 * (`data/user.json` for subjects of type `user`), in the file's order; the actions are those the
 * policies for the resource's type (and for `*`) name, in policy-set order. A type without such a
 * file, or with no policy, has no candidates: an empty result, never an error.
 *
 * A candidate is asked exactly as an evaluation would ask it: the request's subject, action,
 * resource and context (with their properties), the candidate's id (or action name) put in.
 *
 * Pagination: a page holds at most {@link SEARCH_PAGE_SIZE} results (or the caller's smaller
 * `page.limit`), and one request decides at most {@link SEARCH_SCAN_BUDGET} candidates, so a
 * search costs a bounded amount of work whatever the data's size; a page cut short by the budget
 * may hold fewer results (even none) and still name a next one. The token is opaque to the caller:
 * the position of the next candidate and a digest of the request it was issued for (everything
 * policies see, plus page.limit and page.properties). A token sent with another request is refused,
 * as the specification asks. It is not secret and needs no key (so every worker and every restart
 * reads it): it carries no authority. Whatever position a caller writes into one, the PDP still
 * decides each candidate from there for the caller's own request, so no token reaches an entity
 * outside that request's result set.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { AuthzenActionSearchResponse, AuthzenEntitySearchResponse, AuthzenPage, AuthzenSearchContext } from '@oracle-ai/contract';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { decide as engineDecide } from '../engine/decide.js';
import { plan, planFilter, PlanUnsupportedError, type PlanKind, type PlannedResource, type PlanResult } from '../engine/plan.js';
import type { DecisionRequest } from '../engine/types.js';
import { PdpError } from '../common/errors.js';
import { isObject } from '../common/objects.js';
import { AUTHZEN_POINTERS, type SchemaEnforceMode } from '../policy/request-attributes.js';
import { authzenRequest, type AuthzenRequest, type AzAction, type AzEntity } from './authzen.js';
import type { Clock } from './decisions.js';
import type { Middleware, RouteState } from './handlers.js';
import { sendJson } from './respond.js';
import { enforceSchema } from './schema-enforce.js';

/** Results per page at most (and when the request names no smaller page.limit). */
export const SEARCH_PAGE_SIZE = 100;
/** Candidates one request decides at most: what bounds a search's cost. */
export const SEARCH_SCAN_BUDGET = 10_000;

export type SearchKind = 'subject' | 'resource' | 'action';

const NONE: readonly string[] = Object.freeze([]);
const candidateCache = new WeakMap<CompiledPolicySet, Map<string, readonly string[]>>();

/**
 * The candidates of a search, in the order results are listed: the ids of `type`'s data file
 * (subject and resource), or the action names the policies for resource type `type` use. Computed
 * once per policy set and type.
 */
export function searchCandidates(policies: CompiledPolicySet, kind: SearchKind, type: string): readonly string[] {
  let byKey = candidateCache.get(policies);
  if (byKey === undefined) candidateCache.set(policies, (byKey = new Map()));
  const key = `${kind === 'action' ? 'action' : 'entity'}\u0000${type}`;
  let found = byKey.get(key);
  if (found === undefined) {
    if (kind === 'action') {
      const names = new Set<string>();
      for (const policy of policies.policySet.policies) {
        if (policy.resource !== type && policy.resource !== '*') continue;
        for (const rule of policy.rules) for (const a of rule.actions) if (a !== '*') names.add(a);
      }
      found = Object.freeze([...names]);
    } else {
      const data = policies.policySet.data;
      found = data !== undefined && Object.hasOwn(data, type) ? Object.freeze(Object.keys(data[type] as object)) : NONE;
    }
    byKey.set(key, found);
  }
  return found;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const TOKEN_TEXT = /^(0|[1-9][0-9]{0,9})\.([A-Za-z0-9_-]{22})$/;

const badToken = (detail: string): PdpError =>
  new PdpError('validation_failed', 'page.token cannot be used with this request.', { errors: [{ pointer: '/page/token', detail }] });

function issueToken(position: number, digest: string): string {
  return Buffer.from(`${position}.${digest}`).toString('base64url');
}

/** The candidate position a token names; refused unless it was issued for a request with this digest. */
function readToken(token: string, digest: string): number {
  const text = Buffer.from(token, 'base64url').toString('latin1');
  // Decoding skips what is not base64url: only the very text this PDP wrote is its token.
  const m = Buffer.from(text, 'latin1').toString('base64url') === token ? TOKEN_TEXT.exec(text) : null;
  if (m === null) throw badToken('is not a page token of this PDP');
  if (m[2] !== digest) throw badToken('was issued for another request: every member but page.token must be the one the token came with');
  return Number(m[1]);
}

interface SearchBody {
  subject: Partial<AzEntity> & { type: string };
  action?: AzAction;
  resource: Partial<AzEntity> & { type: string };
  context?: Record<string, unknown>;
  page?: { token?: string; limit?: number; properties?: Record<string, unknown> };
}

export interface AuthzenSearchDeps {
  engine: { decide: typeof engineDecide };
  clock: Clock;
  schemaEnforce: SchemaEnforceMode;
  /** One line per search (kind "search") when the decision log is on: a line per candidate would flood it. */
  log: Logger | undefined;
}

export interface AuthzenSearchSteps {
  authzenSearchSubject: Middleware;
  authzenSearchResource: Middleware;
  authzenSearchAction: Middleware;
}

/**
 * A resource search's plan: the query plan for its subject, action and resource type, made once
 * per request, and the test of one candidate it gives (the request's resource properties, the
 * candidate's id). undefined when the engine cannot plan it: then every candidate is decided.
 */
export function resourcePlan(policies: CompiledPolicySet, base: AuthzenRequest): { kind: PlanKind; allows: (candidate: string) => boolean } | undefined {
  let planned: PlanResult;
  try {
    planned = plan(policies, { subject: base.subject, action: base.action, resourceType: base.resource.type, actionProperties: base.actionProperties, context: base.context });
  } catch (err) {
    if (err instanceof PlanUnsupportedError) return undefined;
    throw err;
  }
  const test = planFilter(planned);
  const resource: PlannedResource = { id: '' };
  if (base.resource.attributes !== undefined) resource.attributes = base.resource.attributes;
  return {
    kind: planned.kind,
    allows: (candidate) => {
      resource.id = candidate;
      return test(resource);
    },
  };
}

export function createAuthzenSearch(deps: AuthzenSearchDeps): AuthzenSearchSteps {
  const { engine, clock } = deps;

  /** The request as an evaluation would pass it on, with a placeholder where candidates go. */
  const baseRequest = (kind: SearchKind, body: SearchBody): AuthzenRequest =>
    authzenRequest({
      subject: { ...body.subject, id: kind === 'subject' ? '' : (body.subject.id as string) },
      action: kind === 'action' ? { name: '' } : (body.action as AzAction),
      resource: { ...body.resource, id: kind === 'resource' ? '' : (body.resource.id as string) },
      context: body.context as Record<string, unknown>,
    });

  /** The request's schema.json problems: a 400 with PDP_SCHEMA_ENFORCE=reject, reported in the answer's context with warn. */
  const schemaContext = (policies: CompiledPolicySet, base: AuthzenRequest): AuthzenSearchContext | undefined => {
    const errors = enforceSchema(deps.schemaEnforce, policies, base, AUTHZEN_POINTERS);
    return errors === undefined ? undefined : { schemaErrors: errors };
  };

  const search = (kind: SearchKind) =>
    function authzenSearch(ctx: Context): void {
      const st = ctx.state as RouteState;
      const body = st.body as unknown as SearchBody;
      const base = baseRequest(kind, body);
      const context = schemaContext(st.policies, base);
      const page = body.page;
      const digest = createHash('sha256')
        .update(canonicalJson([kind, base, page?.limit, page?.properties]))
        .digest('base64url')
        .slice(0, 22);
      const limit = Math.min(page?.limit ?? SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE);
      const type = kind === 'subject' ? body.subject.type : base.resource.type;
      const candidates = searchCandidates(st.policies, kind, type);

      // The engine only reads a request: one object, its candidate slot refilled each time.
      const request: DecisionRequest = { subject: { ...base.subject }, resource: { ...base.resource }, action: base.action };
      if (base.actionProperties !== undefined) request.actionProperties = base.actionProperties;
      if (base.context !== undefined) request.context = base.context;
      let decided = 0;
      const decideEach = (candidate: string): boolean => {
        if (kind === 'subject') request.subject.id = candidate;
        else if (kind === 'resource') request.resource.id = candidate;
        else request.action = candidate;
        decided++;
        return engine.decide(st.policies, request).allow;
      };
      const planned = kind === 'resource' ? resourcePlan(st.policies, base) : undefined;
      const allows = planned?.allows ?? decideEach;
      const found: string[] = [];
      let i = page?.token === undefined ? 0 : readToken(page.token, digest);
      // Never allowed: nothing to look at, and no next page.
      if (planned?.kind === 'always_denied') i = candidates.length;
      const end = Math.min(candidates.length, i + SEARCH_SCAN_BUDGET);
      for (; i < end; i++) {
        const candidate = candidates[i] as string;
        if (!allows(candidate)) continue;
        // One allowed candidate past a full page: there is a next page, and it starts here.
        if (found.length === limit) break;
        found.push(candidate);
      }
      const nextToken = i < candidates.length ? issueToken(i, digest) : '';

      const out: { page?: AuthzenPage; context?: AuthzenSearchContext; results?: AuthzenEntitySearchResponse['results'] | AuthzenActionSearchResponse['results'] } = {};
      // Page first, as the specification recommends; without one asked for, only when results follow.
      if (page !== undefined || nextToken !== '') out.page = { next_token: nextToken, count: found.length };
      if (context !== undefined) out.context = context;
      out.results = kind === 'action' ? found.map((name) => ({ name })) : found.map((id) => ({ type, id }));
      deps.log?.info({ api: `authzen-search-${kind}`, requestId: st.requestId, revision: st.policies.revision, results: found.length, more: nextToken !== '', plan: planned?.kind, decided, latencyUs: Math.round((clock.monotonic() - st.t0) * 1000) }, 'search');
      sendJson(ctx, out);
    };

  return { authzenSearchSubject: search('subject'), authzenSearchResource: search('resource'), authzenSearchAction: search('action') };
}
