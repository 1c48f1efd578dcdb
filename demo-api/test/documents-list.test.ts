import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { startPdpServer, type PdpServer } from '@oracle-ai/pdp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { seedDocuments } from '../src/db/seed.js';
import type { ApiHandle } from '../src/index.js';
import { DEMO_USERS, send } from './support/documents.js';
import { POLICIES_DIR } from './support/pdp.js';
import { signIn, startStack, type Stack } from './support/stack.js';

const SEED = 300;

let stack: Stack;
const tokens = new Map<string, string>();
const token = (user: string): string => tokens.get(user) ?? '';

beforeAll(async () => {
  stack = await startStack({ documentsSeedSize: SEED });
  await stack.api.documentsReady();
  for (const user of DEMO_USERS) tokens.set(user, await signIn(stack.api, user));
}, 90_000);
afterAll(async () => {
  await stack?.close();
});

interface Listed {
  ids: string[];
  revision: string;
  total: number;
}

/** Every page of GET /api/documents, 100 at a time. */
async function listAll(api: ApiHandle, bearer: string, query = ''): Promise<Listed> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const { status, body } = await send(api, 'GET', `/api/documents?limit=100&offset=${offset}${query}`, bearer);
    if (status !== 200) throw new Error(`GET /api/documents: ${status} ${JSON.stringify(body)}`);
    const page = body as unknown as { documents: Array<{ id: string }>; total: number; revision: string };
    ids.push(...page.documents.map((d) => d.id));
    if (page.documents.length === 0 || offset + 100 >= page.total) return { ids, revision: page.revision, total: page.total };
  }
}

/** The ids `/v1/decide` allows `read` on, asked one document at a time, straight from the PDP over HTTP. */
async function decidedIds(pdpUrl: string, pdpToken: string, bearer: string): Promise<string[]> {
  const claims = decodeJwt(bearer);
  const allowed: string[] = [];
  for (const doc of seedDocuments(SEED)) {
    const response = await fetch(`${pdpUrl}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${pdpToken}` },
      body: JSON.stringify({
        subject: { id: claims.sub, groups: claims.groups },
        resource: { type: 'document', id: doc.id, attributes: { owner: doc.owner, department: doc.department, classification: doc.classification, status: doc.status } },
        action: 'read',
      }),
    });
    const decision = (await response.json()) as { allow: boolean };
    if (response.status !== 200) throw new Error(`POST /v1/decide: ${response.status}`);
    if (decision.allow === true) allowed.push(doc.id);
  }
  return allowed;
}

