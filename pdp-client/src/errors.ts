/**
 * The one error the client throws. A caller that catches it must deny: no failure of the PDP, the
 * network or a translation is ever an allow.
 */
export type PdpClientErrorCode =
  /** No answer within the call's timeout. */
  | 'timeout'
  /** The connection failed (refused, reset, DNS…). */
  | 'unreachable'
  /** The PDP answered with a status other than 200; `status` and, for problem+json, `problem` say more. */
  | 'http_status'
  /** The answer is not the JSON the API promises (wrong type, too large, a malformed decision or plan). */
  | 'bad_response'
  /** `/v1/plan` answered 422: the plan cannot be expressed as a condition; decide resources one by one. */
  | 'plan_unsupported'
  /** A plan's condition cannot be translated (unmapped attribute, unsupported operator): never a wider filter. */
  | 'untranslatable';

export class PdpClientError extends Error {
  override readonly name = 'PdpClientError';
  constructor(
    readonly code: PdpClientErrorCode,
    message: string,
    readonly details: { status?: number; problem?: unknown; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
}
