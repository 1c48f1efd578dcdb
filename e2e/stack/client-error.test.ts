// What Node's HTTP parser refuses before the app sees it (a broken request line, a 70 KB URL) is
// answered by the PDP and by demo-api each with a request id of its own, as every other answer
// is, so a client can quote it; the PDP's answer stays its problem+json. Real processes on
// 127.0.0.1, wired by the launcher's configuration, and raw sockets (fetch would not send these).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackConfig, startService, stopAll, type Stack } from '../fault/support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await stackConfig();
  await startService(stack.service('pdp'), { PDP_DECISION_LOG: 'off' });
  await startService(stack.service('idp'));
  await startService(stack.service('api'));
});
afterAll(stopAll);

/** Writes `data` on a fresh connection; the status, headers (lower-case names) and body sent back. */
function raw(port: number, data: string): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    let text = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

const id = 'x-request-id';

const REFUSED = [
  ['a broken request line', 'BREW /coffee HTCPCP/1.0\r\n\r\n', 400, 'bad_request'],
  ['a 70 KB URL', `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 431, 'headers_too_large'],
] as const;

describe("Node's clientError answers carry an X-Request-ID", () => {
  it.each(REFUSED)('the PDP: %s is its problem+json with a fresh request id', async (_name, data, status, code) => {
    const [one, two] = [await raw(stack.ports.PDP_PORT, data), await raw(stack.ports.PDP_PORT, data)];
    for (const answer of [one, two]) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status, code });
    }
    expect(one.headers.get(id)).toMatch(/^[\w-]{8,}$/);
    expect(two.headers.get(id)).not.toBe(one.headers.get(id));
    expect((await fetch(`${stack.internal(stack.ports.PDP_PORT)}/readyz`)).status).toBe(200);
  });

  it.each(REFUSED)('demo-api: %s is the same status with a fresh request id', async (_name, data, status) => {
    const [one, two] = [await raw(stack.ports.API_PORT, data), await raw(stack.ports.API_PORT, data)];
    for (const answer of [one, two]) {
      expect(answer.status).toBe(status);
      expect(answer.headers.get('connection')).toBe('close');
      expect(answer.headers.get(id)).toMatch(/^[\w-]{8,}$/);
    }
    expect(two.headers.get(id)).not.toBe(one.headers.get(id));
    expect((await fetch(`${stack.internal(stack.ports.API_PORT)}/healthz`)).status).toBe(200);
  });
});
