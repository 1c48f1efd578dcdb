import { randomBytes, createHash } from 'node:crypto';
import { writeFileSync, createWriteStream } from 'node:fs';
import { pino } from 'pino';
import { startIdp, generateJwks } from 'demo-idp';
import { loginThroughForm } from 'demo-idp/testing';
import { startApi } from 'demo-api';
import { startPdpServer } from 'pdp';

const REDIRECT = 'http://127.0.0.1:4299/auth/callback';
const clientSecret = randomBytes(24).toString('base64url');
const pdpToken = randomBytes(24).toString('base64url');
const jwks = await generateJwks();
const idpLog = pino({ level: 'debug' }, createWriteStream('/tmp/probe-idp.log'));
const apiLog = pino({ level: 'debug' }, createWriteStream('/tmp/probe-api.log'));
const idp = await startIdp({ port: 0, clientSecret, redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://127.0.0.1:4299/'], apiAudience: 'http://127.0.0.1:3999/api', jwks, logger: idpLog });
const pdp = await startPdpServer({ policiesDir: '/work/main/policies', host: '127.0.0.1', port: 0, clientTokens: [pdpToken], logLevel: 'silent', decisionLog: false, watch: false });
const api = await startApi({ port: 0, issuer: idp.issuer, clientSecret, redirectUri: REDIRECT, postLogoutRedirectUri: 'http://127.0.0.1:4299/', apiAudience: 'http://127.0.0.1:3999/api', pdpUrl: process.env.PDP_OVERRIDE ?? pdp.url, pdpClientToken: pdpToken, corsOrigins: ['http://127.0.0.1:4299'], jwksCooldownMs: 0, logLevel: 'debug' }, { logger: apiLog });

async function tokensFor(login) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const u = new URL(`${idp.issuer}/auth`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: 'demo-api', redirect_uri: REDIRECT, scope: 'openid profile', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' })) u.searchParams.set(k, v);
  const { callback } = await loginThroughForm({ authorizeUrl: u.href, redirectUri: REDIRECT, login, password: 'demo' });
  const r = await fetch(`${idp.issuer}/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`demo-api:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT, code_verifier: verifier }) });
  return r.json();
}
const alice = await tokensFor('alice');
const bob = await tokensFor('bob');
writeFileSync('/tmp/probe.json', JSON.stringify({ idp: idp.issuer, pdp: pdp.url, api: api.url, clientSecret, pdpToken, jwks, alice, bob }, null, 2));
console.log('ready', api.url, idp.issuer, pdp.url);
process.on('SIGTERM', async () => { await api.close(); await pdp.close(); await idp.close(); process.exit(0); });
