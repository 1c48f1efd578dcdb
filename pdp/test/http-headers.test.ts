/**
 * The header-count limit over a raw socket: Node stops parsing headers at `maxHeadersCount` and
 * drops the rest silently, so a second Authorization behind enough padding would not be seen
 * by the one-Authorization rule while a proxy in front reads it. Such a request is a 431.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_HEADERS_COUNT } from '../src/server/app.js';
import { ALICE, startTestPdp, type TestPdp } from './http-helpers.js';

let pdp: TestPdp;
const TOKEN = 'caller-token-1';

beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [TOKEN] });
});
afterAll(async () => {
  await pdp.stop();
});

/** Sends one request written by hand and returns the status and the body. */
function rawRequest(headerLines: string[], body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(pdp.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const head = ['POST /v1/decide HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', ...headerLines];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
}

const body = JSON.stringify({ subject: ALICE, resource: { type: 'chat' }, action: 'read' });
// Short lines, so 2,000 of them stay under Node's 16 KiB header size limit.
const padding = (n: number): string[] => Array.from({ length: n }, () => 'a: 1');

describe('header count', () => {
  test('control: a request with the client token and some padding decides', async () => {
    const res = await rawRequest([`Authorization: Bearer ${TOKEN}`, ...padding(50)], body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).allow).toBe(true);
  });

  test('a second Authorization after 2,000 other headers is not slipped past: 431 too_many_headers', async () => {
    const res = await rawRequest([`Authorization: Bearer ${TOKEN}`, ...padding(2000), 'Authorization: Bearer something-else'], body);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, code: 'too_many_headers' });
  });

  test('reaching the limit is refused before caller authentication, even without a second Authorization', async () => {
    const res = await rawRequest(padding(MAX_HEADERS_COUNT), body);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body).code).toBe('too_many_headers');
  });

  test('a second Authorization within the limit is still the 401 of the one-header rule', async () => {
    const res = await rawRequest([`Authorization: Bearer ${TOKEN}`, ...padding(100), 'Authorization: Bearer other'], body);
    expect(res.status).toBe(401);
  });
});
