import type { Logger } from 'pino';

import type { ApiConfig } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { createSchema } from '../db/schema.js';
import { seedIfEmpty } from '../db/seed.js';
import { ApiError } from '../errors.js';
import { DocumentStore } from './store.js';

/**
 * The documents' database, opened (table created, seeded when empty) on first use: PGlite takes
 * a few seconds to start, which an API that never serves a document should not pay. `main.ts`
 * opens it before listening, so the demo seeds at start and a bad DATABASE_URL stops it there.
 */
export class Documents {
  readonly #config: Pick<ApiConfig, 'databaseUrl' | 'documentsSeedSize'>;
  readonly #logger: Logger;
  #opening: Promise<{ db: Database; store: DocumentStore }> | undefined;
  #closed = false;

  constructor(config: Pick<ApiConfig, 'databaseUrl' | 'documentsSeedSize'>, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  async #open(): Promise<{ db: Database; store: DocumentStore }> {
    const db = await openDatabase(this.#config, this.#logger);
    try {
      await createSchema(db);
      const seeded = await seedIfEmpty(db, this.#config.documentsSeedSize);
      this.#logger.info({ database: db.kind, seeded }, 'documents ready');
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return { db, store: new DocumentStore(db) };
  }

  /** The store, once the database is ready; a failed open is a 503 and is tried again next time. */
  async store(): Promise<DocumentStore> {
    if (this.#closed) throw new ApiError('documents_unavailable', 'The documents database is closed.');
    this.#opening ??= this.#open();
    try {
      return (await this.#opening).store;
    } catch (cause) {
      this.#opening = undefined;
      // The message may name the server, never the URL's password: pg does not repeat it.
      this.#logger.warn({ message: (cause as Error).message }, 'the documents database cannot be opened');
      throw new ApiError('documents_unavailable', 'The documents database cannot be reached.', {}, { cause });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (!opening) return;
    const opened = await opening.catch(() => undefined);
    await opened?.db.close();
  }
}
