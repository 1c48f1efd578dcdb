import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { send } from './support/documents.js';
import { postgresUnavailable, startTempPostgres, type TempPostgres } from './support/postgres.js';
import { signIn, startStack, type Stack } from './support/stack.js';

// The same SQL against a real Postgres server through DATABASE_URL (the pg driver), when this
// machine can run one; PGlite is covered by every other documents test.
// Under CI it is required (.ci/run installs Debian's postgresql): a missing server fails, not skips.
const unavailable = postgresUnavailable();
if (unavailable !== undefined && process.env['CI']) throw new Error(`CI needs a local Postgres for this test: ${unavailable}`);

describe.skipIf(unavailable !== undefined)(`documents on Postgres through DATABASE_URL${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let pg: TempPostgres;
  let stack: Stack;
  let alice: string;

  beforeAll(async () => {
    pg = await startTempPostgres();
    stack = await startStack({ databaseUrl: pg.url, documentsSeedSize: 40 });
    await stack.api.documentsReady();
    alice = await signIn(stack.api, 'alice');
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await pg?.close();
  });

  it('reads and edits a document there, as on PGlite', async () => {
    const read = await send(stack.api, 'GET', '/api/documents/alice-draft', alice);
    expect(read.status).toBe(200);
    expect(read.body.permissions).toEqual({ read: true, write: true });
    const edited = await send(stack.api, 'PATCH', '/api/documents/alice-draft', alice, { title: 'Kept in Postgres' });
    expect(edited.status).toBe(200);
    expect((await send(stack.api, 'GET', '/api/documents/bob-public-draft', alice)).status).toBe(404);
  });

  it('lists with the plan\'s WHERE there too: alice gets her documents and her department\'s, never bob\'s draft', async () => {
    const { status, body } = await send(stack.api, 'GET', '/api/documents?limit=100', alice);
    expect(status).toBe(200);
    const ids = (body.documents as Array<{ id: string }>).map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['alice-draft', 'engineering-handbook', 'product-brochure']));
    expect(ids).not.toContain('bob-public-draft');
    expect(body.total).toBe(ids.length);
  });

  it('keeps the rows of a table that has some: a second API neither seeds again nor loses the edit', async () => {
    const again = await stack.startApi({ databaseUrl: pg.url, documentsSeedSize: 500 });
    await again.documentsReady();
    const read = await send(again, 'GET', '/api/documents/alice-draft', alice);
    expect(read.body.title).toBe('Kept in Postgres');
    expect((await send(again, 'GET', '/api/documents/doc-000100', await signIn(again, 'carol'))).status).toBe(404);
  });
});
