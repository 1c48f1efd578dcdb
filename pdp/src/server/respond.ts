/**
 * Writing responses: JSON (serialised here, with the type set first so Koa does not sniff
 * the body) and problem+json, the one renderer for every error the service answers with.
 */
import type { Context } from 'koa';
import { toProblem, PdpError, type Problem } from '../common/errors.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function sendJson(ctx: Context, body: unknown, status = 200): void {
  sendJsonText(ctx, JSON.stringify(body), status);
}

/** Sends text that is already JSON (the decision routes serialise decisions by hand, see wire.ts). */
export function sendJsonText(ctx: Context, text: string, status = 200): void {
  // Koa's body setter makes it 200 when no status was set; setting it costs a few checks.
  if (status !== 200) ctx.status = status;
  ctx.set('Content-Type', JSON_TYPE);
  ctx.body = text;
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
