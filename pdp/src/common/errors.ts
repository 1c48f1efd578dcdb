/**
 * Typed errors with a stable `code`, and the one table that maps a code to an HTTP status.
 * Every error the HTTP edge can answer with is listed here, so a reader sees the whole
 * error surface of the service in one place (as OPA does with its error code table).
 */

export const errorTable = {
  invalid_json: { status: 400, title: 'Request body is not valid JSON' },
  invalid_body: { status: 400, title: 'Request body must be a JSON object' },
  too_deep: { status: 400, title: 'Request body is nested too deeply' },
  forbidden_key: { status: 400, title: 'Request body contains a forbidden key' },
  validation_failed: { status: 400, title: 'Request body does not match the schema' },
  subject_and_token: { status: 400, title: 'Send either subject or token, not both' },
  subject_or_token_required: { status: 400, title: 'Send subject or token' },
  token_mode_not_configured: { status: 400, title: 'Token mode is not configured' },
  request_aborted: { status: 400, title: 'Request body was not received completely' },
  bad_request: { status: 400, title: 'Malformed HTTP request' },
  request_timeout: { status: 408, title: 'Request was not received in time' },
  headers_too_large: { status: 431, title: 'Request line or headers are too large' },
  unauthorized: { status: 401, title: 'Caller is not authenticated' },
  not_found: { status: 404, title: 'Not found' },
  host_not_allowed: { status: 421, title: 'Request is not addressed to a loopback host' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  payload_too_large: { status: 413, title: 'Request body is too large' },
  unsupported_media_type: { status: 415, title: 'Content type must be application/json' },
  not_implemented: { status: 501, title: 'Method not implemented' },
  not_ready: { status: 503, title: 'No policy set is loaded yet' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorTable;

/** One offending field of a request: where it is (RFC 6901 JSON pointer) and what is wrong. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** An error the HTTP edge renders as problem+json; its status comes from {@link errorTable}. */
export class PdpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Allow`). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    extra?: { errors?: FieldError[]; headers?: Record<string, string>; cause?: unknown },
  ) {
    super(detail ?? errorTable[code].title, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'PdpError';
    this.code = code;
    this.status = errorTable[code].status;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
  }
}

/** A configuration value is missing or invalid; `variable` names the env var or flag. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const PROBLEM_TYPE_PREFIX = 'urn:pdp:problem:';

/** The RFC 9457 body for an error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

/**
 * Renders any thrown value as a problem. Anything that is not a {@link PdpError} is an
 * internal error, and its message is not shown to the caller (it may hold internals).
 */
export function toProblem(err: unknown, instance?: string): Problem {
  const e = err instanceof PdpError ? err : new PdpError('internal', 'The request could not be processed.');
  const problem: Problem = {
    type: PROBLEM_TYPE_PREFIX + e.code,
    title: errorTable[e.code].title,
    status: e.status,
    code: e.code,
    detail: e.message,
  };
  if (instance !== undefined) problem.instance = instance;
  if (e.errors !== undefined) problem.errors = e.errors;
  return problem;
}
