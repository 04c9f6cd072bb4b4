import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db.js'
import { QuotaCharger } from '../../src/exchange/quota.js'
import { chargeGrant, usageOn } from '../../src/exchange/repository.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { inRolledBackTransaction, seqScansSoFar } from '../support/database.js'
import { createCast, type Cast } from '../support/identity.js'
import { exchangeDatasets, grantFor, type ExchangeWorld } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
let grants: string[]

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 3)
  grants = []
  for (const purpose of ['quota-a', 'quota-b', 'quota-c', 'quota-d', 'quota-e']) {
    grants.push(await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] }, { daily_quota: 1000 }))
  }
})
afterAll(() => world.close())

/** The world's database, counting the statements run through it. */
function counted(db: Db): { db: Db; statements: () => number } {
  let n = 0
  const counting: Db = Object.create(db) as Db
  counting.query = (...args: Parameters<Db['query']>) => {
    n++
    return db.query(...args)
  }
  return { db: counting, statements: () => n }
}

/** Charges all at once, in this order; each read's day total, or undefined when refused. */
function chargeAll(charger: QuotaCharger, grantId: string, day: string, costs: number[], quota: number) {
  return Promise.all(costs.map((cost) => charger.charge(grantId, day, cost, quota)))
}

describe('grouped quota charges', () => {
  it('charge reads that arrive together in one statement, deciding each in order as one statement per read would', async () => {
    const { db, statements } = counted(world.services.db)
    const charger = new QuotaCharger(db)
    // The first goes alone; the other five wait for it and go as one group: 4 → 8, 4 does not
    // fit, 1 → 9, 2 does not fit, 1 → 10.
    const fates = await chargeAll(charger, grants[0]!, '2026-12-01', [4, 4, 4, 1, 2, 1], 10)
    expect(fates).toEqual([4, 10, undefined, 10, undefined, 10])
    expect(statements()).toBe(2)
    expect(await usageOn(world.services.db, grants[0]!, '2026-12-01')).toBe(10)
    expect(await charger.charge(grants[0]!, '2026-12-01', 1, 10)).toBeUndefined()
    expect(await charger.charge(grants[0]!, '2026-12-02', 1, 10)).toBe(1)
  })

  it('keep grants, days and quotas apart', async () => {
    const charger = new QuotaCharger(world.services.db)
    const day = '2026-12-03'
    const [a, b, lowered] = await Promise.all([
      chargeAll(charger, grants[1]!, day, [3, 3, 3], 7),
      chargeAll(charger, grants[2]!, day, [3, 3, 3], 9),
      // The same grant and day, read under a quota lowered meanwhile: each charged under its own.
      chargeAll(charger, grants[1]!, day, [1, 1], 5),
    ])
    expect(b).toEqual([3, 9, 9])
    for (const used of a) if (used !== undefined) expect(used).toBeLessThanOrEqual(7)
    for (const used of lowered) if (used !== undefined) expect(used).toBeLessThanOrEqual(5)
    const taken: number[] = [...a.map((used) => (used === undefined ? 0 : 3)), ...lowered.map((used) => (used === undefined ? 0 : 1))]
    expect(await usageOn(world.services.db, grants[1]!, day)).toBe(taken.reduce((sum, cost) => sum + cost, 0))
    expect(a[0]).toBe(3)
  })

  it('hold exactly across chargers, as on several gateway processes', async () => {
    const chargers = Array.from({ length: 3 }, () => new QuotaCharger(world.services.db))
    const day = '2026-12-04'
    const fates = await Promise.all(Array.from({ length: 60 }, (_, i) => chargers[i % 3]!.charge(grants[3]!, day, 1 + (i % 4), 50)))
    const admitted = fates.flatMap((used, i) => (used === undefined ? [] : [1 + (i % 4)]))
    const total = admitted.reduce((sum, cost) => sum + cost, 0)
    expect(await usageOn(world.services.db, grants[3]!, day)).toBe(total)
    expect(total).toBeLessThanOrEqual(50)
    // Every refused read would have overshot: at least 50 - 3 was taken before the last refusal.
    expect(total).toBeGreaterThan(50 - 4)
  })

  it('find the day through the primary key however few days there were when the connection first charged', async () => {
    // A plan kept from the connection's first charges, made while the statistics said the table
    // was a page long, would read every grant's every day on each later charge (migration 0020).
    await inRolledBackTransaction(world.services.db, async (tx) => {
      await tx.query('ANALYZE grant_usage')
      // Past the five calls after which a plan may stop being made for each call's parameters.
      for (let i = 0; i < 8; i++) await chargeGrant(tx, grants[4]!, '2026-12-10', [1], 100)
      await tx.query(`INSERT INTO grant_usage (grant_id, day, used) SELECT $1, DATE '1970-01-01' + i, 1 FROM generate_series(1, 20000) i`, [grants[4]!])
      const scans = await seqScansSoFar(tx, 'grant_usage')
      expect(await chargeGrant(tx, grants[4]!, '2026-12-10', [1], 100)).toEqual({ admitted: [true], used: 9 })
      expect(await chargeGrant(tx, grants[4]!, '2026-12-11', [1], 100)).toEqual({ admitted: [true], used: 1 })
      expect(await seqScansSoFar(tx, 'grant_usage')).toBe(scans)
    })
  })

  it('leave sequential scans as they were, and commit without waiting for the flush (migrations 0017, 0023)', async () => {
    await inRolledBackTransaction(world.services.db, async (tx) => {
      const setting = async (name: string) => (await tx.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]
      expect(await setting('enable_seqscan')).toBe('on')
      expect(await setting('synchronous_commit')).toBe('on')
      await chargeGrant(tx, grants[4]!, '2026-12-12', [1], 100)
      // The delivery's audit entry, committed with a flush after the charge, carries it to disk.
      expect(await setting('synchronous_commit')).toBe('off')
      expect(await setting('enable_seqscan')).toBe('on')
      await tx.query('SET LOCAL enable_seqscan = off')
      await chargeGrant(tx, grants[4]!, '2026-12-12', [1], 100)
      expect(await setting('enable_seqscan')).toBe('off')
    })
  })

  it('fail a group whose statement fails, and charge the next one', async () => {
    const charger = new QuotaCharger(world.services.db)
    const missing = await Promise.allSettled([1, 1, 1].map((cost) => charger.charge('grt_missing', '2026-12-05', cost, 10)))
    expect(missing.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    await expect(charger.charge('grt_missing', '2026-12-05', 1, 10)).rejects.toThrow()
    expect(await charger.charge(grants[4]!, '2026-12-05', 2, 10)).toBe(2)
    expect(await usageOn(world.services.db, 'grt_missing', '2026-12-05')).toBe(0)
  })
})
