import { randomUUID } from 'node:crypto';

import { REQUEST_ID_HEADER, acceptedRequestId } from '@oracle-ai/contract';
import type { Middleware } from 'koa';

import { ApiError } from '../errors.js';
import type { ApiState } from './state.js';

/**
 * Outermost: the caller's X-Request-ID when valid, else a fresh one, on every response (set
 * before anything can fail, so 401/403/404/5xx carry it too) and in the request log line.
 */
export function requestId(): Middleware<ApiState> {
  return async (ctx, next) => {
    const id = acceptedRequestId(ctx.req.headers['x-request-id']) ?? randomUUID();
    ctx.state.requestId = id;
    ctx.set(REQUEST_ID_HEADER, id);
    await next();
  };
}

/** server.maxHeadersCount of demo-api: far above what a browser or proxy sends, far below Node's 2000. */
export const MAX_REQUEST_HEADERS = 200;

/**
 * Node keeps only the first `maxHeadersCount` headers and drops the rest unseen, so a second
 * Authorization header after that many others would pass the one-credential rule while a proxy
 * in front reads it. A request that reaches the limit is refused before anything reads it.
 */
export function headerLimit(maxHeadersCount: number): Middleware<ApiState> {
  return async (ctx, next) => {
    if (ctx.req.rawHeaders.length / 2 >= maxHeadersCount) throw new ApiError('too_many_headers', `Send fewer than ${maxHeadersCount} header fields.`);
    await next();
  };
}
