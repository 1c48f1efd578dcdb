/**
 * Writing responses: JSON (serialised here, with the type set first so Koa does not sniff
 * the body) and problem+json, the one renderer for every error the service answers with.
 */
import type { Context } from 'koa';
import { REQUEST_ID_HEADER } from '@oracle-ai/contract';
import { toProblem, PdpError, type Problem } from '../common/errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** A JSON answer through Koa (every route but the decision ones, see {@link sendDecisionJson}). */
export function sendJson(ctx: Context, body: unknown): void {
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = JSON.stringify(body);
}

/**
 * The decision routes' 200 answer (decide, batch, both AuthZEN routes), written to Node's
 * response directly with `ctx.respond = false`: the one place the service bypasses part of
 * Koa. Koa's body setter and respond() measured at about +12% server CPU per /v1/decide
 * request against this single writeHead. It writes what Koa would (status 200, Content-Type,
 * Content-Length), the request's X-Request-ID (from `ctx.state`, where the edge put it) and,
 * since the edge does not add headers to this response, `Connection: close` itself once
 * shutdown has begun. With no header set on Node's response before, writeHead takes these as
 * they are (Node's fast path; headers already set would be merged in one by one).
 */
export function sendDecisionJson(ctx: Context, text: string, closing: boolean): void {
  ctx.respond = false;
  const length = Buffer.byteLength(text);
  const requestId = (ctx.state as { requestId: string }).requestId;
  ctx.res.writeHead(
    200,
    closing
      ? { 'Content-Type': JSON_TYPE, 'Content-Length': length, [REQUEST_ID_HEADER]: requestId, Connection: 'close' }
      : { 'Content-Type': JSON_TYPE, 'Content-Length': length, [REQUEST_ID_HEADER]: requestId },
  );
  ctx.res.end(text);
}

/** Renders any error as RFC 9457 problem+json; returns the problem sent. */
export function sendProblem(ctx: Context, err: unknown): Problem {
  const problem = toProblem(err, ctx.path);
  if (err instanceof PdpError && err.headers) {
    for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
  }
  // After a 413 or an unreadable body the rest of the request may still be on the wire.
  if (problem.status === 413 || (err instanceof PdpError && err.code === 'request_aborted')) ctx.set('Connection', 'close');
  ctx.status = problem.status;
  ctx.set('Content-Type', PROBLEM_TYPE);
  ctx.body = JSON.stringify(problem);
  return problem;
}
