/**
 * A real OpenID issuer's key endpoints on loopback: discovery and JWKS, with keys made by jose,
 * a request counter and key rotation; plus a token factory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Keys the JWKS endpoint publishes (mutable: rotate by assigning). */
  published: SigningKey[];
  jwksRequests: number;
  discoveryRequests: number;
  /** Overrides the discovery document's issuer (to test a mismatch). */
  discoveryIssuer?: string;
  /** `typ` defaults to at+jwt; null: no typ header. */
  sign(key: SigningKey, claims: JWTPayload, options?: { exp?: number | null; nbf?: number; iss?: string; aud?: string; typ?: string | null }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<TestIssuer> {
  let server: Server;
  const state = { base: '' };
  const iss: TestIssuer = {
    issuer: '',
    jwksUrl: '',
    audience: 'http://localhost:3000/api',
    published: [],
    jwksRequests: 0,
    discoveryRequests: 0,
    async sign(key, claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT(claims)
        .setProtectedHeader(options.typ === null ? { alg: key.alg, kid: key.kid } : { alg: key.alg, kid: key.kid, typ: options.typ ?? 'at+jwt' })
        .setIssuer(options.iss ?? iss.issuer)
        .setAudience(options.aud ?? iss.audience)
        .setIssuedAt(now);
      if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 600);
      if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
      return jwt.sign(key.privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      iss.discoveryRequests++;
      res.end(JSON.stringify({ issuer: iss.discoveryIssuer ?? iss.issuer, jwks_uri: `${state.base}/jwks` }));
    } else if (req.url === '/jwks') {
      iss.jwksRequests++;
      res.end(JSON.stringify({ keys: iss.published.map((k) => k.publicJwk) }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  iss.issuer = state.base;
  iss.jwksUrl = `${state.base}/jwks`;
  return iss;
}
