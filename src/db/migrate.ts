import type { Db, Tx } from './db.js'
import { migrations as shipped } from './migrations.generated.js'

export interface Migration {
  id: string
  sql: string
}

export interface MigrationReport {
  applied: string[]
  alreadyApplied: number
}

// Any constant works; it only has to be the same in every Qiao process.
const MIGRATION_LOCK_KEY = 7_411_203_817

/**
 * Applies pending migrations in one transaction under an advisory lock, so two processes
 * starting at once against one PostgreSQL apply each migration exactly once. Idempotent.
 * An applied migration whose SQL has since changed is an error: migrations are forward-only.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = shipped): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const applied = await appliedChecksums(tx)
    const report: MigrationReport = { applied: [], alreadyApplied: 0 }
    for (const migration of migrations) {
      const checksum = await sha256Hex(migration.sql)
      const existing = applied.get(migration.id)
      if (existing !== undefined) {
        if (existing !== checksum) {
          throw new Error(`migration ${migration.id} was changed after it was applied; add a new migration instead`)
        }
        report.alreadyApplied++
        continue
      }
      await tx.exec(migration.sql)
      await tx.query('INSERT INTO schema_migrations (id, checksum) VALUES ($1, $2)', [migration.id, checksum])
      report.applied.push(migration.id)
    }
    return report
  })
}

/** The migrations not yet applied (empty = current). Used by /ready. */
export async function pendingMigrations(db: Db, migrations: readonly Migration[] = shipped): Promise<string[]> {
  const exists = await db.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  )
  if (!exists.rows[0]?.present) return migrations.map((m) => m.id)
  const applied = await appliedChecksums(db)
  return migrations.filter((m) => !applied.has(m.id)).map((m) => m.id)
}

async function appliedChecksums(q: Tx): Promise<Map<string, string>> {
  const { rows } = await q.query<{ id: string; checksum: string }>('SELECT id, checksum FROM schema_migrations')
  return new Map(rows.map((r) => [r.id, r.checksum]))
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}
