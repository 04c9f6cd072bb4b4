// Property: whatever an approver grants and whatever a consumer asks for, no consumer ever
// receives a field outside its grant, a row outside its row filter, or a raw value of a field the
// policy masks for it.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, type Cast } from '../support/identity.js'
import { person, populationDataset, registerDataset } from '../support/catalog.js'
import { ingest, POPULATION_FIELDS, read } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let dataset: string
const REGIONS = ['330106', '330102', '310115', '440305']
const raw = Array.from({ length: 17 }, (_, i) => person(i + 1, { household_region_code: REGIONS[i % REGIONS.length] }))
const MASKED_BY_DEFAULT = ['citizen_id', 'name', 'birth_date', 'mobile', 'sex']

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  dataset = (await registerDataset(world, cast.deptA.publisher, populationDataset())).id
  await ingest(world, cast.deptA.publisher, dataset, raw)
})
afterAll(() => world.close())

const subsetOf = (fields: readonly string[]) => fc.subarray([...fields], { minLength: 1 })

describe('delivery never leaks', () => {
  it('no consumer receives a field or row outside its grant', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        subsetOf(POPULATION_FIELDS).chain((requested) =>
          fc.record({
            requested: fc.constant(requested),
            granted: subsetOf(requested),
            prefix: fc.option(fc.constantFrom('33', '3301', '330106', '31', '44', '11'), { nil: undefined }),
            asked: fc.option(subsetOf(POPULATION_FIELDS), { nil: undefined }),
            limit: fc.integer({ min: 1, max: 20 }),
          }),
        ),
        async ({ requested, granted, prefix, asked, limit }) => {
          const purpose = `property-${++run}`
          const filed = await call(world, 'POST', '/v1/access-requests', {
            token: cast.deptB.consumer.token,
            body: { dataset_id: dataset, purpose, legal_basis: 'test', fields: requested, duration_days: 1 },
          })
          expect(filed.status, filed.text).toBe(201)
          const rowFilter = prefix === undefined ? [] : [{ field: 'household_region_code', op: 'prefix', value: prefix }]
          const approved = await call(world, 'POST', `/v1/access-requests/${filed.body.id}/approve`, {
            token: cast.deptA.approver.token,
            body: { fields: granted, row_filter: rowFilter },
          })
          expect(approved.status, approved.text).toBe(200)

          const received: Record<string, unknown>[] = []
          let cursor: string | null = null
          do {
            const query = `?limit=${limit}${asked ? `&fields=${asked.join(',')}` : ''}${cursor ? `&cursor=${cursor}` : ''}`
            const res = await read(world, cast.deptB.consumer, `/v1/datasets/${dataset}/records${query}`, purpose)
            if (asked && asked.some((f) => !granted.includes(f))) {
              expect(res.status, res.text).toBe(403)
              return
            }
            expect(res.status, res.text).toBe(200)
            received.push(...res.body.items)
            cursor = res.body.next_cursor
          } while (cursor)

          const allowed = asked ?? granted
          const expectedRows = raw.filter((r) => prefix === undefined || String(r.household_region_code).startsWith(prefix))
          expect(received).toHaveLength(expectedRows.length)
          for (const item of received) {
            for (const field of Object.keys(item)) expect(allowed).toContain(field)
            if (prefix !== undefined && 'household_region_code' in item) expect(String(item.household_region_code).startsWith(prefix)).toBe(true)
            for (const field of MASKED_BY_DEFAULT) {
              if (field in item && item[field] !== null) expect(raw.map((r) => r[field])).not.toContain(item[field])
            }
          }
        },
      ),
      { numRuns: 30 },
    )
  }, 120_000)
})
