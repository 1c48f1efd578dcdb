/**
 * More hostile input at the edge, sent the way a hostile caller would (raw sockets where fetch
 * would tidy the request up): encodings, media types, lying Content-Length, over-long URLs,
 * broken request lines, batch pointers. Every case is a problem+json with a stable code, never a
 * 500, and the service answers a good request right after.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, post, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
beforeAll(async () => {
  pdp = await startTestPdp({ maxBodyBytes: 4096, maxDepth: 16, maxBatch: 3 });
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

/** Writes raw bytes on a fresh connection and returns everything the server sent back. */
function raw(data: string | Buffer, { endAfterWrite = true } = {}): Promise<string> {
  const { hostname, port } = new URL(pdp.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.write(data);
    if (endAfterWrite) socket.end();
    setTimeout(() => socket.destroy(), 3000).unref();
  });
}

/** The first response in a raw answer: status, headers (lower-case) and parsed body. */
function firstResponse(text: string): { status: number; headers: Record<string, string>; body: any } {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  const start = text.indexOf('\r\n\r\n') + 4;
  const body = text.slice(start, start + Number(headers['content-length'] ?? 0));
  return { status: Number(statusLine?.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
}

function expectProblem(res: { status: number; headers: Headers | Record<string, string>; body: any }, status: number, code: string): void {
  const type = res.headers instanceof Headers ? res.headers.get('content-type') : res.headers['content-type'];
  expect(res.status).toBe(status);
  expect(type).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: `urn:pdp:problem:${code}` });
}

describe('media type and encoding', () => {
  test.each([
    ['a UTF-8 byte order mark before the JSON', `\uFEFF${JSON.stringify(good)}`, {}, 400, 'invalid_json'],
    ['Content-Encoding: gzip', JSON.stringify(good), { 'content-encoding': 'gzip' }, 415, 'unsupported_media_type'],
    ['Content-Encoding: identity, gzip', JSON.stringify(good), { 'content-encoding': 'identity, gzip' }, 415, 'unsupported_media_type'],
    ['text/json', JSON.stringify(good), { 'content-type': 'text/json' }, 415, 'unsupported_media_type'],
    ['application/jsonp', JSON.stringify(good), { 'content-type': 'application/jsonp' }, 415, 'unsupported_media_type'],
    ['charset utf-16', JSON.stringify(good), { 'content-type': 'application/json; charset=utf-16' }, 415, 'unsupported_media_type'],
  ] as const)('%s → %s %s', async (_name, body, headers, status, code) => {
    expectProblem(await post(pdp.url, '/v1/decide', body, headers), status, code);
    await stillServes();
  });

  test('quoted charset and +json types are JSON', async () => {
    for (const ct of ['application/json; charset="UTF-8"', 'application/merge-patch+json', 'Application/JSON']) {
      expect((await post(pdp.url, '/v1/decide', good, { 'content-type': ct })).status, ct).toBe(200);
    }
  });
});

describe('body values that are odd but valid JSON decide normally', () => {
  test('huge numbers, lone surrogates, very long strings, many keys: 200 deny or allow, never an error', async () => {
    const manyKeys = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    for (const body of [
      `{"subject":{"id":"alice","groups":["oracle-ai-users"],"claims":{"n":1e400,"m":-1e-400}},"resource":{"type":"chat"},"action":"read"}`,
      `{"subject":{"id":"\\ud800"},"resource":{"type":"chat","id":"\\udfff"},"action":"read"}`,
      JSON.stringify({ ...good, context: { long: 'x'.repeat(3500) } }),
      JSON.stringify({ ...good, context: manyKeys }),
    ]) {
      const res = await post(pdp.url, '/v1/decide', body);
      expect(res.status, body.slice(0, 60)).toBe(200);
      expect(typeof res.body.allow).toBe('boolean');
    }
  });
});

describe('schema errors name the field', () => {
  test.each([
    ['explain as a string', { ...good, explain: 'yes' }, ['/explain']],
    ['token as a number', { token: 5, resource: { type: 'chat' }, action: 'read' }, ['/token']],
    ['token as an object', { token: { alg: 'none' }, resource: { type: 'chat' }, action: 'read' }, ['/token']],
    ['an empty token', { token: '', resource: { type: 'chat' }, action: 'read' }, ['/token']],
    ['a token longer than 16 KiB', { token: 'a'.repeat(16385), resource: { type: 'chat' }, action: 'read' }, ['/token']],
  ] as const)('%s', async (_name, body, pointers) => {
    // The token checks need token mode off or on alike: the schema runs first. 16 KiB + is over this server's body limit.
    const res = await post(pdp.url, '/v1/decide', body);
    if (res.status === 413) return expectProblem(res, 413, 'payload_too_large');
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(pointers);
  });

  test('batch: 0 items, max+1 items, and bad items named by index', async () => {
    const item = { resource: { type: 'chat' }, action: 'read' };
    const none = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items: [] });
    expectProblem(none, 400, 'validation_failed');
    expect(none.body.errors).toEqual([{ pointer: '/items', detail: 'items must list at least one item' }]);
    const tooMany = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items: [item, item, item, item] });
    expect(tooMany.body.errors).toEqual([{ pointer: '/items', detail: 'items must list at most 3 items' }]);
    const mixed = await post(pdp.url, '/v1/decide/batch', { subject: ALICE, items: [item, { resource: {}, action: 5 }, { action: 'x', extra: 1 }] });
    expect(mixed.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/items/1/action', '/items/1/resource/type', '/items/2/extra', '/items/2/resource']);
    const proto = await post(pdp.url, '/v1/decide/batch', `{"subject":{"id":"a"},"items":[${JSON.stringify(item)},{"resource":{"type":"chat","attributes":{"constructor":{}}},"action":"read"}]}`);
    expectProblem(proto, 400, 'forbidden_key');
    expect(proto.body.errors).toEqual([{ pointer: '/items/1/resource/attributes/constructor', detail: 'forbidden key' }]);
    await stillServes();
  });
});

