/**
 * The one error model of the PDP: every error it throws on purpose is a {@link PdpError} whose
 * `code` comes from {@link errorTable}, and that table alone decides what the code means at
 * each edge: the HTTP status (and problem title) the service answers with, and the exit code
 * the CLI ends with. A reader sees the whole error surface in one place.
 *
 * An error that wraps another keeps it as `cause` (and says in its own message what failed);
 * {@link messageWithCauses} writes the chain out where a person reads it.
 */
import type { FieldError, Problem } from '@oracle-ai/contract';

export const errorTable = {
  // Refused requests (the HTTP edge).
  invalid_json: { status: 400, exit: 1, title: 'Request body is not valid JSON' },
  invalid_body: { status: 400, exit: 1, title: 'Request body must be a JSON object' },
  too_deep: { status: 400, exit: 1, title: 'Request body is nested too deeply' },
  forbidden_key: { status: 400, exit: 1, title: 'Request body contains a forbidden key' },
  validation_failed: { status: 400, exit: 1, title: 'Request body does not match the schema' },
  schema_mismatch: { status: 400, exit: 1, title: "Request attributes do not match the policy set's schema.json" },
  subject_and_token: { status: 400, exit: 1, title: 'Send either subject or token, not both' },
  token_mode_not_configured: { status: 400, exit: 1, title: 'Token mode is not configured' },
  request_aborted: { status: 400, exit: 1, title: 'Request body was not received completely' },
  bad_request: { status: 400, exit: 1, title: 'Malformed HTTP request' },
  request_timeout: { status: 408, exit: 1, title: 'Request was not received in time' },
  headers_too_large: { status: 431, exit: 1, title: 'Request line or headers are too large' },
  too_many_headers: { status: 431, exit: 1, title: 'Request has too many header lines' },
  unauthorized: { status: 401, exit: 1, title: 'Caller is not authenticated' },
  not_found: { status: 404, exit: 1, title: 'Not found' },
  host_not_allowed: { status: 421, exit: 1, title: 'Request is not addressed to a loopback host' },
  method_not_allowed: { status: 405, exit: 1, title: 'Method not allowed' },
  payload_too_large: { status: 413, exit: 1, title: 'Request body is too large' },
  unsupported_media_type: { status: 415, exit: 1, title: 'Content type must be application/json' },
  not_implemented: { status: 501, exit: 1, title: 'Method not implemented' },
  plan_unsupported: { status: 422, exit: 1, title: 'The query plan cannot be expressed as a condition on the resource' },
  not_ready: { status: 503, exit: 1, title: 'No policy set is loaded yet' },
  // The process and its inputs (the CLI and `pdp serve`); never shown to an HTTP caller.
  usage: { status: 500, exit: 2, title: 'Command-line usage error' },
  invalid_config: { status: 500, exit: 1, title: 'Invalid configuration' },
  listen_failed: { status: 500, exit: 1, title: 'Cannot listen' },
  key_source: { status: 500, exit: 1, title: "The issuer's keys could not be obtained" },
  invalid_policy_set: { status: 500, exit: 1, title: 'Invalid policy set' },
  internal: { status: 500, exit: 1, title: 'Internal error' },
} as const satisfies Record<string, { status: number; exit: number; title: string }>;

export type ErrorCode = keyof typeof errorTable;

/** One offending field of a request: where it is (RFC 6901 JSON pointer) and what is wrong. */
export type { FieldError, Problem };

export interface PdpErrorOptions {
  errors?: FieldError[];
  /** Extra response headers (e.g. `WWW-Authenticate`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The base of every error the PDP throws on purpose; what it means at an edge comes from {@link errorTable}. */
export class PdpError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, detail?: string, options?: PdpErrorOptions) {
    super(detail ?? errorTable[code].title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PdpError';
    this.code = code;
    this.errors = options?.errors;
    this.headers = options?.headers;
  }

  get status(): number {
    return errorTable[this.code].status;
  }
}

/** The exit code the CLI ends with for a thrown value (1 for anything that is not a {@link PdpError}). */
export function exitCodeOf(err: unknown): number {
  return err instanceof PdpError ? errorTable[err.code].exit : 1;
}

/** A message followed by its causes' (`a: b: c`), for people reading a log or a terminal. */
export function messageWithCauses(err: unknown): string {
  let out = err instanceof Error ? err.message : String(err);
  const seen = new Set<unknown>([err]);
  for (let c = err instanceof Error ? err.cause : undefined; c !== undefined && !seen.has(c); c = c instanceof Error ? c.cause : undefined) {
    seen.add(c);
    out += `: ${c instanceof Error ? c.message : String(c)}`;
  }
  return out;
}

/** One bad setting: the variable, flag or option it came from, and what is wrong with it. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** The configuration cannot be used; `problems` lists every bad setting found, not just the first. */
export class ConfigError extends PdpError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super('invalid_config', problems.map((p) => `${p.variable}: ${p.message}`).join('\n'), options);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

export const PROBLEM_TYPE_PREFIX = 'urn:pdp:problem:';

/** The RFC 9457 body for an error code. */

const INTERNAL_DETAIL = 'The request could not be processed.';

/**
 * Renders any thrown value as a problem. A 500 never shows its message (it may hold
 * internals), whether it is a {@link PdpError} of a process-level code or anything else.
 */
export function toProblem(err: unknown, instance?: string): Problem {
  const known = err instanceof PdpError && errorTable[err.code].status !== 500 ? err : undefined;
  const code: ErrorCode = known?.code ?? 'internal';
  const problem: Problem = {
    type: PROBLEM_TYPE_PREFIX + code,
    title: errorTable[code].title,
    status: errorTable[code].status,
    code,
    detail: known?.message ?? INTERNAL_DETAIL,
  };
  if (instance !== undefined) problem.instance = instance;
  if (known?.errors !== undefined) problem.errors = known.errors;
  return problem;
}
