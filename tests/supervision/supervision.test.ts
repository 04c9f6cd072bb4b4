// GET /v1/supervision against a world built through the API on a fixed calendar, where every
// figure is known in advance: each is asserted exactly.
//
// Timeline (China time, no configured holidays):
//   Mon 2 Feb   departments A, B, C and a social organisation; A registers population P (L4),
//               service points S (L1) and P2 (L4, overridden down to L3); B registers points
//               B1 (L1, raised to L2) and B2 (retired). Ingests: P 10 rows, a refused batch of
//               4 with 1 invalid, S 3 rows, B1 2 rows. The social organisation asks for B1 (it
//               expires on 2 March, undecided).
//   Mon 2 Mar   B asks for P six times (r1–r4 pending, r5 direct on S) and the social
//               organisation asks for P's aggregates (r6, stays pending) and S (direct).
//               B raises objections o1 (left raised) and o2 (taken to closed with a rating).
//   Tue 3 Mar   r2 rejected (1 working day), r4 withdrawn, r2 rated 2; o2 accepted.
//   Wed 4 Mar   o2 resolved (rejected).    Thu 5 Mar: r1 approved (3 working days), rated 5; o2 closed, rated 4.
//   Mon 9 Mar   r3 approved (5 working days).
//   Tue 10 Mar  B reads P (a page of 10, one record) and S (3); A reads its own P; B's read for a
//               purpose it holds no grant for is refused. The sums are refreshed.
//   Wed 11 Mar  the social organisation reads S (3, 3 and 1 record) for two purposes, the public
//               reads S (3), A asks for B1 (direct) and reads it (2); A stores one more row of S.
//   Mon 16 Mar  r7 filed; objection o3 raised.
//   Tue 17 Mar  10:00: the report. r6 (deadline 16 Mar) and o1 (deadline 5 Mar) are overdue.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobs } from '../../src/jobs/scheduler.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { populationDataset, publishServicePointStandard, registerDataset, servicePoint, servicePointDataset } from '../support/catalog.js'
import { approve, fileRequest, ingest, people, read, refreshTokens, requestBody } from '../support/exchange.js'
import { call, createActor, createCast, createOrg, department, type Actor, type Cast } from '../support/identity.js'
import { person } from '../support/population.js'

const at = (local: string) => new Date(`${local}:00+08:00`)
const SENTENCE = '姓名、身份证号和手机号在共享时一律按默认规则脱敏，剩余信息项不足以识别个人。'

let world: TestWorld
let cast: Cast
let auditor: Actor
let deptB: { publisher: Actor; approver: Actor }
let deptC: string
const ids: Record<string, string> = {}

async function moveTo(local: string) {
  world.clock.set(at(local))
  await refreshTokens(world, [cast.admin, auditor, cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer, cast.deptB.consumer, cast.social.consumer, deptB.publisher, deptB.approver])
}

async function ok(res: { status: number; text: string; body: any }, status = 200) {
  expect(res.status, res.text).toBe(status)
  return res.body
}

async function report(actor: Actor, query = '') {
  const res = await call(world, 'GET', `/v1/supervision${query}`, { token: actor.token })
  expect(res.status, res.text).toBe(200)
  return res.body as { as_of: string; period: unknown; departments: Array<Record<string, any>>; social_orgs: Array<Record<string, any>> }
}

const rowOf = (rows: Array<Record<string, any>>, orgId: string) => {
  const row = rows.find((r) => r.org_id === orgId)
  if (!row) throw new Error(`no row for ${orgId} in ${JSON.stringify(rows)}`)
  return row
}

const reads = (reads: number, records: number) => ({ reads, records })
const noReads = { department: reads(0, 0), social_org: reads(0, 0), platform: reads(0, 0), anonymous: reads(0, 0) }

