/**
 * The client against a real PDP (pdp's startPdpServer on 127.0.0.1, ephemeral port) and against
 * small hostile servers: decide, batch and plan; fail closed on every malformed answer, status,
 * timeout and connection failure; keep-alive reuse; one retry on a new connection only when a
 * reused connection is reset before any response byte, never after the response started.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPdpServer, type PdpServer } from '@oracle-ai/pdp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdpClient, PdpClientError } from '../src/index.js';

const DOCS = {
  id: 'docs',
  resource: 'document',
  rules: [
    { id: 'owners-read', effect: 'allow', actions: ['read'], when: { '==': [{ var: 'resource.attributes.owner' }, { var: 'subject.id' }] } },
    { id: 'staff-list', effect: 'allow', actions: ['list'], subject: { groups: { anyOf: ['staff'] } } },
  ],
};
const ALICE = { id: 'alice', groups: ['staff'] };

let dir: string;
let pdp: PdpServer;
let client: PdpClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pdp-client-'));
  await writeFile(path.join(dir, 'docs.json'), JSON.stringify(DOCS));
  pdp = await startPdpServer({ host: '127.0.0.1', port: 0, policiesDir: dir, logLevel: 'error', clientTokens: ['secret-token-0123456789abcdef'], logDestination: { write: () => true } as never });
  client = new PdpClient({ url: pdp.url, clientToken: 'secret-token-0123456789abcdef' });
});
afterAll(async () => {
  client?.close();
  await pdp?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A server whose every answer `respond` writes; counts connections and requests. */
async function fakePdp(respond: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) {
  const sockets = new Set<Socket>();
  const stats = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => respond(req, res, ++stats.requests));
  });
  server.on('connection', (s) => {
    stats.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stats,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (res: http.ServerResponse, body: unknown, status = 200): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PdpClientError);
    return (err as PdpClientError).code;
  }
  return 'resolved';
}

describe('against a real PDP', () => {
  it('decides, batches and plans', async () => {
    expect((await client.decide({ subject: ALICE, resource: { type: 'document', attributes: { owner: 'alice' } }, action: 'read' })).allow).toBe(true);
    expect((await client.decide({ subject: ALICE, resource: { type: 'document', attributes: { owner: 'bob' } }, action: 'read' })).allow).toBe(false);
    const batch = await client.batch({ subject: ALICE, items: [{ resource: { type: 'document' }, action: 'list' }, { resource: { type: 'document' }, action: 'delete' }] });
    expect(batch.map((d) => d.allow)).toEqual([true, false]);
    expect(await client.plan({ subject: ALICE, resourceType: 'document', action: 'read' })).toMatchObject({ kind: 'conditional', condition: { '==': [{ var: 'resource.attributes.owner' }, 'alice'] } });
    expect((await client.plan({ subject: ALICE, resourceType: 'document', action: 'list' })).kind).toBe('always_allowed');
    const listing = await client.policies();
    expect(listing.policies.map((p) => p.id)).toEqual(['docs']);
  });

  it('turns a refused request into a typed error, never an allow', async () => {
    const bad = new PdpClient({ url: pdp.url, clientToken: 'wrong-token-0123456789abcdefgh' });
    const err = await bad.decide({ subject: ALICE, resource: { type: 'document' }, action: 'list' }).catch((e: unknown) => e);
    bad.close();
    expect(err).toMatchObject({ code: 'http_status', details: { status: 401 } });
    expect(await codeOf(client.decide({ subject: { id: '' }, resource: { type: 'document' }, action: 'list' }))).toBe('http_status');
  });
});

