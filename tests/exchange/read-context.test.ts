// A read's context (dataset, regions, grants, policy, whether records are disputed) is kept by the gateway and used while
// read_context_version has not moved (migration 0021). These tests change the database directly,
// as another gateway process or an operator would, and check that every change a read depends on
// moves the version, that the next read then decides from the database, and that other changes
// leave the kept context in use.
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import type { AuditWriter } from '../../src/audit/writer.js'
import type { Db } from '../../src/db/db.js'
import { readDatasetColumns } from '../../src/exchange/repository.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { exchangeDatasets, grantFor, type ExchangeWorld } from '../support/exchange.js'
import { createCast, type Cast } from '../support/identity.js'
import { raise } from '../objections/helpers.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 5)
})
afterAll(() => world.close())

const version = async () => Number((await world.services.db.query<{ version: string }>('SELECT version FROM read_context_version')).rows[0]!.version)

describe('read_context_version', () => {
  it('moves with every statement that changes what a read is decided from, and only then', async () => {
    const moves = async (sql: string, params: unknown[] = []) => {
      const before = await version()
      await world.services.db.query(sql, params)
      return (await version()) !== before
    }
    const dataset = data.population
    const provider = cast.deptA.orgId
    await grantFor(world, cast, cast.deptB.consumer, dataset, { purpose: 'version-moves', fields: ['status'] })
    // What a read's context holds.
    expect(await moves('UPDATE datasets SET tier = tier WHERE id = $1', [dataset])).toBe(true)
    expect(await moves('UPDATE datasets SET status = status, sharing = sharing WHERE id = $1', [dataset])).toBe(true)
    expect(await moves('UPDATE organisations SET region_code = region_code WHERE id = $1', [provider])).toBe(true)
    expect(await moves('UPDATE grants SET status = status WHERE dataset_id = $1', [dataset])).toBe(true)
    // A statement that changes no row changes nothing a read depends on.
    expect(await moves("UPDATE grants SET status = status WHERE dataset_id = 'ds_none'")).toBe(false)
    expect(await moves('UPDATE tier_policy SET matrix = matrix')).toBe(true)
    // What no read depends on: counts kept by ingests, names.
    expect(await moves('UPDATE datasets SET record_count = record_count, last_ingest_at = last_ingest_at WHERE id = $1', [dataset])).toBe(false)
    expect(await moves('UPDATE organisations SET name = name WHERE id = $1', [provider])).toBe(false)
  })

  it('moves once per transaction, as it commits', async () => {
    const before = await version()
    await world.services.db.transaction(async (tx) => {
      await tx.query('UPDATE datasets SET tier = tier WHERE id = $1', [data.population])
      await tx.query('UPDATE grants SET status = status')
      await tx.query('UPDATE organisations SET region_code = region_code')
      // Deferred to the commit: the counter's row is the last lock the transaction takes.
      expect(Number((await tx.query<{ version: string }>('SELECT version FROM read_context_version')).rows[0]!.version)).toBe(before)
    })
    expect(await version()).toBe(before + 1)
    // A transaction rolled back moves nothing.
    await world.services.db.transaction(async (tx) => {
      await tx.query('UPDATE grants SET status = status')
      throw new Error('roll back')
    }).catch(() => {})
    expect(await version()).toBe(before + 1)
  })

  it('is moved by changes to every column of datasets a read is decided from', async () => {
    const { rows } = await world.services.db.query<{ table: string; column: string }>(
      `SELECT event_object_table AS table, event_object_column AS column FROM information_schema.triggered_update_columns
       WHERE trigger_name IN ('datasets_read_context', 'organisations_read_context') ORDER BY 1, 2`,
    )
    const of = (table: string) => rows.filter((r) => r.table === table).map((r) => r.column)
    expect(of('datasets')).toEqual([...readDatasetColumns].sort())
    expect(of('organisations')).toEqual(['id', 'region_code'])
  })
})

