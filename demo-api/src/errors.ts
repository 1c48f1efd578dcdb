import type { ApiProblem } from '@oracle-ai/contract';

/**
 * Every error demo-api answers with has a stable code from this closed set; the one table below
 * maps each code to its HTTP status and title. Bodies are RFC 9457 problem+json.
 */
export const PROBLEMS = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_json: { status: 400, title: 'Body is not valid JSON' },
  unsupported_media_type: { status: 415, title: 'Body must be application/json' },
  payload_too_large: { status: 413, title: 'Body too large' },
  too_many_headers: { status: 431, title: 'Too many request headers' },
  headers_too_large: { status: 431, title: 'Request headers too large' },
  bad_request: { status: 400, title: 'Malformed HTTP request' },
  request_timeout: { status: 408, title: 'Request not received in time' },
  txn_missing: { status: 400, title: 'No sign-in transaction' },
  txn_invalid: { status: 400, title: 'Sign-in transaction is not valid' },
  txn_expired: { status: 400, title: 'Sign-in transaction expired' },
  txn_replayed: { status: 400, title: 'Sign-in transaction already used' },
  txn_ambiguous: { status: 400, title: 'More than one sign-in transaction' },
  state_mismatch: { status: 400, title: 'State does not match' },
  iss_mismatch: { status: 400, title: 'Issuer does not match' },
  code_rejected: { status: 400, title: 'The identity provider refused the code' },
  id_token_invalid: { status: 400, title: 'ID token is not valid' },
  nonce_mismatch: { status: 400, title: 'Nonce does not match' },
  idp_unavailable: { status: 502, title: 'Identity provider unavailable' },
  idp_bad_response: { status: 502, title: 'Identity provider answered unexpectedly' },
  token_missing: { status: 401, title: 'Authentication required' },
  token_invalid: { status: 401, title: 'Access token is not valid' },
  token_expired: { status: 401, title: 'Access token expired' },
  forbidden: { status: 403, title: 'Forbidden' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  not_implemented: { status: 501, title: 'Method not implemented' },
  pdp_unavailable: { status: 503, title: 'Authorization service unavailable' },
  shutting_down: { status: 503, title: 'Shutting down' },
  documents_unavailable: { status: 503, title: 'Documents unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The members a problem may add to the standard ones. */
export type ProblemExtra = Omit<ApiProblem, 'type' | 'title' | 'status' | 'code' | 'detail'>;

/** An error with a stable code; `extra` members are added to the problem body as they are. */
export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly detail: string;
  readonly extra: ProblemExtra;

  constructor(code: ProblemCode, detail?: string, extra: ProblemExtra = {}, options?: { cause?: unknown }) {
    super(detail ?? PROBLEMS[code].title, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.detail = detail ?? PROBLEMS[code].title;
    this.extra = extra;
  }
}

/** Configuration that cannot work; thrown once, at start, listing every problem. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';

  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function problemBody(error: ApiError): ApiProblem {
  return {
    type: `urn:demo-api:problem:${error.code}`,
    title: PROBLEMS[error.code].title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...error.extra,
  };
}
