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
    const cell = (value: string, count: number, sum = 0, counted = 0) => ({ values: [value], count, sums: [sum], counted: [counted] })
    expect(suppressSmallCells([cell('a', 8, 20, 8), cell('b', 6, 30, 5), cell('c', 2, 4, 2)], 5)).toEqual({
      cells: [
        { values: ['a'], count: 8, suppressed: false, sums: [20], averages: [2.5] },
        { values: ['b'], count: null, suppressed: true, sums: [null], averages: [null] },
        { values: ['c'], count: null, suppressed: true, sums: [null], averages: [null] },
      ],
      publishedTotal: 8,
      publishedSums: [20],
      suppressedCells: 2,
    })
    const two = suppressSmallCells([cell('a', 9), cell('b', 3), cell('c', 1)], 5)
    expect(two.cells.map((c) => c.count)).toEqual([9, null, null])
    // A group without any value of a measure has no sum or average, not zero.
    expect(two.cells[0]).toMatchObject({ sums: [null], averages: [null] })
    expect(suppressSmallCells([cell('a', 3)], 5).cells[0]!.count).toBeNull()
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

describe('sums and averages (?measures=)', () => {
  let services: string
  const SERVICE_FIELDS = ['service_type', 'people_served', 'service_hours', 'org_name']
  /** 12 services: 7 elderly care (1..7 people served), 3 health, 2 education; 2 hours each, the 12th without hours. */
  const service = (n: number) => ({
    record_id: `SVC-${String(n).padStart(4, '0')}`,
    org_uscc: '52440300MJL123454Y',
    org_name: '某市志愿者协会',
    service_type: n <= 7 ? 'elderly_care' : n <= 10 ? 'health' : 'education',
    service_date: '2026-11-02',
    region_code: '330106',
    people_served: n <= 7 ? n : 1,
    ...(n === 12 ? {} : { service_hours: 2 }),
  })
  const path = (query: string) => `/v1/datasets/${services}/aggregate?${query}`

  beforeAll(async () => {
    services = (
      await registerDataset(world, cast.deptA.publisher, {
        ...populationDataset(),
        name: '社会组织服务记录',
        title: '社会组织服务记录',
        standard: { name: 'social-org-service', version: '1.0.0' },
      })
    ).id
    await ingest(world, cast.deptA.publisher, services, Array.from({ length: 12 }, (_, i) => service(i + 1)))
    await grantFor(world, cast, cast.deptB.consumer, services, { purpose: 'service-stats', fields: SERVICE_FIELDS })
  })

  it('sums and averages summable fields per group, with nothing for suppressed groups and totals over published ones', async () => {
    const res = await read(world, cast.deptB.consumer, path('group_by=service_type&measures=people_served,service_hours'), 'service-stats')
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toEqual([
      { groups: { service_type: 'education' }, count: null, suppressed: true, sums: { people_served: null, service_hours: null }, averages: { people_served: null, service_hours: null } },
      { groups: { service_type: 'elderly_care' }, count: 7, suppressed: false, sums: { people_served: 28, service_hours: 14 }, averages: { people_served: 4, service_hours: 2 } },
      { groups: { service_type: 'health' }, count: null, suppressed: true, sums: { people_served: null, service_hours: null }, averages: { people_served: null, service_hours: null } },
    ])
    expect(res.body).toMatchObject({ total: 7, sums_total: { people_served: 28, service_hours: 14 }, suppressed_groups: 2 })
    const { rows } = await world.services.db.query<{ content: { details: Record<string, unknown> } }>(
      `SELECT content FROM audit_log WHERE action = 'dataset.read' AND dataset_id = $1 ORDER BY seq DESC LIMIT 1`,
      [services],
    )
    expect(rows[0]!.content.details).toMatchObject({ aggregate: true, measures: ['people_served', 'service_hours'] })
  })

  it('averages over the records that have a value', async () => {
    const res = await read(world, cast.deptA.consumer, path('group_by=volunteer_service&measures=service_hours'))
    expect(res.status, res.text).toBe(200)
    // No record says whether it was volunteering: one group of 12, 11 of them with 2 hours.
    expect(res.body.items).toEqual([{ groups: { volunteer_service: null }, count: 12, suppressed: false, sums: { service_hours: 22 }, averages: { service_hours: 2 } }])
  })

  it('refuses measures that are not summable, outside the grant, masked by the grant, or too many', async () => {
    const notSummable = await read(world, cast.deptB.consumer, path('group_by=service_type&measures=org_name'), 'service-stats')
    expect(notSummable.status, notSummable.text).toBe(400)
    expect(notSummable.body.errors[0]).toMatchObject({ path: 'query.measures', code: 'not_summable' })
    const outside = await read(world, cast.deptB.consumer, path('group_by=service_type&measures=funding_amount'), 'service-stats')
    expect(outside.status, outside.text).toBe(403)
    await grantFor(world, cast, cast.deptB.consumer, services, { purpose: 'masked-stats', fields: SERVICE_FIELDS }, { masks: { people_served: { type: 'redact' } } })
    const masked = await read(world, cast.deptB.consumer, path('group_by=service_type&measures=people_served'), 'masked-stats')
    expect(masked.status, masked.text).toBe(400)
    const tooMany = await read(world, cast.deptA.consumer, path('group_by=service_type&measures=people_served,service_hours,a,b,c'))
    expect(tooMany.status, tooMany.text).toBe(400)
  })
})