describe('a read whose context was kept', () => {
  /** The app over a database that records the statements the read path runs. */
  function watched(): { app: ReturnType<typeof createApp>; statements: string[] } {
    const statements: string[] = []
    const db: Db = Object.create(world.services.db) as Db
    db.query = (...args: Parameters<Db['query']>) => {
      statements.push(args[0])
      return world.services.db.query(...args)
    }
    return { app: createApp({ ...world.services, db }), statements }
  }
  const readWith = async (app: ReturnType<typeof createApp>, purpose: string) => {
    const res = await app.request(`/v1/datasets/${data.population}/records`, { headers: { authorization: `Bearer ${cast.deptB.consumer.token}`, 'x-purpose': purpose } })
    return { status: res.status, body: (await res.json()) as Record<string, any> }
  }
  const readContextRan = (statements: string[]) => statements.some((s) => s.includes('FROM (SELECT) AS one LEFT JOIN ds'))

  it('checks the version and reads only the records until something it depends on changes', async () => {
    const purpose = 'kept-context'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status', 'sex'] })
    const { app, statements } = watched()
    expect((await readWith(app, purpose)).status).toBe(200)
    statements.length = 0
    const kept = await readWith(app, purpose)
    expect(kept.status).toBe(200)
    expect(kept.body.items.length).toBeGreaterThan(0)
    expect(readContextRan(statements), statements.join('\n---\n')).toBe(false)
    expect(statements.some((s) => s.includes('FROM read_context_version v'))).toBe(true)
    // One statement: the version checked and the page selected together (the audit entry goes its own way).
    expect(statements, statements.join('\n---\n')).toHaveLength(1)

    // Irrelevant to reads: the kept context stays in use.
    await world.services.db.query('UPDATE datasets SET record_count = record_count WHERE id = $1', [data.population])
    statements.length = 0
    expect((await readWith(app, purpose)).status).toBe(200)
    expect(readContextRan(statements)).toBe(false)

    // The dataset is no longer shared (an owner-only dataset), changed behind the gateway's back: the very next read is refused.
    await world.services.db.query("UPDATE datasets SET sharing = 'none', legal_basis = coalesce(legal_basis, '测试') WHERE id = $1", [data.population])
    try {
      statements.length = 0
      const refused = await readWith(app, purpose)
      expect(readContextRan(statements)).toBe(true)
      expect(refused.status, JSON.stringify(refused.body)).toBeGreaterThanOrEqual(403)
      expect(refused.status).toBeLessThanOrEqual(404)
    } finally {
      await world.services.db.query("UPDATE datasets SET sharing = 'unconditional' WHERE id = $1", [data.population])
    }
    expect((await readWith(app, purpose)).status).toBe(200)
  })

  it('looks for disputed records only while the kept context says the dataset has some', async () => {
    const purpose = 'kept-disputes'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] })
    const { app, statements } = watched()
    const looked = () => statements.some((s) => s.includes('FROM objections ob'))
    expect((await readWith(app, purpose)).status).toBe(200)
    statements.length = 0
    const kept = await readWith(app, purpose)
    expect(readContextRan(statements)).toBe(false)
    expect(looked(), statements.join('\n---\n')).toBe(false)
    expect(kept.body.items.filter((item: object) => '_flags' in item)).toEqual([])

    // An objection to the page's first record: the next read reads its context again, and flags it.
    const first = await world.services.db.query<{ key: string }>('SELECT key FROM records WHERE dataset_id = $1 AND deleted_at IS NULL ORDER BY key LIMIT 1', [data.population])
    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: first.rows[0]!.key, description: '姓名有误' })
    statements.length = 0
    const flagged = await readWith(app, purpose)
    expect(readContextRan(statements)).toBe(true)
    expect(flagged.body.items[0]._flags).toEqual(['disputed'])
    // Kept again, the context says the dataset has a disputed record: the page looks for them.
    statements.length = 0
    const again = await readWith(app, purpose)
    expect(readContextRan(statements)).toBe(false)
    expect(looked(), statements.join('\n---\n')).toBe(true)
    expect(again.body.items[0]._flags).toEqual(['disputed'])
    expect(again.body.items.slice(1).filter((item: object) => '_flags' in item)).toEqual([])

    // Resolved behind the gateway's back, as another process would: the flag goes at the very next read.
    await world.services.db.query(
      "UPDATE objections SET status = 'resolved', accepted_at = now(), outcome = 'rejected', resolved_at = now(), resolution_note = '经核实数据无误' WHERE id = $1",
      [objection.id],
    )
    statements.length = 0
    const after = await readWith(app, purpose)
    expect(readContextRan(statements)).toBe(true)
    expect(after.body.items[0]._flags).toBeUndefined()
  })

  it('refuses at the very next read a grant revoked by another process', async () => {
    const purpose = 'kept-then-revoked'
    const grantId = await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] })
    const { app } = watched()
    expect((await readWith(app, purpose)).status).toBe(200)
    expect((await readWith(app, purpose)).status).toBe(200)
    await world.services.db.query("UPDATE grants SET status = 'revoked', revoked_at = now(), revoke_reason = 'test' WHERE id = $1", [grantId])
    const after = await readWith(app, purpose)
    expect(after.status).toBe(403)
    expect(after.body.reason).toBe('grant_revoked')
  })
})

