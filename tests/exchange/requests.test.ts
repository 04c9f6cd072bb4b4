import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, expectStandardSecurity, type Cast } from '../support/identity.js'
import { registerDataset, servicePointDataset } from '../support/catalog.js'
import { approve, exchangeDatasets, fileRequest, POPULATION_FIELDS, requestBody, type ExchangeWorld } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 4)
})
afterAll(() => world.close())

describe('filing access requests', () => {
  it('turns a request the policy makes direct into a grant at once', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id', 'point_name'] }))
    expect(filed).toMatchObject({ status: 'approved', mode: 'direct', reason: 'policy_direct', light: null })
    expect(filed.grant_id).toMatch(/^grt_/)
    const grants = await call(world, 'GET', `/v1/grants?side=consumer&dataset_id=${data.points}`, { token: cast.deptB.consumer.token })
    expect(grants.status, grants.text).toBe(200)
    expect(grants.body.items).toEqual([expect.objectContaining({ id: filed.grant_id, fields: ['point_id', 'point_name'], mode: 'direct', status: 'active' })])
  })

  it('sends a request needing approval to the owner with a deadline in working days', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect(filed).toMatchObject({ status: 'pending', mode: 'approval_masked', light: 'green', overdue: false, grant_id: null, fields: POPULATION_FIELDS })
    const deadline = Date.parse(filed.deadline as string)
    expect(deadline - world.clock.now().getTime()).toBeGreaterThan(11 * 86_400_000) // 10 working days span two weekends

    const outgoing = await call(world, 'GET', '/v1/access-requests', { token: cast.deptB.consumer.token })
    expect(outgoing.body.items.map((r: { id: string }) => r.id), outgoing.text).toContain(filed.id)
    const incoming = await call(world, 'GET', '/v1/access-requests?box=incoming&status=pending', { token: cast.deptA.approver.token })
    expect(incoming.body.items.map((r: { id: string }) => r.id), incoming.text).toContain(filed.id)
    const notMine = await call(world, 'GET', '/v1/access-requests?box=incoming', { token: cast.deptB.consumer.token })
    expect(notMine.status, notMine.text).toBe(403)
    const read = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.deptA.approver.token })
    expect(read.body.id, read.text).toBe(filed.id)
    const stranger = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.social.consumer.token })
    expect(stranger.status, stranger.text).toBe(404)
  })

  it('refuses fields the standard does not have, and datasets the caller may not see', async () => {
    const unknown = await call(world, 'POST', '/v1/access-requests', { token: cast.deptB.consumer.token, body: requestBody(data.population, { fields: ['salary'] }) })
    expect(unknown.status, unknown.text).toBe(400)
    const missing = await call(world, 'POST', '/v1/access-requests', { token: cast.deptB.consumer.token, body: requestBody('ds_nope') })
    expect(missing.status, missing.text).toBe(404)
    const own = await call(world, 'POST', '/v1/access-requests', { token: cast.deptA.consumer.token, body: requestBody(data.population) })
    expect(own.status, own.text).toBe(422)
  })

  it('approves a request for a dataset whose standard was published through the API', async () => {
    // The approval reads the standard inside its transaction: on PGlite's one connection, a read
    // outside it would wait for the transaction to end, which waits for the read.
    const shared = await registerDataset(world, cast.deptA.publisher, servicePointDataset({ sharing: 'conditional', sharing_conditions: '仅用于核对服务点信息', legal_basis: '《政务信息资源共享管理暂行办法》第九条' }))
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(shared.id, { fields: ['point_id', 'point_name'] }))
    expect(filed.status).toBe('pending')
    const approved = await approve(world, cast.deptA.approver, filed.id, { fields: ['point_id'] })
    expect(approved).toMatchObject({ status: 'approved', grant_id: expect.stringMatching(/^grt_/) })
  })

  it('holds a consumer that gets aggregates only to aggregatable dimensions', async () => {
    const raw = await call(world, 'POST', '/v1/access-requests', { token: cast.social.consumer.token, body: requestBody(data.population) })
    expect(raw.status, raw.text).toBe(422)
    expect(raw.body.reason).toBe('aggregate_only')
    const dims = await fileRequest(world, cast.social.consumer, requestBody(data.population, { fields: ['sex', 'household_region_code'] }))
    expect(dims).toMatchObject({ status: 'pending', mode: 'aggregate_only' })
  })
})

