import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

// Printable ASCII without spaces: safe to echo in a header and to print in a log line.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const ids = new WeakMap<IncomingMessage, string>();

/**
 * Gives the request its id (the caller's `X-Request-ID` when it is valid, a random UUID
 * otherwise) and makes every response carry it. The header is set as the head is written, not
 * before: Koa removes every header when it renders an error itself.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
  ids.set(req, id);
  const writeHead = res.writeHead;
  res.writeHead = ((...args: unknown[]) => {
    if (!res.headersSent) res.setHeader('X-Request-ID', id);
    return writeHead.apply(res, args as Parameters<typeof writeHead>);
  }) as typeof writeHead;
  return id;
}

/** A logger whose lines carry the request's id (`reqId`). */
export function requestLogger(logger: Logger, req: IncomingMessage): Logger {
  const reqId = ids.get(req);
  return reqId === undefined ? logger : logger.child({ reqId });
}
