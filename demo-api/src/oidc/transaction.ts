import { EncryptJWT, errors, jwtDecrypt } from 'jose';
import { LRUCache } from 'lru-cache';

import { ApiError } from '../errors.js';
import { randomToken } from './random.js';

/** One sign-in attempt: what the callback must match, kept by the browser in an encrypted cookie. */
export interface Transaction {
  /** Id of this transaction, remembered once used so it cannot be used twice. */
  jti: string;
  state: string;
  nonce: string;
  /** PKCE code_verifier. */
  verifier: string;
  /** The issuer it was started against. */
  idp: string;
  /** Seconds since the epoch. */
  created: number;
  expires: number;
}

export const TXN_COOKIE = 'demo_api_txn';

/**
 * The cookie's name: with COOKIE_SECURE, `__Host-` makes the browser refuse one set by a
 * sibling subdomain or over plain http (RFC 6265bis §4.1.3.2), so nobody else can plant it.
 */
export function txnCookieName(secure: boolean): string {
  return secure ? `__Host-${TXN_COOKIE}` : TXN_COOKIE;
}

export function newTransaction(idp: string, ttlSec: number, now = Math.floor(Date.now() / 1000)): Transaction {
  return { jti: randomToken(16), state: randomToken(24), nonce: randomToken(24), verifier: randomToken(32), idp, created: now, expires: now + ttlSec };
}

/** Seals a transaction as a JWE (dir + A256GCM): confidential and tamper-evident, so the API keeps no session. */
export async function sealTransaction(txn: Transaction, key: Uint8Array): Promise<string> {
  return new EncryptJWT({ state: txn.state, nonce: txn.nonce, cv: txn.verifier, idp: txn.idp })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'demo-api-txn' })
    .setJti(txn.jti)
    .setIssuedAt(txn.created)
    .setExpirationTime(txn.expires)
    .encrypt(key);
}

/** Opens a sealed transaction; an expired, forged or malformed one is a 400 with its own code. */
export async function openTransaction(sealed: string, key: Uint8Array, idp: string): Promise<Transaction> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtDecrypt(sealed, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      typ: 'demo-api-txn',
      requiredClaims: ['jti', 'iat', 'exp'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new ApiError('txn_expired', 'The sign-in took too long; start again.');
    throw new ApiError('txn_invalid', 'The sign-in transaction cookie cannot be read; start again.');
  }
  const { jti, state, nonce, cv, idp: txnIdp, iat, exp } = payload;
  if (typeof jti !== 'string' || typeof state !== 'string' || typeof nonce !== 'string' || typeof cv !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
    throw new ApiError('txn_invalid', 'The sign-in transaction cookie is malformed; start again.');
  }
  if (txnIdp !== idp) throw new ApiError('txn_invalid', 'The sign-in was started against another identity provider; start again.');
  return { jti, state, nonce, verifier: cv, idp, created: iat, expires: exp };
}

/**
 * Remembers used transaction ids until they expire, so a captured cookie cannot be replayed.
 * Bounded: when full, the oldest entries go first. That is safe because the code inside a
 * replayed transaction is single-use at the IdP anyway; this guard refuses the replay before
 * the IdP is asked. Several replicas would need a shared store (e.g. Redis SET NX EX) for it.
 */
export class UsedTransactions {
  readonly #seen: LRUCache<string, true>;

  constructor(max: number) {
    this.#seen = new LRUCache<string, true>({ max, ttlAutopurge: false });
  }

  /** Marks `txn` used; false when it already was. */
  use(txn: Transaction, now = Math.floor(Date.now() / 1000)): boolean {
    if (this.#seen.has(txn.jti)) return false;
    this.#seen.set(txn.jti, true, { ttl: Math.max(1, txn.expires - now + 60) * 1000 });
    return true;
  }
}
