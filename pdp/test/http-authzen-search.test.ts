/**
 * AuthZEN Search APIs over real HTTP: pagination (opaque tokens bound to the request, page size
 * and work per request bounded), what is ignored and what is refused, schema.json checks, caller
 * authentication. The interop scenario's answers are in interop/search.test.ts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SEARCH_PAGE_SIZE, SEARCH_SCAN_BUDGET } from '../src/server/authzen-search.js';
import { eventually, makePolicyDir, post, removeDir, startTestPdp, writeJson, type TestPdp } from './http-helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/authzen-search/', import.meta.url));
const TOKEN = 'search-caller';
const auth = { authorization: `Bearer ${TOKEN}` };

const whoViews101 = { subject: { type: 'user' }, action: { name: 'view' }, resource: { type: 'record', id: '101' } };
const erinViews = { subject: { type: 'user', id: 'erin' }, action: { name: 'view' }, resource: { type: 'record' } };

let pdp: TestPdp;
let big: TestPdp;
let bigDir: string;
/** More users than one request decides: only the last one may read. */
const BIG = SEARCH_SCAN_BUDGET * 2 + 500;

beforeAll(async () => {
  pdp = await startTestPdp({ dir: EXAMPLE, watch: false, clientTokens: [TOKEN], schemaEnforce: 'reject' });
  const users: Record<string, object> = {};
  for (let i = 0; i < BIG; i++) users[`u${i}`] = i === BIG - 1 || i < SEARCH_PAGE_SIZE * 2 + 50 ? { reads: true } : {};
  bigDir = await makePolicyDir({
    'doc.json': { id: 'doc', resource: 'doc', rules: [{ id: 'readers', effect: 'allow', actions: ['read'], when: { '===': [{ data: ['user', { var: 'subject.id' }, 'reads'] }, true] } }] },
  });
  await mkdir(path.join(bigDir, 'data'));
  await writeJson(bigDir, 'data/user.json', users);
  big = await startTestPdp({ dir: bigDir, watch: false });
});
afterAll(async () => {
  await pdp.stop();
  await big.stop();
  await removeDir(bigDir);
});

const search = (kind: string, body: unknown, on = pdp) => post(on.url, `/access/v1/search/${kind}`, body, on === pdp ? auth : {});

/** Every page of a search, following next_token; the answers as they came. */
async function allPages(kind: string, body: Record<string, unknown>, limit: number | undefined, on = pdp): Promise<{ results: unknown[]; page: { next_token: string; count: number } }[]> {
  const pages = [];
  let token: string | undefined;
  do {
    const page: Record<string, unknown> = {};
    if (limit !== undefined) page.limit = limit;
    if (token !== undefined) page.token = token;
    const res = await search(kind, { ...body, page }, on);
    expect(res.status, res.text).toBe(200);
    pages.push(res.body);
    token = res.body.page.next_token;
  } while (token !== '' && pages.length < 20);
  return pages;
}

