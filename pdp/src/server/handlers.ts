/**
 * The middleware the routes are composed of (see routes.ts). Each does one step of a request
 * and calls `next`, or answers: read the body (edge limits) and validate it against the
 * route's schema → check readiness → decide → respond. What a step finds for the later ones
 * is in `ctx.state` ({@link RouteState}).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { DecisionResource, DecisionSubject } from '../engine/types.js';
import { PdpError, type FieldError } from '../common/errors.js';
import type { PdpMetrics } from '../observability/metrics.js';
import type { PoliciesView } from '../store/policy-store.js';
import { AUTHZEN_POINTERS, authzenPointers, batchItemPointers, DECIDE_POINTERS, requestCheckFor, type RequestPointers, type SchemaEnforceMode } from '../policy/request-attributes.js';
import { readJsonBody, type BodyLimits } from './body.js';
import type { Clock, DecideInput, DecisionCore, DecisionResponse, SubjectResult } from './decisions.js';
import { decisionToJson } from './wire.js';
import { sendDecisionJson, sendJson } from './respond.js';
import type { RequestSchemaName, Validator } from './schemas.js';
import { authzenDecision, authzenRequest, evaluationsEntry, type AuthzenDecision, type AuthzenRequest, type AzEvaluation, type AzEvaluationsBody } from './authzen.js';

export interface StepDeps {
  store: { readonly current: CompiledPolicySet | undefined; describe(): PoliciesView };
  core: DecisionCore;
  validators: Readonly<Record<RequestSchemaName, Validator>>;
  limits: BodyLimits;
  clock: Clock;
  metrics: PdpMetrics;
  /** The OpenAPI document, serialised once. */
  openapi: () => string;
  /** `closing` is set when shutdown begins: answers then carry `Connection: close`. */
  lifecycle: { readonly closing: boolean; readonly draining?: boolean };
  /** PDP_SCHEMA_ENFORCE: requests that do not fit the set's schema.json are refused, reported or not checked. */
  schemaEnforce: SchemaEnforceMode;
}

export type Middleware = (ctx: Context, next: Next) => Promise<void> | void;

/**
 * What the decision routes' steps read of a request: the part of Koa's context they use, which
 * the app's direct table (app.ts) also builds without Koa. A step typed with it runs either way.
 */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly state: object;
  readonly path: string;
  respond?: boolean | undefined;
}

/** A step of a decision route: it reads only {@link RouteContext}, so it can be served directly. */
export type DirectMiddleware = (ctx: RouteContext, next: Next) => Promise<void> | void;

/** What the steps of one request hand on to the later ones. */
export interface RouteState {
  /** When the request's body began to be read (monotonic ms), for the decision latency. */
  t0: number;
  /** The parsed body, valid against the route's request schema. */
  body: Record<string, unknown>;
  /** The policy set this request is decided against (read once, so a reload mid-request cannot split it). */
  policies: CompiledPolicySet;
  /** The request's id (the caller's X-Request-ID when acceptable), set by the app's edge. */
  requestId: string;
}

export interface Steps {
  /** Reads the JSON body within the edge limits and validates it against the named schema. */
  readBody(schema: RequestSchemaName): DirectMiddleware & { readonly schema: RequestSchemaName };
  /** 503 until a policy set is loaded; else puts it in `ctx.state.policies`. */
  ready: DirectMiddleware;
  decide: DirectMiddleware;
  batch: DirectMiddleware;
  authzenEvaluation: DirectMiddleware;
  authzenEvaluations: DirectMiddleware;
  policies: Middleware;
  healthz: Middleware;
  readyz: Middleware;
  metrics: Middleware;
  openapi: Middleware;
}

const state = (ctx: RouteContext): RouteState => ctx.state as RouteState;

type Body = Record<string, unknown>;

interface DecideBody {
  subject?: DecisionSubject;
  token?: string;
  resource: DecisionResource;
  action: string;
  actionProperties?: Record<string, unknown>;
  context?: Record<string, unknown>;
  explain?: boolean;
}

interface BatchBody {
  subject?: DecisionSubject;
  token?: string;
  items: { resource: DecisionResource; action: string; actionProperties?: Record<string, unknown>; context?: Record<string, unknown> }[];
  explain?: boolean;
}

/** `subject` and `token` together is refused outright: which one would win is not obvious. */
function rejectSubjectAndToken(body: Body): void {
  if (body.subject !== undefined && body.token !== undefined) {
    throw new PdpError('subject_and_token', 'Send either subject or token, not both.', {
      errors: [
        { pointer: '/subject', detail: 'must not be sent together with token' },
        { pointer: '/token', detail: 'must not be sent together with subject' },
      ],
    });
  }
}

