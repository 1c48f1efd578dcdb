/**
 * The PDP client's one retry: a keep-alive connection reset before any response byte is sent
 * once more, on a new connection; nothing else is retried (a response that started, a refused
 * connection, a timeout, an error status), and what still fails is a pdp_unavailable 503.
 * Real servers on 127.0.0.1, each misbehaving in one way.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { ApiError } from '../src/errors.js';
import { PdpClient, fetchRetryingReset, isResetBeforeResponse } from '../src/pdp-client.js';

const SUBJECT = { id: 'alice', groups: ['oracle-ai-users'], claims: {} };
const ITEM = { resource: { type: 'chat' }, action: 'read' };
const DECISION = JSON.stringify({ decisionId: 'd-1', allow: true, revision: 'sha256:x' });

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

interface Seen {
  /** The client port of each request, in order: a new port is a new connection. */
  ports: number[];
}

/** A PDP stand-in; `answer` gets the request's number (1-based) and decides what to do. */
async function pdp(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { ports: [] };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.ports.push((req.socket as Socket).remotePort ?? 0);
      answer(seen.ports.length, req, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(DECISION) });
  res.end(DECISION);
}

const client = (url: string, pdpTimeoutMs = 2_000) => new PdpClient({ pdpUrl: url, pdpClientToken: undefined, pdpTimeoutMs });

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('PdpClient: a connection reset before the response', () => {
  it('on a reused keep-alive connection: sent once more, on a new connection, and decided', async () => {
    // The first request that arrives on a connection already used is dropped unanswered: a PDP
    // closing an idle connection just as the next request reaches it.
    const used = new Set<Socket>();
    let dropped = false;
    const { url, seen } = await pdp((_n, req, res) => {
      if (used.has(req.socket) && !dropped) {
        dropped = true;
        req.socket.destroy();
        return;
      }
      used.add(req.socket);
      ok(res);
    });
    const c = client(url);
    expect((await c.decide(SUBJECT, ITEM)).allow).toBe(true);
    // Time for the connection to go back to the pool, so the next request reuses it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await c.decide(SUBJECT, ITEM)).allow).toBe(true);
    expect(dropped).toBe(true);
    console.log(`reset on a reused connection: ${seen.ports.length} requests on ports ${seen.ports.join(', ')}`);
    expect(seen.ports).toHaveLength(3);
    expect(seen.ports[1]).toBe(seen.ports[0]);
    expect(seen.ports[2]).not.toBe(seen.ports[1]);
  });

  it('retried once only: a PDP that resets every request is a 503 after two attempts', async () => {
    const { url, seen } = await pdp((_n, req) => req.socket.destroy());
    const err = await failure(client(url).decide(SUBJECT, ITEM));
    expect({ code: err.code, status: err.status, detail: err.detail }).toEqual({ code: 'pdp_unavailable', status: 503, detail: 'The policy decision point cannot be reached.' });
    expect(seen.ports).toHaveLength(2);
  });

  it('never after the response started: a head then a reset is a 503 after one attempt', async () => {
    const { url, seen } = await pdp((_n, req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"decisionId":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const err = await failure(client(url).decide(SUBJECT, ITEM));
    expect(err.code).toBe('pdp_unavailable');
    expect(err.detail).toBe('The policy decision point gave an unreadable answer.');
    expect(seen.ports).toHaveLength(1);
  });

  it('not for an answer: a 503 from the PDP is passed on as a 503 after one attempt', async () => {
    const { url, seen } = await pdp((_n, _req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end('{}');
    });
    const err = await failure(client(url).decide(SUBJECT, ITEM));
    expect(err.detail).toBe('The policy decision point answered HTTP 503.');
    expect(seen.ports).toHaveLength(1);
  });

  it('not for a timeout: a PDP that never answers is a 503 within the timeout, after one attempt', async () => {
    const { url, seen } = await pdp(() => undefined);
    const started = performance.now();
    const err = await failure(client(url, 300).decide(SUBJECT, ITEM));
    const tookMs = performance.now() - started;
    expect(err.detail).toBe('The policy decision point did not answer in time.');
    expect(tookMs).toBeLessThan(1_000);
    expect(seen.ports).toHaveLength(1);
  });

  it('not for a refused connection: nothing listening is one attempt', async () => {
    const { url } = await pdp(() => undefined);
    const [server] = servers.splice(0);
    await new Promise((resolve) => server!.close(resolve));
    let attempts = 0;
    const counting: typeof fetch = (input, init) => {
      attempts += 1;
      return fetch(input, init);
    };
    const err = await fetchRetryingReset(`${url}/v1/decide`, { method: 'POST', body: '{}' }, counting).then(() => undefined, (e: unknown) => e);
    expect(isResetBeforeResponse(err)).toBe(false);
    expect(attempts).toBe(1);
  });
});
