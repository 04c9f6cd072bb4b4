// The HTTP scenarios every runtime must pass, written once and run against each live target
// (tests/e2e/live/*.test.ts): a Node gateway process and the Worker in workerd, each on its own
// PostgreSQL database. Everything goes through HTTP; the tests share one world and run in order,
// so a later scenario builds on what an earlier one made.

import { createHash } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../../src/audit/bytes.js'
import { verifyCheckpoint } from '../../../src/audit/checkpoint.js'
import { verifyConsistency, verifyInclusion } from '../../../src/audit/merkle.js'
import { parseExportLine, verifyChain } from '../../../src/audit/verify.js'
import { referenceConsistency, referencePath, referenceRoot } from '../../audit/rfc9162-reference.js'
import { SERVICE_POINT_STANDARD, servicePoint, servicePointDataset } from '../../support/catalog.js'
import { testServerUrl } from '../../support/database.js'
import { liveClient, sendUntilAnswered, type LiveAnswer } from '../../support/live-api.js'
import { csv, ndjson, person, populationDataset, resourceCode } from '../../support/population.js'
import type { LiveTarget } from './targets.js'

const PROBLEM = 'application/problem+json'
/** The grid-event standard's fields the social organisation asks for, and the narrower set it is granted. */
const ASKED = ['event_id', 'category', 'region_code', 'status', 'reported_at', 'reporter_name', 'reporter_mobile', 'description', 'summary']
const GRANTED = ['event_id', 'category', 'region_code', 'status', 'reported_at', 'reporter_name', 'reporter_mobile']
const SOCIAL_PURPOSE = '社区网格协同治理研究'
const RAW_PURPOSE = 'dispute-mediation'
const STATS_PURPOSE = 'population-statistics'
const DAILY_QUOTA = 20

/**
 * A grid governance event: 1–8 in Hangzhou's 西湖区 (330106), later ones in Shanghai's 浦东新区
 * (310115); every third an environment case, the rest disputes; 1–3 resolved, the rest accepted.
 */
function gridEvent(n: number): Record<string, unknown> {
  const region = n <= 8 ? '330106' : '310115'
  return {
    event_id: eventId(n),
    grid_code: `${region}${String(n).padStart(3, '0')}`,
    region_code: region,
    category: n % 3 === 0 ? 'environment' : 'dispute',
    summary: `事件${n}`,
    description: `张某与李某因停车位发生纠纷（${n}）`,
    status: n <= 3 ? 'resolved' : 'accepted',
    reported_at: `2026-03-${String(n).padStart(2, '0')}T08:30:00+08:00`,
    reporter_name: `上报人${n}`,
    reporter_mobile: mobile(n),
  }
}
const eventId = (n: number) => `GE2026${String(n).padStart(4, '0')}`
const mobile = (n: number) => `139${String(n).padStart(8, '0')}`

/** 16 people: 8 normal, 6 moved out, 2 deceased (so moved-out is suppressed along with deceased). */
const populace = () => Array.from({ length: 16 }, (_, i) => person(i + 1, { status: i < 8 ? 'normal' : i < 14 ? 'moved_out' : 'deceased' }))

/** A text sent in small chunks with no Content-Length (chunked transfer encoding), lines split across chunks. */
function streamed(text: string, chunkBytes = 97): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(offset, offset + chunkBytes))
      offset += chunkBytes
    },
  })
}

function* chunksOf(bytes: Uint8Array, size: number): Iterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size)
}

