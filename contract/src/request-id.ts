/**
 * The request id every HTTP service of the demo echoes and logs: a caller's `X-Request-ID` is
 * kept when it is printable ASCII without spaces, 1–128 characters (nothing that could break a
 * header or a log line); otherwise the service makes one up (a random UUID).
 */
export const REQUEST_ID_HEADER = 'X-Request-ID';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The caller's id when it is acceptable; undefined when it is missing, repeated or not valid. */
export function acceptedRequestId(incoming: string | readonly string[] | undefined): string | undefined {
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : undefined;
}