describe('fail closed', () => {
  it.each([
    ['allow as a string', { decisionId: 'd', allow: 'true', effect: 'allow', reasons: [], revision: 'r' }],
    ['allow and effect disagreeing', { decisionId: 'd', allow: true, effect: 'deny', reasons: [], revision: 'r' }],
    ['no decision id', { allow: true, effect: 'allow', reasons: [], revision: 'r' }],
    ['an array', [true]],
  ])('a malformed decision (%s) is bad_response', async (_name, body) => {
    const fake = await fakePdp((_req, res) => json(res, body));
    const c = new PdpClient({ url: fake.url });
    expect(await codeOf(c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' }))).toBe('bad_response');
    c.close();
    await fake.close();
  });

  it('a plan with an unsafe condition, a short batch, HTML, 500 and 422 are errors', async () => {
    let mode = '';
    const fake = await fakePdp((req, res) => {
      if (mode === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('{"decisionId":"d","allow":true,"effect":"allow","reasons":[],"revision":"r"}');
      }
      if (mode === '422') return json(res, { code: 'plan_unsupported', detail: 'Rule docs/x: no' }, 422);
      if (req.url === '/v1/plan') return json(res, { kind: 'conditional', condition: { method: [{ var: 'resource.id' }, 'toString'] }, revision: 'r' });
      if (req.url === '/v1/decide/batch') return json(res, { results: [] });
      json(res, { code: 'internal' }, 500);
    });
    const c = new PdpClient({ url: fake.url });
    const decideOnce = () => c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' });
    expect(await codeOf(c.plan({ subject: ALICE, resourceType: 'd', action: 'read' }))).toBe('bad_response');
    expect(await codeOf(c.batch({ subject: ALICE, items: [{ resource: { type: 'd' }, action: 'read' }] }))).toBe('bad_response');
    expect(await codeOf(decideOnce())).toBe('http_status');
    mode = 'html';
    expect(await codeOf(decideOnce())).toBe('bad_response');
    mode = '422';
    expect(await codeOf(c.plan({ subject: ALICE, resourceType: 'd', action: 'read' }))).toBe('plan_unsupported');
    c.close();
    await fake.close();
  });

  it('a PDP that does not answer in time is a timeout, per call', async () => {
    const fake = await fakePdp((_req, res) => setTimeout(() => json(res, { decisionId: 'd', allow: true, effect: 'allow', reasons: [], revision: 'r' }), 1500));
    const c = new PdpClient({ url: fake.url, timeoutMs: 5000 });
    const started = Date.now();
    expect(await codeOf(c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' }, { timeoutMs: 50 }))).toBe('timeout');
    // Well before the answer would have come.
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' })).allow).toBe(true);
    c.close();
    await fake.close();
  });

  it('an unreachable PDP is unreachable', async () => {
    const fake = await fakePdp(() => {});
    await fake.close();
    const c = new PdpClient({ url: fake.url });
    expect(await codeOf(c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' }))).toBe('unreachable');
    c.close();
  });
});

describe('keep-alive', () => {
  const allow = { decisionId: 'd', allow: true, effect: 'allow', reasons: [], revision: 'r' };
  const ask = (c: PdpClient) => c.decide({ subject: ALICE, resource: { type: 'd' }, action: 'read' });

  it('reuses one connection for consecutive calls', async () => {
    const fake = await fakePdp((_req, res) => json(res, allow));
    const c = new PdpClient({ url: fake.url });
    for (let i = 0; i < 5; i++) await ask(c);
    expect(fake.stats).toEqual({ connections: 1, requests: 5 });
    c.close();
    await fake.close();
  });

  it('retries once on a new connection when a reused one is reset before any response byte', async () => {
    const fake = await fakePdp((req, res, n) => (n === 2 ? req.socket.resetAndDestroy() : json(res, allow)));
    const c = new PdpClient({ url: fake.url });
    await ask(c);
    expect((await ask(c)).allow).toBe(true);
    expect(fake.stats).toEqual({ connections: 2, requests: 3 });
    c.close();
    await fake.close();
  });

  it('never retries once the response has started', async () => {
    const fake = await fakePdp((req, res, n) => {
      if (n !== 2) return json(res, allow);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 500 });
      res.write('{"allow":');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
    });
    const c = new PdpClient({ url: fake.url });
    await ask(c);
    expect(await codeOf(ask(c))).toBe('unreachable');
    expect(fake.stats.requests).toBe(2);
    c.close();
    await fake.close();
  });

  it('does not retry a reset on a fresh connection', async () => {
    const fake = await fakePdp((req) => req.socket.resetAndDestroy());
    const c = new PdpClient({ url: fake.url });
    expect(await codeOf(ask(c))).toBe('unreachable');
    expect(fake.stats.requests).toBe(1);
    c.close();
    await fake.close();
  });
});