describe('pagination', () => {
  test('limit 1 walks the results one by one; the last page has an empty next_token', async () => {
    const pages = await allPages('subject', whoViews101, 1);
    expect(pages.map((p) => p.results)).toEqual([['alice'], ['bob'], ['carol'], ['dan']].map(([id]) => [{ type: 'user', id }]));
    expect(pages.map((p) => p.page.count)).toEqual([1, 1, 1, 1]);
    expect(pages.at(-1)?.page.next_token).toBe('');
  });

  test('a request with a page always gets one back; without one, only when more results follow', async () => {
    const asked = await search('resource', { ...erinViews, page: {} });
    expect(asked.body).toEqual({ page: { next_token: '', count: 4 }, results: ['105', '111', '115', '117'].map((id) => ({ type: 'record', id })) });
    const plain = await search('resource', erinViews);
    expect(plain.body.page).toBeUndefined();
  });

  test('limit 0 returns no results, only whether there are any', async () => {
    const some = await search('subject', { ...whoViews101, page: { limit: 0 } });
    expect(some.body.results).toEqual([]);
    expect(some.body.page.next_token).not.toBe('');
    const none = await search('subject', { ...whoViews101, action: { name: 'fly' }, page: { limit: 0 } });
    expect(none.body).toEqual({ page: { next_token: '', count: 0 }, results: [] });
  });

  test(`a page holds at most ${SEARCH_PAGE_SIZE} results, whatever limit asks, and no request decides more than ${SEARCH_SCAN_BUDGET} candidates`, async () => {
    const body = { subject: { type: 'user' }, action: { name: 'read' }, resource: { type: 'doc', id: 'd' } };
    const unpaged = await search('subject', body, big);
    expect(unpaged.body.results).toHaveLength(SEARCH_PAGE_SIZE);
    expect(unpaged.body.page.next_token).not.toBe('');
    const pages = await allPages('subject', body, 100_000, big);
    const counts = pages.map((p) => p.results.length);
    expect(counts.slice(0, 3)).toEqual([SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE, 50]);
    // The pages after the first 250 readers are cut short by the budget: empty, with a next token, until the last reader.
    expect(counts.slice(3, -1).every((n) => n === 0)).toBe(true);
    expect(pages.at(-1)?.results).toEqual([{ type: 'user', id: `u${BIG - 1}` }]);
    expect(pages.at(-1)?.page.next_token).toBe('');
    expect(pages.length).toBeLessThanOrEqual(2 + Math.ceil(BIG / SEARCH_SCAN_BUDGET) + 1);
  });

  test('a token is refused with any other request, and a garbled one is refused', async () => {
    const first = await search('subject', { ...whoViews101, page: { limit: 1 } });
    const token = first.body.page.next_token as string;
    for (const [kind, body] of [
      ['subject', { ...whoViews101, action: { name: 'edit' }, page: { limit: 1, token } }],
      ['subject', { ...whoViews101, page: { limit: 2, token } }],
      ['subject', { ...whoViews101, context: { time: 'now' }, page: { limit: 1, token } }],
      ['resource', { ...erinViews, page: { limit: 1, token } }],
      ['subject', { ...whoViews101, page: { limit: 1, token: `${token}x` } }],
      ['subject', { ...whoViews101, page: { limit: 1, token: 'bm9wZQ' } }],
    ] as const) {
      const res = await search(kind, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/page/token']);
    }
    // What the PDP ignores is not part of the request: the token still holds.
    const same = await search('subject', { ...whoViews101, subject: { type: 'user', id: 'ignored' }, extra: 1, page: { limit: 1, token } });
    expect(same.status, same.text).toBe(200);
    expect(same.body.results).toEqual([{ type: 'user', id: 'bob' }]);
  });

  test('a token rewritten to another position reaches nothing outside the result set', async () => {
    const first = await search('subject', { ...whoViews101, page: { limit: 1 } });
    const [, digest] = Buffer.from(first.body.page.next_token, 'base64url').toString().split('.');
    const allowed = new Set(['alice', 'bob', 'carol', 'dan']);
    for (const position of [0, 3, 4, 5, 6, 999_999]) {
      const token = Buffer.from(`${position}.${digest}`).toString('base64url');
      const res = await search('subject', { ...whoViews101, page: { limit: 1, token } });
      expect(res.status).toBe(200);
      for (const r of res.body.results) expect(allowed.has(r.id), `${position}: ${r.id}`).toBe(true);
    }
    const past = await search('subject', { ...whoViews101, page: { limit: 1, token: Buffer.from(`999999.${digest}`).toString('base64url') } });
    expect(past.body).toEqual({ page: { next_token: '', count: 0 }, results: [] });
  });
});

describe('requests', () => {
  test('ids of the searched entity and members the specification does not define are ignored', async () => {
    const plain = await search('subject', whoViews101);
    const noisy = await search('subject', { ...whoViews101, subject: { type: 'user', id: 'erin', department: 'Legal' }, resource: { ...whoViews101.resource, owner: 'erin' }, extra: true });
    expect(noisy.status, noisy.text).toBe(200);
    expect(noisy.body).toEqual(plain.body);
    const action = await search('action', { subject: { type: 'user', id: 'erin' }, resource: { type: 'record', id: '117' }, action: { name: 'view' } });
    expect(action.body).toEqual({ results: [{ name: 'view' }, { name: 'edit' }, { name: 'delete' }] });
  });

  test('a type without a data file, an unknown action or record, a subject of another type: empty results', async () => {
    for (const [kind, body] of [
      ['subject', { ...whoViews101, subject: { type: 'group' } }],
      ['subject', { ...whoViews101, resource: { type: 'record', id: '999' } }],
      ['resource', { ...erinViews, subject: { type: 'service', id: 'erin' } }],
      ['action', { subject: { type: 'user', id: 'erin' }, resource: { type: 'record', id: '118' } }],
    ] as const) {
      const res = await search(kind, body);
      expect(res.status, res.text).toBe(200);
      expect(res.body, JSON.stringify(body)).toEqual({ results: [] });
    }
    // (Here without a schema.json, which would refuse an undeclared type with PDP_SCHEMA_ENFORCE=reject.)
    const noFile = await search('resource', { subject: { type: 'user', id: 'u1' }, action: { name: 'read' }, resource: { type: 'note' } }, big);
    expect(noFile.body).toEqual({ results: [] });
  });

  test('what the specification requires is checked, with pointers', async () => {
    for (const [kind, body, pointers] of [
      ['subject', { action: { name: 'view' }, resource: { type: 'record', id: '1' }, subject: {} }, ['/subject/type']],
      ['subject', { subject: { type: 'user' }, resource: { type: 'record' }, action: { name: 'view' } }, ['/resource/id']],
      ['resource', { subject: { type: 'user', id: 'erin' }, resource: { type: 'record' } }, ['/action']],
      ['action', { subject: { type: 'user' }, resource: { type: 'record', id: '1' } }, ['/subject/id']],
      ['resource', { ...erinViews, page: { limit: -1 } }, ['/page/limit']],
      ['resource', { ...erinViews, page: { limit: 1.5, token: '' } }, ['/page/limit', '/page/token']],
      ['resource', { ...erinViews, context: [] }, ['/context']],
    ] as const) {
      const res = await search(kind, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort(), JSON.stringify(body)).toEqual([...pointers].sort());
    }
  });

  test("PDP_SCHEMA_ENFORCE=reject refuses attributes schema.json does not declare; warn reports them in the answer's context", async () => {
    const body = { ...erinViews, resource: { type: 'record', properties: { colour: 'red' } } };
    const refused = await search('resource', body);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('schema_mismatch');
    expect(refused.body.errors[0].pointer).toBe('/resource/properties/colour');
    const warn = await startTestPdp({ dir: EXAMPLE, watch: false });
    try {
      const res = await post(warn.url, '/access/v1/search/resource', body);
      expect(res.status).toBe(200);
      expect(res.body.context.schemaErrors[0].pointer).toBe('/resource/properties/colour');
      expect(res.body.results).toHaveLength(4);
    } finally {
      await warn.stop();
    }
  });

  test('searches need the caller token', async () => {
    for (const kind of ['subject', 'resource', 'action']) {
      const res = await post(pdp.url, `/access/v1/search/${kind}`, whoViews101);
      expect(res.status).toBe(401);
    }
  });

  test('one log line per search, none per candidate', async () => {
    const before = big.log.lines.length;
    const res = await search('subject', { subject: { type: 'user' }, action: { name: 'read' }, resource: { type: 'doc', id: 'd' } }, big);
    expect(res.status).toBe(200);
    await eventually(async () => big.log.lines.slice(before).some((l) => l.kind === 'search'));
    const added = big.log.lines.slice(before);
    expect(added.filter((l) => l.kind === 'decision')).toEqual([]);
    expect(added.filter((l) => l.kind === 'search')).toMatchObject([{ api: 'authzen-search-subject', results: SEARCH_PAGE_SIZE, more: true }]);
  });
});
