/**
 * X-Request-ID on every answer of the PDP over real HTTP: a caller's acceptable id (the
 * contract's rule) comes back on decisions, problems, 401, 404, 405, 413 and the rest; otherwise
 * the PDP makes one up. Decision-log lines and the service's error lines carry it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, get, post, startTestPdp, type TestPdp } from './http-helpers.js';

const TOKEN = 'caller-token-1';
const auth = { authorization: `Bearer ${TOKEN}` };
let pdp: TestPdp;

beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [TOKEN], maxBodyBytes: 1024 });
});
afterAll(async () => {
  await pdp.stop();
});

const decideBody = { subject: ALICE, resource: { type: 'chat' }, action: 'read' };

async function send(method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<Response> {
  const res = await fetch(pdp.url + urlPath, { method, headers: { 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res;
}

describe('X-Request-ID', () => {
  test.each([
    ['a decision', 'POST', '/v1/decide', auth, JSON.stringify(decideBody), 200],
    ['a batch', 'POST', '/v1/decide/batch', auth, JSON.stringify({ subject: ALICE, items: [{ resource: { type: 'chat' }, action: 'read' }] }), 200],
    ['an AuthZEN decision', 'POST', '/access/v1/evaluation', auth, JSON.stringify({ subject: { type: 'user', id: 'a' }, resource: { type: 'chat', id: '1' }, action: { name: 'read' } }), 200],
    ['a 401', 'POST', '/v1/decide', {}, JSON.stringify(decideBody), 401],
    ['a 404', 'GET', '/nope', auth, undefined, 404],
    ['a 405', 'GET', '/v1/decide', auth, undefined, 405],
    ['a 413', 'POST', '/v1/decide', auth, JSON.stringify({ ...decideBody, context: { pad: 'x'.repeat(2000) } }), 413],
    ['a 400', 'POST', '/v1/decide', auth, '{', 400],
    ['healthz', 'GET', '/healthz', {}, undefined, 200],
  ])('%s echoes an acceptable incoming id', async (_name, method, urlPath, headers, body, status) => {
    const id = `req-${urlPath}-${status}`;
    const res = await send(method, urlPath, { ...headers, 'x-request-id': id }, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toBe(id);
  });

  test('a missing or unacceptable id is replaced by a fresh one per request', async () => {
    const ids = new Set<string>();
    for (const given of [undefined, 'x'.repeat(129), 'has space']) {
      const res = await send('POST', '/v1/decide', given === undefined ? auth : { ...auth, 'x-request-id': given }, JSON.stringify(decideBody));
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[\x21-\x7e]{1,128}$/);
      expect(id).not.toBe(given);
      ids.add(id as string);
    }
    expect(ids.size).toBe(3);
  });

  test('the decision-log line carries the request id', async () => {
    const res = await post(pdp.url, '/v1/decide', decideBody, { ...auth, 'x-request-id': 'trace-me-42' });
    expect(res.status).toBe(200);
    const line = pdp.log.lines.find((l) => l.kind === 'decision' && l.decisionId === res.body.decisionId);
    expect(line?.requestId).toBe('trace-me-42');
    const other = await get(pdp.url, '/healthz');
    expect(other.headers.get('x-request-id')).toBeTruthy();
  });
});
