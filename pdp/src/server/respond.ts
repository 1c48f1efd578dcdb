/**
 * Writing responses: JSON (serialised here, with the type set first so Koa does not sniff
 * the body) and problem+json, the one renderer for every error the service answers with.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { REQUEST_ID_HEADER } from '@oracle-ai/contract';
import type { RouteContext } from './handlers.js';
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
export function sendDecisionJson(ctx: RouteContext, text: string, closing: boolean): void {
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

/** An error as the service answers it: the problem, its status and the headers it needs besides Content-Type. */
interface ProblemAnswer {
  problem: Problem;
  headers: Record<string, string>;
}

function problemAnswer(err: unknown, path: string): ProblemAnswer {
  const problem = toProblem(err, path);
  const headers: Record<string, string> = err instanceof PdpError && err.headers ? { ...err.headers } : {};
  // After a 413 or an unreadable body the rest of the request may still be on the wire.
  if (problem.status === 413 || (err instanceof PdpError && err.code === 'request_aborted')) headers.Connection = 'close';
  return { problem, headers };
}

/** Renders any error as RFC 9457 problem+json through Koa; returns the problem sent. */
export function sendProblem(ctx: Context, err: unknown): Problem {
  const { problem, headers } = problemAnswer(err, ctx.path);
  for (const [k, v] of Object.entries(headers)) ctx.set(k, v);
  ctx.status = problem.status;
  ctx.set('Content-Type', PROBLEM_TYPE);
  ctx.body = JSON.stringify(problem);
  return problem;
}

/**
 * The same problem+json written to Node's response in one writeHead, for the routes the app
 * serves without Koa (its direct table), with the request id and, once shutdown has begun,
 * `Connection: close`, which the edge adds to Koa's answers.
 */
export function writeProblem(res: ServerResponse, err: unknown, path: string, requestId: string, closing: boolean): Problem {
  const { problem, headers } = problemAnswer(err, path);
  const text = JSON.stringify(problem);
  if (closing) headers.Connection = 'close';
  if (res.headersSent) {
    res.destroy();
    return problem;
  }
  res.writeHead(problem.status, { ...headers, 'Content-Type': PROBLEM_TYPE, 'Content-Length': Buffer.byteLength(text), [REQUEST_ID_HEADER]: requestId });
  res.end(text);
  return problem;
}