/** Makes `audit` hold the next entry appended until released; `arrived` settles once it is appended. */
function holdNextEntry(audit: AuditWriter): { arrived: Promise<void>; release(): void } {
  let arrive!: () => void
  let release!: () => void
  const arrived = new Promise<void>((resolve) => (arrive = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  audit.append = async (...args) => {
    arrive()
    await released
    return world.services.audit.append(...args)
  }
  return { arrived, release }
}

/** A full collection, from a context with gc exposed (the test process has no --expose-gc). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc')
  ;(vm.runInNewContext('gc') as () => void)()
}

// A read waits for its audit entry to commit before it answers. Under load most reads in flight
// are waiting there, and whatever they still reference survives every young-generation collection
// meanwhile (and is then promoted): a page's parsed records must already be garbage by then.
describe('a read waiting for its audit entry', () => {
  it('holds none of its page’s records', async () => {
    const purpose = 'page-lifetime'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['citizen_id', 'name', 'status'] })
    // The records each statement answered, weakly.
    const answered: WeakRef<object>[] = []
    const db: Db = Object.create(world.services.db) as Db
    db.query = (async (...args: Parameters<Db['query']>) => {
      const result = await world.services.db.query(...args)
      for (const row of result.rows as Record<string, unknown>[]) {
        if (Array.isArray(row.records)) answered.push(new WeakRef(row.records), ...row.records.map((record: object) => new WeakRef(record)))
      }
      return result
    }) as Db['query']
    const audit = Object.create(world.services.audit) as AuditWriter
    const app = createApp({ ...world.services, db, audit })
    const headers = { authorization: `Bearer ${cast.deptB.consumer.token}`, 'x-purpose': purpose }
    const path = `/v1/datasets/${data.population}/records?limit=3`
    // The first read keeps the context; the second selects its page with the version check.
    expect((await app.request(path, { headers })).status).toBe(200)

    answered.length = 0
    const held = holdNextEntry(audit)
    const reading = app.request(path, { headers })
    await held.arrived
    // A task later (weak references made in a task hold their targets until it ends), collect.
    await new Promise((resolve) => setTimeout(resolve, 0))
    collectGarbage()
    // The page's array and its records: one more than the limit, which says whether a next page follows.
    expect(answered.length, 'the read selected its page with the version check').toBe(1 + 4)
    const alive = answered.filter((ref) => ref.deref() !== undefined).length
    held.release()
    const res = await reading
    expect(res.status).toBe(200)
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(3)
    expect(alive, 'records of the page still referenced while the entry commits').toBe(0)
  })
})
