// The supervision series behind the console's charts (src/supervision/series.ts), on a fixed
// calendar where every figure is known, and checked against GET /v1/supervision over the same
// period: the buckets add up to the report's received and decided, and a department's histogram
// has the report's median.
//
// Timeline (China time, no configured holidays):
//   Mon 2 Mar   deptB's consumer files r1, r2, r3 for deptA's population P (pending) and r5 for
//               deptA's service points S (direct); deptA's consumer files q1 for deptB's Q.
//   Tue 3 Mar   r1 approved (1 working day).
//   Mon 9 Mar   r2 rejected (5 working days); r4 filed for P.
//   Thu 12 Mar  q1 approved by deptB (8 working days).
//   Wed 1 Apr   r4 approved (17 working days). Report and series on Thu 2 Apr.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Principal } from '../../src/http/env.js'
import { decisionTimes, HISTOGRAM_MAX_DAYS, recentPeriod, requestSeries } from '../../src/supervision/series.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { populationDataset, registerDataset } from '../support/catalog.js'
import { approve, exchangeDatasets, fileRequest, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'

const at = (local: string) => new Date(`${local}:00+08:00`)

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
let deptB: { publisher: Actor; approver: Actor }
let auditor: Actor
const ids: Record<string, string> = {}

const principalOf = (actor: Actor, orgKind: Principal['orgKind']): Principal => ({ clientId: actor.clientId, orgId: actor.orgId, orgKind, roles: actor.roles })
const platform = () => principalOf(cast.admin, 'platform')
const deptA = () => principalOf(cast.deptA.approver, 'department')

async function moveTo(local: string) {
  world.clock.set(at(local))
  await refreshTokens(world, [cast.admin, auditor, cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer, cast.deptB.consumer, deptB.publisher, deptB.approver])
}

beforeAll(async () => {
  world = await createTestWorld()
  world.clock.set(at('2026-02-27T09:00'))
  cast = await createCast(world)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
  deptB = { publisher: await createActor(world, cast.admin, cast.deptB.orgId, ['publisher']), approver: await createActor(world, cast.admin, cast.deptB.orgId, ['approver']) }
  data = await exchangeDatasets(world, cast)
  ids.Q = (await registerDataset(world, deptB.publisher, populationDataset())).id

  await moveTo('2026-03-02T10:00')
  for (const r of ['r1', 'r2', 'r3']) ids[r] = (await fileRequest(world, cast.deptB.consumer, requestBody(data.population))).id
  expect((await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id', 'point_name'] }))).status).toBe('approved')
  ids.q1 = (await fileRequest(world, cast.deptA.consumer, requestBody(ids.Q!))).id

  await moveTo('2026-03-03T11:00')
  await approve(world, cast.deptA.approver, ids.r1!)
  await moveTo('2026-03-09T15:00')
  const rejected = await call(world, 'POST', `/v1/access-requests/${ids.r2}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } })
  expect(rejected.status, rejected.text).toBe(200)
  ids.r4 = (await fileRequest(world, cast.deptB.consumer, requestBody(data.population))).id
  await moveTo('2026-03-12T09:00')
  await approve(world, deptB.approver, ids.q1!)
  await moveTo('2026-04-01T17:00')
  await approve(world, cast.deptA.approver, ids.r4!)
  await moveTo('2026-04-02T10:00')
})
afterAll(() => world.close())

async function report(actor: Actor, query: string) {
  const res = await call(world, 'GET', `/v1/supervision${query}`, { token: actor.token })
  expect(res.status, res.text).toBe(200)
  return res.body as { departments: Array<{ org_id: string; access_requests: { received: number; decided: number; median_decision_working_days: number | null } }> }
}

describe('requests over time', () => {
  it('counts a department’s requests received and decided per China week, cut to the period, empty weeks included', async () => {
    const weeks = await requestSeries(world.services, deptA(), { from: '2026-03-01', to: '2026-03-22' }, 'week')
    expect(weeks).toEqual([
      { from: '2026-03-01', to: '2026-03-01', received: 0, decided: 0 },
      { from: '2026-03-02', to: '2026-03-08', received: 4, decided: 1 },
      { from: '2026-03-09', to: '2026-03-15', received: 1, decided: 1 },
      { from: '2026-03-16', to: '2026-03-22', received: 0, decided: 0 },
    ])
  })

  it('shows the platform every department, or the one it picks; a department only its own', async () => {
    const period = { from: '2026-03-02', to: '2026-03-15' }
    expect(await requestSeries(world.services, platform(), period, 'week')).toEqual([
      { from: '2026-03-02', to: '2026-03-08', received: 5, decided: 1 },
      { from: '2026-03-09', to: '2026-03-15', received: 1, decided: 2 },
    ])
    expect(await requestSeries(world.services, platform(), period, 'week', { providerId: cast.deptB.orgId })).toEqual([
      { from: '2026-03-02', to: '2026-03-08', received: 1, decided: 0 },
      { from: '2026-03-09', to: '2026-03-15', received: 0, decided: 1 },
    ])
    const deptBPrincipal = principalOf(deptB.approver, 'department')
    const own = await requestSeries(world.services, deptBPrincipal, period, 'week', { providerId: cast.deptA.orgId })
    expect(own.map((b) => b.received), 'a member cannot widen its scope to another department').toEqual([1, 0])
    expect(await requestSeries(world.services, principalOf(cast.social.consumer, 'social_org'), period, 'week')).toEqual([])
    const platformConsumer = await createActor(world, cast.admin, cast.admin.orgId, ['consumer'])
    await expect(requestSeries(world.services, principalOf(platformConsumer, 'platform'), period, 'week')).rejects.toMatchObject({ code: 'forbidden' })
  })

  it('adds up, month by month, to the report’s received and decided over the same period', async () => {
    const period = { from: '2026-03-01', to: '2026-04-30' }
    const months = await requestSeries(world.services, deptA(), period, 'month')
    expect(months).toEqual([
      { from: '2026-03-01', to: '2026-03-31', received: 5, decided: 2 },
      { from: '2026-04-01', to: '2026-04-30', received: 0, decided: 1 },
    ])
    const row = (await report(cast.deptA.approver, '?from=2026-03-01&to=2026-04-30')).departments[0]!
    expect(months.reduce((n, b) => n + b.received, 0)).toBe(row.access_requests.received)
    expect(months.reduce((n, b) => n + b.decided, 0)).toBe(row.access_requests.decided)
  })

  it('refuses periods that are not dates, run backwards, or hold too many buckets', async () => {
    await expect(requestSeries(world.services, deptA(), { from: '2026-02-30', to: '2026-03-01' }, 'week')).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(requestSeries(world.services, deptA(), { from: '2026-03-02', to: '2026-03-01' }, 'week')).rejects.toMatchObject({ code: 'validation_failed' })
    await expect(requestSeries(world.services, deptA(), { from: '2020-01-01', to: '2026-03-01' }, 'week')).rejects.toMatchObject({
      code: 'validation_failed',
      extra: { errors: [{ path: 'query.granularity', code: 'too_many_buckets' }] },
    })
    expect(await requestSeries(world.services, deptA(), { from: '2020-01-01', to: '2026-03-01' }, 'month')).toHaveLength(75)
  })

  it('names the last weeks or months up to today as a period', () => {
    expect(recentPeriod(at('2026-04-02T10:00'), 'week', 12)).toEqual({ from: '2026-01-12', to: '2026-04-02' })
    expect(recentPeriod(at('2026-04-02T10:00'), 'month', 12)).toEqual({ from: '2025-05-01', to: '2026-04-02' })
    // 23:30 UTC on 5 April is 07:30 on Monday 6 April in China.
    expect(recentPeriod(new Date('2026-04-05T23:30:00Z'), 'week', 1)).toEqual({ from: '2026-04-06', to: '2026-04-06' })
  })
})

describe('decision times', () => {
  it('counts the approvers’ decisions by working days taken, with the report’s median', async () => {
    const times = await decisionTimes(world.services, deptA(), undefined)
    expect(times.decisions).toBe(3)
    expect(times.median).toBe(5)
    expect(times.deadline).toBe(10)
    expect(times.longer).toBe(0)
    expect(times.bins).toHaveLength(18) // 0 … 17 working days
    expect(times.bins.filter((b) => b.decisions > 0)).toEqual([
      { days: 1, decisions: 1 },
      { days: 5, decisions: 1 },
      { days: 17, decisions: 1 },
    ])
    const row = (await report(cast.deptA.approver, '')).departments[0]!
    expect(times.median).toBe(row.access_requests.median_decision_working_days)
    expect(times.decisions).toBe(row.access_requests.decided)
  })

  it('covers every department for the platform, a period, and at least the deadline and one more day', async () => {
    const all = await decisionTimes(world.services, platform(), undefined)
    expect(all.decisions).toBe(4)
    expect(all.median).toBe(6.5) // 1, 5, 8, 17
    const march = await decisionTimes(world.services, platform(), { from: '2026-03-01', to: '2026-03-31' })
    expect(march.bins.filter((b) => b.decisions > 0)).toEqual([
      { days: 1, decisions: 1 },
      { days: 5, decisions: 1 },
      { days: 8, decisions: 1 },
    ])
    expect(march.bins).toHaveLength(12) // 0 … 11: the deadline (10) and one more
    const none = await decisionTimes(world.services, platform(), { from: '2026-01-01', to: '2026-01-31' })
    expect(none).toMatchObject({ decisions: 0, median: null, longer: 0 })
    expect(none.bins.every((b) => b.decisions === 0)).toBe(true)
    const social = await decisionTimes(world.services, principalOf(cast.social.consumer, 'social_org'), undefined)
    expect(social.decisions).toBe(0)
    expect(HISTOGRAM_MAX_DAYS).toBeGreaterThan(17)
  })
})
