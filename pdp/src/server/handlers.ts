/**
 * The request handlers, one per route. Each reads top to bottom as the request's path:
 * read the body (edge limits) → validate (schema) → check readiness → decide → respond.
 */
import type { Context } from 'koa';
import type { CompiledPolicySet } from '../engine/compile.js';
import type { DecisionResource, DecisionSubject } from '../engine/types.js';
import { PdpError } from '../common/errors.js';
import type { PdpMetrics } from '../observability/metrics.js';
import type { PoliciesView } from '../store/policy-store.js';
import { readJsonBody, type BodyLimits } from './body.js';
import type { Clock, DecisionCore, DecisionResponse, SubjectResult } from './decisions.js';
import { decisionToJson } from './wire.js';
import { sendJson, sendJsonDirect } from './respond.js';
import type { RequestSchemaName, Validator } from './schemas.js';

export interface HandlerDeps {
  store: { readonly current: CompiledPolicySet | undefined; describe(): PoliciesView };
  core: DecisionCore;
  validators: Readonly<Record<RequestSchemaName, Validator>>;
  limits: BodyLimits;
  clock: Clock;
  metrics: PdpMetrics;
  /** The OpenAPI document, serialised once. */
  openapi: () => string;
  /** `closing` is set when shutdown begins: answers then carry `Connection: close`. */
  lifecycle?: { readonly closing: boolean };
}

export type Handler = (ctx: Context) => Promise<void> | void;

export interface Handlers {
  decide: Handler;
  batch: Handler;
  authzenEvaluation: Handler;
  authzenEvaluations: Handler;
  policies: Handler;
  healthz: Handler;
  readyz: Handler;
  metrics: Handler;
  openapi: Handler;
}

type Body = Record<string, unknown>;

interface DecideBody {
  subject?: DecisionSubject;
  token?: string;
  resource: DecisionResource;
  action: string;
  context?: Record<string, unknown>;
  explain?: boolean;
}

interface BatchBody {
  subject?: DecisionSubject;
  token?: string;
  items: { resource: DecisionResource; action: string; context?: Record<string, unknown> }[];
  explain?: boolean;
}

/** An AuthZEN subject or resource: the two have the same shape. */
interface AzEntity {
  type: string;
  id: string;
  properties?: Record<string, unknown>;
}
interface AzAction {
  name: string;
  properties?: Record<string, unknown>;
}
interface AzEvaluation {
  subject?: AzEntity;
  action?: AzAction;
  resource?: AzEntity;
  context?: Record<string, unknown>;
}
interface AzEvaluationsBody extends AzEvaluation {
  evaluations?: AzEvaluation[];
  options?: { evaluations_semantic?: 'execute_all' | 'deny_on_first_deny' | 'permit_on_first_permit' };
}

/**
 * AuthZEN 1.0 request identification: a PEP's X-Request-ID comes back in the response. Only
 * a plain token is echoed (anything else could not be a valid header value anyway).
 */
