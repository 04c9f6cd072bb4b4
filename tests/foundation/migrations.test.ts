import { afterEach, describe, expect, it } from 'vitest'
import { migrate, pendingMigrations } from '../../src/db/migrate.js'
import { migrations } from '../../src/db/migrations.generated.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { generatedMigrationsSource } from '../../scripts/gen-migrations.js'
import { readFileSync } from 'node:fs'
import { createTestDatabase, testDriver, type TestDatabase } from '../support/database.js'

let database: TestDatabase | undefined
afterEach(async () => {
  await database?.drop()
  database = undefined
})

describe(`migrations on ${testDriver}`, () => {
  it('apply once, then change nothing', async () => {
    database = await createTestDatabase({ migrated: false })
    const { db } = database
    expect(await pendingMigrations(db)).toEqual(migrations.map((m) => m.id))
    const first = await migrate(db)
    expect(first.applied).toEqual(migrations.map((m) => m.id))
    const tables = await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM pg_tables WHERE schemaname = 'public'")
    const second = await migrate(db)
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.length })
    const after = await db.query<{ n: number }>("SELECT count(*)::int8 AS n FROM pg_tables WHERE schemaname = 'public'")
    expect(after.rows[0]?.n).toBe(tables.rows[0]?.n)
    expect(await pendingMigrations(db)).toEqual([])
  })

  it('refuse an applied migration whose SQL changed', async () => {
    database = await createTestDatabase({ migrated: false })
    await migrate(database.db, [{ id: '0001_t', sql: 'CREATE TABLE t (a int)' }])
    await expect(migrate(database.db, [{ id: '0001_t', sql: 'CREATE TABLE t (a bigint)' }])).rejects.toThrow(/changed after it was applied/)
  })

  it('roll back a failing migration whole', async () => {
    database = await createTestDatabase({ migrated: false })
    const broken = [
      { id: '0001_ok', sql: 'CREATE TABLE ok (a int)' },
      { id: '0002_bad', sql: 'CREATE TABLE bad (a int); SELECT no_such_function()' },
    ]
    await expect(migrate(database.db, broken)).rejects.toThrow()
    const present = await database.db.query<{ t: string | null }>("SELECT to_regclass('ok')::text AS t")
    expect(present.rows[0]?.t).toBeNull()
  })

  it.runIf(testDriver === 'postgres')('apply exactly once when two processes start at once', async () => {
    database = await createTestDatabase({ migrated: false })
    const other = createPostgresDb({ connectionString: database.url! })
    try {
      const [a, b] = await Promise.all([migrate(database.db), migrate(other)])
      expect([...a.applied, ...b.applied].sort()).toEqual(migrations.map((m) => m.id).sort())
      const recorded = await database.db.query('SELECT id FROM schema_migrations')
      expect(recorded.rowCount).toBe(migrations.length)
    } finally {
      await other.close()
    }
  })

  it('returns int8 as numbers on both drivers', async () => {
    database = await createTestDatabase({ migrated: false })
    const { rows } = await database.db.query<{ n: unknown; d: unknown }>("SELECT 42::int8 AS n, '1.50'::numeric AS d")
    expect(rows[0]).toEqual({ n: 42, d: '1.50' })
  })
})

describe('generated migrations module', () => {
  it('matches the SQL files (run `npm run gen:migrations` when this fails)', () => {
    const committed = readFileSync(new URL('../../src/db/migrations.generated.ts', import.meta.url), 'utf8')
    expect(committed, 'src/db/migrations.generated.ts is stale: run `npm run gen:migrations`').toBe(generatedMigrationsSource())
  })
})