beforeAll(async () => {
  world = await createTestWorld()
  world.clock.set(at('2026-02-02T09:00'))
  cast = await createCast(world)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
  deptB = { publisher: await createActor(world, cast.admin, cast.deptB.orgId, ['publisher']), approver: await createActor(world, cast.admin, cast.deptB.orgId, ['approver']) }
  deptC = await createOrg(world, cast.admin, department('某县教育局', '330100'))

  // Mon 2 Feb: the catalogue.
  await moveTo('2026-02-02T10:00')
  ids.P = (await registerDataset(world, cast.deptA.publisher, populationDataset({ open: 'conditional', open_conditions: '经审批后提供统计结果' }))).id
  await ingest(world, cast.deptA.publisher, ids.P, people(10))
  const refused = await call(world, 'POST', `/v1/datasets/${ids.P}/records`, { token: cast.deptA.publisher.token, body: [person(21), person(22), person(23, { sex: '7' }), person(24)] })
  expect(refused.status, refused.text).toBe(422)
  await publishServicePointStandard(world, cast.admin)
  ids.S = (await registerDataset(world, cast.deptA.publisher, servicePointDataset())).id
  await ingest(world, cast.deptA.publisher, ids.S, [1, 2, 3].map((n) => servicePoint(n)))
  ids.P2 = (await registerDataset(world, cast.deptA.publisher, populationDataset())).id
  expect(await ok(await call(world, 'PUT', `/v1/datasets/${ids.P2}/tier`, { token: cast.admin.token, body: { tier: 'L3', reason: SENTENCE } }))).toMatchObject({ tier: 'L3', computed_tier: 'L4' })
  ids.B1 = (await registerDataset(world, deptB.publisher, servicePointDataset())).id
  await ingest(world, deptB.publisher, ids.B1, [1, 2].map((n) => servicePoint(n)))
  expect(await ok(await call(world, 'PUT', `/v1/datasets/${ids.B1}/tier`, { token: cast.admin.token, body: { tier: 'L2', reason: '含服务点负责人联系方式' } }))).toMatchObject({ tier: 'L2', computed_tier: 'L1' })
  ids.B2 = (await registerDataset(world, deptB.publisher, servicePointDataset())).id
  await ok(await call(world, 'POST', `/v1/datasets/${ids.B2}/retire`, { token: deptB.publisher.token }))
  const e1 = await fileRequest(world, cast.social.consumer, requestBody(ids.B1, { fields: ['point_id', 'point_name'], purpose: 'volunteer-matching' }))
  expect(e1.status).toBe('pending')

  // Mon 2 Mar: requests and objections.
  await moveTo('2026-03-02T10:00')
  for (const r of ['r1', 'r2', 'r3', 'r4']) {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(ids.P))
    expect(filed.status).toBe('pending')
    ids[r] = filed.id
  }
  const r5 = await fileRequest(world, cast.deptB.consumer, requestBody(ids.S, { fields: ['point_id', 'point_name', 'region_code'], purpose: 'service-directory' }))
  expect(r5.status).toBe('approved')
  const r6 = await fileRequest(world, cast.social.consumer, requestBody(ids.P, { fields: ['sex', 'household_region_code'], purpose: 'volunteer-matching' }))
  expect(r6.status).toBe('pending')
  const socialGrant = await fileRequest(world, cast.social.consumer, requestBody(ids.S, { fields: ['point_id', 'point_name'], purpose: 'volunteer-matching' }))
  expect(socialGrant.status).toBe('approved')
  ids.o1 = (await ok(await call(world, 'POST', `/v1/datasets/${ids.P}/objections`, { token: cast.deptB.consumer.token, body: { description: '户籍地代码有误' } }), 201)).id
  ids.o2 = (await ok(await call(world, 'POST', `/v1/datasets/${ids.P}/objections`, { token: cast.deptB.consumer.token, body: { description: '联系方式过期' } }), 201)).id

  await moveTo('2026-03-03T15:00')
  await ok(await call(world, 'POST', `/v1/access-requests/${ids.r2}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } }))
  await ok(await call(world, 'POST', `/v1/access-requests/${ids.r4}/withdraw`, { token: cast.deptB.consumer.token }))
  await ok(await call(world, 'POST', `/v1/access-requests/${ids.r2}/rating`, { token: cast.deptB.consumer.token, body: { score: 2 } }), 201)
  await ok(await call(world, 'POST', `/v1/objections/${ids.o2}/accept`, { token: cast.deptA.publisher.token }))

  await moveTo('2026-03-04T11:00')
  await ok(await call(world, 'POST', `/v1/objections/${ids.o2}/resolve`, { token: cast.deptA.approver.token, body: { outcome: 'rejected', note: '经核实无误' } }))

  await moveTo('2026-03-05T16:00')
  await approve(world, cast.deptA.approver, ids.r1!)
  await ok(await call(world, 'POST', `/v1/access-requests/${ids.r1}/rating`, { token: cast.deptB.consumer.token, body: { score: 5 } }), 201)
  await ok(await call(world, 'POST', `/v1/objections/${ids.o2}/close`, { token: cast.deptB.consumer.token, body: { rating: 4 } }))

  await moveTo('2026-03-09T09:30')
  await approve(world, cast.deptA.approver, ids.r3!)

  // Tue 10 Mar: department reads, then the sums are refreshed.
  await moveTo('2026-03-10T10:00')
  expect((await read(world, cast.deptB.consumer, `/v1/datasets/${ids.P}/records`, 'subsidy-eligibility')).body.items).toHaveLength(10)
  expect((await read(world, cast.deptB.consumer, `/v1/datasets/${ids.P}/records/${people(1)[0]!.citizen_id}`, 'subsidy-eligibility')).status).toBe(200)
  expect((await read(world, cast.deptB.consumer, `/v1/datasets/${ids.S}/records`, 'service-directory')).body.items).toHaveLength(3)
  expect((await read(world, cast.deptA.publisher, `/v1/datasets/${ids.P}/records`)).status).toBe(200) // the owner's own read
  expect((await read(world, cast.deptB.consumer, `/v1/datasets/${ids.P}/records`, 'another-purpose')).status).toBe(403)
  expect(await jobs.find((j) => j.name === 'refresh-supervision')!.run(world.services)).toMatch(/^\d+ audit entries folded/)

  // Wed 11 Mar: reads the sums have not seen yet.
  await moveTo('2026-03-11T10:00')
  expect((await read(world, cast.social.consumer, `/v1/datasets/${ids.S}/records`, 'volunteer-matching')).body.items).toHaveLength(3)
  expect((await read(world, cast.social.consumer, `/v1/datasets/${ids.S}/records`, 'volunteer-matching')).body.items).toHaveLength(3)
  expect((await read(world, cast.social.consumer, `/v1/datasets/${ids.S}/records/SP0001`, 'service-guide')).status).toBe(200)
  expect((await read(world, undefined, `/v1/datasets/${ids.S}/records`)).body.items).toHaveLength(3)
  const d1 = await fileRequest(world, cast.deptA.consumer, requestBody(ids.B1, { fields: ['point_id', 'point_name'], purpose: 'grid-planning' }))
  expect(d1.status).toBe('approved')
  expect((await read(world, cast.deptA.consumer, `/v1/datasets/${ids.B1}/records`, 'grid-planning')).body.items).toHaveLength(2)
  await ingest(world, cast.deptA.publisher, ids.S, [servicePoint(1, { opening_hours: '09:00-17:00' })])

  await moveTo('2026-03-16T10:00')
  ids.r7 = (await fileRequest(world, cast.deptB.consumer, requestBody(ids.P))).id
  ids.o3 = (await ok(await call(world, 'POST', `/v1/datasets/${ids.P}/objections`, { token: cast.deptB.consumer.token, body: { description: '出生日期有误' } }), 201)).id

  await moveTo('2026-03-17T10:00')
})
afterAll(() => world.close())

const deptAFigures = () => ({
  org_id: cast.deptA.orgId,
  level: 'city',
  region_code: '330100',
  status: 'active',
  light: 'red',
  datasets: { active: 3, by_tier: { L1: 1, L2: 0, L3: 1, L4: 1 }, below_computed_tier: 1 },
  ingests: { stored: 3, refused: 1, rows_received: 18, rows_rejected: 1, conformance_rate: 0.9444 },
  access_requests: { received: 8, decided: 3, approved: 2, rejected: 1, direct: 2, withdrawn: 1, expired: 0, pending: 2, overdue: 1, median_decision_working_days: 3 },
  objections: { raised: 3, open: 2, overdue: 1 },
  ratings: { count: 3, average: 3.67 },
  reads_served: { department: reads(3, 14), social_org: reads(3, 7), platform: reads(0, 0), anonymous: reads(1, 3) },
  tier_overrides: { lowered: 1 },
})

const deptBFigures = () => ({
  org_id: cast.deptB.orgId,
  light: 'green',
  datasets: { active: 1, by_tier: { L1: 0, L2: 1, L3: 0, L4: 0 }, below_computed_tier: 0 },
  ingests: { stored: 1, refused: 0, rows_received: 2, rows_rejected: 0, conformance_rate: 1 },
  access_requests: { received: 2, decided: 0, approved: 0, rejected: 0, direct: 1, withdrawn: 0, expired: 1, pending: 0, overdue: 0, median_decision_working_days: null },
  objections: { raised: 0, open: 0, overdue: 0 },
  ratings: { count: 0, average: null },
  reads_served: { ...noReads, department: reads(1, 2) },
  tier_overrides: { lowered: 0 },
})

const socialFigures = () => ({
  org_id: cast.social.orgId,
  status: 'active',
  grants_held: 1,
  reads: reads(3, 7),
  reads_by_purpose: [
    { purpose: 'volunteer-matching', reads: 2, records: 6 },
    { purpose: 'service-guide', reads: 1, records: 1 },
  ],
})

describe('GET /v1/supervision', () => {
  it('gives an admin every department and social organisation, each figure as the world made it', async () => {
    const body = await report(cast.admin)
    expect(body.as_of).toBe(at('2026-03-17T10:00').toISOString())
    expect(body.period).toBeNull()
    expect(body.departments.map((d) => d.org_id).sort()).toEqual([cast.deptA.orgId, cast.deptB.orgId, deptC].sort())
    expect(rowOf(body.departments, cast.deptA.orgId)).toMatchObject(deptAFigures())
    expect(rowOf(body.departments, cast.deptB.orgId)).toMatchObject(deptBFigures())
    expect(rowOf(body.departments, deptC)).toMatchObject({
      light: 'green',
      datasets: { active: 0, by_tier: { L1: 0, L2: 0, L3: 0, L4: 0 }, below_computed_tier: 0 },
      ingests: { stored: 0, refused: 0, rows_received: 0, rows_rejected: 0, conformance_rate: null },
      access_requests: { received: 0, decided: 0, approved: 0, rejected: 0, direct: 0, withdrawn: 0, expired: 0, pending: 0, overdue: 0, median_decision_working_days: null },
      objections: { raised: 0, open: 0, overdue: 0 },
      ratings: { count: 0, average: null },
      reads_served: noReads,
      tier_overrides: { lowered: 0 },
    })
    expect(body.social_orgs).toEqual([{ ...socialFigures(), name: expect.any(String) }])
  })

  it('counts the same once the sums have caught up, and once the jobs have expired what was due', async () => {
    const before = await report(cast.admin)
    for (const name of ['expire-requests', 'refresh-supervision']) await jobs.find((j) => j.name === name)!.run(world.services)
    const after = await report(auditor)
    expect(after).toEqual(before)
  })

  it('shows a department’s members their own row, and a social organisation’s its own', async () => {
    for (const member of [cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer]) {
      const own = await report(member)
      expect(own.departments).toHaveLength(1)
      expect(own.departments[0]).toMatchObject(deptAFigures())
      expect(own.social_orgs).toEqual([])
    }
    const b = await report(cast.deptB.consumer)
    expect(b.departments).toHaveLength(1)
    expect(b.departments[0]).toMatchObject(deptBFigures())
    const social = await report(cast.social.consumer)
    expect(social.departments).toEqual([])
    expect(social.social_orgs).toEqual([{ ...socialFigures(), name: expect.any(String) }])
  })

  it('counts the flows of a period and the stock of now', async () => {
    const early = await report(cast.admin, '?from=2026-03-02&to=2026-03-04')
    expect(early.period).toEqual({ from: '2026-03-02', to: '2026-03-04' })
    expect(rowOf(early.departments, cast.deptA.orgId)).toMatchObject({
      light: 'red',
      datasets: { active: 3, by_tier: { L1: 1, L2: 0, L3: 1, L4: 1 }, below_computed_tier: 1 },
      ingests: { stored: 0, refused: 0, rows_received: 0, rows_rejected: 0, conformance_rate: null },
      access_requests: { received: 7, decided: 1, approved: 0, rejected: 1, direct: 2, withdrawn: 1, expired: 0, pending: 2, overdue: 1, median_decision_working_days: 1 },
      objections: { raised: 2, open: 2, overdue: 1 },
      ratings: { count: 1, average: 2 },
      reads_served: noReads,
      tier_overrides: { lowered: 0 },
    })
    expect(rowOf(early.departments, cast.deptB.orgId)).toMatchObject({ access_requests: expect.objectContaining({ received: 0, expired: 1 }) })

    const reading = await report(cast.admin, '?from=2026-03-10&to=2026-03-10')
    expect(rowOf(reading.departments, cast.deptA.orgId).reads_served).toEqual({ ...noReads, department: reads(3, 14) })
    const later = await report(cast.admin, '?from=2026-03-11&to=2026-03-17')
    expect(rowOf(later.departments, cast.deptA.orgId)).toMatchObject({
      ingests: { stored: 1, refused: 0, rows_received: 1, rows_rejected: 0, conformance_rate: 1 },
      access_requests: expect.objectContaining({ received: 1, decided: 0, median_decision_working_days: null }),
      reads_served: { ...noReads, social_org: reads(3, 7), anonymous: reads(1, 3) },
    })
    expect(rowOf(later.departments, cast.deptB.orgId).reads_served).toEqual({ ...noReads, department: reads(1, 2) })
    expect(later.social_orgs[0]).toMatchObject({ grants_held: 1, reads: reads(3, 7) })
    const before = await report(cast.admin, '?from=2026-02-01&to=2026-02-28')
    expect(rowOf(before.departments, cast.deptA.orgId)).toMatchObject({
      ingests: { stored: 2, refused: 1, rows_received: 17, rows_rejected: 1, conformance_rate: 0.9412 },
      tier_overrides: { lowered: 1 },
      reads_served: noReads,
    })
  })

  it('refuses a malformed period', async () => {
    for (const [query, path] of [
      ['?from=2026-03-01', 'query.to'],
      ['?to=2026-03-01', 'query.from'],
      ['?from=2026-03-05&to=2026-03-01', 'query.to'],
      ['?from=2026-02-30&to=2026-03-01', 'query.from'],
      ['?from=20260301&to=2026-03-02', 'query.from'],
    ] as const) {
      const res = await call(world, 'GET', `/v1/supervision${query}`, { token: cast.admin.token })
      expect(res.status, res.text).toBe(400)
      expect(res.body.errors.map((e: { path: string }) => e.path), res.text).toContain(path)
    }
  })

  it('needs a token, and a platform client other than an admin or auditor is refused', async () => {
    expect((await call(world, 'GET', '/v1/supervision')).status).toBe(401)
    const platformPublisher = await createActor(world, cast.admin, cast.admin.orgId, ['publisher'])
    const res = await call(world, 'GET', '/v1/supervision', { token: platformPublisher.token })
    expect(res.status, res.text).toBe(403)
  })
})
