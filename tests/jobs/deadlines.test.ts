// The scheduled work on deadlines: lights turning red (announced once per deadline) and
// undecided requests expiring (audited and announced once, whichever path expires them).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobs, runDueJobs } from '../../src/jobs/scheduler.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { exchangeDatasets, fileRequest, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { call, createCast, type Cast } from '../support/identity.js'

// Monday 2 March 2026, 10:00 in China: ten working days later is the end of Monday 16 March.
const MONDAY = new Date('2026-03-02T10:00:00+08:00')
const DEADLINE = new Date('2026-03-16T23:59:59.999+08:00')
const EXPIRES = new Date('2026-03-30T23:59:59.999+08:00')

let world: TestWorld
let cast: Cast
let data: ExchangeWorld

beforeAll(async () => {
  world = await createTestWorld()
  world.clock.set(MONDAY)
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 4)
})
afterAll(() => world.close())

const job = (name: string) => {
  const found = jobs.find((j) => j.name === name)
  if (!found) throw new Error(`no job ${name}`)
  return () => found.run(world.services)
}
const markOverdue = job('mark-overdue')
const expireRequests = job('expire-requests')

async function moveTo(instant: Date) {
  world.clock.set(instant)
  await refreshTokens(world, [cast.admin, cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer, cast.deptB.consumer, cast.social.consumer])
}

async function eventsAbout(subjectId: string) {
  const { rows } = await world.services.db.query<{ type: string; org_id: string; payload: any; created_at: Date }>(
    'SELECT type, org_id, payload, created_at FROM events WHERE subject_id = $1 ORDER BY created_at, type',
    [subjectId],
  )
  return rows
}

async function auditOf(resourceId: string) {
  const { rows } = await world.services.db.query<{ action: string; actor_client_id: string | null; at: Date }>(
    'SELECT action, actor_client_id, at FROM audit_log WHERE resource_id = $1 ORDER BY seq',
    [resourceId],
  )
  return rows
}

describe('mark-overdue', () => {
  it('announces a pending request once, when its deadline has passed', async () => {
    await moveTo(MONDAY)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect(filed.deadline).toBe(DEADLINE.toISOString())

    await moveTo(DEADLINE) // at the deadline itself it is not yet overdue
    expect(await markOverdue()).toBe('0 access requests and 0 objections turned red')
    await moveTo(new Date(DEADLINE.getTime() + 1))
    expect(await markOverdue()).toBe('1 access requests and 0 objections turned red')
    expect(await markOverdue()).toBe('0 access requests and 0 objections turned red')
    await moveTo(new Date(DEADLINE.getTime() + 3_600_000))
    expect(await markOverdue()).toBe('0 access requests and 0 objections turned red')

    const events = await eventsAbout(filed.id)
    expect(events.map((e) => [e.type, e.org_id])).toEqual([
      ['access_request.created', cast.deptA.orgId],
      ['access_request.overdue', cast.deptA.orgId],
    ])
    expect(events[1]!.payload.access_request).toMatchObject({ id: filed.id, status: 'pending', deadline: DEADLINE.toISOString() })
    expect(events[1]!.created_at.getTime()).toBe(DEADLINE.getTime() + 1)
    const audit = await auditOf(filed.id)
    expect(audit.map((a) => [a.action, a.actor_client_id])).toEqual([
      ['access_request.created', cast.deptB.consumer.clientId],
      ['access_request.overdue', null],
    ])
    const read = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.deptA.approver.token })
    expect(read.body).toMatchObject({ status: 'pending', light: 'red', overdue: true })
  })

  it('announces each step of an objection that runs late, once each', async () => {
    await moveTo(MONDAY)
    const raised = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: { description: '户籍地代码有误' } })
    expect(raised.status, raised.text).toBe(201)
    const id = raised.body.id as string
    const acceptBy = new Date(raised.body.deadline as string)

    await moveTo(new Date(acceptBy.getTime() + 1))
    expect(await markOverdue()).toMatch(/ and 1 objections turned red$/)
    expect(await markOverdue()).toMatch(/ and 0 objections turned red$/)

    const accepted = await call(world, 'POST', `/v1/objections/${id}/accept`, { token: cast.deptA.publisher.token })
    expect(accepted.status, accepted.text).toBe(200)
    const resolveBy = new Date(accepted.body.deadline as string)
    expect(resolveBy.getTime()).toBeGreaterThan(acceptBy.getTime())
    expect(await markOverdue()).toMatch(/ and 0 objections turned red$/)

    await moveTo(new Date(resolveBy.getTime() + 1))
    expect(await markOverdue()).toMatch(/ and 1 objections turned red$/)
    expect(await markOverdue()).toMatch(/ and 0 objections turned red$/)

    const overdue = (await eventsAbout(id)).filter((e) => e.type === 'objection.overdue')
    expect(overdue.map((e) => [e.org_id, e.payload.step, e.payload.deadline])).toEqual([
      [cast.deptA.orgId, 'accept', acceptBy.toISOString()],
      [cast.deptA.orgId, 'resolve', resolveBy.toISOString()],
    ])
    expect((await auditOf(id)).filter((a) => a.action === 'objection.overdue')).toHaveLength(2)
  })
})

