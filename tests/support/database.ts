import { readFile } from 'node:fs/promises'
import pg from 'pg'
import type { PGlite } from '@electric-sql/pglite'
import type { Db, Tx } from '../../src/db/db.js'
import { migrate } from '../../src/db/migrate.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createPgliteDb, wrapPglite } from '../../src/db/pglite.js'

/** The server the tests use when set; otherwise every test file gets an in-memory PGlite. */
export const testServerUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL

export const testDriver: Db['driver'] = testServerUrl ? 'postgres' : 'pglite'

export interface TestDatabase {
  db: Db
  /** A connection string to the same database (PostgreSQL only), for a second process or pool. */
  url?: string
  drop(): Promise<void>
}

/** A fresh, migrated database for one test file: a throwaway PostgreSQL database, or a PGlite clone. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrated ?? true
  if (testServerUrl) return createThrowawayPostgres(testServerUrl, migrated)
  if (!migrated) {
    const db = await createPgliteDb()
    return { db, drop: () => db.close() }
  }
  const db = wrapPglite(await migratedPglite())
  return { db, drop: () => db.close() }
}

/** Names the dump of a migrated PGlite data directory that tests/support/pglite-template.ts made for this run. */
export const PGLITE_TEMPLATE_ENV = 'QIAO_TEST_PGLITE_TEMPLATE'

// Without a dump, each process starts and migrates one PGlite (seconds) and clones it.
let template: Promise<PGlite> | undefined

/**
 * A migrated in-memory PGlite: loaded from the run's dump when there is one, else cloned from one
 * this process migrated (a benchmark, a run without the global setup).
 */
async function migratedPglite(): Promise<PGlite> {
  const { PGlite: PGliteClass, types } = await import('@electric-sql/pglite')
  const { parseInt8 } = await import('../../src/db/db.js')
  const options = { parsers: { [types.INT8]: parseInt8 } }
  const dump = process.env[PGLITE_TEMPLATE_ENV]
  if (dump) return PGliteClass.create({ ...options, loadDataDir: new Blob([await readFile(dump)]) })
  template ??= (async () => {
    const instance = await PGliteClass.create(options)
    await migrate(wrapPglite(instance))
    return instance
  })()
  return (await (await template).clone()) as PGlite
}

/** No run lasts this long (CI stops at 90 minutes): a throwaway database older than this was left by one that was killed. */
const ABANDONED_AFTER_MS = 3 * 60 * 60 * 1000

// Once per test process: drop the throwaway databases that killed runs left behind.
let swept: Promise<void> | undefined
function sweepAbandoned(serverUrl: string): Promise<void> {
  swept ??= withAdmin(serverUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'qiao\\_test\\_%'`)
    for (const { datname } of rows) {
      const made = Number.parseInt(/^qiao_test_([0-9a-z]+)_[0-9a-z]+$/.exec(datname)?.[1] ?? '', 36)
      if (Number.isFinite(made) && Date.now() - made > ABANDONED_AFTER_MS) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)
    }
  }).catch(() => {})
  return swept
}

async function createThrowawayPostgres(serverUrl: string, migrated: boolean): Promise<TestDatabase> {
  await sweepAbandoned(serverUrl)
  const name = `qiao_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`))
  const url = databaseUrl(serverUrl, name)
  // As the Node gateway opens it (src/db/open.ts), pipelined reads included.
  const db = createPostgresDb({ connectionString: url, max: 8, prepareStatements: true, pipelines: 2 })
  if (migrated) await migrate(db)
  return {
    db,
    url,
    async drop() {
      await db.close()
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/**
 * Runs `fn` in a transaction and rolls it back, so that a test may grow a table (and read the
 * statistics of its own transaction) without leaving anything behind. `fn`'s own failure is thrown.
 */
export async function inRolledBackTransaction(db: Db, fn: (tx: Tx) => Promise<void>): Promise<void> {
  const rollBack = new Error('roll back')
  const outcome = await db
    .transaction(async (tx) => {
      await fn(tx)
      throw rollBack
    })
    .catch((error: unknown) => error)
  if (outcome !== rollBack) throw outcome
}

/** Sequential scans of `table` so far in the current transaction (how a test sees a plan read a table whole). */
export async function seqScansSoFar(tx: Tx, table: string): Promise<number> {
  const { rows } = await tx.query<{ n: string }>('SELECT coalesce(seq_scan, 0) AS n FROM pg_stat_xact_user_tables WHERE relname = $1', [table])
  return Number(rows[0]?.n ?? 0)
}
