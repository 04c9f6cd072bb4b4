// Exchange test helpers: a world with a masked (L4 population) dataset and an open L1 dataset,
// records in both, and shortcuts for requests, approvals and reads.

import { expect } from 'vitest'
import type { TestWorld } from './app.js'
import { person, populationDataset, publishServicePointStandard, registerDataset, servicePoint, servicePointDataset } from './catalog.js'
import { call, tokenFor, type Actor, type Cast } from './identity.js'

export const POPULATION_FIELDS = ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'mobile', 'status']

/** Population records alternating between Hangzhou (3301…) and Shanghai (3101…) households. */
export function people(count: number, from = 1): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i
    return person(n, { household_region_code: n % 2 === 0 ? '330106' : '310115' })
  })
}

export async function ingest(world: TestWorld, publisher: Actor, datasetId: string, records: readonly Record<string, unknown>[]) {
  const res = await call(world, 'POST', `/v1/datasets/${datasetId}/records`, { token: publisher.token, body: records })
  expect(res.status, res.text).toBe(200)
}

export interface ExchangeWorld {
  /** L4 population of deptA, shared unconditionally, open on application: deptB gets approval_masked, social aggregates. */
  population: string
  /** L1 service points of deptA, open unconditionally: direct for everyone. */
  points: string
}

export async function exchangeDatasets(world: TestWorld, cast: Cast, records = 10): Promise<ExchangeWorld> {
  const population = await registerDataset(world, cast.deptA.publisher, populationDataset({ open: 'conditional', open_conditions: '经审批后提供统计结果' }))
  await ingest(world, cast.deptA.publisher, population.id, people(records))
  await publishServicePointStandard(world, cast.admin)
  const points = await registerDataset(world, cast.deptA.publisher, servicePointDataset())
  await ingest(world, cast.deptA.publisher, points.id, [1, 2, 3].map((n) => servicePoint(n)))
  return { population: population.id, points: points.id }
}

export function requestBody(datasetId: string, overrides: Record<string, unknown> = {}) {
  return { dataset_id: datasetId, purpose: 'subsidy-eligibility', legal_basis: '《社会救助暂行办法》第十一条', fields: POPULATION_FIELDS, duration_days: 30, ...overrides }
}

export async function fileRequest(world: TestWorld, consumer: Actor, body: Record<string, unknown>) {
  const res = await call(world, 'POST', '/v1/access-requests', { token: consumer.token, body })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; status: string; grant_id: string | null; [member: string]: unknown }
}

export async function approve(world: TestWorld, approver: Actor, requestId: string, body: Record<string, unknown> = {}) {
  const res = await call(world, 'POST', `/v1/access-requests/${requestId}/approve`, { token: approver.token, body })
  expect(res.status, res.text).toBe(200)
  return res.body as { id: string; status: string; grant_id: string }
}

/** A pending request by `consumer`, approved with `terms`; answers the grant id. */
export async function grantFor(world: TestWorld, cast: Cast, consumer: Actor, datasetId: string, request: Record<string, unknown> = {}, terms: Record<string, unknown> = {}) {
  const filed = await fileRequest(world, consumer, requestBody(datasetId, request))
  expect(filed.status).toBe('pending')
  return (await approve(world, cast.deptA.approver, filed.id, terms)).grant_id
}

export function read(world: TestWorld, actor: Actor | undefined, path: string, purpose?: string, headers: Record<string, string> = {}) {
  return call(world, 'GET', path, { token: actor?.token, headers: { ...(purpose === undefined ? {} : { 'x-purpose': encodeURIComponent(purpose) }), ...headers } })
}

/** After the clock moved past token lifetimes: fresh tokens for the actors. */
export async function refreshTokens(world: TestWorld, actors: Actor[]) {
  for (const actor of actors) actor.token = await tokenFor(world, actor.clientId, actor.secret)
}
