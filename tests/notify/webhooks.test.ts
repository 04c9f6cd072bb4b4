import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createNodeServices } from '../../src/node-services.js'
import { deliverDueWebhooks, RETRY_DELAYS_SECONDS } from '../../src/notify/delivery.js'
import { enqueueEvent } from '../../src/notify/events.js'
import { verifySignature } from '../../src/notify/signature.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { testDriver } from '../support/database.js'
import { approve, exchangeDatasets, fileRequest, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { startReceiver, type Receiver } from './receiver.js'

// Long enough that a loaded CI machine answers 45 concurrent deliveries within it; the timeout case hangs.
const TIMEOUT_MS = 3000

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
let receiver: Receiver
let auditor: Actor

beforeAll(async () => {
  world = await createTestWorld({ QIAO_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) })
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 4)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
  receiver = await startReceiver()
})
afterAll(async () => {
  await receiver.close()
  await world.close()
})
beforeEach(() => {
  receiver.received.length = 0
  receiver.script([], 200)
})

const actors = () => [cast.admin, cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer, cast.deptB.consumer, cast.social.consumer, auditor]

async function setWebhook(orgId: string, body: Record<string, unknown>) {
  return call(world, 'PUT', `/v1/orgs/${orgId}/webhook`, { token: cast.admin.token, body })
}

async function deliveryLog(orgId: string, query = '') {
  const res = await call(world, 'GET', `/v1/orgs/${orgId}/webhook/deliveries${query}`, { token: cast.admin.token })
  expect(res.status, res.text).toBe(200)
  return res.body.items as Array<Record<string, any>>
}

function deliver(services = world.services) {
  return deliverDueWebhooks(services)
}

async function eventsAbout(subjectId: string) {
  const { rows } = await world.services.db.query<{ type: string; org_id: string; payload: any }>(
    'SELECT type, org_id, payload FROM events WHERE subject_id = $1 ORDER BY created_at, type',
    [subjectId],
  )
  return rows
}

