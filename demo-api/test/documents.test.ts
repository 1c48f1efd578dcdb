import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENT_CLASSIFICATIONS, DOCUMENT_STATUSES } from '@oracle-ai/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CURATED_DOCUMENTS } from '../src/db/seed.js';
import { attributesOf } from '../src/documents/store.js';
import { DEMO_USERS, send } from './support/documents.js';
import { POLICIES_DIR } from './support/pdp.js';
import { signIn, startStack, type Stack } from './support/stack.js';

let stack: Stack;
const tokens = new Map<string, string>();
const token = (user: string): string => tokens.get(user) ?? '';

beforeAll(async () => {
  stack = await startStack();
  await stack.api.documentsReady();
  for (const user of DEMO_USERS) tokens.set(user, await signIn(stack.api, user));
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

describe('GET /api/documents/:id', () => {
  it('shows alice her draft, with what she may do to it', async () => {
    const { status, body } = await send(stack.api, 'GET', '/api/documents/alice-draft', token('alice'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 'alice-draft', owner: 'alice', department: 'engineering', status: 'draft', classification: 'internal', permissions: { read: true, write: true } });
    expect(typeof body.body).toBe('string');
    expect(Number.isNaN(Date.parse(String(body.updatedAt)))).toBe(false);
  });

  it('shows carol (an admin) anyone\'s draft, read-only', async () => {
    const { status, body } = await send(stack.api, 'GET', '/api/documents/alice-draft', token('carol'));
    expect(status).toBe(200);
    expect(body.permissions).toEqual({ read: true, write: false });
  });

  it('answers a hidden document exactly as a missing one: 404, the same body', async () => {
    const hidden = await send(stack.api, 'GET', '/api/documents/alice-draft', token('bob'));
    const missing = await send(stack.api, 'GET', '/api/documents/no-such-document', token('bob'));
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(hidden.body).toEqual(missing.body);
    expect(hidden.body).not.toHaveProperty('decisionId');
  });

  it('hides confidential documents from dave, a contractor, even his own draft (deny overrides)', async () => {
    expect((await send(stack.api, 'GET', '/api/documents/engineering-incident-report', token('dave'))).status).toBe(404);
    expect((await send(stack.api, 'GET', '/api/documents/dave-confidential-draft', token('dave'))).status).toBe(404);
    expect((await send(stack.api, 'GET', '/api/documents/engineering-handbook', token('dave'))).status).toBe(200);
    expect((await send(stack.api, 'GET', '/api/documents/engineering-incident-report', token('alice'))).status).toBe(200);
  });

  it('answers an id that cannot be one with the same 404, without asking the database', async () => {
    for (const id of ["x' OR '1'='1", '..%2F..%2Fetc', 'a'.repeat(65), '%00']) {
      const { status, body } = await send(stack.api, 'GET', `/api/documents/${encodeURIComponent(id)}`, token('carol'));
      expect(status).toBe(404);
      expect(body.code).toBe('not_found');
    }
  });

  it('needs a token', async () => {
    expect((await send(stack.api, 'GET', '/api/documents/alice-draft', undefined)).status).toBe(401);
  });

  it('shows carol, an admin, every curated document as seeded', async () => {
    for (const doc of CURATED_DOCUMENTS) {
      const { status, body } = await send(stack.api, 'GET', `/api/documents/${doc.id}`, token('carol'));
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: doc.id, owner: doc.owner, classification: doc.classification, status: doc.status });
    }
  });
});