describe('what Node refuses before the app sees it is problem+json too', () => {
  test('a 70 KB URL: 431', async () => {
    const res = firstResponse(await raw(`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    expectProblem(res, 431, 'headers_too_large');
    await stillServes();
  });

  test('a broken request line: 400 bad_request', async () => {
    const res = firstResponse(await raw('BREW /v1/decide HTCPCP/1.0\r\n\r\n'));
    expectProblem(res, 400, 'bad_request');
    await stillServes();
  });

  test('Content-Length shorter than the body: the declared bytes are the body (invalid JSON), the rest is refused, never a 500', async () => {
    const body = JSON.stringify(good);
    const text = await raw(`POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n${body}`);
    const res = firstResponse(text);
    // Whichever Node answers first: the 10-byte body (invalid JSON) or the leftover bytes read as
    // a next request (bad_request, which closes the connection). Both are 400 problems.
    expect(res.status).toBe(400);
    expect(['invalid_json', 'bad_request']).toContain(res.body.code);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(text).not.toMatch(/HTTP\/1\.1 5\d\d/);
    await stillServes();
  });

  test('Content-Length and Transfer-Encoding together (request smuggling shape): refused', async () => {
    const body = JSON.stringify(good);
    const text = await raw(`POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    expect(firstResponse(text).status).toBe(400);
    await stillServes();
  });

  test('dot segments are not resolved by the server: /v1/decide/../policies is no route', async () => {
    for (const target of ['/v1/decide/../policies', '/v1/decide/%2e%2e/policies', '/./v1/policies']) {
      const res = firstResponse(await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      expectProblem(res, 404, 'not_found');
    }
  });

  test('AuthZEN bodies get the same key checks: __proto__ in subject.properties, constructor at the top', async () => {
    const az = `{"subject":{"type":"user","id":"a","properties":{"__proto__":{"groups":["oracle-ai-users"]}}},"action":{"name":"read"},"resource":{"type":"chat","id":"1"}}`;
    const res = await post(pdp.url, '/access/v1/evaluation', az);
    expectProblem(res, 400, 'forbidden_key');
    expect(res.body.errors).toEqual([{ pointer: '/subject/properties/__proto__', detail: 'forbidden key' }]);
    const top = await post(pdp.url, '/access/v1/evaluations', `{"constructor":{},"evaluations":[]}`);
    expectProblem(top, 400, 'forbidden_key');
    expect(top.body.errors).toEqual([{ pointer: '/constructor', detail: 'forbidden key' }]);
    await stillServes();
  });

  test('open mode (no caller tokens) answers only requests addressed to a loopback host: DNS rebinding gets a 421', async () => {
    const ask = async (host: string | undefined, line = 'GET /v1/policies HTTP/1.1') =>
      firstResponse(await raw(`${line}\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`));
    for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.nip.io', '10.0.0.1:8181']) {
      expectProblem(await ask(host), 421, 'host_not_allowed');
    }
    expectProblem(await ask(undefined, 'GET /healthz HTTP/1.0'), 421, 'host_not_allowed');
    const body = JSON.stringify(good);
    const rebound = firstResponse(await raw(`POST /v1/decide HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`));
    expectProblem(rebound, 421, 'host_not_allowed');
    for (const host of ['127.0.0.1:1', 'localhost:8181', 'LOCALHOST', '[::1]:8181', '127.0.0.1']) expect((await ask(host)).status, host).toBe(200);
    await stillServes();
  });

  test('HEAD on a POST route is 405 with Allow: POST', async () => {
    const res = await fetch(`${pdp.url}/v1/decide`, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('a GET route answers HEAD; POST on it is 405 with Allow: GET, HEAD; OPTIONS lists the methods; an unknown method is 501', async () => {
    const head = await fetch(`${pdp.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post405 = await fetch(`${pdp.url}/healthz`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(post405.status).toBe(405);
    expect(post405.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post405.json()) as { code: string }).code).toBe('method_not_allowed');
    const options = await fetch(`${pdp.url}/v1/decide`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST');
    const unknown = firstResponse(await raw('PROPFIND /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    expectProblem(unknown, 501, 'not_implemented');
  });

  test('no 5xx was logged', () => {
    expect(pdp.log.lines.filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});
