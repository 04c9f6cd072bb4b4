import type { Config } from '../config.js'
import type { Db } from './db.js'
import { createPostgresDb } from './postgres.js'

/** Node's database: PostgreSQL when DATABASE_URL is set, embedded PGlite in the data directory otherwise. */
export async function openDatabase(config: Config): Promise<Db> {
  if (config.DATABASE_URL) {
    return createPostgresDb({ connectionString: config.DATABASE_URL, prepareStatements: config.QIAO_PREPARED_STATEMENTS === 'on', pipelines: config.QIAO_DB_PIPELINES })
  }
  // Imported lazily so PGlite's WASM is only loaded when it is used.
  const { createPgliteDb } = await import('./pglite.js')
  return createPgliteDb(config.QIAO_DATA_DIR)
}
