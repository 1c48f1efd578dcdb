/**
 * `createApp(deps)`: the whole HTTP service composed in one place from injected parts (store,
 * engine, token verifier, configuration, logger, metrics, clock), so tests build it in-process
 * and nothing in here reads files, env or time by itself.
 *
 * Every request passes `edge` (problem+json for anything thrown; `Connection: close` once
 * shutdown began), then `loopbackHostOnly` when no caller token is configured, then `route`:
 * one exact-path lookup in the table built from routes.ts, which runs the route's own
 * middleware (`[callerAuth, readBody('decide'), ready, decide]`, …). A known path asked with
 * another method is 405 with `Allow`; an unknown path is 404. The lookup is by exact path
 * (`/V1/POLICIES` or `/v1/policies/` is not `/v1/policies`, so it cannot slip past a proxy
 * rule written for the real path), and it is the only router: a general one (@koa/router)
 * measured well below a bare Koa route on the decision path.
 *
 * The decision routes (`direct: true` in routes.ts: decide, its alias, batch, both AuthZEN
 * evaluations) are also in one more table, the direct table: `handler`, the request listener
 * given to node:http, looks up a POST's exact URL there first and runs the same composed
 * middleware with a plain {@link RouteContext} instead of a Koa context, and the same edge work
 * (request id, header count, loopback host, problem+json, `Connection: close` while closing).
 * Everything else, including a decision route asked with a query string or another method, goes
 * to Koa. Koa's context, its request handling and its respond() measured at about a quarter of a
 * bare Koa route's CPU, several times the decision itself (`npm run bench` prints /v1/decide
 * served both ways); the decision routes' answers are written to Node directly either way
 * (`sendDecisionJson` in respond.ts).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import Koa from 'koa';
import type { Context, Next } from 'koa';
import compose from 'koa-compose';
import type { Logger } from 'pino';
import { acceptedRequestId, REQUEST_ID_HEADER } from '@oracle-ai/contract';
import { decide as engineDecide } from '../engine/decide.js';
import { PdpError } from '../common/errors.js';
import type { DecisionLog } from '../observability/log.js';
import type { PdpMetrics } from '../observability/metrics.js';
import type { TokenVerifier } from '../token/verifier.js';
import { callerAuthOff, createCallerAuth } from './caller-auth.js';
import { createDecisionCore, systemClock, type Clock } from './decisions.js';
import { createDecisionIds } from './decision-id.js';
import { createSteps, type DirectMiddleware, type Middleware, type RouteContext, type StepDeps } from './handlers.js';
import { createAuthzenMetadata } from './authzen-metadata.js';
import { createAuthzenSearch } from './authzen-search.js';
import { createLoopbackHostOnly } from './host.js';
import { createPlanStep } from './plan.js';
import { buildOpenApi } from './openapi.js';
import { sendProblem, writeProblem } from './respond.js';
import { defineRoutes, type RouteSpec } from './routes.js';
import { compileValidators, loadApiSchemas } from './schemas.js';
import { DEFAULT_SCHEMA_ENFORCE, type SchemaEnforceMode } from '../policy/request-attributes.js';

/** The settings the HTTP service reads (a subset of the runtime's configuration). */
export interface AppConfig {
  /** Empty: no caller authentication, and only requests addressed to a loopback host are answered. */
  clientTokens: readonly string[];
  maxBatch: number;
  maxBodyBytes: number;
  maxDepth: number;
  /** PDP_SCHEMA_ENFORCE; default warn. */
  schemaEnforce?: SchemaEnforceMode;
  /** PDP_PUBLIC_URL: the AuthZEN metadata's identifier and endpoint base. */
  publicUrl?: string | undefined;
}

export interface AppDeps {
  config: Readonly<AppConfig>;
  store: StepDeps['store'];
  /** Default: the real engine. */
  engine?: { decide: typeof engineDecide };
  logger: Logger;
  decisionLog: DecisionLog;
  metrics: PdpMetrics;
  clock?: Clock;
  tokens: TokenVerifier | undefined;
  /** Set `closing` during shutdown: responses then carry `Connection: close`; `draining`: /readyz answers 503. */
  lifecycle?: { readonly closing: boolean; readonly draining?: boolean };
  version?: string;
}

