import { readFileSync } from 'node:fs';
import { base64url, decodeJwt } from 'jose';
import { createSign, createPrivateKey } from 'node:crypto';
const s = JSON.parse(readFileSync('/tmp/probe.json', 'utf8'));
const API = s.api;
const rsa = s.jwks.keys.find((k) => k.kty === 'RSA');
const claims = decodeJwt(s.alice.access_token);
const rsaPriv = createPrivateKey({ key: rsa, format: 'jwk' });
function rawSign(hdr, payload) { const input = `${base64url.encode(JSON.stringify(hdr))}.${base64url.encode(typeof payload === 'string' ? payload : JSON.stringify(payload))}`; const sig = createSign('RSA-SHA256').update(input).sign(rsaPriv); return `${input}.${base64url.encode(sig)}`; }
async function call(name, t) {
  const r = await fetch(`${API}/api/chat`, { headers: { authorization: `Bearer ${t}` } });
  console.log(String(r.status).padEnd(4), name.padEnd(30), (await r.text()).slice(0, 100));
}
for (const [name, hdr] of [
  ['kid number', { alg: 'RS256', typ: 'at+jwt', kid: 123 }],
  ['kid object', { alg: 'RS256', typ: 'at+jwt', kid: { a: 1 } }],
  ['kid null', { alg: 'RS256', typ: 'at+jwt', kid: null }],
  ['kid empty', { alg: 'RS256', typ: 'at+jwt', kid: '' }],
  ['kid huge', { alg: 'RS256', typ: 'at+jwt', kid: 'x'.repeat(5000) }],
  ['alg array', { alg: ['RS256'], typ: 'at+jwt', kid: rsa.kid }],
  ['alg missing', { typ: 'at+jwt', kid: rsa.kid }],
  ['alg EdDSA', { alg: 'EdDSA', typ: 'at+jwt', kid: rsa.kid }],
  ['alg ES256 rsa kid', { alg: 'ES256', typ: 'at+jwt', kid: rsa.kid }],
  ['alg PS256 rsa kid', { alg: 'PS256', typ: 'at+jwt', kid: rsa.kid }],
  ['alg Ed25519', { alg: 'Ed25519', typ: 'at+jwt', kid: rsa.kid }],
  ['typ number', { alg: 'RS256', typ: 5, kid: rsa.kid }],
  ['b64 false no crit', { alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, b64: false }],
  ['crit not array', { alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, crit: 'x' }],
  ['enc header', { alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, enc: 'A256GCM' }],
  ['x5c header junk', { alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, x5c: ['junk'] }],
  ['kty in header', { alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, jwk: { kty: 'oct', k: 'AA' } }],
]) await call(name, rawSign(hdr, claims));
await call('alg PS256 kid none', rawSign({ alg: 'PS256', typ: 'at+jwt' }, claims));
await call('alg ES256 kid none', rawSign({ alg: 'ES256', typ: 'at+jwt' }, claims));
await call('alg EdDSA kid none', rawSign({ alg: 'EdDSA', typ: 'at+jwt' }, claims));
