import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientErrorCode, clientErrorListener, type ClientErrorCode } from '../src/client-error.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const STATUS: Record<ClientErrorCode, number> = { bad_request: 400, headers_too_large: 431, payload_too_large: 413, request_timeout: 408 };

/** A server answering refused requests through the listener; `open()` counts its open connections. */
async function start(drainMs: number): Promise<{ port: number; asked: ClientErrorCode[]; open: () => number }> {
  const asked: ClientErrorCode[] = [];
  let connections = 0;
  server = createServer({ maxHeaderSize: 4096 }, (_req, res) => res.end('app'));
  server.on('connection', (socket: Socket) => {
    connections += 1;
    socket.on('close', () => (connections -= 1));
  });
  server.on(
    'clientError',
    clientErrorListener(
      (code) => {
        asked.push(code);
        return { status: STATUS[code], body: JSON.stringify({ status: STATUS[code], code }), requestId: `id-${asked.length}` };
      },
      { drainMs },
    ),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, asked, open: () => connections };
}

/**
 * Writes `head`; with 'drip', stays half-open (the server's FIN does not end this side) and writes
 * a byte every 50 ms until the server closes. Resolves with what came back and when.
 */
function send(port: number, head: string, then?: 'drip'): Promise<{ text: string; closedAfterMs: number; error?: string }> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: then !== undefined });
    let text = '';
    let error: string | undefined;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(head);
      if (then === 'drip') timer = setInterval(() => socket.writable && socket.write('x'), 50);
    });
    socket.on('data', (d: string) => (text += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, closedAfterMs: Date.now() - started, ...(error !== undefined ? { error } : {}) });
    });
  });
}

describe('clientErrorListener', () => {
  it('answers a broken request with the service\'s problem, its own request id and Connection: close', async () => {
    const { port, asked } = await start(1_000);
    const { text } = await send(port, 'GET / HTTP/1.1\nBad Header Line\r\n\r\n');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json; charset=utf-8(\r\n|$)/);
    expect(head).toMatch(/\r\nX-Request-ID: id-1(\r\n|$)/);
    expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toEqual({ status: 400, code: 'bad_request' });
    expect(asked).toEqual(['bad_request']);
  });

  it('names headers past the limit headers_too_large (431)', async () => {
    const { port } = await start(1_000);
    const { text } = await send(port, `GET / HTTP/1.1\r\nX-Pad: ${'x'.repeat(8_000)}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(text.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'headers_too_large' });
  });

  it('a client that never closes its side is cut off once the drain time is over, the answer intact', async () => {
    const { port, open } = await start(300);
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.on('connect', resolve));
    const started = Date.now();
    socket.write('GET / HTTP/1.1\nBad Header Line\n');
    await new Promise((resolve) => socket.once('end', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.split('\r\n\r\n')[1]!)).toEqual({ status: 400, code: 'bad_request' });
    expect(open()).toBe(1);
    // Without the limit the server keeps this connection for good: no request timeout applies.
    for (const end = Date.now() + 3_000; open() > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(open()).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    socket.destroy();
  });

  it('one that keeps sending is closed too, after the answer', async () => {
    const { port } = await start(300);
    const { text, closedAfterMs } = await send(port, 'GET / HTTP/1.1\nBad Header Line\n', 'drip');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('the app still serves well-formed requests', async () => {
    const { port, asked } = await start(1_000);
    const { text } = await send(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.endsWith('app')).toBe(true);
    expect(asked).toEqual([]);
  });
});

describe('clientErrorCode', () => {
  it('maps Node\'s parser and timeout codes, and anything else to bad_request', () => {
    const err = (code?: string) => Object.assign(new Error('x'), code === undefined ? {} : { code });
    expect(clientErrorCode(err('HPE_HEADER_OVERFLOW'))).toBe('headers_too_large');
    expect(clientErrorCode(err('HPE_CHUNK_EXTENSIONS_OVERFLOW'))).toBe('payload_too_large');
    expect(clientErrorCode(err('ERR_HTTP_REQUEST_TIMEOUT'))).toBe('request_timeout');
    expect(clientErrorCode(err('HPE_INVALID_METHOD'))).toBe('bad_request');
    expect(clientErrorCode(err())).toBe('bad_request');
    expect(clientErrorCode(err('toString'))).toBe('bad_request');
  });
});
