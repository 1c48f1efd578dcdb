import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPair, randomUUID, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';

import { IdpError } from './errors.js';

/** A private JWKS as oidc-provider takes it in `jwks`. */
export interface PrivateJwks {
  keys: JWK[];
}

/** A JSON Web Key (private or public) as found in a JWKS. */
export type JWK = JsonWebKey & { kid?: string; alg?: string; use?: string };

const generateKeyPairAsync = promisify(generateKeyPair);

const SUPPORTED = new Set(['RSA', 'EC', 'OKP']);

async function generateSigningKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } = alg === 'RS256'
    ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
    : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  // A dated kid makes rotation visible in logs and in the JWKS.
  return { ...jwk, kid: `${alg.toLowerCase()}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`, alg, use: 'sig' };
}

/** A fresh key set: RS256 first (what every token is signed with), then ES256 for clients that prefer it. */
export async function generateJwks(): Promise<PrivateJwks> {
  return { keys: [await generateSigningKey('RS256'), await generateSigningKey('ES256')] };
}

/** Puts a new RS256 key first, so new tokens use it, and keeps the old keys published for tokens already out. */
export async function rotateJwks(current: PrivateJwks, keep = 4): Promise<PrivateJwks> {
  const fresh = await generateSigningKey('RS256');
  return { keys: [fresh, ...current.keys].slice(0, Math.max(2, keep)) };
}

function checkJwks(input: unknown, source: string): PrivateJwks {
  const keys = (input as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new IdpError('keys_invalid', `${source}: /keys must be a non-empty array`);
  keys.forEach((key: unknown, i) => {
    const jwk = key as JWK | null;
    if (!jwk || typeof jwk !== 'object' || typeof jwk.kty !== 'string' || !SUPPORTED.has(jwk.kty)) {
      throw new IdpError('keys_invalid', `${source}: /keys/${i} must be an RSA, EC or OKP JWK`);
    }
    if (typeof jwk.d !== 'string') throw new IdpError('keys_invalid', `${source}: /keys/${i} must be a private key (no "d")`);
  });
  if (!keys.some((key: JWK) => key.kty === 'RSA' && (key.alg === undefined || key.alg === 'RS256'))) {
    throw new IdpError('keys_invalid', `${source}: needs at least one RSA key usable for RS256`);
  }
  return { keys: keys as JWK[] };
}

/**
 * Loads the private JWKS from `file`; when the file does not exist yet, generates one and writes
 * it there (mode 0600), so tokens stay valid across restarts. Without a file, keys live in memory.
 */
export async function loadOrCreateJwks(file: string | undefined): Promise<{ jwks: PrivateJwks; source: 'file' | 'generated' | 'generated-and-saved' }> {
  if (!file) return { jwks: await generateJwks(), source: 'generated' };
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new IdpError('keys_invalid', `cannot read keys file ${file}: ${(cause as Error).message}`, { cause });
    }
    return { jwks: checkJwks(parsed, file), source: 'file' };
  }
  const jwks = await generateJwks();
  writeFileSync(file, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { jwks, source: 'generated-and-saved' };
}
