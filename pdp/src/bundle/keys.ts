/**
 * Bundle keys: the private key `pdp build --sign` signs with, and the public keys a replica
 * verifies with, from a PEM or JWK file (or a JWKS). The algorithm follows from the key (P-256:
 * ES256, Ed25519: EdDSA, RSA: RS256); any other key is refused rather than guessed at. Public keys
 * travel as JWK (plain data), so the load worker can verify a bundle off the event loop.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { isObject } from '../common/objects.js';
import type { BundleAlgorithm } from './format.js';

export interface SigningKey {
  key: KeyObject;
  alg: BundleAlgorithm;
  kid: string;
}

/** Members of a JWK that hold private key material. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The algorithm of a key; throws for a key no bundle algorithm uses. */
export function algorithmOf(key: KeyObject): BundleAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (type === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('an RSA key must have at least 2048 bits');
    return 'RS256';
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new Error(`unsupported key type ${type ?? 'unknown'}${curve ? ` (${curve})` : ''}; use an EC P-256 (ES256), Ed25519 (EdDSA) or RSA (RS256) key`);
}

/** JWK documents in a file's text: one JWK, or a JWKS's `keys`. Null when the text is not JSON. */
function jwksIn(text: string): unknown[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (isObject(doc) && Array.isArray(doc.keys)) return doc.keys;
  return [doc];
}

/** The signing key in a PEM (PKCS#8, SEC1 or PKCS#1) or JWK file; `kid` wins over the JWK's, else the key's RFC 7638 thumbprint. */
export async function readSigningKey(file: string, kid?: string): Promise<SigningKey> {
  const text = await readFile(file, 'utf8');
  let key: KeyObject;
  let jwk: Record<string, unknown> | undefined;
  if (text.includes('-----BEGIN')) {
    key = createPrivateKey(text);
  } else {
    const keys = jwksIn(text)?.filter((k) => isObject(k) && typeof k.d === 'string');
    if (keys === undefined || keys.length !== 1) throw new Error(`${file} holds neither a PEM private key nor exactly one private JWK`);
    jwk = keys[0] as Record<string, unknown>;
    key = createPrivateKey({ key: jwk as JWK as import('node:crypto').JsonWebKey, format: 'jwk' });
  }
  const alg = algorithmOf(key);
  if (jwk !== undefined && typeof jwk.alg === 'string' && jwk.alg !== alg) throw new Error(`the JWK says alg ${jwk.alg}, but its key is for ${alg}`);
  const own = typeof jwk?.kid === 'string' ? jwk.kid : undefined;
  return { key, alg, kid: kid ?? own ?? (await calculateJwkThumbprint(await exportJWK(createPublicKey(key)))) };
}

/** A public JWK from any key, with the kid given or its thumbprint (what `readSigningKey` defaults to). */
async function publicJwk(key: KeyObject, kid: string | undefined): Promise<JWK> {
  const alg = algorithmOf(key);
  const jwk = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
  return { ...jwk, alg, kid: kid ?? (await calculateJwkThumbprint(jwk)) };
}

/**
 * The public keys in a file's or a JWKS response's text: a PEM public key (or certificate, or
 * private key, whose public half is taken), a JWK, or a JWK Set. Private members are dropped.
 */
export async function parsePublicKeys(text: string, origin: string): Promise<JWK[]> {
  if (text.includes('-----BEGIN')) return [await publicJwk(createPublicKey(text), undefined)];
  const docs = jwksIn(text);
  if (docs === null) throw new Error(`${origin} is neither PEM nor JSON (a JWK or a JWK Set)`);
  const keys: JWK[] = [];
  for (const [i, doc] of docs.entries()) {
    if (!isObject(doc) || typeof doc.kty !== 'string') throw new Error(`${origin}: key ${i + 1} is not a JWK`);
    const pub: Record<string, unknown> = { ...doc };
    for (const member of PRIVATE_MEMBERS) delete pub[member];
    const key = createPublicKey({ key: pub as import('node:crypto').JsonWebKey, format: 'jwk' });
    keys.push(await publicJwk(key, typeof doc.kid === 'string' ? doc.kid : undefined));
  }
  if (keys.length === 0) throw new Error(`${origin} holds no key`);
  return keys;
}

/** The public keys in a PEM or JWK file. */
export async function readPublicKeys(file: string): Promise<JWK[]> {
  return parsePublicKeys(await readFile(file, 'utf8'), file);
}
