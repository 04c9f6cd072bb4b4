import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createTestDatabase, testDriver, type TestDatabase } from '../support/database.js'

// Statements asked to run `pipelined` share a few connections kept apart for them, each sent
// without waiting for those before it (src/db/postgres.ts). Each must still get its own answer or
// its own error, go to the pool when the pipelines are busy, survive a lost connection and never
// reach inside a transaction.
describe.runIf(testDriver === 'postgres')('pipelined statements on PostgreSQL', () => {
  let database: TestDatabase
  let db: Db
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false })
    db = createPostgresDb({ connectionString: database.url!, max: 4, prepareStatements: true, pipelines: 2, applicationName: 'pipes-test' })
  })
  afterAll(async () => {
    await db.close()
    await database.drop()
  })

  const connectionOf = (name: string) =>
    db.query<{ app: string; pid: number; name: string }>("SELECT current_setting('application_name') AS app, pg_backend_pid() AS pid, $1::text AS name", [name], { pipelined: true })

  it('answers each statement with its own rows, in flight together on at most two connections', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => db.query<{ n: number; app: string; pid: number }>(
        "SELECT $1::int AS n, current_setting('application_name') AS app, pg_backend_pid() AS pid",
        [i],
        { prepare: true, pipelined: true },
      )),
    )
    expect(answers.map((a) => a.rows[0]!.n)).toEqual(Array.from({ length: 24 }, (_, i) => i))
    expect(new Set(answers.map((a) => a.rows[0]!.app))).toEqual(new Set(['pipes-test-pipelined']))
    expect(new Set(answers.map((a) => a.rows[0]!.pid)).size).toBe(2)
  })

  it('fails only the statement that fails', async () => {
    const results = await Promise.allSettled(
      [1, 2, 0, 4].map((d) => db.query<{ q: number }>('SELECT 12 / $1::int AS q', [d], { prepare: true, pipelined: true })),
    )
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: '22012' })
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.rows[0]!.q : null))).toEqual([12, 6, null, 3])
  })

  it('sends statements to the pool while both pipelines have 16 in flight', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => connectionOf(`s${i}`)))
    const apps = answers.map((a) => a.rows[0]!.app)
    expect(apps.filter((app) => app === 'pipes-test-pipelined')).toHaveLength(32)
    expect(apps.filter((app) => app === 'pipes-test')).toHaveLength(8)
  })

  it('opens a new connection for the next statement when one is lost', async () => {
    const before = (await Promise.all([connectionOf('a'), connectionOf('b')])).map((a) => a.rows[0]!.pid)
    const admin = new pg.Client({ connectionString: database.url! })
    await admin.connect()
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before])
    } finally {
      await admin.end()
    }
    // Statements may fail while the loss is being noticed; then every one is answered again.
    await new Promise((resolve) => setTimeout(resolve, 100))
    await Promise.allSettled([connectionOf('c'), connectionOf('d')])
    const after = await Promise.all([connectionOf('e'), connectionOf('f'), connectionOf('g')])
    for (const answer of after) expect(before).not.toContain(answer.rows[0]!.pid)
    expect(new Set(after.map((a) => a.rows[0]!.app))).toEqual(new Set(['pipes-test-pipelined']))
  })

  it('is ignored inside a transaction, which sees its own writes', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS pipes_seen (n int)')
    const seen = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO pipes_seen VALUES (1)')
      return (await tx.query<{ count: number }>('SELECT count(*)::int AS count FROM pipes_seen', [], { pipelined: true })).rows[0]!.count
    })
    expect(seen).toBe(1)
  })

  it('fails its statements with the connection error when the database cannot be reached, and tries again', async () => {
    const unreachable = createPostgresDb({ connectionString: 'postgres://qiao@127.0.0.1:1/nowhere', pipelines: 1 })
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(unreachable.query('SELECT 1', [], { pipelined: true })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
      }
    } finally {
      await unreachable.close()
    }
  })
})
