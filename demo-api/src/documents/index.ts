import type { Logger } from 'pino';

import type { ApiConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createSchema } from '../db/schema.js';
import { seedIfEmpty } from '../db/seed.js';
import { DocumentStore } from './store.js';

export interface Documents {
  readonly store: DocumentStore;
  close(): Promise<void>;
}

/** Opens the documents' database, creates the table and seeds it when empty. */
export async function openDocuments(config: Pick<ApiConfig, 'databaseUrl' | 'documentsSeedSize'>, logger: Logger): Promise<Documents> {
  const db = await openDatabase(config, logger);
  try {
    await createSchema(db);
    const seeded = await seedIfEmpty(db, config.documentsSeedSize);
    logger.info({ database: db.kind, seeded }, 'documents ready');
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return { store: new DocumentStore(db), close: () => db.close() };
}
