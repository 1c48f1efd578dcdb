/**
 * Hostile and malformed input at the edge: every case is a 4xx problem+json with a stable code
 * (never a 500), and the service answers a good request right after each one.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ maxBodyBytes: 4096, maxDepth: 16 });
});
afterAll(async () => {
  await pdp.stop();
});

const good = { subject: ALICE, resource: { type: 'chat' }, action: 'read' };

async function stillServes(): Promise<void> {
  const res = await post(pdp.url, '/v1/decide', good);
  expect(res.status).toBe(200);
  expect(res.body.allow).toBe(true);
}

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: `urn:pdp:problem:${code}` });
  expect(typeof res.body.title).toBe('string');
}

const deep = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

interface Case {
  name: string;
  body: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  pointers?: string[];
}

const cases: Case[] = [
  { name: 'malformed JSON', body: '{"subject": {"id": "alice"', status: 400, code: 'invalid_json' },
  { name: 'trailing garbage after JSON', body: JSON.stringify(good) + 'x', status: 400, code: 'invalid_json' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
  { name: 'wrong content type (text/plain)', body: JSON.stringify(good), headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'form content type', body: 'subject=alice', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'JSON with a non-UTF-8 charset', body: JSON.stringify(good), headers: { 'content-type': 'application/json; charset=latin1' }, status: 415, code: 'unsupported_media_type' },
  { name: 'an array as body', body: '[1,2]', status: 400, code: 'invalid_body', pointers: [''] },
  { name: 'a string as body', body: '"alice"', status: 400, code: 'invalid_body', pointers: [''] },
  { name: 'null as body', body: 'null', status: 400, code: 'invalid_body', pointers: [''] },
  { name: 'a number as body', body: '42', status: 400, code: 'invalid_body', pointers: [''] },
  { name: 'nesting deeper than the limit', body: JSON.stringify({ ...good, context: JSON.parse(deep(20)) }), status: 400, code: 'too_deep' },
  { name: 'deep arrays', body: '['.repeat(1000) + ']'.repeat(1000), status: 400, code: 'too_deep' },
  {
    name: '__proto__ key',
    body: `{"subject":{"id":"alice","claims":{"__proto__":{"polluted":true}}},"resource":{"type":"chat"},"action":"read"}`,
    status: 400, code: 'forbidden_key', pointers: ['/subject/claims/__proto__'],
  },
  {
    name: '__proto__ spelled with unicode escapes',
    body: `{"subject":{"id":"alice"},"resource":{"type":"chat","attributes":{"\\u005f_proto__":{"polluted":true}}},"action":"read"}`,
    status: 400, code: 'forbidden_key', pointers: ['/resource/attributes/__proto__'],
  },
  {
    name: 'constructor key',
    body: `{"subject":{"id":"alice"},"resource":{"type":"chat"},"action":"read","context":{"constructor":{"prototype":{"polluted":true}}}}`,
    status: 400, code: 'forbidden_key', pointers: ['/context/constructor'],
  },
  { name: 'top-level __proto__', body: `{"__proto__":{"polluted":true},"subject":{"id":"a"},"resource":{"type":"chat"},"action":"read"}`, status: 400, code: 'forbidden_key', pointers: ['/__proto__'] },
  { name: 'subject and token together', body: JSON.stringify({ ...good, token: 'a.b.c' }), status: 400, code: 'subject_and_token', pointers: ['/subject', '/token'] },
  { name: 'neither subject nor token', body: JSON.stringify({ resource: { type: 'chat' }, action: 'read' }), status: 400, code: 'validation_failed', pointers: ['/subject'] },
  {
    name: 'schema errors, each with its pointer',
    body: JSON.stringify({ subject: { id: 7, groups: 'admins' }, resource: {}, action: '', extra: true }),
    status: 400, code: 'validation_failed', pointers: ['/subject/id', '/subject/groups', '/resource/type', '/action', '/extra'],
  },
  { name: 'wrong type for context', body: JSON.stringify({ ...good, context: [1] }), status: 400, code: 'validation_failed', pointers: ['/context'] },
  { name: 'token mode without an issuer configured', body: JSON.stringify({ token: 'a.b.c', resource: { type: 'chat' }, action: 'read' }), status: 400, code: 'token_mode_not_configured', pointers: ['/token'] },
];

describe('hostile input is a problem+json 4xx, and the service keeps serving', () => {
  test.each(cases)('$name → $status $code', async (c) => {
    const res = await post(pdp.url, '/v1/decide', c.body, c.headers ?? {});
    expectProblem(res, c.status, c.code);
    if (c.pointers) expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([...c.pointers].sort());
    await stillServes();
  });

  test('prototype pollution attempts leave Object.prototype untouched', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('missing content type is 415', async () => {
    const res = await fetch(`${pdp.url}/v1/decide`, { method: 'POST', body: JSON.stringify(good) });
    // fetch sends text/plain for a string body; strip it with a Blob without type.
    const res2 = await fetch(`${pdp.url}/v1/decide`, { method: 'POST', body: new Blob([JSON.stringify(good)]) });
    expect(res.status).toBe(415);
    expect(res2.status).toBe(415);
    await stillServes();
  });

  test('application/*+json with charset utf-8 is accepted', async () => {
    const res = await post(pdp.url, '/v1/decide', good, { 'content-type': 'application/vnd.pdp+json; charset=UTF-8' });
    expect(res.status).toBe(200);
  });

  test('a body over the limit is 413 (declared Content-Length)', async () => {
    const big = JSON.stringify({ ...good, context: { pad: 'x'.repeat(5000) } });
    const res = await post(pdp.url, '/v1/decide', big);
    expectProblem(res, 413, 'payload_too_large');
    await stillServes();
  });

  test('a chunked body over the limit is 413 (counted while reading)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${pdp.url}/v1/decide`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"context":{"pad":"');
      for (let i = 0; i < 10; i++) req.write('y'.repeat(1000));
      req.end('"}}');
    });
    expect(status).toBe(413);
    await stillServes();
  });

  test('a multi-byte character split across chunks stays whole', async () => {
    const body = JSON.stringify({ ...good, context: { who: 'Zoë 🙂' } });
    const buf = Buffer.from(body);
    const cut = buf.indexOf(Buffer.from('🙂')) + 2;
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${pdp.url}/v1/decide`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(buf.subarray(0, cut));
      setTimeout(() => req.end(buf.subarray(cut)), 20);
    });
    expect(status).toBe(200);
  });

  test('a client that disconnects mid-body does not hurt the service', async () => {
    await new Promise<void>((resolve) => {
      const url = new URL(`${pdp.url}/v1/decide`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500' } });
      req.on('error', () => resolve());
      req.write('{"subject":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 30);
    });
    await stillServes();
  });

  test('unknown path is 404 and a wrong method is 405 with Allow, both problem+json', async () => {
    const nf = await fetch(`${pdp.url}/v2/nothing`);
    expectProblem({ status: nf.status, headers: nf.headers, body: await nf.json() }, 404, 'not_found');
    const na = await fetch(`${pdp.url}/v1/decide`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectProblem({ status: na.status, headers: na.headers, body: await na.json() }, 405, 'method_not_allowed');
    expect(na.headers.get('allow')).toBe('POST');
    await stillServes();
  });

  test('no 5xx appears in the log for any of the above', () => {
    expect(pdp.log.lines.filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});