function echoRequestId(ctx: Context): void {
  const id = ctx.req.headers['x-request-id'];
  if (typeof id === 'string' && /^[\x21-\x7e]{1,256}$/.test(id)) ctx.set('X-Request-ID', id);
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

export function createHandlers(deps: HandlerDeps): Handlers {
  const { store, core, validators, limits, clock, metrics } = deps;
  const lifecycle = deps.lifecycle ?? { closing: false };

  const readBody = (ctx: Context): Promise<Body> => readJsonBody(ctx.req, limits);
  const send = (ctx: Context, text: string): void => sendJsonDirect(ctx, text, lifecycle.closing);

  const ready = (): CompiledPolicySet => {
    const current = store.current;
    if (current === undefined) throw new PdpError('not_ready', 'No valid policy set has been loaded yet; see GET /v1/policies.');
    return current;
  };

  return {
    async decide(ctx) {
      const t0 = clock.monotonic();
      const body = await readBody(ctx);
      rejectSubjectAndToken(body);
      validators.decide(body);
      const req = body as unknown as DecideBody;
      const compiled = ready();
      let who = core.subjectOf(req);
      if (who instanceof Promise) who = await who;
      send(ctx, decisionToJson(core.decide(compiled, who, req.resource, req.action, req.context, req.explain === true, t0, 'decide')));
    },

    async batch(ctx) {
      const t0 = clock.monotonic();
      const body = await readBody(ctx);
      rejectSubjectAndToken(body);
      validators.batch(body);
      const req = body as unknown as BatchBody;
      const compiled = ready();
      // One subject (one token verification) for every item.
      const who = await core.subjectOf(req);
      const explain = req.explain === true;
      let text = '{"results":[';
      for (let i = 0; i < req.items.length; i++) {
        const item = req.items[i] as BatchBody['items'][number];
        const d = core.decide(compiled, who, item.resource, item.action, item.context, explain, t0, 'batch');
        text += i === 0 ? decisionToJson(d) : `,${decisionToJson(d)}`;
      }
      send(ctx, `${text}]}`);
    },

    async authzenEvaluation(ctx) {
      const t0 = clock.monotonic();
      echoRequestId(ctx);
      const body = await readBody(ctx);
      validators.authzenEvaluation(body);
      const compiled = ready();
      send(ctx, JSON.stringify(authzenDecide(compiled, body as unknown as Required<AzEvaluation>, t0)));
    },

    async authzenEvaluations(ctx) {
      const t0 = clock.monotonic();
      echoRequestId(ctx);
      const body = await readBody(ctx);
      validators.authzenEvaluations(body);
      const req = body as unknown as AzEvaluationsBody;
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
      const compiled = ready();
      if (evaluations.length === 0) {
        send(ctx, JSON.stringify(authzenDecide(compiled, merged[0] as Required<AzEvaluation>, t0)));
        return;
      }
      const semantic = req.options?.evaluations_semantic ?? 'execute_all';
      const out: AuthzenDecision[] = [];
      for (const e of merged) {
        const d = authzenDecide(compiled, e as Required<AzEvaluation>, t0);
        out.push(d);
        // Short-circuit semantics stop at the first deny / permit; the answer lists what ran.
        if (semantic === 'deny_on_first_deny' && !d.decision) break;
        if (semantic === 'permit_on_first_permit' && d.decision) break;
      }
      send(ctx, JSON.stringify({ evaluations: out }));
    },

    policies(ctx) {
      sendJson(ctx, store.describe());
    },

    healthz(ctx) {
      sendJson(ctx, { status: 'ok' });
    },

    readyz(ctx) {
      sendJson(ctx, { status: 'ready', revision: ready().revision });
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

  function authzenDecide(compiled: CompiledPolicySet, e: Required<AzEvaluation>, t0: number): AuthzenDecision {
    // properties are the subject's attributes as the (authenticated) PEP asserts them, exactly
    // like `subject.claims` on /v1/decide. `groups` (schema: an array of strings) feeds the group
    // matchers and role derivation. A `roles` property grants nothing: roles are derived from the
    // policy set only, so it is not passed as roles and stays readable only as subject.claims.roles.
    const props = e.subject.properties;
    const subject: DecisionSubject = { id: e.subject.id, claims: props ?? {} };
    if (Array.isArray(props?.groups)) subject.groups = props.groups as string[];
    const resource: DecisionResource = { type: e.resource.type, id: e.resource.id };
    if (e.resource.properties !== undefined) resource.attributes = e.resource.properties;
    const who: SubjectResult = { subject };
    const d = core.decide(compiled, who, resource, e.action.name, e.context, false, t0, 'authzen');
    return {
      decision: d.allow,
      context: { decisionId: d.decisionId, revision: d.revision, reason: reasonText(d), reasons: d.reasons },
    };
  }
}

export interface AuthzenDecision {
  decision: boolean;
  context: { decisionId: string; revision: string; reason: string; reasons: DecisionResponse['reasons'] };
}

/** A one-line reason for AuthZEN callers, who read `context` rather than our `reasons`. */
function reasonText(d: DecisionResponse): string {
  if (d.reasons.length === 0) return d.allow ? 'allowed' : 'no rule allows this request (default deny)';
  const names = d.reasons.map((r) => (r.code !== undefined ? `${r.policy}/${r.rule} (${r.code})` : `${r.policy}/${r.rule}`)).join(', ');
  return `${d.allow ? 'allowed by' : 'denied by'} ${names}`;
}
