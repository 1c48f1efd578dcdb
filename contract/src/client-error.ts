/// <reference types="node" />
/**
 * The answer to a request Node's HTTP parser refuses before any application code sees it (a
 * broken request line, headers past the size limit, a request not received in time). Each
 * service words the problem from its own error table; how it is written and how the
 * connection ends is the same everywhere, so it is written once here.
 *
 * The answer is written with `Connection: close`, then what the client still sends is read and
 * dropped (closing on unread data makes the kernel send a reset, which can overtake the answer),
 * and after `drainMs` the socket is destroyed: a client that never closes its side would
 * otherwise hold the connection, and one of the server's `maxConnections`, for good, since no
 * request timeout applies once the parser has given up on it.
 *
 * Node-only, so it has its own entry point (`@oracle-ai/contract/client-error`).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { REQUEST_ID_HEADER } from './request-id.js';

/** The problems a refused request can be, named as the services' error tables name them. */
export type ClientErrorCode = 'bad_request' | 'headers_too_large' | 'payload_too_large' | 'request_timeout';

const BY_NODE_CODE: ReadonlyMap<string, ClientErrorCode> = new Map([
  ['HPE_HEADER_OVERFLOW', 'headers_too_large'],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'payload_too_large'],
  ['ERR_HTTP_REQUEST_TIMEOUT', 'request_timeout'],
]);

/** Which problem one of Node's `clientError` errors is; anything else is a bad request. */
export function clientErrorCode(err: NodeJS.ErrnoException): ClientErrorCode {
  return BY_NODE_CODE.get(err.code ?? '') ?? 'bad_request';
}

/** What a service answers: the status, its problem+json text, and a request id of its own. */
export interface ClientErrorAnswer {
  status: number;
  /** The problem+json document, serialised. */
  body: string;
  /** The caller's id cannot be trusted from a request that did not parse, so it is never echoed. */
  requestId: string;
}

/** How long a refused connection's remaining input is drained before the socket is destroyed. */
export const CLIENT_ERROR_DRAIN_MS = 1_000;

/** A `clientError` listener that answers with `answer(code)` and ends the connection as above. */
export function clientErrorListener(
  answer: (code: ClientErrorCode) => ClientErrorAnswer,
  options: { drainMs?: number } = {},
): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  const drainMs = options.drainMs ?? CLIENT_ERROR_DRAIN_MS;
  return (err, socket) => {
    // Nobody to answer: the client went away, or the socket can no longer be written.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, body, requestId } = answer(clientErrorCode(err));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.resume();
    setTimeout(() => socket.destroy(), drainMs).unref();
  };
}