describe('PATCH and PUT /api/documents/:id', () => {
  it('lets alice edit her draft, and publishing it ends her write access', async () => {
    const before = await send(stack.api, 'GET', '/api/documents/alice-confidential-draft', token('alice'));
    const edited = await send(stack.api, 'PATCH', '/api/documents/alice-confidential-draft', token('alice'), { title: 'Security review notes, v2' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ title: 'Security review notes, v2', status: 'draft', body: before.body.body, permissions: { read: true, write: true } });
    expect(Date.parse(String(edited.body.updatedAt))).toBeGreaterThanOrEqual(Date.parse(String(before.body.updatedAt)));

    const published = await send(stack.api, 'PUT', '/api/documents/alice-confidential-draft', token('alice'), { title: 'Security review', body: 'Final.', status: 'published' });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ title: 'Security review', body: 'Final.', status: 'published', permissions: { read: true, write: false } });

    const again = await send(stack.api, 'PATCH', '/api/documents/alice-confidential-draft', token('alice'), { title: 'Sneaky' });
    expect(again.status).toBe(403);
    expect(again.body).toMatchObject({ code: 'forbidden', resource: 'document', action: 'write', decisionId: expect.any(String) });
    expect((await send(stack.api, 'GET', '/api/documents/alice-confidential-draft', token('alice'))).body.title).toBe('Security review');
  });

  it('refuses carol (who may read it) with a 403, and bob (who may not) with the 404 of a missing document', async () => {
    const carol = await send(stack.api, 'PATCH', '/api/documents/dave-draft', token('carol'), { title: 'Admin was here' });
    expect(carol.status).toBe(403);
    expect(carol.body.decisionId).toEqual(expect.any(String));
    const bob = await send(stack.api, 'PATCH', '/api/documents/dave-draft', token('bob'), { title: 'Bob was here' });
    const missing = await send(stack.api, 'PATCH', '/api/documents/no-such-document', token('bob'), { title: 'Bob was here' });
    expect(bob.status).toBe(404);
    expect(bob.body).toEqual(missing.body);
    expect((await send(stack.api, 'GET', '/api/documents/dave-draft', token('dave'))).body.title).not.toMatch(/was here/);
  });

  it('refuses dave his own confidential draft: the contractors deny overrides the owner', async () => {
    expect((await send(stack.api, 'PATCH', '/api/documents/dave-confidential-draft', token('dave'), { title: 'x' })).status).toBe(404);
  });

  it('answers a bad body with every problem and its pointer', async () => {
    const { status, body } = await send(stack.api, 'PATCH', '/api/documents/alice-draft', token('alice'), { title: '   ', status: 'archived', owner: 'bob' });
    expect(status).toBe(400);
    expect(body.code).toBe('invalid_request');
    const pointers = (body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort();
    expect(pointers).toEqual(['/owner', '/status', '/title']);
  });

  it('refuses an empty PATCH, a PUT missing fields, a title too long, and a body that is no JSON', async () => {
    const empty = await send(stack.api, 'PATCH', '/api/documents/alice-draft', token('alice'), {});
    expect(empty.status).toBe(400);
    const put = await send(stack.api, 'PUT', '/api/documents/alice-draft', token('alice'), { title: 'Only a title' });
    expect(put.status).toBe(400);
    expect((put.body.errors as Array<{ pointer: string }>).map((e) => e.pointer).sort()).toEqual(['/body', '/status']);
    const long = await send(stack.api, 'PATCH', '/api/documents/alice-draft', token('alice'), { title: 'x'.repeat(201) });
    expect((long.body.errors as Array<{ pointer: string }>).map((e) => e.pointer)).toEqual(['/title']);
    expect((await send(stack.api, 'PATCH', '/api/documents/alice-draft', token('alice'), '{"title":', 'application/json')).body.code).toBe('invalid_json');
    expect((await send(stack.api, 'PATCH', '/api/documents/alice-draft', token('alice'), 'title=x', 'text/plain')).status).toBe(415);
    expect((await send(stack.api, 'GET', '/api/documents/alice-draft', token('alice'))).body.title).toBe(CURATED_DOCUMENTS.find((d) => d.id === 'alice-draft')?.title);
  });

  it('stores a title with quotes and SQL in it as text', async () => {
    const title = "Robert'); DROP TABLE documents; --";
    const { status, body } = await send(stack.api, 'PATCH', '/api/documents/dave-draft', token('dave'), { title });
    expect(status).toBe(200);
    expect(body.title).toBe(title);
    expect((await send(stack.api, 'GET', '/api/documents/engineering-handbook', token('alice'))).status).toBe(200);
  });
});

describe('a database that cannot be reached', () => {
  it('is a 503 on the documents routes only, and the other routes serve on', async () => {
    const api = await stack.startApi({ databaseUrl: 'postgres://nobody@127.0.0.1:9/none' });
    await expect(api.documentsReady()).rejects.toThrow();
    const { status, body } = await send(api, 'GET', '/api/documents/alice-draft', token('alice'));
    expect(status).toBe(503);
    expect(body.code).toBe('documents_unavailable');
    expect(JSON.stringify(body)).not.toContain('nobody');
    expect((await send(api, 'GET', '/api/me', token('alice'))).status).toBe(200);
  });
});

describe('the policies and demo-api agree on what a document is', () => {
  it('schema.json lists the contract\'s classifications and statuses, and the attributes demo-api sends', () => {
    const schema = JSON.parse(readFileSync(join(POLICIES_DIR, 'schema.json'), 'utf8')) as {
      resources: { document: { attributes: Record<string, { enum?: string[] }> } };
    };
    const attributes = schema.resources.document.attributes;
    expect(attributes.classification?.enum).toEqual([...DOCUMENT_CLASSIFICATIONS]);
    expect(attributes.status?.enum).toEqual([...DOCUMENT_STATUSES]);
    expect(Object.keys(attributes).sort()).toEqual(Object.keys(attributesOf(CURATED_DOCUMENTS[0]!)).sort());
  });
});