function sha256(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

interface Actor {
  clientId: string
  secret: string
  token: string
}

/** What differs between the runtimes' local setups, as far as the scenarios can tell. */
export interface LiveRuntime {
  /** An answer sent before an upload was read in full reaches the client (not through `wrangler dev`'s proxy). */
  earlyAnswersReachClient: boolean
}

/**
 * Registers the live scenarios for one target. `start` brings the target up once for the whole
 * suite (a database, a server, an admin credential); `afterAll` stops it and drops the database.
 */
export function liveScenarios(name: string, start: () => Promise<LiveTarget>, runtime: LiveRuntime) {
  // Both targets run on PostgreSQL: without TEST_DATABASE_URL the suite is skipped.
  describe.runIf(testServerUrl).sequential(`live HTTP scenarios on ${name}`, () => {
    let target: LiveTarget
    const client = liveClient(() => target.baseUrl)
    const call = client.call
    const expectStatus = (answer: LiveAnswer, status: number) => expect(answer.status, answer.text).toBe(status)
    const read = (actor: Actor | undefined, path: string, purpose?: string, headers: Record<string, string> = {}) =>
      call('GET', path, { token: actor?.token, headers: { ...(purpose === undefined ? {} : { 'x-purpose': encodeURIComponent(purpose) }), ...headers } })

    // The world the scenarios build, in order.
    let admin: Actor
    let auditor: Actor
    let deptA: { id: string; publisher: Actor; approver: Actor; consumer: Actor }
    let deptB: { id: string; publisher: Actor; approver: Actor; consumer: Actor }
    let social: { id: string; consumer: Actor }
    let grid: string
    let population: string
    let points: string
    let scheduledCheckpoint: { size: number; root_hash: string }
    let socialGrant: string
    let rawGrant: string

    async function issueToken(clientId: string, secret: string): Promise<string> {
      const res = await call('POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } })
      expectStatus(res, 200)
      return res.body.access_token as string
    }
    async function newActor(orgId: string, roles: string[]): Promise<Actor> {
      const res = await call('POST', `/v1/orgs/${orgId}/clients`, { token: admin.token, body: { name: `live ${roles.join('+')}`, roles } })
      expectStatus(res, 201)
      return { clientId: res.body.client_id, secret: res.body.client_secret, token: await issueToken(res.body.client_id, res.body.client_secret) }
    }
    async function created(path: string, actor: Actor, body: unknown): Promise<Record<string, any>> {
      const res = await call('POST', path, { token: actor.token, body })
      expectStatus(res, 201)
      return res.body
    }
    async function recordCount(datasetId: string): Promise<number> {
      const res = await call('GET', `/v1/datasets/${datasetId}`, { token: deptA.publisher.token })
      expectStatus(res, 200)
      return res.body.quality.records as number
    }
    const records = (id: string, query = '') => `/v1/datasets/${id}/records${query}`
    /** An upload that may be answered before it is sent in full; its answer joins the others. */
    async function upload(path: string, headers: Record<string, string>, chunks: Iterable<Uint8Array>): Promise<LiveAnswer> {
      const answer = await sendUntilAnswered(`${target.baseUrl}${path}`, 'POST', headers, chunks)
      client.answers.push({ method: 'POST', path, status: answer.status, contentType: answer.headers.get('content-type'), body: answer.body })
      return answer
    }

    beforeAll(async () => {
      target = await start()
    })
    afterAll(async () => {
      await target?.stop()
    })

    it('answers /health, /ready, /openapi.json and /docs', async () => {
      const health = await call('GET', '/health')
      expectStatus(health, 200)
      expect(health.body).toEqual({ status: 'ok' })
      const ready = await call('GET', '/ready')
      expectStatus(ready, 200)
      expect(ready.body, `${ready.text}\n${target.output()}`).toMatchObject({ status: 'ready', database: 'postgres' })
      const openapi = await call('GET', '/openapi.json')
      expectStatus(openapi, 200)
      expect(openapi.body.openapi).toBe('3.1.0')
      expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/auth/token', '/v1/datasets/{id}/records', '/v1/audit/entries/{seq}/proof']))
      const docs = await fetch(`${target.baseUrl}/docs`)
      expect(docs.status).toBe(200)
      expect(docs.headers.get('content-type')).toMatch(/^text\/html/)
      expect(docs.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
      expect(await docs.text()).toContain('/v1/access-requests')
      const unknown = await call('GET', '/nope')
      expectStatus(unknown, 404)
      expect(unknown.headers.get('content-type')).toBe(PROBLEM)
    })

    it('serves the web console: HTML pages under a content security policy, no script', async () => {
      const root = await fetch(`${target.baseUrl}/`, { redirect: 'manual' })
      expect(root.status).toBe(302)
      expect(root.headers.get('location')).toBe('/console')
      const page = await fetch(`${target.baseUrl}/console`)
      const html = await page.text()
      expect(page.status, html.slice(0, 500)).toBe(200)
      expect(new URL(page.url).pathname).toMatch(/^\/console/)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp).toMatch(/default-src 'none'/)
      expect(csp).toMatch(/frame-ancestors 'none'/)
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
      expect(html).toMatch(/<form[^>]*method="post"/i)
      expect(html).not.toMatch(/<script/i)
    })

    it('issues tokens for client credentials (form with HTTP Basic, or JSON)', async () => {
      const form = await fetch(`${target.baseUrl}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${target.admin.id}:${target.admin.secret}`)}` },
        body: 'grant_type=client_credentials',
      })
      const issued = (await form.json()) as Record<string, any>
      expect(form.status, JSON.stringify(issued)).toBe(200)
      expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
      expect(form.headers.get('cache-control')).toBe('no-store')
      expect(decodeProtectedHeader(issued.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
      admin = { clientId: target.admin.id, secret: target.admin.secret, token: await issueToken(target.admin.id, target.admin.secret) }
      const whoami = await call('GET', '/v1/auth/whoami', { token: issued.access_token })
      expectStatus(whoami, 200)
      expect(whoami.body).toMatchObject({ client_id: target.admin.id, org_kind: 'platform', roles: expect.arrayContaining(['admin']) })
      const jwks = await call('GET', '/.well-known/jwks.json')
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(decodeProtectedHeader(issued.access_token).kid)

      expectStatus(await call('GET', '/v1/orgs'), 401)
    })

    it('runs the scheduled jobs from the runtime’s own trigger: a signed checkpoint appears', async () => {
      await target.runScheduledJobs()
      const list = await call('GET', '/v1/audit/checkpoints', { token: admin.token })
      expectStatus(list, 200)
      expect(list.body.items.length, `${list.text}\n${target.output()}`).toBeGreaterThan(0)
      const [latest] = list.body.items
      const jwks = (await call('GET', '/.well-known/jwks.json')).body
      const verified = await verifyCheckpoint(latest.jws, jwks)
      expect(verified.head).toMatchObject({ size: latest.size, root_hash: latest.root_hash })
      scheduledCheckpoint = { size: latest.size, root_hash: latest.root_hash }
    })

    it('lets the admin create departments, a social organisation and their clients', async () => {
      const platform = await call('GET', '/v1/orgs?kind=platform', { token: admin.token })
      expectStatus(platform, 200)
      const platformId = platform.body.items[0].id as string
      auditor = await newActor(platformId, ['auditor'])
      const a = (await created('/v1/orgs', admin, { kind: 'department', name: `杭州市西湖区公安分局 ${resourceCode()}`, level: 'county', region_code: '330106' })).id
      const b = (await created('/v1/orgs', admin, { kind: 'department', name: `上海市浦东新区民政局 ${resourceCode()}`, level: 'county', region_code: '310115' })).id
      const s = await created('/v1/orgs', admin, { kind: 'social_org', name: `某市社区治理研究会 ${resourceCode()}`, uscc: '52440300MJL123454Y' })
      expect(s).toMatchObject({ kind: 'social_org', uscc: '52440300MJL123454Y', status: 'active' })
      const badUscc = await call('POST', '/v1/orgs', { token: admin.token, body: { kind: 'social_org', name: '校验码错误', uscc: '52440300MJL123454X' } })
      expectStatus(badUscc, 400)
      deptA = { id: a, publisher: await newActor(a, ['publisher']), approver: await newActor(a, ['approver']), consumer: await newActor(a, ['consumer']) }
      deptB = { id: b, publisher: await newActor(b, ['publisher']), approver: await newActor(b, ['approver']), consumer: await newActor(b, ['consumer']) }
      social = { id: s.id, consumer: await newActor(s.id, ['consumer']) }
      const asConsumer = await call('POST', '/v1/orgs', { token: social.consumer.token, body: { kind: 'department', name: 'x', level: 'city', region_code: '330100' } })
      expectStatus(asConsumer, 403)
    })

    it('lets the publisher register datasets on shipped standards, and the admin publish a new one', async () => {
      const standards = await call('GET', '/v1/standards', { token: deptA.publisher.token })
      expectStatus(standards, 200)
      expect(standards.body.items.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['population', 'grid-event']))
      await created('/v1/standards', admin, SERVICE_POINT_STANDARD)

      const gridSet = await created('/v1/datasets', deptA.publisher, {
        code: resourceCode('WG'),
        name: '网格事件处置信息',
        title: '网格事件',
        abstract: '全区网格化管理上报事件及其处置过程。',
        standard: { name: 'grid-event', version: '1.0.0' },
        format: 'database',
        sharing: 'unconditional',
        open: 'conditional',
        open_conditions: '经审批后向社会组织提供脱敏数据',
        update_cycle: 'daily',
      })
      expect(gridSet).toMatchObject({ tier: 'L3', provider_id: deptA.id })
      grid = gridSet.id
      const people = await created('/v1/datasets', deptA.publisher, populationDataset({ open: 'conditional', open_conditions: '经审批后提供统计结果' }))
      expect(people.tier).toBe('L4')
      population = people.id
      const open = await created('/v1/datasets', deptA.publisher, servicePointDataset())
      expect(open.tier).toBe('L1')
      points = open.id
    })

    it('ingests NDJSON streamed in chunks, and CSV with local column names: an atomic batch with a bad row stores nothing, a partial one the rest', async () => {
      const first = await call('POST', records(grid), { token: deptA.publisher.token, body: streamed(ndjson(Array.from({ length: 10 }, (_, i) => gridEvent(i + 1)))), type: 'application/x-ndjson' })
      expectStatus(first, 200)
      expect(first.body).toMatchObject({ mode: 'atomic', total: 10, inserted: 10, rejected: 0, errors: [] })

      // Department-local headers (x-aliases) and values (x-enum-aliases); the third row's grid code is malformed.
      const columns = ['事件编号', '网格编码', '行政区划代码', '事件类别', '事件标题', '处置状态', '上报时间', '上报人', '上报人电话']
      const row = (n: number, overrides: { grid?: string } = {}) => {
        const e = gridEvent(n)
        return [e.event_id, overrides.grid ?? e.grid_code, e.region_code, '环境卫生', e.summary, '已办结', e.reported_at, e.reporter_name, e.reporter_mobile]
      }
      const body = csv(columns, [row(11), row(12), row(13, { grid: 'not-a-grid' })])
      const atomic = await call('POST', records(grid), { token: deptA.publisher.token, body, type: 'text/csv' })
      expectStatus(atomic, 422)
      expect(atomic.headers.get('content-type')).toBe(PROBLEM)
      expect(atomic.body.report).toMatchObject({ total: 3, inserted: 0, rejected: 1 })
      expect(atomic.body.report.errors).toEqual([{ row: 3, key: eventId(13), errors: [expect.objectContaining({ path: '/grid_code' })] }])
      expect(await recordCount(grid)).toBe(10)

      const partial = await call('POST', records(grid, '?mode=partial'), { token: deptA.publisher.token, body, type: 'text/csv' })
      expectStatus(partial, 200)
      expect(partial.body).toMatchObject({ mode: 'partial', total: 3, inserted: 2, rejected: 1 })
      expect(await recordCount(grid)).toBe(12)
      const normalised = await read(deptA.publisher, records(grid, `/${eventId(11)}`))
      expectStatus(normalised, 200)
      expect(normalised.body).toMatchObject({ category: 'environment', status: 'resolved', region_code: '310115' })

      expectStatus(await call('POST', records(population), { token: deptA.publisher.token, body: ndjson(populace()), type: 'application/x-ndjson' }), 200)
      expectStatus(await call('POST', records(points), { token: deptA.publisher.token, body: [1, 2, 3].map((n) => servicePoint(n)) }), 200)
    })

    it('serves an openly published L1 dataset to anonymous callers, and nothing else', async () => {
      const open = await read(undefined, records(points))
      expectStatus(open, 200)
      expect(open.body.items.map((p: { point_id: string }) => p.point_id)).toEqual(['SP0001', 'SP0002', 'SP0003'])
      const catalogue = await read(undefined, '/v1/datasets')
      expectStatus(catalogue, 200)
      expect(catalogue.body.items.map((d: { id: string }) => d.id)).toEqual([points])
      expectStatus(await read(undefined, records(grid)), 404)
      expectStatus(await read(undefined, `/v1/datasets/${population}`), 404)
    })

    it('routes a social organisation’s request for an L3 dataset to the owner: pending, masked, with a deadline and a light', async () => {
      const filed = await created('/v1/access-requests', social.consumer, { dataset_id: grid, purpose: SOCIAL_PURPOSE, legal_basis: '《城乡社区治理条例》', fields: ASKED, duration_days: 30 })
      expect(filed).toMatchObject({ status: 'pending', mode: 'approval_masked', light: 'green', overdue: false, grant_id: null, fields: ASKED })
      // Ten working days always span two weekends.
      expect(Date.parse(filed.deadline) - Date.now()).toBeGreaterThan(11 * 86_400_000)
      const incoming = await call('GET', '/v1/access-requests?box=incoming&status=pending', { token: deptA.approver.token })
      expect(incoming.body.items.map((r: { id: string }) => r.id), incoming.text).toContain(filed.id)

      // Only an approver of the owner decides: a consumer is refused, another department's approver told nothing exists.
      const byConsumer = await call('POST', `/v1/access-requests/${filed.id}/approve`, { token: social.consumer.token, body: {} })
      expectStatus(byConsumer, 403)
      const byStranger = await call('POST', `/v1/access-requests/${filed.id}/approve`, { token: deptB.approver.token, body: {} })
      expectStatus(byStranger, 404)

      const approved = await call('POST', `/v1/access-requests/${filed.id}/approve`, {
        token: deptA.approver.token,
        body: {
          fields: GRANTED,
          masks: { event_id: { type: 'hash' }, reporter_mobile: { type: 'show-last-n', n: 4 }, reported_at: { type: 'date-year' } },
          row_filter: [{ field: 'region_code', op: 'prefix', value: '3301' }],
          daily_quota: DAILY_QUOTA,
          note: '限西湖区事件',
        },
      })
      expectStatus(approved, 200)
      expect(approved.body).toMatchObject({ status: 'approved', grant_id: expect.stringMatching(/^grt_/) })
      socialGrant = approved.body.grant_id
      const grants = await call('GET', `/v1/grants?side=consumer&dataset_id=${grid}`, { token: social.consumer.token })
      expect(grants.body.items, grants.text).toEqual([
        expect.objectContaining({ id: socialGrant, fields: GRANTED, daily_quota: DAILY_QUOTA, row_filter: [{ field: 'region_code', op: 'prefix', value: '3301' }], status: 'active' }),
      ])
    })

    it('delivers the masked grant: projected, filtered, paginated with a cursor, with ETags; other purposes refused; the daily quota held exactly', async () => {
      let charged = 0
      const page = async (query: string, headers: Record<string, string> = {}) => {
        const res = await read(social.consumer, records(grid, query), SOCIAL_PURPOSE, headers)
        if (res.status === 200) charged += Math.max(1, res.body.items?.length ?? 1)
        return res
      }

      const seen: Array<Record<string, string>> = []
      let cursor: string | null = null
      do {
        const res = await page(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        expectStatus(res, 200)
        seen.push(...res.body.items)
        cursor = res.body.next_cursor
      } while (cursor)
      expect(seen).toHaveLength(8) // events 1–8: the row filter keeps 西湖区 only
      expect(new Set(seen.map((r) => r.event_id)).size).toBe(8)
      for (const item of seen) {
        expect(Object.keys(item).sort()).toEqual([...GRANTED].sort())
        expect(item.region_code).toBe('330106')
        expect(item.event_id).toMatch(/^[A-Za-z0-9_-]{22}$/) // hash
        expect(item.reporter_mobile).toMatch(/^\*{7}\d{4}$/) // show-last-n 4
        expect(item.reported_at).toBe('2026') // date-year
        expect(item.reporter_name).toMatch(/^上\*+$/) // the standard's default mask
      }
      expect(seen.map((r) => String(r.reporter_mobile).slice(-4)).sort()).toEqual(Array.from({ length: 8 }, (_, i) => mobile(i + 1).slice(-4)).sort())

      const tagged = await page('?limit=3')
      const etag = tagged.headers.get('etag')
      expect(etag, tagged.text).toMatch(/^"[0-9a-f]+"$/)
      const notModified = await read(social.consumer, records(grid, '?limit=3'), SOCIAL_PURPOSE, { 'if-none-match': etag! })
      expect(notModified.status, notModified.text).toBe(304)
      expect(notModified.text).toMatch(/→ 304 $/)
      charged += 3 // a 304 is a read too: checked, charged and audited

      const projected = await page('?fields=status,reporter_mobile&filter=status:eq:resolved')
      expectStatus(projected, 200)
      expect(projected.body.items).toHaveLength(3)
      for (const item of projected.body.items) expect(Object.keys(item).sort()).toEqual(['reporter_mobile', 'status'])

      const onMasked = await page('?filter=reporter_mobile:eq:13900000001')
      expectStatus(onMasked, 400)
      expect(onMasked.body.errors[0]).toMatchObject({ code: 'masked_field' })
      const outside = await page('?fields=description')
      expectStatus(outside, 403)
      const wrongPurpose = await read(social.consumer, records(grid), 'marketing')
      expectStatus(wrongPurpose, 403)
      expect(wrongPurpose.body).toMatchObject({ code: 'forbidden', reason: 'wrong_purpose' })
      expectStatus(await read(social.consumer, records(grid)), 403)
      const aggregateOnlyOwnData = await read(social.consumer, records(population), SOCIAL_PURPOSE)
      expectStatus(aggregateOnlyOwnData, 403)

      expect(charged).toBe(17)
      const left = DAILY_QUOTA - charged
      const over = await page(`?limit=${left + 1}`)
      expectStatus(over, 429)
      expect(over.body).toMatchObject({ code: 'rate_limited', reason: 'quota_exceeded' })
      const exact = await page(`?limit=${left}`)
      expectStatus(exact, 200)
      expect(exact.body.items).toHaveLength(left)
      expectStatus(await page('?limit=1'), 429)
    })

    it('delivers raw values under an unmasked approval, and stops at the very next read once the grant is revoked', async () => {
      const filed = await created('/v1/access-requests', deptB.consumer, { dataset_id: grid, purpose: RAW_PURPOSE, legal_basis: '《人民调解法》第十七条', fields: ['event_id', 'reporter_mobile', 'description', 'status'], duration_days: 30 })
      expect(filed).toMatchObject({ status: 'pending', mode: 'approval' })
      const approved = await call('POST', `/v1/access-requests/${filed.id}/approve`, { token: deptA.approver.token, body: {} })
      expectStatus(approved, 200)
      rawGrant = approved.body.grant_id
      const res = await read(deptB.consumer, records(grid, '?limit=2'), RAW_PURPOSE)
      expectStatus(res, 200)
      expect(res.body.items).toEqual([
        { event_id: eventId(1), reporter_mobile: mobile(1), description: gridEvent(1).description, status: 'resolved' },
        { event_id: eventId(2), reporter_mobile: mobile(2), description: gridEvent(2).description, status: 'resolved' },
      ])
      const one = await read(deptB.consumer, records(grid, `/${eventId(12)}`), RAW_PURPOSE)
      expectStatus(one, 200)
      expect(one.body).toMatchObject({ event_id: eventId(12), status: 'resolved' })

      const revoked = await call('DELETE', `/v1/grants/${rawGrant}`, { token: deptA.approver.token })
      expectStatus(revoked, 200)
      const after = await read(deptB.consumer, records(grid, '?limit=2'), RAW_PURPOSE)
      expectStatus(after, 403)
      expect(after.body.reason).toBe('grant_revoked')
    })

    it('answers an aggregates-only grant with small cells suppressed', async () => {
      const filed = await created('/v1/access-requests', social.consumer, { dataset_id: population, purpose: STATS_PURPOSE, legal_basis: '统计调查', fields: ['status'], duration_days: 30 })
      expect(filed).toMatchObject({ status: 'pending', mode: 'aggregate_only' })
      expectStatus(await call('POST', `/v1/access-requests/${filed.id}/approve`, { token: deptA.approver.token, body: {} }), 200)
      const res = await read(social.consumer, `/v1/datasets/${population}/aggregate?group_by=status`, STATS_PURPOSE)
      expectStatus(res, 200)
      expect(res.body).toMatchObject({ group_by: ['status'], k: 5, total: 8, suppressed_groups: 2 })
      expect(res.body.items).toEqual([
        { groups: { status: 'deceased' }, count: null, suppressed: true },
        { groups: { status: 'moved_out' }, count: null, suppressed: true },
        { groups: { status: 'normal' }, count: 8, suppressed: false },
      ])
      expectStatus(await read(social.consumer, records(population), STATS_PURPOSE), 403)
    })

    it('shows the owner who read its data, why and how much; and nobody else', async () => {
      const log = await call('GET', `/v1/audit?dataset=${grid}&action=dataset.read&limit=200`, { token: deptA.approver.token })
      expectStatus(log, 200)
      const entries = log.body.items.map((e: { seq: number; content: Record<string, any> }) => ({ seq: e.seq, ...e.content }))
      const socialReads = entries.filter((e: any) => e.actor_org_id === social.id && e.decision === 'allowed')
      expect(socialReads.length).toBeGreaterThanOrEqual(5)
      expect(socialReads).toContainEqual(expect.objectContaining({ purpose: SOCIAL_PURPOSE, grant_id: socialGrant, row_count: 3, fields: GRANTED }))
      const refusals = entries.filter((e: any) => e.decision === 'denied').map((e: any) => e.reason)
      expect(refusals).toEqual(expect.arrayContaining(['wrong_purpose', 'quota_exceeded', 'grant_revoked']))
      expect(entries).toContainEqual(expect.objectContaining({ actor_org_id: deptB.id, grant_id: rawGrant, purpose: RAW_PURPOSE, row_count: 2, decision: 'allowed' }))

      const stranger = await call('GET', `/v1/audit?dataset=${grid}`, { token: deptB.approver.token })
      expectStatus(stranger, 200)
      expect(stranger.body.items).toEqual([])
      expectStatus(await call('GET', '/v1/audit', { token: social.consumer.token }), 403)
    })

    it('lets the auditor verify the chain, sign a checkpoint, and prove an entry’s inclusion, checked independently (RFC 9162)', async () => {
      const verdict = await call('GET', '/v1/audit/verify', { token: auditor.token })
      expectStatus(verdict, 200)
      expect(verdict.body).toMatchObject({ ok: true })
      const checkpoint = await call('POST', '/v1/audit/checkpoints', { token: auditor.token })
      expectStatus(checkpoint, 201)
      const { size, root_hash: rootHash, jws } = checkpoint.body as { size: number; root_hash: string; jws: string }
      expect(size).toBeGreaterThanOrEqual(verdict.body.size)
      const jwks = (await call('GET', '/.well-known/jwks.json')).body
      expect((await verifyCheckpoint(jws, jwks)).head).toMatchObject({ size, root_hash: rootHash })

      // The export, streamed, verifies offline with nothing but the lines themselves.
      const exported = await fetch(`${target.baseUrl}/v1/audit/export`, { headers: { authorization: `Bearer ${auditor.token}` } })
      expect(exported.headers.get('content-type')).toBe('application/x-ndjson')
      const lines = (await exported.text()).trim().split('\n').map(parseExportLine)
      expect(await verifyChain(lines)).toMatchObject({ ok: true })
      expect(lines.length).toBeGreaterThanOrEqual(size)

      // One of the social organisation's reads, proven to be in the signed tree.
      const owned = await call('GET', `/v1/audit?dataset=${grid}&org=${social.id}&decision=allowed&limit=1`, { token: auditor.token })
      const seq = owned.body.items[0].seq as number
      const proof = await call('GET', `/v1/audit/entries/${seq}/proof?size=${size}`, { token: auditor.token })
      expectStatus(proof, 200)
      expect(proof.body).toMatchObject({ leaf_index: seq - 1, checkpoint: { size, root_hash: rootHash } })
      expect(proof.body.entry.content).toEqual(lines[seq - 1]!.content)
      const path = (proof.body.proof as string[]).map(fromHex)
      expect(await verifyInclusion(fromHex(proof.body.leaf_hash), seq - 1, size, path, fromHex(rootHash))).toBe(true)

      // Independently: RFC 9162 §2.1 computed naively from the exported entry hashes (leaf input = the entry hash's bytes).
      const leaves = lines.slice(0, size).map((entry) => fromHex(entry.hash as string))
      expect(toHex(sha256(Uint8Array.of(0), leaves[seq - 1]!))).toBe(proof.body.leaf_hash)
      expect(toHex(referenceRoot(leaves))).toBe(rootHash)
      expect(referencePath(seq - 1, leaves).map(toHex)).toEqual(proof.body.proof)
      const tampered = [...path]
      tampered[0] = sha256(tampered[0]!)
      expect(await verifyInclusion(fromHex(proof.body.leaf_hash), seq - 1, size, tampered, fromHex(rootHash))).toBe(false)

      // The scheduled checkpoint's tree is a prefix of this one.
      const consistency = await call('GET', `/v1/audit/consistency?from=${scheduledCheckpoint.size}&to=${size}`, { token: social.consumer.token })
      expectStatus(consistency, 200)
      expect(consistency.body.proof).toEqual(referenceConsistency(scheduledCheckpoint.size, leaves).map(toHex))
      const cproof = (consistency.body.proof as string[]).map(fromHex)
      expect(await verifyConsistency(scheduledCheckpoint.size, size, fromHex(scheduledCheckpoint.root_hash), fromHex(rootHash), cproof)).toBe(true)
      expect(toHex(referenceRoot(leaves.slice(0, scheduledCheckpoint.size)))).toBe(scheduledCheckpoint.root_hash)

      expectStatus(await call('GET', `/v1/audit/entries/${seq}/proof`, { token: deptA.approver.token }), 403)
    })

    it('answers another organisation’s closed dataset exactly like a missing one', async () => {
      const closed = await created('/v1/datasets', deptB.publisher, populationDataset({ sharing: 'none', legal_basis: '《户口登记条例》' }))
      expectStatus(await call('POST', records(closed.id), { token: deptB.publisher.token, body: ndjson([person(1)]), type: 'application/x-ndjson' }), 200)
      const missing = 'ds_doesnotexist000'
      const attempts: Array<[string, (id: string) => Promise<LiveAnswer>]> = [
        ['metadata', (id) => call('GET', `/v1/datasets/${id}`, { token: deptA.consumer.token })],
        ['records', (id) => read(deptA.consumer, records(id), RAW_PURPOSE)],
        ['request', (id) => call('POST', '/v1/access-requests', { token: deptA.consumer.token, body: { dataset_id: id, purpose: 'x', legal_basis: 'y', fields: ['status'], duration_days: 30 } })],
        ['ingest', (id) => call('POST', records(id), { token: deptA.publisher.token, body: ndjson([person(2)]), type: 'application/x-ndjson' })],
      ]
      for (const [what, attempt] of attempts) {
        const hidden = await attempt(closed.id)
        const absent = await attempt(missing)
        expect(hidden.status, `${what}: ${hidden.text}`).toBe(404)
        expect(absent.status, `${what}: ${absent.text}`).toBe(404)
        expect(hidden.body.code).toBe(absent.body.code)
        expect(hidden.body.title).toBe(absent.body.title)
      }
      const catalogue = await call('GET', '/v1/datasets?limit=100', { token: deptA.consumer.token })
      expect(catalogue.body.items.map((d: { id: string }) => d.id)).not.toContain(closed.id)
    })

    it('refuses tampered, unsigned, expired and foreign tokens', async () => {
      const genuine = social.consumer.token
      const [header, payload, signature] = genuine.split('.') as [string, string, string]
      const claims = decodeJwt(genuine)
      const { kid } = decodeProtectedHeader(genuine)
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const key = await importJWK(target.signingKey, 'ES256')
      const now = Math.floor(Date.now() / 1000)
      const mint = (overrides: { iat?: number; exp?: number; aud?: string }) =>
        new SignJWT({ client_id: claims.client_id, org: claims.org, org_kind: claims.org_kind, roles: claims.roles })
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
          .setIssuer(claims.iss!)
          .setAudience(overrides.aud ?? (claims.aud as string))
          .setSubject(claims.sub!)
          .setIssuedAt(overrides.iat ?? now)
          .setExpirationTime(overrides.exp ?? now + 300)
          .setJti(crypto.randomUUID())
          .sign(key)

      // A token minted here with the gateway's key passes, so each refusal below is for its one defect.
      expectStatus(await call('GET', '/v1/auth/whoami', { token: await mint({}) }), 200)
      const refused: Record<string, string> = {
        'roles raised in the payload': `${header}.${encode({ ...claims, roles: ['admin'] })}.${signature}`,
        'alg none': `${encode({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
        'signature of another token': `${header}.${payload}.${admin.token.split('.')[2]}`,
        expired: await mint({ iat: now - 3600, exp: now - 1800 }),
        'another audience': await mint({ aud: 'someone-else' }),
        'not a JWT': 'not.a.jwt',
      }
      for (const [why, token] of Object.entries(refused)) {
        const res = await call('GET', '/v1/auth/whoami', { token })
        expect(res.status, `${why}: ${res.text}`).toBe(401)
        expect(res.headers.get('content-type'), why).toBe(PROBLEM)
        expect(res.headers.get('www-authenticate'), why).toMatch(/^Bearer/)
      }
    })

    it('refuses oversized bodies (413), other media types (415), malformed JSON (400) and wrong methods (405)', async () => {
      // A declared Content-Length over the limit is refused on the headers alone, before any of the body is read.
      const oversized = new TextEncoder().encode(JSON.stringify({ kind: 'department', name: 'x'.repeat(1_100_000), level: 'city', region_code: '330100' }))
      const big = await upload('/v1/orgs', { 'content-type': 'application/json', 'content-length': String(oversized.byteLength), authorization: `Bearer ${admin.token}` }, chunksOf(oversized, 65_536))
      expectStatus(big, 413)
      expect(big.body.code).toBe('payload_too_large')

      // So is a declared length over QIAO_MAX_UPLOAD_BYTES on the upload routes.
      const upsized = new TextEncoder().encode(ndjson(Array.from({ length: 1500 }, (_, i) => gridEvent(100 + i))))
      expect(upsized.byteLength).toBeGreaterThan(target.settings.maxUploadBytes)
      const declared = await upload(records(grid), { 'content-type': 'application/x-ndjson', 'content-length': String(upsized.byteLength), authorization: `Bearer ${deptA.publisher.token}` }, chunksOf(upsized, 8192))
      expectStatus(declared, 413)

      const xml = await call('POST', records(grid), { token: deptA.publisher.token, body: '<events/>', type: 'application/xml' })
      expectStatus(xml, 415)
      const malformed = await call('POST', '/v1/orgs', { token: admin.token, body: '{"kind": ', type: 'application/json' })
      expectStatus(malformed, 400)
      expect(malformed.body.code).toBe('malformed_body')
      const method = await call('DELETE', '/health')
      expectStatus(method, 405)
      expect(method.headers.get('allow')).toContain('GET')
    })

    // An upload refused part-way is answered before the rest is read. `wrangler dev`'s local proxy
    // cannot pass such an early answer on: it says 503 "Your worker restarted mid-request", drops the
    // connection or holds it (and the next requests) for a minute or more, while the Worker itself
    // logs its 413. So this one runs where the gateway's own socket is the client's peer; the byte
    // count is runtime-neutral code (src/http/limits.ts), tested in-process too (tests/catalog/upload-limit.test.ts).
    it.runIf(runtime.earlyAnswersReachClient)('refuses a chunked upload as soon as it passes QIAO_MAX_UPLOAD_BYTES, storing nothing', async () => {
      const before = await recordCount(grid)
      const upsized = new TextEncoder().encode(ndjson(Array.from({ length: 1500 }, (_, i) => gridEvent(100 + i))))
      expect(upsized.byteLength).toBeGreaterThan(target.settings.maxUploadBytes)
      const refused = await upload(records(grid), { 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked', authorization: `Bearer ${deptA.publisher.token}` }, chunksOf(upsized, 8192))
      expectStatus(refused, 413)
      expect(refused.body.code).toBe('payload_too_large')
      expect(await recordCount(grid)).toBe(before)
    })

    it('answered every error in this suite with problem+json (the token endpoint: OAuth JSON with the same members)', () => {
      const errors = client.answers.filter((a) => a.status >= 400)
      expect(errors.length).toBeGreaterThan(30)
      for (const answer of errors) {
        const where = `${answer.method} ${answer.path} → ${answer.status} ${JSON.stringify(answer.body)}`
        const oauth = answer.path === '/v1/auth/token' && (answer.status === 400 || answer.status === 401)
        expect(answer.contentType, where).toBe(oauth ? 'application/json' : PROBLEM)
        expect(answer.body, where).toMatchObject({ status: answer.status, code: expect.any(String), instance: expect.any(String) })
        if (!oauth) expect(answer.body, where).toMatchObject({ type: expect.any(String), title: expect.any(String), detail: expect.any(String) })
      }
    })

    // Last, and the only scenario that fails logins: the failures also block this source address
    // for the rest of the minute, and counting them here alone keeps the count exact.
    it('refuses a wrong secret with OAuth’s invalid_client, and after repeated failures answers 429 with Retry-After, even for the right secret', async () => {
      const limit = target.settings.tokenFailuresPerMinute
      const attempt = (clientId: string, secret: string) => call('POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } })

      // RFC 6749 §5.2: the token endpoint's errors are OAuth JSON, carrying Qiao's problem members too.
      const wrong = await attempt(social.consumer.clientId, 'qs_wrong')
      expectStatus(wrong, 401)
      expect(wrong.headers.get('content-type')).toBe('application/json')
      expect(wrong.body).toMatchObject({ error: 'invalid_client', code: 'unauthorized', status: 401 })
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/)
      const unknown = await attempt('cli_nobody', 'qs_wrong')
      expectStatus(unknown, 401)
      expect(unknown.body.error, 'an unknown client is told exactly what a wrong secret is told').toBe('invalid_client')

      // Failures count per client id and per source address (the socket's peer on Node, CF-Connecting-IP on Workers).
      for (let failures = 2; failures < limit; failures++) expectStatus(await attempt(social.consumer.clientId, `qs_wrong${failures}`), 401)
      const limited = await attempt(social.consumer.clientId, 'qs_wrong')
      expectStatus(limited, 429)
      expect(limited.headers.get('content-type')).toBe(PROBLEM)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expectStatus(await attempt(social.consumer.clientId, social.consumer.secret), 429)
      expectStatus(await attempt(deptA.consumer.clientId, deptA.consumer.secret), 429)
      // Tokens already issued are not affected.
      expectStatus(await call('GET', '/v1/auth/whoami', { token: social.consumer.token }), 200)
    })
  })
}
