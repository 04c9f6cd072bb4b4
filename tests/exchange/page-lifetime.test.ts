// A read waits for its audit entry to commit before it answers. Under load most reads in flight
// are waiting there, and whatever they still reference survives every young-generation collection
// meanwhile (and is then promoted): a page's parsed records must already be garbage by then.
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import type { AuditWriter } from '../../src/audit/writer.js'
import type { Db } from '../../src/db/db.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { exchangeDatasets, grantFor, type ExchangeWorld } from '../support/exchange.js'
import { createCast, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 10)
})
afterAll(() => world.close())

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
    const path = `/v1/datasets/${data.population}/records?limit=5`
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
    expect(answered.length, 'the read selected its page with the version check').toBe(1 + 6)
    const alive = answered.filter((ref) => ref.deref() !== undefined).length
    held.release()
    const res = await reading
    expect(res.status).toBe(200)
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(5)
    expect(alive, 'records of the page still referenced while the entry commits').toBe(0)
  })
})