describe('webhook configuration', () => {
  it('answers the secret once, on creation and on rotation, and never shows it again', async () => {
    const created = await setWebhook(cast.deptB.orgId, { url: 'https://hooks.wjw.example.gov.cn/qiao' })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ org_id: cast.deptB.orgId, url: 'https://hooks.wjw.example.gov.cn/qiao', active: true, secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) })

    const read = await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}/webhook`, { token: cast.deptB.consumer.token })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toEqual({ org_id: cast.deptB.orgId, url: 'https://hooks.wjw.example.gov.cn/qiao', active: true, created_at: expect.any(String), updated_at: expect.any(String) })

    const replaced = await setWebhook(cast.deptB.orgId, { url: 'https://hooks.wjw.example.gov.cn/v2', active: false })
    expect(replaced.status, replaced.text).toBe(200)
    expect(replaced.body).toMatchObject({ url: 'https://hooks.wjw.example.gov.cn/v2', active: false, secret: null })
    const rotated = await setWebhook(cast.deptB.orgId, { url: 'https://hooks.wjw.example.gov.cn/v2', rotate_secret: true })
    expect(rotated.status, rotated.text).toBe(200)
    expect(rotated.body.secret).toMatch(/^whsec_/)
    expect(rotated.body.secret).not.toBe(created.body.secret)

    // Neither secret reached the audit log, though every change is there with its URL.
    const { rows } = await world.services.db.query<{ action: string; content: string }>(
      "SELECT action, content::text AS content FROM audit_log WHERE resource_type = 'webhook' AND resource_id = $1 ORDER BY seq",
      [cast.deptB.orgId],
    )
    expect(rows.map((r) => r.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated'])
    for (const row of rows) {
      expect(row.content).not.toContain(created.body.secret)
      expect(row.content).not.toContain(rotated.body.secret)
    }

    const removed = await call(world, 'DELETE', `/v1/orgs/${cast.deptB.orgId}/webhook`, { token: cast.admin.token })
    expect(removed.status, removed.text).toBe(204)
    const gone = await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}/webhook`, { token: cast.admin.token })
    expect(gone.status, gone.text).toBe(404)
    const again = await call(world, 'DELETE', `/v1/orgs/${cast.deptB.orgId}/webhook`, { token: cast.admin.token })
    expect(again.status, again.text).toBe(404)
  })

  it('refuses URLs Qiao must not send to, naming why', async () => {
    const refused = [
      'http://hooks.example.com/qiao', // plain http off the machine
      'ftp://hooks.example.com/qiao',
      'https://user:pw@hooks.example.com/qiao',
      'https://hooks.example.com/qiao#frag',
      'https://10.1.2.3/qiao',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.0.10/qiao',
      'https://2130706433/qiao', // 127.0.0.1 spelled as a number
      'https://[::1]/qiao',
      'https://[fd00::1]/qiao',
      'not a url',
    ]
    for (const url of refused) {
      const res = await setWebhook(cast.deptB.orgId, { url })
      expect(res.status, `${url}: ${res.text}`).toBe(400)
      expect(res.body.code).toBe('validation_failed')
      expect(res.body.errors, url).toEqual([expect.objectContaining({ path: 'body.url', code: 'unacceptable_url' })])
    }
    for (const url of ['http://localhost:9999/qiao', 'http://127.0.0.1:9999/qiao', 'http://[::1]:9999/qiao', 'https://8.8.8.8/qiao']) {
      const res = await setWebhook(cast.deptB.orgId, { url })
      expect([200, 201], `${url}: ${res.text}`).toContain(res.status)
    }
    expect((await call(world, 'DELETE', `/v1/orgs/${cast.deptB.orgId}/webhook`, { token: cast.admin.token })).status).toBe(204)
  })

  it('shows a webhook and its log to admins and the organisation’s members only', async () => {
    expect((await setWebhook(cast.deptA.orgId, { url: receiver.url })).status).toBe(201)
    for (const member of [cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer]) {
      const res = await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/webhook`, { token: member.token })
      expect(res.status, res.text).toBe(200)
      const log = await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/webhook/deliveries`, { token: member.token })
      expect(log.status, log.text).toBe(200)
    }
    for (const stranger of [cast.deptB.consumer, cast.social.consumer, auditor]) {
      const res = await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/webhook`, { token: stranger.token })
      expect(res.status, res.text).toBe(404)
      const log = await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/webhook/deliveries`, { token: stranger.token })
      expect(log.status, log.text).toBe(404)
    }
    const notAdmin = await call(world, 'PUT', `/v1/orgs/${cast.deptA.orgId}/webhook`, { token: cast.deptA.publisher.token, body: { url: 'https://evil.example.com/' } })
    expect(notAdmin.status, notAdmin.text).toBe(403)
    const missingOrg = await setWebhook('org_nope', { url: 'https://hooks.example.com/' })
    expect(missingOrg.status, missingOrg.text).toBe(404)
  })
})

