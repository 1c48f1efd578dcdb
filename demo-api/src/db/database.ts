/**
 * The documents' database: PGlite (Postgres compiled to WebAssembly, in this process, in memory)
 * unless DATABASE_URL names a Postgres server. Both speak the same SQL and take `$n` parameters,
 * so every query is written once. `pg` is imported only when DATABASE_URL is set: the default
 * demo needs no server and no driver.
 */
import type { Logger } from 'pino';

import type { ApiConfig } from '../config.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  /** One statement, values only as `$n` parameters. */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

function wrap(kind: DatabaseKind, client: Queryable, close: () => Promise<void>): Database {
  return {
    kind,
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await client.query(sql, [...params])).rows as Row[];
    },
    close,
  };
}

export async function openDatabase(config: Pick<ApiConfig, 'databaseUrl'>, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle client losing its server is reported here; without a listener it would end the process.
    // The pool replaces the client; the next query fails or succeeds on its own.
    pool.on('error', (err) => logger.warn({ code: (err as { code?: string }).code, message: err.message }, 'a database connection failed'));
    return wrap('postgres', pool, () => pool.end());
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite();
  await db.waitReady;
  return wrap('pglite', db, () => db.close());
}
