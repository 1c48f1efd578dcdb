/**
 * A seeded fuzz of the HTTP edge against a real server: valid decide, batch and AuthZEN bodies,
 * mutated (fields deleted, duplicated, retyped; hostile strings, deep nesting, huge numbers,
 * forbidden keys, broken JSON), sent with odd headers (content types, encodings, a second
 * Authorization) to odd paths (case, trailing slashes, encoded characters). Asserted: never a
 * 5xx, never `allow: true` for a request the reference check (`checkRequest`) refuses, and the
 * server still decides afterwards. `FUZZ_SEED=<n>` replays one run; the seed is in every failure.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkRequest } from '../src/policy/request.js';
import { ALICE, CAROL, startTestPdp, type TestPdp } from './http-helpers.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const MAX_REQUESTS = 3000;
const TIME_BUDGET_MS = 15_000;
const CONCURRENCY = 8;
const TOKEN = 'fuzz-caller-token';

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

const VALID: { path: string; body: () => Record<string, unknown> }[] = [
  { path: '/v1/decide', body: () => ({ subject: structuredClone(ALICE), resource: { type: 'chat', id: 'r1' }, action: 'read', context: { ip: '10.0.0.1' } }) },
  { path: '/v1/decide', body: () => ({ subject: { ...structuredClone(CAROL), claims: { account_status: 'active' } }, resource: { type: 'admin' }, action: 'read', explain: true }) },
  { path: '/v1/decide/batch', body: () => ({ subject: structuredClone(ALICE), items: [{ resource: { type: 'chat' }, action: 'read' }, { resource: { type: 'chat' }, action: 'write' }] }) },
  { path: '/access/v1/evaluation', body: () => ({ subject: { type: 'user', id: 'alice', properties: { groups: ['oracle-ai-users'] } }, resource: { type: 'chat', id: '1' }, action: { name: 'read' } }) },
  { path: '/access/v1/evaluations', body: () => ({ subject: { type: 'user', id: 'carol', properties: { groups: ['oracle-ai-admins'] } }, evaluations: [{ resource: { type: 'admin', id: '1' }, action: { name: 'read' } }, { resource: { type: 'chat', id: '2' }, action: { name: 'write' } }] }) },
];

const HOSTILE_STRINGS = ['', ' ', 'read ', ' read', 'read\u200b', 'read\u0000', 'rеad', 'READ', 'ｒｅａｄ', '\ud800', '\u202e', '*', '../..', '%00', '__proto__', 'constructor', 'x'.repeat(5000), '\n', '{"a":1}', '$token'];
const HOSTILE_VALUES: unknown[] = [null, true, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, [], {}, [[]], ['read'], { name: 'read' }, 'read', ...HOSTILE_STRINGS];

type Json = Record<string, unknown> | unknown[];

/** Every container inside a value (objects and arrays), the value itself included. */
function containers(value: unknown, out: Json[] = []): Json[] {
  if (value !== null && typeof value === 'object') {
    out.push(value as Json);
    for (const v of Object.values(value)) containers(v, out);
  }
  return out;
}

function mutate(body: Record<string, unknown>): void {
  const target = pick(containers(body));
  const keys = Object.keys(target);
  const key = keys.length > 0 ? pick(keys) : '0';
  const t = target as Record<string, unknown>;
  switch (Math.floor(rand() * 8)) {
    case 0:
      if (Array.isArray(target)) target.splice(Number(key), 1);
      else delete t[key];
      break;
    case 1:
      t[`${key}${pick(['', '2', '_', ' '])}`] = structuredClone(t[key]);
      break;
    case 2:
    case 3:
      t[key] = structuredClone(pick(HOSTILE_VALUES));
      break;
    case 4: {
      let deep: unknown = pick(['x', 1, {}]);
      for (let i = 0, n = 10 + Math.floor(rand() * 60); i < n; i++) deep = rand() < 0.5 ? [deep] : { a: deep };
      t[key] = deep;
      break;
    }
    case 5:
      t[pick(['extra', 'roles', 'allow', 'effect', 'token', 'subject'])] = structuredClone(pick(HOSTILE_VALUES));
      break;
    case 6:
      if (Array.isArray(target)) for (let i = 0, n = Math.floor(rand() * 200); i < n; i++) target.push(structuredClone(target[0] ?? 'x'));
      else t[key] = `${String(t[key])}${pick(HOSTILE_STRINGS)}`;
      break;
    default:
      // An own property, as JSON.parse makes one: JSON.stringify writes it out.
      Object.defineProperty(t, pick(['__proto__', 'constructor', 'prototype']), { value: { allow: true }, enumerable: true, writable: true, configurable: true });
  }
}

function bodyText(body: Record<string, unknown>): string {
  let text = JSON.stringify(body);
  // A `__proto__` key set by assignment is the prototype, not a key: spell it into the text.
  if (rand() < 0.05) text = text.replace('{', '{"__proto__":{"allow":true},');
  if (rand() < 0.03) text = text.replace('{', '{"\\u005f_proto__":{"polluted":1},');
  const r = rand();
  if (r < 0.04) text = text.slice(0, Math.floor(rand() * text.length));
  else if (r < 0.06) text = `\ufeff${text}`;
  else if (r < 0.08) text = pick(['[]', 'null', '"x"', '1', '', '{', '}']);
  return text;
}

