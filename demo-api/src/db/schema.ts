import { DOCUMENT_CLASSIFICATIONS, DOCUMENT_STATUSES, MAX_DOCUMENT_BODY, MAX_DOCUMENT_TITLE } from '@oracle-ai/contract';

import type { Database } from './database.js';

const sqlList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

/**
 * The documents table. The constraints repeat the contract's limits so that a row written by
 * something other than demo-api still reads back as a valid document. Idempotent: a Postgres
 * that already has the table keeps it and its rows.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS documents (
    id text PRIMARY KEY,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND ${MAX_DOCUMENT_TITLE}),
    body text NOT NULL CHECK (char_length(body) <= ${MAX_DOCUMENT_BODY}),
    owner text NOT NULL,
    department text NOT NULL,
    classification text NOT NULL CHECK (classification IN (${sqlList(DOCUMENT_CLASSIFICATIONS)})),
    status text NOT NULL CHECK (status IN (${sqlList(DOCUMENT_STATUSES)})),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // The list is ordered newest first; a plan's condition usually narrows by these columns.
  'CREATE INDEX IF NOT EXISTS documents_updated_at ON documents (updated_at DESC, id)',
  'CREATE INDEX IF NOT EXISTS documents_department_status ON documents (department, status)',
  'CREATE INDEX IF NOT EXISTS documents_owner ON documents (owner)',
];

export async function createSchema(db: Database): Promise<void> {
  for (const statement of STATEMENTS) await db.query(statement);
}
