import type { Middleware } from 'koa';
import type { Logger } from 'pino';

import { ApiError, problemBody, type ProblemCode } from '../errors.js';
import type { ApiState } from './state.js';

const KOA_STATUS_CODES: Readonly<Record<number, ProblemCode>> = { 400: 'invalid_request', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type', 501: 'not_implemented' };

function fromKoa(err: { status?: unknown }): ApiError | undefined {
  const code = typeof err.status === 'number' ? KOA_STATUS_CODES[err.status] : undefined;
  return code ? new ApiError(code) : undefined;
}

/** The one place errors become responses: problem+json, with a WWW-Authenticate on 401. */
export function problemResponder(logger: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new ApiError('not_found', `No route ${ctx.method} ${ctx.path}.`);
        // The router answers 405/501 by status alone (keeping its Allow header): give them a problem body.
        const bare = ctx.status >= 400 ? fromKoa({ status: ctx.status }) : undefined;
        if (bare) throw bare;
      }
    } catch (err) {
      const error = err instanceof ApiError ? err : (fromKoa(err as object) ?? new ApiError('internal', 'Something went wrong.'));
      if (error.code === 'internal') logger.error({ err }, 'unhandled error');
      else if (error.status >= 500) logger.warn({ code: error.code, cause: (error.cause as Error | undefined)?.message }, error.detail);
      ctx.status = error.status;
      ctx.type = 'application/problem+json';
      ctx.body = problemBody(error);
      if (error.status === 401) {
        // The contract asks for error="invalid_token" on a missing token too (RFC 6750 §3.1 only
        // says SHOULD NOT); one challenge for every 401 also tells a prober nothing extra.
        ctx.set('WWW-Authenticate', 'Bearer realm="demo-api", error="invalid_token"');
      }
    }
  };
}

/** One log line per request: never the query string, a header value or a body. */
export function requestLog(logger: Logger): Middleware<ApiState> {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info(
        { requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started), sub: ctx.state.user?.sub, authFailure: ctx.state.authFailure },
        'request',
      );
    }
  };
}

/** Responses are per-user JSON: never cached, never sniffed, never framed. */
export function securityHeaders(): Middleware<ApiState> {
  return async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  };
}
