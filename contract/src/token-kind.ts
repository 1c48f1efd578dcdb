/**
 * The shape of a token that is never an access token, whatever its `typ` check says: an ID
 * token (it carries `nonce`), a back-channel logout token or a security event token (they carry
 * `events`), or a `typ` naming one of them. With the typ check off (for IdPs that do not set
 * `at+jwt`), such a token minted for a client whose id equals an API's audience would otherwise
 * pass as an access token (RFC 8725 §3.11). Both token readers (demo-api and the PDP's token
 * mode) refuse by this one rule.
 */

/** The JOSE `typ` of an access token (RFC 9068 §2.1); `application/at+jwt` is the same type. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** `typ` values of tokens that are never access tokens, without the optional `application/` prefix. */
export const NOT_ACCESS_TOKEN_TYPS = Object.freeze(['logout+jwt', 'secevent+jwt', 'id_token+jwt'] as const);

/** Claims only ID tokens (`nonce`) and logout or security event tokens (`events`) carry. */
export const NOT_ACCESS_TOKEN_CLAIMS = Object.freeze(['nonce', 'events'] as const);

/** A `typ` as compared: lower-case, without the `application/` prefix (RFC 7515 §4.1.9). */
export function normalizeTokenTyp(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

/**
 * Why a verified token is another kind of token (`typ_logout+jwt`, `claim_nonce`, …), or
 * undefined when nothing says it is not an access token.
 */
export function otherTokenKind(header: { readonly typ?: unknown }, payload: object): string | undefined {
  if (typeof header.typ === 'string') {
    const typ = normalizeTokenTyp(header.typ);
    if ((NOT_ACCESS_TOKEN_TYPS as readonly string[]).includes(typ)) return `typ_${typ}`;
  }
  const claim = NOT_ACCESS_TOKEN_CLAIMS.find((name) => Object.hasOwn(payload, name));
  return claim === undefined ? undefined : `claim_${claim}`;
}
