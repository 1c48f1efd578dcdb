import type { DocumentClassification, DocumentStatus, DocumentSummary, DocumentUpdate } from '@oracle-ai/contract';
import type { ColumnSpec, SqlWhere } from '@oracle-ai/pdp-client';

import type { Database } from '../db/database.js';

/** A documents row as demo-api reads it. */
export interface DocumentRow extends DocumentSummary {
  readonly body: string;
}

/** What the PDP is told about a document: the attributes its policies read (schema.json, type `document`). */
export interface DocumentAttributes {
  readonly owner: string;
  readonly department: string;
  readonly classification: DocumentClassification;
  readonly status: DocumentStatus;
}

/**
 * The one column map: request path → documents column, for the decision requests and for the
 * plan's condition turned into SQL. Nothing else about a document reaches the PDP.
 */
export const DOCUMENT_COLUMNS: Readonly<Record<string, ColumnSpec>> = Object.freeze({
  'resource.id': { column: 'id', type: 'text' },
  'resource.attributes.owner': { column: 'owner', type: 'text' },
  'resource.attributes.department': { column: 'department', type: 'text' },
  'resource.attributes.classification': { column: 'classification', type: 'text' },
  'resource.attributes.status': { column: 'status', type: 'text' },
});

const ATTRIBUTE_PREFIX = 'resource.attributes.';
// Each attribute's name and its column (the same word in this table).
const ATTRIBUTE_COLUMNS = Object.entries(DOCUMENT_COLUMNS).flatMap(([path, spec]) =>
  path.startsWith(ATTRIBUTE_PREFIX) ? [[path.slice(ATTRIBUTE_PREFIX.length), String(spec.column)] as const] : [],
);

/** The attributes of a row as the PDP is told them: exactly the mapped ones. */
export function attributesOf(doc: DocumentAttributes): DocumentAttributes {
  const row = doc as unknown as Record<string, unknown>;
  return Object.fromEntries(ATTRIBUTE_COLUMNS.map(([name, column]) => [name, row[column]])) as unknown as DocumentAttributes;
}

const SUMMARY_COLUMNS = 'id, title, owner, department, classification, status, updated_at';

interface RawRow {
  id: string;
  title: string;
  body?: string;
  owner: string;
  department: string;
  classification: DocumentClassification;
  status: DocumentStatus;
  updated_at: Date | string;
}

function summaryOf(row: RawRow): DocumentSummary {
  return {
    id: row.id,
    title: row.title,
    owner: row.owner,
    department: row.department,
    classification: row.classification,
    status: row.status,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Filters the caller may add to a listing; each is compared as a parameter, never spliced into SQL. */
export interface ListFilters {
  status?: DocumentStatus;
  classification?: DocumentClassification;
  department?: string;
  /** A substring of the title, case-insensitive. */
  q?: string;
}

// LIKE's own wildcards in a search string are matched as themselves.
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class DocumentStore {
  constructor(readonly db: Database) {}

  async get(id: string): Promise<DocumentRow | undefined> {
    const [row] = await this.db.query<RawRow>(`SELECT ${SUMMARY_COLUMNS}, body FROM documents WHERE id = $1`, [id]);
    return row ? { ...summaryOf(row), body: row.body ?? '' } : undefined;
  }

  /**
   * Applies `change` only while the row still has the attributes the PDP allowed the write for
   * (an owner's draft that was published meanwhile is not written); undefined when it has not.
   */
  async update(id: string, decidedOn: DocumentAttributes, change: DocumentUpdate): Promise<DocumentRow | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id, decidedOn.owner, decidedOn.department, decidedOn.classification, decidedOn.status];
    for (const key of ['title', 'body', 'status'] as const) {
      const value = change[key];
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${key} = $${params.length}`);
    }
    const [row] = await this.db.query<RawRow>(
      `UPDATE documents SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $1 AND owner = $2 AND department = $3 AND classification = $4 AND status = $5
       RETURNING ${SUMMARY_COLUMNS}, body`,
      params,
    );
    return row ? { ...summaryOf(row), body: row.body ?? '' } : undefined;
  }

  /**
   * One page of the documents that satisfy `allowed` (the policy's condition, already SQL) and the
   * filters, newest first, with the count of all of them: one query.
   */
  async list(allowed: SqlWhere, filters: ListFilters, page: { limit: number; offset: number }): Promise<{ documents: DocumentSummary[]; total: number }> {
    const params: unknown[] = [...allowed.values];
    const where = [`(${allowed.text})`];
    const add = (sql: (n: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filters.status !== undefined) add((p) => `status = ${p}`, filters.status);
    if (filters.classification !== undefined) add((p) => `classification = ${p}`, filters.classification);
    if (filters.department !== undefined) add((p) => `department = ${p}`, filters.department);
    if (filters.q !== undefined) add((p) => `title ILIKE ${p} ESCAPE '\\'`, likePattern(filters.q));
    params.push(page.limit, page.offset);
    // The count comes with the page, and still comes when the page is past the end (one row of nulls).
    const rows = await this.db.query<(RawRow | { [K in keyof RawRow]: null }) & { total: number }>(
      `WITH allowed AS (SELECT ${SUMMARY_COLUMNS} FROM documents WHERE ${where.join(' AND ')})
       SELECT page.*, counted.total FROM (SELECT count(*)::int AS total FROM allowed) AS counted
       LEFT JOIN LATERAL (
         SELECT * FROM allowed ORDER BY updated_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}
       ) AS page ON true
       ORDER BY page.updated_at DESC, page.id`,
      params,
    );
    return { documents: rows.flatMap((row) => (row.id === null ? [] : [summaryOf(row as RawRow)])), total: rows[0]?.total ?? 0 };
  }

  /** Every document's id and attributes, for checking a listing row by row (tests, the bench's baseline). */
  async everyAttribute(): Promise<Array<{ id: string } & DocumentAttributes>> {
    return this.db.query('SELECT id, owner, department, classification, status FROM documents ORDER BY updated_at DESC, id');
  }
}