export interface PdpApp {
  /** Every route; the decision routes are also served by `handler` without Koa. */
  app: Koa;
  /** The request listener for node:http: the direct table first, `app` for everything else. */
  handler: RequestListener;
  routes: readonly RouteSpec[];
  openapi: Readonly<Record<string, unknown>>;
}

/**
 * Headers Node parses per request (`server.maxHeadersCount`; Node's default is 2,000). Node drops
 * every header past it without a word, so a second `Authorization` behind enough padding would
 * never be seen here while a proxy in front reads it: a request that reaches the limit is
 * refused as a whole (431), before caller authentication.
 */
export const MAX_HEADERS_COUNT = 200;

function checkHeaderCount(req: IncomingMessage): void {
  if (req.rawHeaders.length >= 2 * MAX_HEADERS_COUNT) {
    throw new PdpError('too_many_headers', `A request may carry fewer than ${MAX_HEADERS_COUNT} header lines.`);
  }
}

/** Methods a route may be asked with and be told 405; anything else is 501 (not implemented). */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type RouteHandler = (ctx: Context) => Promise<void>;

interface PathEntry {
  /** The `Allow` header value for this path. */
  allow: string;
  byMethod: Map<string, RouteHandler>;
}

/** The route table by exact path; HEAD is served by a GET route (Koa sends no body for it). */
function routeTable(routes: readonly RouteSpec[]): Map<string, PathEntry> {
  const table = new Map<string, PathEntry>();
  for (const r of routes) {
    const entry = table.get(r.path) ?? { allow: '', byMethod: new Map<string, RouteHandler>() };
    const steps: readonly Middleware[] = r.middleware;
    const handler = compose(steps.filter((m) => m !== callerAuthOff)) as RouteHandler;
    entry.byMethod.set(r.method, handler);
    if (r.method === 'GET') entry.byMethod.set('HEAD', handler);
    entry.allow = [...entry.byMethod.keys()].join(', ');
    table.set(r.path, entry);
  }
  return table;
}