describe('expire-requests', () => {
  it('expires an undecided request once, audited and announced to the requester', async () => {
    await moveTo(MONDAY)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect(filed.expires_at).toBe(EXPIRES.toISOString())

    await moveTo(new Date(EXPIRES.getTime() - 1))
    expect(await expireRequests()).toBe('0 access requests expired')
    await moveTo(EXPIRES) // expired from its expires_at on
    expect(await expireRequests()).toBe('2 access requests expired') // with the first test's, filed at the same time
    expect(await expireRequests()).toBe('0 access requests expired')

    const decided = (await eventsAbout(filed.id)).filter((e) => e.type === 'access_request.decided')
    expect(decided.map((e) => [e.org_id, e.payload.access_request.status])).toEqual([[cast.deptB.orgId, 'expired']])
    expect((await auditOf(filed.id)).filter((a) => a.action === 'access_request.expired').map((a) => [a.actor_client_id, a.at.getTime()])).toEqual([[null, EXPIRES.getTime()]])
    const read = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.deptB.consumer.token })
    expect(read.body).toMatchObject({ status: 'expired', light: null })
  })

  it('expires the same way when a reader gets there before the job', async () => {
    await moveTo(MONDAY)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await moveTo(EXPIRES)
    const listed = await call(world, 'GET', '/v1/access-requests?status=expired', { token: cast.deptB.consumer.token })
    expect(listed.body.items.map((r: { id: string }) => r.id), listed.text).toContain(filed.id)
    expect(await expireRequests()).toBe('0 access requests expired')
    expect((await eventsAbout(filed.id)).map((e) => e.type)).toEqual(['access_request.created', 'access_request.decided'])
    expect((await auditOf(filed.id)).map((a) => a.action)).toEqual(['access_request.created', 'access_request.expired'])
  })
})

describe('the scheduler', () => {
  it('runs every job of the tick once, in order, whoever asks', async () => {
    world.clock.advance(3_600_000)
    const [a, b] = await Promise.all([runDueJobs(world.services, 'node:a'), runDueJobs(world.services, 'node:b')])
    const ran = [...a, ...b].filter((o) => o.status === 'ok').map((o) => o.name)
    expect(ran.sort()).toEqual(['audit-checkpoint', 'deliver-webhooks', 'expire-requests', 'index-records', 'mark-overdue', 'prune-auth-failures', 'refresh-supervision'])
    expect(a.map((o) => o.name)).toEqual(['mark-overdue', 'expire-requests', 'deliver-webhooks', 'refresh-supervision', 'index-records', 'prune-auth-failures', 'audit-checkpoint'])
    expect([...a, ...b].filter((o) => o.status === 'failed')).toEqual([])
  })
})
