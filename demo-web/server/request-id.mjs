// @ts-check
import { randomUUID } from 'node:crypto';

/**
 * The request-id rule of `@oracle-ai/contract` (`acceptedRequestId`), restated because this
 * server runs without node_modules; server/test/web-server.test.mjs checks the two agree.
 * A caller's X-Request-ID is kept when it is printable ASCII without spaces, 1–128 characters.
 */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * The caller's id when acceptable, else a fresh UUID.
 * @param {string | string[] | undefined} incoming
 * @returns {string}
 */
export function requestIdOf(incoming) {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