describe('delivery', () => {
  let secret: string

  beforeAll(async () => {
    const res = await setWebhook(cast.deptA.orgId, { url: receiver.url, rotate_secret: true })
    expect(res.status, res.text).toBe(200)
    secret = res.body.secret
    // Start from an empty queue: earlier tests' events are sent now.
    await deliver()
  })

  it('signs each event so that the receiver can verify it, and logs the delivery', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const summary = await deliver()
    expect(summary).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 })
    expect(receiver.received).toHaveLength(1)
    const got = receiver.received[0]!
    expect(got.path).toBe('/hooks/qiao')
    expect(got.headers['content-type']).toBe('application/json')
    expect(got.headers['qiao-event-type']).toBe('access_request.created')
    expect(got.headers['qiao-event-id']).toMatch(/^evt_/)
    expect(got.headers['qiao-delivery-attempt']).toBe('1')

    // The receiver's check, done with Node's own HMAC, independent of Qiao's code.
    const signature = String(got.headers['qiao-signature'])
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)
    expect(match, signature).not.toBeNull()
    const [, t, v1] = match!
    expect(createHmac('sha256', secret).update(`${t}.${got.body}`).digest('hex')).toBe(v1)
    expect(Math.abs(Number(t) - world.clock.now().getTime() / 1000)).toBeLessThan(5)
    // And the helper a TypeScript receiver may copy: right body, tampered body, replayed late.
    expect(await verifySignature(secret, signature, got.body, world.clock.now())).toBe(true)
    expect(await verifySignature(secret, signature, got.body.replace('pending', 'approved'), world.clock.now())).toBe(false)
    expect(await verifySignature('whsec_wrong', signature, got.body, world.clock.now())).toBe(false)
    expect(await verifySignature(secret, signature, got.body, new Date(world.clock.now().getTime() + 301_000))).toBe(false)

    const event = JSON.parse(got.body)
    expect(event).toEqual({
      id: got.headers['qiao-event-id'],
      type: 'access_request.created',
      created_at: expect.any(String),
      org_id: cast.deptA.orgId,
      subject_id: filed.id,
      data: { access_request: expect.objectContaining({ id: filed.id, dataset_id: data.population, provider_id: cast.deptA.orgId, consumer_org_id: cast.deptB.orgId, status: 'pending', purpose: 'subsidy-eligibility' }) },
    })

    const [logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({
      event_id: event.id,
      event_type: 'access_request.created',
      subject_id: filed.id,
      status: 'delivered',
      attempts: 1,
      next_attempt_at: null,
      last_http_status: 200,
      last_error: null,
      delivered_at: expect.any(String),
      attempt_log: [{ attempt: 1, at: expect.any(String), url: receiver.url, http_status: 200, error: null, duration_ms: expect.any(Number) }],
    })
  })

  it('retries after a 500 and a timeout on the backoff schedule, as the clock moves', async () => {
    receiver.script([500, 'hang', 200])
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const first = world.clock.now()

    expect(await deliver()).toEqual({ attempted: 1, delivered: 0, retrying: 1, failed: 0 })
    let [logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({ subject_id: filed.id, status: 'pending', attempts: 1, last_http_status: 500, last_error: 'the receiver answered 500' })
    expect(Date.parse(logged!.next_attempt_at)).toBe(first.getTime() + RETRY_DELAYS_SECONDS[0] * 1000)

    // Not due yet: nothing is sent, however often the job runs.
    world.clock.advance(RETRY_DELAYS_SECONDS[0] * 1000 - 1000)
    expect(await deliver()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 })
    expect(receiver.received).toHaveLength(1)

    world.clock.advance(1000)
    const second = world.clock.now()
    expect(await deliver()).toEqual({ attempted: 1, delivered: 0, retrying: 1, failed: 0 })
    ;[logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({ status: 'pending', attempts: 2, last_http_status: null, last_error: `no answer within ${TIMEOUT_MS} ms` })
    expect(Date.parse(logged!.next_attempt_at)).toBe(second.getTime() + RETRY_DELAYS_SECONDS[1] * 1000)

    world.clock.advance(RETRY_DELAYS_SECONDS[1] * 1000)
    expect(await deliver()).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 })
    ;[logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({ status: 'delivered', attempts: 3, last_http_status: 200, last_error: null, next_attempt_at: null })
    expect(logged!.attempt_log.map((a: Record<string, unknown>) => [a.attempt, a.http_status, a.error])).toEqual([
      [1, 500, 'the receiver answered 500'],
      [2, null, `no answer within ${TIMEOUT_MS} ms`],
      [3, 200, null],
    ])
    // One event, three attempts: the same id each time, a fresh signature time each time.
    expect(new Set(receiver.received.map((r) => r.headers['qiao-event-id'])).size).toBe(1)
    expect(receiver.received.map((r) => r.headers['qiao-delivery-attempt'])).toEqual(['1', '2', '3'])
    const times = receiver.received.map((r) => Number(/t=(\d+)/.exec(String(r.headers['qiao-signature']))![1]))
    expect(times[1]! - times[0]!).toBe(RETRY_DELAYS_SECONDS[0])
    await refreshTokens(world, actors())
  })

  it('gives up after the sixth attempt and sends nothing more', async () => {
    receiver.script([], 503)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await deliver()
    for (const delay of RETRY_DELAYS_SECONDS) {
      world.clock.advance(delay * 1000)
      await deliver()
    }
    await refreshTokens(world, actors())
    const [logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({ subject_id: filed.id, status: 'failed', attempts: 6, next_attempt_at: null, last_http_status: 503, delivered_at: null })
    expect(logged!.attempt_log.map((a: Record<string, unknown>) => a.http_status)).toEqual([503, 503, 503, 503, 503, 503])
    expect(receiver.received).toHaveLength(6)
    world.clock.advance(86_400_000)
    expect(await deliver()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 })
    expect(receiver.received).toHaveLength(6)
    await refreshTokens(world, actors())
    const failed = await deliveryLog(cast.deptA.orgId, '?status=failed')
    expect(failed.map((d) => d.subject_id)).toContain(filed.id)
  })

  it('never sends a delivery twice when two runs overlap', async () => {
    const ids: string[] = []
    await world.services.db.transaction(async (tx) => {
      for (let i = 0; i < 45; i++) ids.push(await enqueueEvent(tx, { type: 'access_request.overdue', org_id: cast.deptA.orgId, subject_id: `req_test${i}`, data: { n: i }, at: world.clock.now() }))
    })
    // On PostgreSQL the second run is another process's pool; on PGlite both share the one connection.
    const other = testDriver === 'postgres' ? createPostgresDb({ connectionString: world.database.url! }) : undefined
    try {
      const otherServices = other ? createNodeServices(world.services.config, other, { logger: world.services.logger, clock: world.clock }) : world.services
      const [a, b] = await Promise.all([deliver(world.services), deliver(otherServices)])
      expect(a.delivered + b.delivered).toBe(45)
    } finally {
      await other?.close()
    }
    const sent = receiver.received.map((r) => String(r.headers['qiao-event-id']))
    expect(sent.length).toBe(45)
    expect(new Set(sent)).toEqual(new Set(ids))
    const { rows } = await world.services.db.query<{ attempts: number; logged: number }>(
      `SELECT d.attempts, (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id) AS logged
       FROM webhook_deliveries d WHERE d.event_id = ANY($1::text[])`,
      [ids],
    )
    expect(rows).toHaveLength(45)
    expect(rows.every((r) => r.attempts === 1 && r.logged === 1)).toBe(true)
  })

  it('keeps events of organisations without a webhook, and queues none', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id', 'point_name'] }))
    expect(filed.status).toBe('approved')
    const events = await eventsAbout(filed.id)
    expect(events.map((e) => [e.type, e.org_id])).toEqual([
      ['access_request.created', cast.deptA.orgId],
      ['access_request.decided', cast.deptB.orgId],
    ])
    const { rows } = await world.services.db.query<{ org_id: string }>('SELECT d.org_id FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE e.subject_id = $1', [filed.id])
    expect(rows.map((r) => r.org_id)).toEqual([cast.deptA.orgId]) // deptB has no webhook
  })

  it('holds the queue while paused, queues nothing new, and ends the queue as failed when removed', async () => {
    await deliver() // what earlier tests queued
    receiver.received.length = 0
    receiver.script([500])
    const held = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect(await deliver()).toEqual({ attempted: 1, delivered: 0, retrying: 1, failed: 0 })
    expect((await setWebhook(cast.deptA.orgId, { url: receiver.url, active: false })).status).toBe(200)
    const paused = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    world.clock.advance(RETRY_DELAYS_SECONDS[0] * 1000)
    expect(await deliver()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 })
    expect(receiver.received).toHaveLength(1)
    expect((await deliveryLog(cast.deptA.orgId)).map((d) => d.subject_id)).not.toContain(paused.id)
    expect(await eventsAbout(paused.id)).toHaveLength(1) // kept in the outbox all the same

    expect((await setWebhook(cast.deptA.orgId, { url: receiver.url, active: true })).status).toBe(200)
    expect(await deliver()).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 })
    expect(receiver.received.map((r) => JSON.parse(r.body).subject_id)).toEqual([held.id, held.id])
    const [logged] = await deliveryLog(cast.deptA.orgId)
    expect(logged).toMatchObject({ subject_id: held.id, status: 'delivered', attempts: 2 })

    const queued = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect((await call(world, 'DELETE', `/v1/orgs/${cast.deptA.orgId}/webhook`, { token: cast.admin.token })).status).toBe(204)
    const [abandoned] = await deliveryLog(cast.deptA.orgId)
    expect(abandoned).toMatchObject({ subject_id: queued.id, status: 'failed', attempts: 0, next_attempt_at: null, last_error: 'the webhook was removed', attempt_log: [] })
    expect(await deliver()).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 })
    expect(receiver.received).toHaveLength(2)
    secret = (await setWebhook(cast.deptA.orgId, { url: receiver.url })).body.secret
  })
})