describe('deciding access requests', () => {
  it('approves with narrowed fields, masks, a row filter, a quota and an expiry', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const expires = new Date(world.clock.now().getTime() + 7 * 86_400_000).toISOString()
    const approved = await approve(world, cast.deptA.approver, filed.id, {
      fields: ['citizen_id', 'household_region_code', 'status'],
      masks: { citizen_id: { type: 'hash' } },
      row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }],
      daily_quota: 100,
      expires_at: expires,
      note: '限本市户籍',
    })
    expect(approved).toMatchObject({ status: 'approved', grant_id: expect.stringMatching(/^grt_/) })
    const grants = await call(world, 'GET', `/v1/grants?side=owner&dataset_id=${data.population}`, { token: cast.deptA.approver.token })
    expect(grants.body.items.find((g: { id: string }) => g.id === approved.grant_id), grants.text).toMatchObject({
      consumer_org_id: cast.deptB.orgId,
      fields: ['citizen_id', 'household_region_code', 'status'],
      masks: { citizen_id: { type: 'hash' } },
      row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }],
      daily_quota: 100,
      expires_at: expires,
      status: 'active',
    })
    const again = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: {} })
    expect(again.status, again.text).toBe(409)
  })

  it('refuses an approval wider than the request or the policy, with the reasons', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population, { fields: ['status', 'sex'] }))
    const wider = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: { fields: ['status', 'mobile'] } })
    expect(wider.status, wider.text).toBe(422)
    expect(wider.body.errors).toEqual([expect.objectContaining({ path: 'body.fields.1', code: 'wider_than_requested' })])
    const longer = new Date(world.clock.now().getTime() + 60 * 86_400_000).toISOString()
    const tooLong = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: { expires_at: longer } })
    expect(tooLong.status, tooLong.text).toBe(422)

    const dims = await fileRequest(world, cast.social.consumer, requestBody(data.population, { fields: ['sex'] }))
    // An admin widens nothing by lowering a row filter; the ceiling is re-checked at approval time.
    const ok = await call(world, 'POST', `/v1/access-requests/${dims.id}/approve`, { token: cast.deptA.approver.token, body: {} })
    expect(ok.status, ok.text).toBe(200)
  })

  it('needs a reason to reject, and only the owner decides', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const noReason = await call(world, 'POST', `/v1/access-requests/${filed.id}/reject`, { token: cast.deptA.approver.token, body: {} })
    expect(noReason.status, noReason.text).toBe(400)
    const { createActor } = await import('../support/identity.js')
    const otherApprover = await createActor(world, cast.admin, cast.deptB.orgId, ['approver'])
    const foreign = await call(world, 'POST', `/v1/access-requests/${filed.id}/reject`, { token: otherApprover.token, body: { reason: 'x' } })
    expect(foreign.status, foreign.text).toBe(404)
    const rejected = await call(world, 'POST', `/v1/access-requests/${filed.id}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } })
    expect(rejected.status, rejected.text).toBe(200)
    expect(rejected.body).toMatchObject({ status: 'rejected', reason: '超出履职所需', grant_id: null })
    const outgoing = await call(world, 'GET', '/v1/access-requests?status=rejected', { token: cast.deptB.consumer.token })
    expect(outgoing.body.items.map((r: { id: string }) => r.id)).toContain(filed.id)
  })

  it('lets the requester withdraw a pending request, and nobody else', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const stranger = await call(world, 'POST', `/v1/access-requests/${filed.id}/withdraw`, { token: cast.social.consumer.token })
    expect(stranger.status, stranger.text).toBe(404)
    const withdrawn = await call(world, 'POST', `/v1/access-requests/${filed.id}/withdraw`, { token: cast.deptB.consumer.token })
    expect(withdrawn.status, withdrawn.text).toBe(200)
    expect(withdrawn.body.status).toBe('withdrawn')
    const approveLate = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: {} })
    expect(approveLate.status, approveLate.text).toBe(409)
  })

  it('audits every decision in the same transaction', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await approve(world, cast.deptA.approver, filed.id)
    const { rows } = await world.services.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE resource_id = $1 OR content ->> 'grant_id' = (SELECT grant_id FROM access_requests WHERE id = $1) ORDER BY seq`,
      [filed.id],
    )
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['access_request.created', 'access_request.approved', 'grant.created']))
  })
})

describe('grants', () => {
  it('are revoked by the owner or an admin, not by the consumer', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const { grant_id } = await approve(world, cast.deptA.approver, filed.id)
    const consumer = await call(world, 'DELETE', `/v1/grants/${grant_id}`, { token: cast.deptB.consumer.token })
    expect(consumer.status, consumer.text).toBe(403)
    const revoked = await call(world, 'DELETE', `/v1/grants/${grant_id}?reason=${encodeURIComponent('用途已结束')}`, { token: cast.deptA.approver.token })
    expect(revoked.status, revoked.text).toBe(200)
    expect(revoked.body).toMatchObject({ id: grant_id, status: 'revoked' })
    const again = await call(world, 'DELETE', `/v1/grants/${grant_id}`, { token: cast.admin.token })
    expect(again.status, again.text).toBe(200)
    const all = await call(world, 'GET', '/v1/grants?status=revoked', { token: cast.admin.token })
    expect(all.body.items.map((g: { id: string }) => g.id)).toContain(grant_id)
    const social = await call(world, 'GET', '/v1/grants', { token: cast.social.consumer.token })
    expect(social.body.items.map((g: { id: string }) => g.id)).not.toContain(grant_id)
  })
})

describe('security', () => {
  it('passes the standard security cases on every route', async () => {
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/access-requests', body: requestBody(data.population), role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/access-requests', role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/access-requests/req_nope', role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/access-requests/req_nope/approve', body: {}, role: 'approver', orgId: cast.deptA.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/access-requests/req_nope/reject', body: { reason: 'x' }, role: 'approver', orgId: cast.deptA.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/access-requests/req_nope/withdraw', role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/grants', role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
    await expectStandardSecurity(world, cast, { method: 'DELETE', path: '/v1/grants/grt_nope', role: 'approver', orgId: cast.deptA.orgId })
  })
})

describe('deadlines', () => {
  it('flags an undecided request overdue after its deadline and expires it later', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const { tokenFor } = await import('../support/identity.js')
    const refresh = async () => {
      for (const actor of [cast.deptB.consumer, cast.deptA.approver]) actor.token = await tokenFor(world, actor.clientId, actor.secret)
    }
    world.clock.set(new Date(Date.parse(filed.deadline as string) + 3_600_000))
    await refresh()
    const overdue = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.deptB.consumer.token })
    expect(overdue.body, overdue.text).toMatchObject({ status: 'pending', light: 'red', overdue: true })

    world.clock.set(new Date(Date.parse(filed.expires_at as string) + 1000))
    await refresh()
    const expired = await call(world, 'GET', `/v1/access-requests/${filed.id}`, { token: cast.deptA.approver.token })
    expect(expired.body, expired.text).toMatchObject({ status: 'expired', light: null })
    const late = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: {} })
    expect(late.status, late.text).toBe(409)
  })
})
