/**
 * `createApp(deps)`: the whole HTTP service composed in one place from injected parts (store,
 * engine, token verifier, config, logger, metrics, clock), so tests build it in-process and
 * nothing in here reads files, env or time by itself.
 *
 * Request path: edge (problem+json for anything thrown, 404/405 included) → hot-route lookup
 * (decision routes, by exact path) or @koa/router (the rest) → caller auth → handler.
 */
import Koa from 'koa';
import type { Context, Next } from 'koa';
import { Router } from '@koa/router';
import type { Logger } from 'pino';
import { isLoopbackHost, type Config } from '../runtime/config.js';
import { decide as engineDecide } from '../engine/decide.js';
import { PdpError } from '../common/errors.js';
import type { DecisionLog } from '../observability/log.js';
import type { PdpMetrics } from '../observability/metrics.js';
import type { TokenVerifier } from '../token/verifier.js';
import { createCallerAuth, type CallerCheck } from './caller-auth.js';
import { createDecisionCore, systemClock, type Clock } from './decisions.js';
import { createDecisionIds } from './decision-id.js';
import { createHandlers, type HandlerDeps } from './handlers.js';
import { buildOpenApi } from './openapi.js';
import { sendProblem } from './respond.js';
import { defineRoutes, type RouteSpec } from './routes.js';
import { compileValidators, loadApiSchemas } from './schemas.js';

export interface AppDeps {
  config: Readonly<Config>;
  store: HandlerDeps['store'];
  /** Default: the real engine. */
  engine?: { decide: typeof engineDecide };
  logger: Logger;
  decisionLog: DecisionLog;
  metrics: PdpMetrics;
  clock?: Clock;
  tokens: TokenVerifier | undefined;
  /** Set `closing` during shutdown: responses then carry `Connection: close`. */
  lifecycle?: { closing: boolean };
  version?: string;
}

export interface PdpApp {
  app: Koa;
  routes: readonly RouteSpec[];
  openapi: Readonly<Record<string, unknown>>;
}

/** The host of a Host header value (`127.0.0.1:8181` → `127.0.0.1`, `[::1]:8181` → `::1`). */
function hostName(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.indexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

export function createApp(deps: AppDeps): PdpApp {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const lifecycle = deps.lifecycle ?? { closing: false };

  let keysWarnedAt = -Infinity;
  const schemas = loadApiSchemas({ maxBatch: config.maxBatch });
  const validators = compileValidators(schemas);
  const core = createDecisionCore({
    engine: deps.engine ?? { decide: engineDecide },
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
  const handlers = createHandlers({
    store: deps.store,
    core,
    validators,
    limits: { maxBytes: config.maxBodyBytes, maxDepth: config.maxDepth },
    clock,
    metrics,
    openapi: () => (openapiText ??= JSON.stringify(openapi)),
    lifecycle,
  });
  const routes = defineRoutes(handlers);
  const openapi = buildOpenApi(routes, schemas, { version: deps.version ?? '0.0.0', maxBatch: config.maxBatch });

  const callerCheck: CallerCheck | undefined = config.clientTokens.length > 0 ? createCallerAuth(config.clientTokens) : undefined;

  const app = new Koa({ proxy: false });
  // Errors are rendered by the edge below; what reaches Koa is a socket error after the response.
  app.silent = true;
  app.on('error', (err: Error) => logger.debug({ err }, 'connection error'));

  app.use(async function edge(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new PdpError('not_found', `No route for ${ctx.method} ${ctx.path}.`);
        if (ctx.status === 405) throw new PdpError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`);
        if (ctx.status === 501) throw new PdpError('not_implemented', `${ctx.method} is not implemented.`);
      }
    } catch (err) {
      const status = sendProblem(ctx, err);
      if (status >= 500 && status !== 503) logger.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
    }
    // Checked after the handler, so a request in flight when shutdown began closes its socket too.
    if (lifecycle.closing) ctx.set('Connection', 'close');
  });

  if (callerCheck === undefined) {
    // Open (no caller tokens) is allowed on loopback only, but a browser can still reach
    // loopback: a page whose DNS name is re-bound to 127.0.0.1 is then same-origin with the
    // PDP and could read /v1/policies and ask for decisions. Such a request carries the page's
    // host name; a local caller uses an address or `localhost`. The last accepted value is
    // remembered, so the check costs one comparison per request.
    let lastGoodHost: string | undefined;
    app.use(function loopbackHostOnly(ctx: Context, next: Next) {
      const host = ctx.req.headers.host;
      if (host !== lastGoodHost) {
        if (host === undefined || !isLoopbackHost(hostName(host))) {
          throw new PdpError('host_not_allowed', 'Without caller tokens this PDP answers only requests addressed to a loopback host (127.0.0.1, [::1], localhost).');
        }
        lastGoodHost = host;
      }
      return next();
    });
  }

  const hot = new Map<string, RouteSpec>();
  for (const r of routes) if (r.hot && r.method === 'POST') hot.set(r.path, r);
  app.use(function hotRoutes(ctx: Context, next: Next) {
    if (ctx.method === 'POST') {
      const url = ctx.req.url ?? '';
      const q = url.indexOf('?');
      const route = hot.get(q < 0 ? url : url.slice(0, q));
      if (route !== undefined) {
        if (route.auth && callerCheck !== undefined) callerCheck(ctx.req);
        return route.handler(ctx);
      }
    }
    return next();
  });

  // Exact paths, as the hot routes above match them: `/V1/POLICIES` or `/v1/policies/` served
  // as `/v1/policies` would slip past a proxy rule written for the real path.
  const router = new Router({ sensitive: true, strict: true });
  for (const r of routes) {
    const needsAuth = r.auth && callerCheck !== undefined;
    const mw = needsAuth
      ? [
          (ctx: Context, next: Next) => {
            (callerCheck as CallerCheck)(ctx.req);
            return next();
          },
          r.handler,
        ]
      : [r.handler];
    if (r.method === 'GET') router.get(r.path, ...mw);
    else router.post(r.path, ...mw);
  }
  app.use(router.routes());
  app.use(router.allowedMethods());

  return { app, routes, openapi };
}
