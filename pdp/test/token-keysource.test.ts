/**
 * Token mode against a key endpoint that misbehaves: failing (500, not JSON, not a key set),
 * slow, or huge. Each is a 200 deny with `jwks_unavailable`; a failure is not retried on every
 * request (no amplification against an IdP that is already in trouble); a huge answer is not
 * read whole; and once the endpoint is healthy again tokens verify.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { SignJWT } from 'jose';
import { post, startTestPdp, type TestPdp } from './http-helpers.js';
import { makeKey, type SigningKey } from './token-helpers.js';

type Mode = 'ok' | '500' | 'not-json' | 'not-a-key-set' | 'huge' | 'slow';

interface KeyEndpoint {
  url: string;
  mode: Mode;
  requests: number;
  close(): Promise<void>;
}

async function startKeyEndpoint(key: SigningKey): Promise<KeyEndpoint> {
  const ep: KeyEndpoint = { url: '', mode: 'ok', requests: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    ep.requests++;
    res.setHeader('content-type', 'application/json');
    switch (ep.mode) {
      case '500':
        res.statusCode = 500;
        res.end('{"error":"down"}');
        return;
      case 'not-json':
        res.end('<html>maintenance</html>');
        return;
      case 'not-a-key-set':
        res.end('{"keys":"none"}');
        return;
      case 'huge': {
        // 4 MiB of plausible keys, streamed without a Content-Length.
        res.write('{"keys":[');
        const filler = `${JSON.stringify({ kty: 'RSA', kid: 'filler', n: 'x'.repeat(4096), e: 'AQAB' })},`;
        let sent = 0;
        const pump = (): void => {
          while (sent < 1024) {
            sent++;
            if (!res.write(filler)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end(`${JSON.stringify(key.publicJwk)}]}`);
        };
        res.on('error', () => {});
        pump();
        return;
      }
      case 'slow':
        setTimeout(() => res.end(JSON.stringify({ keys: [key.publicJwk] })), 2000).unref();
        return;
      default:
        res.end(JSON.stringify({ keys: [key.publicJwk] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ep.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return ep;
}

let pdp: TestPdp | undefined;
let ep: KeyEndpoint | undefined;
afterEach(async () => {
  await pdp?.stop();
  await ep?.close();
  pdp = undefined;
  ep = undefined;
});

const AUD = 'http://localhost:3000/api';

async function setup(mode: Mode): Promise<{ pdp: TestPdp; ep: KeyEndpoint; token: string }> {
  const key = await makeKey('k1');
  ep = await startKeyEndpoint(key);
  ep.mode = mode;
  pdp = await startTestPdp({
    logLevel: 'debug',
    jwt: { issuer: ep.url, audience: AUD, jwksUrl: `${ep.url}/jwks`, jwksCooldownSec: 1, jwksTimeoutMs: 500 },
  });
  const token = await new SignJWT({ sub: 'alice', groups: ['oracle-ai-users'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer(ep.url)
    .setAudience(AUD)
    .setExpirationTime('10m')
    .sign(key.privateKey);
  return { pdp, ep, token };
}

async function decide(p: TestPdp, token: string): Promise<{ allow: boolean; code: string | undefined }> {
  const res = await post(p.url, '/v1/decide', { token, resource: { type: 'chat' }, action: 'read' });
  expect(res.status).toBe(200);
  return { allow: res.body.allow, code: res.body.reasons[0]?.code };
}

describe('a failing key endpoint is not hammered', () => {
  test.each(['500', 'not-json', 'not-a-key-set'] as const)('%s: deny jwks_unavailable; one request per back-off, not one per token; recovers', async (mode) => {
    const { pdp: p, ep: e, token } = await setup(mode);
    // 30 tokens at once and 10 more one after the other, all inside the back-off (1 s here).
    const burst = await Promise.all(Array.from({ length: 30 }, () => decide(p, token)));
    for (let i = 0; i < 10; i++) burst.push(await decide(p, token));
    expect(new Set(burst.map((d) => `${d.allow}:${d.code}`))).toEqual(new Set(['false:jwks_unavailable']));
    expect(e.requests).toBe(1);
    // Healthy again: after the back-off the next token fetches the keys and verifies.
    e.mode = 'ok';
    await new Promise((r) => setTimeout(r, 1100));
    expect(await decide(p, token)).toEqual({ allow: true, code: undefined });
    expect(e.requests).toBe(2);
    // The PDP says why, once as a warning (not once per token), without the token.
    const warnings = p.log.lines.filter((l) => l.level === 40 && l.code === 'jwks_unavailable');
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.detail)).toContain('JWKS fetch from');
    const log = p.log.raw.join('');
    expect(log).not.toContain(token.split('.')[2]);
  });

  test('a huge key set is not read whole: deny jwks_unavailable, and the service keeps serving', async () => {
    const { pdp: p, ep: e, token } = await setup('huge');
    expect(await decide(p, token)).toEqual({ allow: false, code: 'jwks_unavailable' });
    expect(p.log.raw.join('')).toContain('response larger than');
    e.mode = 'ok';
    await new Promise((r) => setTimeout(r, 1100));
    expect((await decide(p, token)).allow).toBe(true);
  });

  test('a slow key endpoint: the timeout denies, and requests meanwhile share one fetch', async () => {
    const { pdp: p, ep: e, token } = await setup('slow');
    const t0 = Date.now();
    const all = await Promise.all(Array.from({ length: 10 }, () => decide(p, token)));
    expect(Date.now() - t0).toBeLessThan(1900);
    expect(new Set(all.map((d) => d.code))).toEqual(new Set(['jwks_unavailable']));
    expect(e.requests).toBe(1);
  });
});
