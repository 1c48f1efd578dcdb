/**
 * Asymmetric JWS algorithms only: `none` and the HMAC family are never accepted, because an
 * HMAC "verified" with a public key is a classic forgery (anyone holds the public key).
 */
export const ALLOWED_JWT_ALGORITHMS = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const);

export type JwtAlgorithm = (typeof ALLOWED_JWT_ALGORITHMS)[number];

/** What is accepted when no algorithm list is configured: one of each key family. */
export const DEFAULT_JWT_ALGORITHMS = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA'] as const) satisfies readonly JwtAlgorithm[];

export function isAllowedJwtAlgorithm(name: string): name is JwtAlgorithm {
  return (ALLOWED_JWT_ALGORITHMS as readonly string[]).includes(name);
}
