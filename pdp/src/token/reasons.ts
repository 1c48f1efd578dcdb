/**
 * Why a token was refused: a closed set of reason codes, reported in the deny decision and
 * counted in metrics. Mapped from jose's stable error codes, never from message text.
 */
import { PdpError } from '../common/errors.js';

export const TOKEN_FAILURE_CODES = [
  'token_expired',
  'token_not_yet_valid',
  'token_issuer',
  'token_audience',
  'token_type',
  'token_missing_subject',
  'token_groups',
  'token_algorithm',
  'token_signature',
  'token_unknown_key',
  'token_invalid',
  'jwks_unavailable',
] as const;

export type TokenFailureCode = (typeof TOKEN_FAILURE_CODES)[number];

/** The key source (discovery or JWKS endpoint) could not be reached or gave garbage. */
export class KeySourceError extends PdpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('key_source', message, options);
    this.name = 'KeySourceError';
  }
}

/** Maps an error thrown by `jwtVerify` (or our key resolver) to a reason code. */
export function tokenFailureCode(err: unknown): TokenFailureCode {
  if (err instanceof KeySourceError) return 'jwks_unavailable';
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token_expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      switch ((err as { claim?: unknown }).claim) {
        case 'iss':
          return 'token_issuer';
        case 'aud':
          return 'token_audience';
        case 'nbf':
          return 'token_not_yet_valid';
        case 'sub':
          return 'token_missing_subject';
        case 'typ':
          return 'token_type';
        default:
          return 'token_invalid';
      }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token_algorithm';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token_signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'token_unknown_key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'jwks_unavailable';
    default:
      return 'token_invalid';
  }
}

const MESSAGES: Record<TokenFailureCode, string> = {
  token_expired: 'The token has expired.',
  token_not_yet_valid: 'The token is not valid yet (nbf).',
  token_issuer: 'The token was issued by an unexpected issuer.',
  token_audience: 'The token is not meant for this audience.',
  token_type: 'The token is not an access token (its typ, or a nonce or events claim, says it is another kind).',
  token_missing_subject: 'The token has no subject (sub).',
  token_groups: 'The token\'s groups claim is neither a string nor a list of strings.',
  token_algorithm: 'The token is signed with an algorithm that is not allowed.',
  token_signature: 'The token signature is not valid.',
  token_unknown_key: "The token's signing key is not in the issuer's key set.",
  token_invalid: 'The token is malformed or misses a required claim.',
  jwks_unavailable: "The issuer's keys could not be fetched.",
};

export function tokenFailureMessage(code: TokenFailureCode): string {
  return MESSAGES[code];
}
