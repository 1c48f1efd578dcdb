import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptedRequestId, REQUEST_ID_HEADER } from '@oracle-ai/contract';
import type { Logger } from 'pino';

const ids = new WeakMap<IncomingMessage, string>();

/**
 * Gives the request its id (the caller's `X-Request-ID` when it is valid, a random UUID
 * otherwise) and makes every response carry it. The header is set as the head is written, not
 * before: Koa removes every header when it renders an error itself.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  // The rule every service of the demo keeps a caller's id by.
  const id = acceptedRequestId(req.headers['x-request-id']) ?? randomUUID();
  ids.set(req, id);
  const writeHead = res.writeHead;
  res.writeHead = ((...args: unknown[]) => {
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
    return writeHead.apply(res, args as Parameters<typeof writeHead>);
  }) as typeof writeHead;
  return id;
}

/** A logger whose lines carry the request's id (`reqId`). */
export function requestLogger(logger: Logger, req: IncomingMessage): Logger {
  const reqId = ids.get(req);
  return reqId === undefined ? logger : logger.child({ reqId });
}