describe('events of access requests', () => {
  it('are written with each transition, to the organisation that must hear of it', async () => {
    const approved = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await approve(world, cast.deptA.approver, approved.id)
    const rejected = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const rejection = await call(world, 'POST', `/v1/access-requests/${rejected.id}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } })
    expect(rejection.status, rejection.text).toBe(200)
    const withdrawn = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const withdrawal = await call(world, 'POST', `/v1/access-requests/${withdrawn.id}/withdraw`, { token: cast.deptB.consumer.token })
    expect(withdrawal.status, withdrawal.text).toBe(200)

    const summarise = (events: Awaited<ReturnType<typeof eventsAbout>>) => events.map((e) => [e.type, e.org_id, e.payload.access_request.status])
    expect(summarise(await eventsAbout(approved.id))).toEqual([
      ['access_request.created', cast.deptA.orgId, 'pending'],
      ['access_request.decided', cast.deptB.orgId, 'approved'],
    ])
    expect(summarise(await eventsAbout(rejected.id))).toEqual([
      ['access_request.created', cast.deptA.orgId, 'pending'],
      ['access_request.decided', cast.deptB.orgId, 'rejected'],
    ])
    expect(summarise(await eventsAbout(withdrawn.id))).toEqual([
      ['access_request.created', cast.deptA.orgId, 'pending'],
      ['access_request.decided', cast.deptA.orgId, 'withdrawn'],
    ])
    const decided = (await eventsAbout(approved.id))[1]!.payload.access_request
    expect(decided).toMatchObject({ grant_id: expect.stringMatching(/^grt_/), decided_at: expect.any(String) })
  })

  it('roll back with the transaction that failed', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    // An approval the policy refuses (a field that was not requested) changes nothing and tells no one.
    const refused = await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: { fields: ['citizen_id', 'no_such_field'] } })
    expect(refused.status, refused.text).toBe(422)
    expect((await eventsAbout(filed.id)).map((e) => e.type)).toEqual(['access_request.created'])

    await expect(
      world.services.db.transaction(async (tx) => {
        await enqueueEvent(tx, { type: 'access_request.overdue', org_id: cast.deptA.orgId, subject_id: 'req_rolledback', data: {} })
        throw new Error('the change failed')
      }),
    ).rejects.toThrow('the change failed')
    expect(await eventsAbout('req_rolledback')).toEqual([])
  })
})
