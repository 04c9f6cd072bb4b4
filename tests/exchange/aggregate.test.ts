import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { suppressSmallCells } from '../../src/exchange/aggregates.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { createCast, type Cast } from '../support/identity.js'
import { person, populationDataset, registerDataset } from '../support/catalog.js'
import { grantFor, ingest, read } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let dataset: string

/** 16 people: 8 normal, 6 moved out, 2 deceased; even ones in Hangzhou, odd ones in Shanghai. */
function statusOf(n: number): string {
  return n <= 8 ? 'normal' : n <= 14 ? 'moved_out' : 'deceased'
}

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  dataset = (await registerDataset(world, cast.deptA.publisher, populationDataset({ open: 'conditional', open_conditions: '统计用途' }))).id
  const records = Array.from({ length: 16 }, (_, i) => person(i + 1, { status: statusOf(i + 1), household_region_code: (i + 1) % 2 === 0 ? '330106' : '310115' }))
  await ingest(world, cast.deptA.publisher, dataset, records)
})
afterAll(() => world.close())

const path = (groupBy: string) => `/v1/datasets/${dataset}/aggregate?group_by=${groupBy}`

describe('small-cell suppression', () => {
  it('suppresses cells under k, and a second cell when only one would be', () => {
    expect(suppressSmallCells([{ values: ['a'], count: 8 }, { values: ['b'], count: 6 }, { values: ['c'], count: 2 }], 5)).toEqual({
      cells: [
        { values: ['a'], count: 8, suppressed: false },
        { values: ['b'], count: null, suppressed: true },
        { values: ['c'], count: null, suppressed: true },
      ],
      publishedTotal: 8,
      suppressedCells: 2,
    })
    const two = suppressSmallCells([{ values: ['a'], count: 9 }, { values: ['b'], count: 3 }, { values: ['c'], count: 1 }], 5)
    expect(two.cells.map((c) => c.count)).toEqual([9, null, null])
    expect(suppressSmallCells([{ values: ['a'], count: 3 }], 5).cells[0]!.count).toBeNull()
  })
})

describe('GET /v1/datasets/{id}/aggregate', () => {
  it('answers an aggregates-only grant with suppressed counts and a total over published cells', async () => {
    await grantFor(world, cast, cast.social.consumer, dataset, { purpose: 'stats', fields: ['status', 'household_region_code'] })
    const res = await read(world, cast.social.consumer, path('status'), 'stats')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ group_by: ['status'], k: 5, total: 8, suppressed_groups: 2 })
    expect(res.body.items).toEqual([
      { groups: { status: 'deceased' }, count: null, suppressed: true },
      { groups: { status: 'moved_out' }, count: null, suppressed: true },
      { groups: { status: 'normal' }, count: 8, suppressed: false },
    ])
    const regions = await read(world, cast.social.consumer, path('household_region_code'), 'stats')
    expect(regions.body.items, regions.text).toEqual([
      { groups: { household_region_code: '310100' }, count: 8, suppressed: false },
      { groups: { household_region_code: '330100' }, count: 8, suppressed: false },
    ])
  })

  it('refuses dimensions outside the grant or not aggregatable, and record reads to an aggregates-only consumer', async () => {
    expect((await read(world, cast.social.consumer, path('sex'), 'stats')).status).toBe(403)
    expect((await read(world, cast.social.consumer, `/v1/datasets/${dataset}/records`, 'stats')).status).toBe(403)
    const owner = await read(world, cast.deptA.consumer, path('name'))
    expect(owner.status, owner.text).toBe(400)
    const tooMany = await read(world, cast.deptA.consumer, path('sex,status,birth_date,household_region_code,sex2'))
    expect(tooMany.status, tooMany.text).toBe(400)
  })

  it('applies the grant’s row filter and groups by age band', async () => {
    await grantFor(world, cast, cast.deptB.consumer, dataset, { purpose: 'city', fields: ['birth_date', 'status'] }, { row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }] })
    const res = await read(world, cast.deptB.consumer, path('status'), 'city')
    expect(res.status, res.text).toBe(200)
    const published = res.body.items.filter((i: { suppressed: boolean }) => !i.suppressed)
    expect(res.body.total + res.body.items.filter((i: { suppressed: boolean }) => i.suppressed).length).toBeLessThanOrEqual(8)
    expect(published.every((i: { count: number }) => i.count >= 5)).toBe(true)
    const ages = await read(world, cast.deptA.consumer, path('birth_date'))
    expect(ages.status, ages.text).toBe(200)
    for (const item of ages.body.items) expect(item.groups.birth_date).toMatch(/^\d+-\d+$/)
  })
})