/**
 * Checks a body must pass before its schema: `subject` and `token` together would otherwise be
 * reported as a schema mismatch, which hides the one thing the caller has to fix.
 */
const BEFORE_SCHEMA: Partial<Record<RequestSchemaName, (body: Body) => void>> = {
  decide: rejectSubjectAndToken,
  batch: rejectSubjectAndToken,
  plan: rejectSubjectAndToken,
};

export function createSteps(deps: StepDeps): Steps {
  const { store, core, validators, limits, clock, metrics, lifecycle } = deps;
  const answer = (ctx: RouteContext, text: string): void => sendDecisionJson(ctx, text, lifecycle.closing);

  // The set's request check, looked up once per revision rather than per request.
  let checkedSet: CompiledPolicySet | undefined;
  let setCheck: ReturnType<typeof requestCheckFor> = null;
  const checkOf = (policies: CompiledPolicySet): ReturnType<typeof requestCheckFor> => {
    if (deps.schemaEnforce === 'off') return null;
    if (policies !== checkedSet) {
      setCheck = requestCheckFor(policies.policySet);
      checkedSet = policies;
    }
    return setCheck;
  };
  const refuseMismatch = (found: readonly (readonly FieldError[] | undefined)[]): void => {
    const all = new Map<string, FieldError>();
    for (const errors of found) for (const e of errors ?? []) all.set(`${e.pointer}\u0000${e.detail}`, e);
    if (all.size > 0) throw new PdpError('schema_mismatch', "The request's attributes do not fit the policy set's schema.json.", { errors: [...all.values()].slice(0, 50) });
  };

  /**
   * The schema check of each request (one per batch item or AuthZEN evaluation), as caller
   * sent it: a subject from a token has its issuer's claims, which are not the caller's to fix.
   * `reject` refuses them all in one 400 before anything is decided; `warn` returns each one's
   * errors for its decision; undefined when all fit, when off, or without a schema.json.
   */
  const schemaErrors = (
    policies: CompiledPolicySet,
    count: number,
    requestAt: (i: number) => { request: unknown; pointers: RequestPointers },
  ): (readonly FieldError[] | undefined)[] | undefined => {
    const check = checkOf(policies);
    if (check === null) return undefined;
    const found: (readonly FieldError[] | undefined)[] = [];
    for (let i = 0; i < count; i++) {
      const { request, pointers } = requestAt(i);
      const errors = check(request, pointers);
      found.push(errors.length === 0 ? undefined : errors);
    }
    if (deps.schemaEnforce === 'reject') refuseMismatch(found);
    return found;
  };

  /** {@link schemaErrors} of one request, without the per-request closure and array (/v1/decide's path). */
  const schemaErrorsOf = (policies: CompiledPolicySet, request: unknown, pointers: RequestPointers): readonly FieldError[] | undefined => {
    const check = checkOf(policies);
    if (check === null) return undefined;
    const errors = check(request, pointers);
    if (errors.length === 0) return undefined;
    if (deps.schemaEnforce === 'reject') refuseMismatch([errors]);
    return errors;
  };

  return {
    readBody(schema) {
      const validate = validators[schema];
      const before = BEFORE_SCHEMA[schema];
      const readBody = async (ctx: RouteContext, next: Next): Promise<void> => {
        const st = state(ctx);
        st.t0 = clock.monotonic();
        const body = await readJsonBody(ctx.req, limits);
        before?.(body);
        validate(body);
        st.body = body;
        return next();
      };
      return Object.assign(readBody, { schema });
    },

    ready(ctx, next) {
      const current = store.current;
      if (current === undefined) throw new PdpError('not_ready', 'No valid policy set has been loaded yet; see GET /v1/policies.');
      state(ctx).policies = current;
      return next();
    },

    async decide(ctx) {
      const st = state(ctx);
      const req = st.body as unknown as DecideBody;
      let who = core.subjectOf(req);
      if (who instanceof Promise) who = await who;
      const { resource, action, actionProperties, context } = req;
      const found = schemaErrorsOf(st.policies, req, DECIDE_POINTERS);
      answer(ctx, decisionToJson(core.decide({ compiled: st.policies, who, resource, action, actionProperties, context, schemaErrors: found, explain: req.explain === true, t0: st.t0, api: 'decide', requestId: st.requestId })));
    },

    async batch(ctx) {
      const st = state(ctx);
      const req = st.body as unknown as BatchBody;
      // One subject (one token verification) for every item, and one input filled in place for
      // each (the core keeps nothing of it).
      const first = req.items[0] as BatchBody['items'][number];
      const found = schemaErrors(st.policies, req.items.length, (i) => ({ request: { ...req.items[i], subject: req.subject }, pointers: batchItemPointers(i) }));
      const input: DecideInput = {
        compiled: st.policies, who: await core.subjectOf(req), resource: first.resource, action: first.action,
        context: undefined, explain: req.explain === true, t0: st.t0, api: 'batch', requestId: st.requestId,
      };
      let text = '{"results":[';
      for (let i = 0; i < req.items.length; i++) {
        const item = req.items[i] as BatchBody['items'][number];
        input.resource = item.resource;
        input.action = item.action;
        input.actionProperties = item.actionProperties;
        input.context = item.context;
        input.schemaErrors = found?.[i];
        const json = decisionToJson(core.decide(input));
        text += i === 0 ? json : `,${json}`;
      }
      answer(ctx, `${text}]}`);
    },

    authzenEvaluation(ctx) {
      const request = authzenRequest(state(ctx).body as unknown as Required<AzEvaluation>);
      const found = schemaErrors(state(ctx).policies, 1, () => ({ request, pointers: AUTHZEN_POINTERS }))?.[0];
      answer(ctx, JSON.stringify(authzenDecide(ctx, request, found)));
    },

    authzenEvaluations(ctx) {
      const req = state(ctx).body as unknown as AzEvaluationsBody;
      const evaluations = req.evaluations ?? [];
      // Defaults at the top, each evaluation replacing whole entities (AuthZEN 1.0 §7.1.1).
      const merged: AzEvaluation[] =
        evaluations.length === 0
          ? [{ subject: req.subject, action: req.action, resource: req.resource, context: req.context }]
          : evaluations.map((e) => ({
              subject: e.subject ?? req.subject,
              action: e.action ?? req.action,
              resource: e.resource ?? req.resource,
              context: e.context ?? req.context,
            }));
      const missing: { pointer: string; detail: string }[] = [];
      merged.forEach((e, i) => {
        const base = evaluations.length === 0 ? '' : `/evaluations/${i}`;
        for (const k of ['subject', 'action', 'resource'] as const) {
          if (e[k] === undefined) missing.push({ pointer: `${base}/${k}`, detail: 'is required (here or as a top-level default)' });
        }
      });
      if (missing.length > 0) throw new PdpError('validation_failed', 'Every evaluation needs a subject, an action and a resource.', { errors: missing.slice(0, 50) });
      const requests = merged.map((e) => authzenRequest(e as Required<AzEvaluation>));
      // An entity an evaluation gave itself is pointed at there; a top-level default at the top.
      const found = schemaErrors(state(ctx).policies, requests.length, (i) => {
        const own = evaluations[i];
        const at = (k: keyof AzEvaluation): string => (own?.[k] !== undefined ? `/evaluations/${i}` : '');
        return { request: requests[i], pointers: authzenPointers({ subject: at('subject'), resource: at('resource'), action: at('action'), context: at('context') }) };
      });
      if (evaluations.length === 0) {
        answer(ctx, JSON.stringify(authzenDecide(ctx, requests[0] as AuthzenRequest, found?.[0])));
        return;
      }
      const semantic = req.options?.evaluations_semantic ?? 'execute_all';
      const withContext = req.options?.decision_context === true;
      const out: AuthzenDecision[] = [];
      for (let i = 0; i < requests.length; i++) {
        const d = authzenDecide(ctx, requests[i] as AuthzenRequest, found?.[i]);
        out.push(withContext ? d : evaluationsEntry(d));
        // Short-circuit semantics stop at the first deny / permit; the answer lists what ran.
        if (semantic === 'deny_on_first_deny' && !d.decision) break;
        if (semantic === 'permit_on_first_permit' && d.decision) break;
      }
      answer(ctx, JSON.stringify({ evaluations: out }));
    },

    policies(ctx) {
      sendJson(ctx, store.describe());
    },

    healthz(ctx) {
      sendJson(ctx, { status: 'ok' });
    },

    readyz(ctx) {
      if (lifecycle.draining === true) throw new PdpError('shutting_down', 'This instance is shutting down; send new requests to another one.');
      sendJson(ctx, { status: 'ready', revision: state(ctx).policies.revision });
    },

    async metrics(ctx) {
      const text = await metrics.registry.metrics();
      ctx.set('Content-Type', metrics.registry.contentType);
      ctx.body = text;
    },

    openapi(ctx) {
      ctx.set('Content-Type', 'application/json; charset=utf-8');
      ctx.body = deps.openapi();
    },
  };

  function authzenDecide(ctx: RouteContext, r: AuthzenRequest, found: readonly FieldError[] | undefined): AuthzenDecision {
    const st = state(ctx);
    const { subject, resource, action, actionProperties, context } = r;
    return authzenDecision(core.decide({ compiled: st.policies, who: { subject }, resource, action, actionProperties, context, schemaErrors: found, explain: false, t0: st.t0, api: 'authzen', requestId: st.requestId }));
  }
}