export function createApp(deps: AppDeps): PdpApp {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const lifecycle = deps.lifecycle ?? { closing: false };

  let keysWarnedAt = -Infinity;
  const schemas = loadApiSchemas({ maxBatch: config.maxBatch });
  const validators = compileValidators(schemas);
  const engine = deps.engine ?? { decide: engineDecide };
  const core = createDecisionCore({
    engine,
    tokens: deps.tokens,
    decisionLog: deps.decisionLog,
    metrics,
    clock,
    nextId: createDecisionIds(),
    // The detail names the jose check that failed; the token itself is never logged. Keys that
    // cannot be fetched deny every token, which an operator must see without debug logging:
    // a warning, at most once a minute.
    onTokenFailure: (code, detail) => {
      if (code === 'jwks_unavailable' && clock.now() - keysWarnedAt >= 60_000) {
        keysWarnedAt = clock.now();
        logger.warn({ code, detail }, 'issuer keys unavailable: tokens are denied until they can be fetched');
        return;
      }
      logger.debug({ code, detail }, 'token refused');
    },
  });
  let openapiText: string | undefined;
  const steps = createSteps({
    store: deps.store,
    core,
    validators,
    limits: { maxBytes: config.maxBodyBytes, maxDepth: config.maxDepth },
    clock,
    metrics,
    openapi: () => (openapiText ??= JSON.stringify(openapi)),
    lifecycle,
    schemaEnforce: config.schemaEnforce ?? DEFAULT_SCHEMA_ENFORCE,
  });
  const authzen = {
    ...createAuthzenSearch({ engine, clock, schemaEnforce: config.schemaEnforce ?? DEFAULT_SCHEMA_ENFORCE, log: deps.decisionLog.enabled ? logger.child({ kind: 'search' }) : undefined }),
    authzenMetadata: createAuthzenMetadata({ publicUrl: config.publicUrl, loopbackOnly: config.clientTokens.length === 0 }),
  };
  const routes = defineRoutes({ ...steps, ...authzen, plan: createPlanStep({ core, clock, schemaEnforce: config.schemaEnforce ?? DEFAULT_SCHEMA_ENFORCE, log: deps.decisionLog.enabled ? logger.child({ kind: 'plan' }) : undefined, logInput: deps.decisionLog.input }), callerAuth: createCallerAuth(config.clientTokens) });
  const openapi = buildOpenApi(routes, schemas, { version: deps.version ?? '0.0.0', maxBatch: config.maxBatch });

  const table = routeTable(routes);

  const app = new Koa({ proxy: false });
  // Errors are rendered by the edge below; what reaches Koa is a socket error after the response.
  app.silent = true;
  app.on('error', (err: Error) => logger.debug({ err }, 'connection error'));

  // Request ids the PDP makes up: the decision ids' cheap generator, not a UUID per request.
  const nextRequestId = createDecisionIds();
  app.use(async function edge(ctx: Context, next: Next) {
    // Every answer carries it: the decision answers written past Koa put it in their one
    // writeHead (sendDecisionJson reads it here, in ctx.state), and every answer Koa writes
    // (problem+json, 404, 405, …) gets it below. A header set on Node's response beforehand
    // would send that writeHead down Node's slower merging path.
    const requestId = acceptedRequestId(ctx.req.headers['x-request-id']) ?? nextRequestId();
    (ctx.state as { requestId: string }).requestId = requestId;
    try {
      checkHeaderCount(ctx.req);
      await next();
    } catch (err) {
      // Only what nobody threw on purpose is logged as a failure (its message is not sent).
      if (sendProblem(ctx, err).code === 'internal') logger.error({ err, method: ctx.method, path: ctx.path, requestId }, 'request failed');
    }
    // Koa writes the response after this returns, so a request already in flight when shutdown
    // began closes its socket too. A decision answer was written already, and said so itself.
    if (ctx.respond !== false) {
      ctx.res.setHeader(REQUEST_ID_HEADER, requestId);
      if (lifecycle.closing) ctx.set('Connection', 'close');
    }
  });

  const loopbackHostOnly = config.clientTokens.length === 0 ? createLoopbackHostOnly() : undefined;
  if (loopbackHostOnly !== undefined) app.use(loopbackHostOnly);

  app.use(function route(ctx: Context) {
    const entry = table.get(ctx.path);
    if (entry === undefined) throw new PdpError('not_found', `No route for ${ctx.method} ${ctx.path}.`);
    const handler = entry.byMethod.get(ctx.method);
    if (handler !== undefined) return handler(ctx);
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', entry.allow);
      ctx.status = 204;
      return undefined;
    }
    if (!KNOWN_METHODS.has(ctx.method)) throw new PdpError('not_implemented', `${ctx.method} is not implemented.`);
    throw new PdpError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`, { headers: { Allow: entry.allow } });
  });

  // The direct table: POST by exact URL, the route's own middleware behind the same edge checks.
  type DirectHandler = (ctx: RouteContext) => Promise<void>;
  const direct = new Map<string, DirectHandler>();
  for (const r of routes) {
    if (r.direct !== true) continue;
    const steps: DirectMiddleware[] = [...(loopbackHostOnly === undefined ? [] : [loopbackHostOnly]), ...r.middleware.filter((m) => m !== callerAuthOff)];
    direct.set(r.path, compose(steps) as DirectHandler);
  }
  const koa = app.callback();
  const serveDirect = (run: DirectHandler, req: IncomingMessage, res: ServerResponse, path: string): void => {
    const requestId = acceptedRequestId(req.headers['x-request-id']) ?? nextRequestId();
    // Every member a step may set, from the start: one object shape for every request.
    const ctx: RouteContext = { req, res, state: { requestId, t0: 0, body: undefined, policies: undefined }, path, respond: true };
    const fail = (err: unknown): void => {
      try {
        if (writeProblem(res, err, path, requestId, lifecycle.closing).code === 'internal') logger.error({ err, method: 'POST', path, requestId }, 'request failed');
      } catch (writeErr) {
        // Nothing may escape into an unhandled rejection: the caller loses this answer, not the process.
        logger.error({ err: writeErr, method: 'POST', path, requestId }, 'answer could not be written');
        res.destroy();
      }
    };
    try {
      checkHeaderCount(req);
    } catch (err) {
      fail(err);
      return;
    }
    run(ctx).then(() => {
      // Every decision route's last step answers; one that did not must not leave the caller waiting.
      if (!res.headersSent) fail(new Error(`${path} answered nothing`));
    }, fail);
  };
  const handler: RequestListener = (req, res) => {
    if (req.method === 'POST') {
      const path = req.url as string;
      const run = direct.get(path);
      if (run !== undefined) {
        serveDirect(run, req, res, path);
        return;
      }
    }
    void koa(req, res);
  };

  return { app, handler, routes, openapi };
}
