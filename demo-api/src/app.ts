import { Router } from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';

import type { ApiConfig } from './config.js';
import { ApiError } from './errors.js';
import { bearerAuth } from './http/auth.js';
import { createAuthorize } from './http/authorize.js';
import { cors } from './http/cors.js';
import { addDocumentRoutes } from './documents/routes.js';
import type { Documents } from './documents/index.js';
import { MAX_REQUEST_HEADERS, headerLimit, requestId } from './http/edge.js';
import { problemResponder, requestLog, securityHeaders } from './http/errors.js';
import type { ApiState } from './http/state.js';
import { OidcDiscovery } from './oidc/discovery.js';
import { issuerKeys } from './oidc/keys.js';
import { UsedTransactions } from './oidc/transaction.js';
import { PdpClient } from './pdp-client.js';
import { addAdminRoutes } from './routes/admin.js';
import { addAppRoutes } from './routes/app.js';
import { addAuthRoutes } from './routes/auth.js';
import { DEMO_USERS_PATH, addDemoUserRoutes } from './routes/demo-users.js';

/** Paths under /api reachable without an access token: the sign-in and sign-out steps, and the demo users the signed-out home lists. */
export const PUBLIC_API_PATHS: ReadonlySet<string> = new Set(['/api/authorize', '/api/token', '/api/logout', DEMO_USERS_PATH]);

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  /** True once shutdown has begun: /readyz then answers 503. */
  draining?: () => boolean;
  documents: Documents;
}

/**
 * The whole API in one place, outermost first: request id, request log, problem+json errors,
 * security headers, the header-count limit, CORS (preflights end here), the global JWT check, then the routes, each with its
 * own authorize(resource, action).
 */
export function createApp({ config, logger, documents, draining = () => false }: AppDeps): Koa<ApiState> {
  const discovery = new OidcDiscovery(config);
  const keys = issuerKeys(config, discovery);
  const pdp = new PdpClient(config);
  const authorize = createAuthorize(pdp, logger);

  const router = new Router<ApiState>({ sensitive: true, strict: true });
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    if (draining()) throw new ApiError('shutting_down', 'This instance is shutting down; send new requests to another one.');
    ctx.body = { status: 'ready' };
  });
  addAuthRoutes(router, { config, discovery, keys, usedTransactions: new UsedTransactions(config.txnReplayCacheSize), logger });
  addAppRoutes(router, { authorize, pdp, logger });
  addDemoUserRoutes(router, { config, pdp });
  addAdminRoutes(router, { authorize, pdp });
  addDocumentRoutes(router, { pdp, documents, logger });

  const app = new Koa<ApiState>();
  // Plain http on localhost or behind a proxy we do not trust: never read X-Forwarded-*.
  app.proxy = false;
  app.use(requestId());
  app.use(requestLog(logger));
  app.use(problemResponder(logger));
  app.use(securityHeaders());
  app.use(headerLimit(MAX_REQUEST_HEADERS));
  app.use(cors(config.corsOrigins));
  app.use(bearerAuth(config, keys, PUBLIC_API_PATHS));
  app.use(router.routes());
  // Not thrown: answered by status, so the Allow header RFC 9110 requires on a 405 survives.
  app.use(router.allowedMethods());
  // Errors are answered by problemResponder; Koa's default handler would only log them again.
  app.silent = true;
  return app;
}