describe('GET /api/documents lists exactly what /v1/decide allows', () => {
  it.each(DEMO_USERS)('for %s, row by row', async (user) => {
    const listed = await listAll(stack.api, token(user));
    const decided = await decidedIds(stack.pdp.url, stack.pdpToken, token(user));
    expect(decided.length, 'the seed gives every user something to read').toBeGreaterThan(0);
    expect([...listed.ids].sort()).toEqual([...decided].sort());
    expect(listed.total).toBe(decided.length);
    expect(new Set(listed.ids).size, 'no document twice across pages').toBe(listed.ids.length);
    expect(listed.revision).toMatch(/^sha256:/);
  });

  it('carol, an admin, lists every row; the filters narrow it as SQL would', async () => {
    expect((await listAll(stack.api, token('carol'))).total).toBe(SEED);
    const drafts = await listAll(stack.api, token('carol'), '&status=draft&department=engineering');
    expect([...drafts.ids].sort()).toEqual(seedDocuments(SEED).filter((d) => d.status === 'draft' && d.department === 'engineering').map((d) => d.id).sort());
    const search = await listAll(stack.api, token('carol'), `&q=${encodeURIComponent('HANDBOOK')}`);
    expect(search.ids).toEqual(['engineering-handbook']);
  });

  it('answers newest first, in pages that join up', async () => {
    const { body } = await send(stack.api, 'GET', '/api/documents?limit=5&offset=0', token('alice'));
    const first = body.documents as Array<{ id: string; updatedAt: string; body?: string }>;
    expect(first).toHaveLength(5);
    expect(first[0]).not.toHaveProperty('body');
    const times = first.map((d) => Date.parse(d.updatedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const next = await send(stack.api, 'GET', '/api/documents?limit=5&offset=5', token('alice'));
    const all = await listAll(stack.api, token('alice'));
    expect([...first, ...(next.body.documents as Array<{ id: string }>)].map((d) => d.id)).toEqual(all.ids.slice(0, 10));
    const past = await send(stack.api, 'GET', '/api/documents?offset=100000', token('alice'));
    expect(past.body).toMatchObject({ documents: [], total: all.total, offset: 100000 });
  });
});

describe('query parameters are values, never SQL', () => {
  it.each([
    ["q=' OR '1'='1", 0],
    ['q=%25', 0],
    ['q=_', 0],
    ["q=x'); DROP TABLE documents; --", 0],
    ["department=engineering' OR '1'='1", 0],
  ])('%s matches nothing it should not', async (query, expected) => {
    const { status, body } = await send(stack.api, 'GET', `/api/documents?${query.replace(/ /g, '%20').replace(/#/g, '%23')}`, token('bob'));
    expect(status).toBe(200);
    expect(body.total).toBe(expected);
  });

  it.each([
    ['status=draft%27%20OR%201%3D1', '/status'],
    ['classification=secret', '/classification'],
    ['limit=1;DROP%20TABLE%20documents', '/limit'],
    ['limit=0', '/limit'],
    ['limit=101', '/limit'],
    ['offset=-1', '/offset'],
    ['offset=1e3', '/offset'],
    ['status=draft&status=published', '/status'],
    ['owner=bob', '/owner'],
    ['q=', '/q'],
    [`q=${'x'.repeat(101)}`, '/q'],
    ['q=%00', '/q'],
    ['department=%E2%80%8Bsales', '/department'],
  ])('%s is a 400 pointing at %s', async (query, pointer) => {
    const { status, body, headers } = await send(stack.api, 'GET', `/api/documents?${query}`, token('bob'));
    expect(status).toBe(400);
    expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.code).toBe('invalid_request');
    expect((body.errors as Array<{ pointer: string }>).map((e) => e.pointer)).toEqual([pointer]);
  });

  it('reports every bad parameter at once', async () => {
    const { body } = await send(stack.api, 'GET', '/api/documents?limit=x&offset=y&status=z', token('bob'));
    expect((body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort()).toEqual(['/limit', '/offset', '/status']);
  });

  it('leaves the table whole after all of that', async () => {
    expect((await listAll(stack.api, token('carol'))).total).toBe(SEED);
  });

  it('needs a token', async () => {
    expect((await send(stack.api, 'GET', '/api/documents', undefined)).status).toBe(401);
  });
});

describe('a live policy edit', () => {
  let dir: string;
  let pdp: PdpServer;
  let api: ApiHandle;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-api-policies-'));
    cpSync(POLICIES_DIR, dir, { recursive: true });
    pdp = await startPdpServer({ policiesDir: dir, host: '127.0.0.1', port: 0, clientTokens: [stack.pdpToken], logLevel: 'silent', decisionLog: false, watch: true });
    api = await stack.startApi({ pdpUrl: pdp.url, documentsSeedSize: SEED });
    await api.documentsReady();
  }, 60_000);
  afterAll(async () => {
    await pdp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('changes the list on the next request once the PDP has the new revision', async () => {
    const before = await listAll(api, token('bob'));
    expect(before.ids).not.toContain('engineering-handbook');
    expect(before.ids).toContain('finance-annual-report');

    // Published internal documents become readable by every signed-in user, like public ones.
    const file = join(dir, 'documents.json');
    const policy = JSON.parse(readFileSync(file, 'utf8')) as { rules: Array<{ id: string; when?: unknown }> };
    const rule = policy.rules.find((r) => r.id === 'signed-in-users-read-published-public');
    if (!rule) throw new Error('the documents policy has no signed-in-users-read-published-public rule');
    rule.when = JSON.parse(JSON.stringify(rule.when).replace('"public"', '"internal"'));
    writeFileSync(file, JSON.stringify(policy, null, 2));
    await expect.poll(() => pdp.policies().revision, { timeout: 15_000, interval: 50 }).not.toBe(before.revision);

    const after = await listAll(api, token('bob'));
    expect(after.revision).toBe(pdp.policies().revision);
    expect(after.ids).toContain('engineering-handbook');
    // Finance's public report was bob's through that rule only.
    expect(after.ids).not.toContain('finance-annual-report');
    expect([...after.ids].sort()).toEqual((await decidedIds(pdp.url, stack.pdpToken, token('bob'))).sort());
  });
});