function mutatePath(path: string): string {
  const r = rand();
  if (r < 0.8) return path;
  return pick([
    path.toUpperCase(), `${path}/`, `/${path}`, path.replace('/v1', '/v1/.'), path.replace(/e/, '%65'), `/${path.slice(1).replace('/', '%2F')}`,
    `${path}?explain=true`, `${path}#x`, `${path};x`, path.replace('decide', 'decide%00'), `${path}%20`, '/v1/policies', '/metrics', '/nope',
  ]);
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  text: string;
  body: Record<string, unknown> | undefined;
  basePath: string;
}

function makeRequest(): Sent {
  const base = pick(VALID);
  const body = base.body();
  for (let i = 0, n = Math.floor(rand() * 4); i < n; i++) mutate(body);
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
  const h = rand();
  if (h < 0.05) headers['content-type'] = pick(['text/plain', 'application/json; charset=latin1', 'application/JSON', 'application/x+json', 'multipart/form-data', '', 'application/json;charset="utf-8"']);
  else if (h < 0.08) headers.authorization = [`Bearer ${TOKEN}`, 'Bearer other'];
  else if (h < 0.1) headers.authorization = pick(['Bearer', `bearer ${TOKEN}`, `Bearer  ${TOKEN} `, `Basic ${TOKEN}`, `Bearer ${TOKEN}\u00e9`.replace('\u00e9', 'x'), '']);
  else if (h < 0.12) headers['content-encoding'] = pick(['gzip', 'identity', 'br']);
  else if (h < 0.14) headers['x-request-id'] = pick(['ok-1', 'x'.repeat(300), 'a b']);
  const method = rand() < 0.03 ? pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND']) : 'POST';
  return { method, path: mutatePath(base.path), headers, text: bodyText(body), body, basePath: base.path };
}

let pdp: TestPdp;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

beforeAll(async () => {
  pdp = await startTestPdp({ clientTokens: [TOKEN], decisionLog: false, logLevel: 'warn' });
});
afterAll(async () => {
  agent.destroy();
  await pdp.stop();
});

function send(s: Sent): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // The path goes on the request line as written (no URL parser normalising it first).
    const req = request({ host: '127.0.0.1', port: pdp.port, path: s.path.replace(/#.*$/, ''), method: s.method, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    for (const [k, v] of Object.entries(s.headers)) if (v !== '') req.setHeader(k, v);
    req.on('error', reject);
    req.end(s.text);
  });
}

/** The decide-shaped requests a route's body stands for, to hold each against checkRequest. */
function referenceRequests(s: Sent, parsed: unknown): unknown[] {
  const p = parsed as { subject?: unknown; items?: unknown };
  if (s.basePath === '/v1/decide/batch') {
    return Array.isArray(p.items) ? p.items.map((item) => ({ subject: p.subject, ...(item as object) })) : [parsed];
  }
  return [parsed];
}

function allowsOf(text: string): boolean[] {
  try {
    const v = JSON.parse(text) as { allow?: unknown; results?: { allow?: unknown }[] };
    if (Array.isArray(v.results)) return v.results.map((r) => r.allow === true);
    return [v.allow === true];
  } catch {
    return [];
  }
}

test(`the edge holds under fuzzing (FUZZ_SEED=${SEED})`, { timeout: TIME_BUDGET_MS + 30_000 }, async () => {
  const started = Date.now();
  let sent = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (sent < MAX_REQUESTS && Date.now() - started < TIME_BUDGET_MS && failures.length === 0) {
      sent++;
      const s = makeRequest();
      let res: { status: number; text: string };
      try {
        res = await send(s);
      } catch (err) {
        // The server may close a socket after a 413 or a bad request; that is not a failure.
        if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as NodeJS.ErrnoException).code === 'EPIPE') continue;
        throw err;
      }
      const what = `FUZZ_SEED=${SEED}: ${s.method} ${s.path} ${JSON.stringify(s.headers)} ${s.text.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
      // 501 is the one 5xx on purpose: a method HTTP does not define for these routes.
      if (res.status >= 500 && !(res.status === 501 && s.method === 'PROPFIND')) failures.push(`5xx: ${what}`);
      if (res.status === 200 && (s.basePath === '/v1/decide' || s.basePath === '/v1/decide/batch')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(s.text);
        } catch {
          failures.push(`200 for a body that is not JSON: ${what}`);
          continue;
        }
        const allows = allowsOf(res.text);
        referenceRequests(s, parsed).forEach((r, i) => {
          if (allows[i] === true && checkRequest(r).length > 0) failures.push(`allow for an invalid request: ${what}`);
        });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(failures.slice(0, 5), `seed ${SEED}`).toEqual([]);
  expect(sent, `seed ${SEED}: requests sent`).toBeGreaterThan(200);

  // Still serving: a valid request decides.
  const after = await send({ method: 'POST', path: '/v1/decide', basePath: '/v1/decide', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, text: JSON.stringify({ subject: ALICE, resource: { type: 'chat' }, action: 'read' }), body: undefined });
  expect(after.status, `seed ${SEED}`).toBe(200);
  expect(JSON.parse(after.text).allow, `seed ${SEED}`).toBe(true);
});
