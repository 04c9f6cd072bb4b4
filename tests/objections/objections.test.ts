import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { person, populationDataset, registerDataset } from '../support/catalog.js'
import { call, createActor, createCast, createOrg, department, expectStandardSecurity, type Actor, type Cast } from '../support/identity.js'
import { exchangeDatasets, grantFor, ingest, people, read, type ExchangeWorld } from '../support/exchange.js'
import { citizenId } from '../support/population.js'
import { ingestReport, moved, raise, transition } from './helpers.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
/** deptB's publisher: it can see deptB's objections but is not the owner of the dataset. */
let raiserPublisher: Actor
/** A department with nothing to do with any objection here. */
let stranger: { publisher: Actor; consumer: Actor }
const PURPOSE = 'subsidy-eligibility'
const MINUTE = 60_000

// people(n): even n live in Hangzhou (330106), odd n in Shanghai (310115). deptB's grant on the
// population dataset is filtered to Hangzhou households.
const inside = (n: number) => citizenId(n * 2)
/** The n-th Hangzhou resident's record as people() stored it, with changes. */
const resident = (n: number, changes: Record<string, unknown> = {}) => person(n * 2, { household_region_code: '330106', ...changes })
const outside = citizenId(1)
const records = (id: string) => `/v1/datasets/${id}/records`

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 40)
  await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose: PURPOSE }, {
    fields: ['citizen_id', 'name', 'household_region_code', 'status'],
    row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }],
  })
  raiserPublisher = await createActor(world, cast.admin, cast.deptB.orgId, ['publisher'])
  const strangerOrg = await createOrg(world, cast.admin, department('某县农业农村局', '330100'))
  stranger = {
    publisher: await createActor(world, cast.admin, strangerOrg, ['publisher']),
    consumer: await createActor(world, cast.admin, strangerOrg, ['consumer']),
  }
  // Objections come after the initial ingests, so that those are "before the objection".
  world.clock.advance(MINUTE)
})
afterAll(() => world.close())

async function readAs(actor: Actor, path: string, headers: Record<string, string> = {}) {
  const res = await read(world, actor, path, PURPOSE, headers)
  expect(res.status, res.text).toBe(200)
  return res
}

describe('raising an objection', () => {
  it('routes a dispute of a granted record to the owner, with a deadline to accept and a light', async () => {
    const raised = await raise(world, cast.deptB.consumer, data.population, {
      record_key: inside(1),
      description: '户籍地址已迁出',
      proposed_value: { household_region_code: '330105' },
    })
    expect(raised).toMatchObject({
      id: expect.stringMatching(/^obj_/),
      dataset_id: data.population,
      provider_id: cast.deptA.orgId,
      raiser_org_id: cast.deptB.orgId,
      record_key: inside(1),
      description: '户籍地址已迁出',
      proposed_value: { household_region_code: '330105' },
      status: 'raised',
      overdue: false,
      outcome: null,
      rating: null,
    })
    expect(['green', 'yellow']).toContain(raised.light)
    expect(Date.parse(raised.deadline)).toBeGreaterThan(world.clock.now().getTime())
    const incoming = await call(world, 'GET', '/v1/objections?view=incoming', { token: cast.deptA.approver.token })
    expect(incoming.body.items.map((o: { id: string }) => o.id), incoming.text).toContain(raised.id)
  })

  it('disputes a dataset as a whole', async () => {
    const raised = await raise(world, cast.deptB.consumer, data.population, { description: '缺少2025年迁入人口' })
    expect(raised).toMatchObject({ record_key: null, proposed_value: null, status: 'raised' })
  })

  it('answers a record outside the grant’s row filter exactly like a missing one', async () => {
    const outsideFilter = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: { record_key: outside, description: 'x' } })
    const missing = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: { record_key: citizenId(999_999), description: 'x' } })
    expect(outsideFilter.status, outsideFilter.text).toBe(404)
    expect(missing.status, missing.text).toBe(404)
    expect(outsideFilter.body.detail.replace(outside, 'K')).toBe(missing.body.detail.replace(citizenId(999_999), 'K'))
    expect(outsideFilter.headers.get('content-type')).toBe('application/problem+json')
  })

  it('needs a grant, or a department and a dataset shared with departments', async () => {
    const noGrant = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.social.consumer.token, body: { description: 'x' } })
    expect(noGrant.status, noGrant.text).toBe(403)
    expect(noGrant.body.reason).toBe('no_grant')

    // A department with no grant on a shared dataset may object; it cannot read the records, so a
    // key it names is taken without looking it up (the answer does not reveal whether it exists).
    const shared = await registerDataset(world, cast.deptA.publisher, populationDataset({ sharing: 'conditional', sharing_conditions: '经审批', legal_basis: '《政务信息资源共享管理暂行办法》' }))
    await ingest(world, cast.deptA.publisher, shared.id, people(2))
    for (const key of [citizenId(1), citizenId(999_998)]) {
      const res = await call(world, 'POST', `/v1/datasets/${shared.id}/objections`, { token: stranger.consumer.token, body: { record_key: key, description: '疑似重复登记' } })
      expect(res.status, res.text).toBe(201)
    }
    const hidden = await registerDataset(world, cast.deptA.publisher, populationDataset({ sharing: 'none', legal_basis: '《保密法》' }))
    const notShared = await call(world, 'POST', `/v1/datasets/${hidden.id}/objections`, { token: stranger.consumer.token, body: { description: 'x' } })
    expect(notShared.status, notShared.text).toBe(404)
    const missing = await call(world, 'POST', '/v1/datasets/ds_nope/objections', { token: cast.deptB.consumer.token, body: { description: 'x' } })
    expect(missing.status, missing.text).toBe(404)
  })

  it('lets a direct reader object to an open record', async () => {
    const res = await call(world, 'POST', `/v1/datasets/${data.points}/objections`, { token: cast.social.consumer.token, body: { record_key: 'SP0002', description: '开放时间有误' } })
    expect(res.status, res.text).toBe(201)
    const missing = await call(world, 'POST', `/v1/datasets/${data.points}/objections`, { token: cast.social.consumer.token, body: { record_key: 'SP0999', description: 'x' } })
    expect(missing.status, missing.text).toBe(404)
  })

  it('refuses the owner’s own dataset and fields the standard does not have', async () => {
    const own = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptA.consumer.token, body: { description: 'x' } })
    expect(own.status, own.text).toBe(422)
    const unknown = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: { description: 'x', proposed_value: { salary: 1 } } })
    expect(unknown.status, unknown.text).toBe(400)
    expect(unknown.body.errors).toEqual([expect.objectContaining({ path: 'body.proposed_value.salary', code: 'unknown_field' })])
  })

  it('answers bad bodies with problem+json naming the field', async () => {
    const cases: [unknown, string][] = [
      [{}, 'body.description'],
      [{ description: '   ' }, 'body.description'],
      [{ description: 'x', extra: 1 }, 'body'],
      [{ description: 'x', record_key: '' }, 'body.record_key'],
      [{ description: 'x', proposed_value: 'not an object' }, 'body.proposed_value'],
    ]
    for (const [body, path] of cases) {
      const res = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body })
      expect(res.status, res.text).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body.code).toBe('validation_failed')
      expect(res.body.errors.map((e: { path: string }) => e.path), res.text).toContain(path)
    }
    const malformed = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: '{"description":' })
    expect(malformed.status, malformed.text).toBe(400)
  })
})

describe('the disputed flag on reads', () => {
  it('marks the disputed record in lists and single reads until the objection is resolved', async () => {
    const key = inside(2)
    const single = `${records(data.population)}/${key}`
    const before = await readAs(cast.deptB.consumer, single)
    expect(before.body._flags, before.text).toBeUndefined()
    const etagBefore = before.headers.get('etag')!

    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: key, description: '姓名有误' })
    const flagged = await readAs(cast.deptB.consumer, single, { 'if-none-match': etagBefore })
    expect(flagged.body, flagged.text).toMatchObject({ citizen_id: expect.any(String), _flags: ['disputed'] })
    expect(flagged.headers.get('etag')).not.toBe(etagBefore)

    const list = await readAs(cast.deptB.consumer, `${records(data.population)}?limit=200`)
    const flaggedItems = list.body.items.filter((item: { _flags?: string[] }) => item._flags !== undefined)
    expect(flaggedItems.length, list.text).toBeGreaterThanOrEqual(1)
    for (const item of flaggedItems) expect(item._flags).toEqual(['disputed'])
    // Records without an open objection carry no _flags member at all.
    expect(list.body.items.filter((item: Record<string, unknown>) => !('_flags' in item)).length).toBeGreaterThan(0)
    // The owner sees the flag on its own records too.
    const owner = await read(world, cast.deptA.consumer, `${records(data.population)}/${key}`)
    expect(owner.body._flags, owner.text).toEqual(['disputed'])

    await moved(world, cast.deptA.approver, objection.id, 'accept')
    expect((await readAs(cast.deptB.consumer, single)).body._flags).toEqual(['disputed'])
    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '经核实数据无误' })
    const after = await readAs(cast.deptB.consumer, single)
    expect(after.body._flags, after.text).toBeUndefined()
    expect(after.headers.get('etag')).toBe(etagBefore)
  })

  it('flags every disputed record of a page with one query', async () => {
    const objections = await Promise.all([3, 4, 5].map((n) => raise(world, cast.deptB.consumer, data.population, { record_key: inside(n), description: `第${n}条有误` })))
    // Raising them moved read_context_version: a first read reads the context again and keeps it.
    await readAs(cast.deptB.consumer, `${records(data.population)}?limit=200`)
    const db = world.services.db
    const query = db.query
    const statements: string[] = []
    db.query = ((sql: string, params?: readonly unknown[]) => {
      statements.push(sql)
      return query.call(db, sql, params)
    }) as typeof db.query
    let page
    try {
      page = await readAs(cast.deptB.consumer, `${records(data.population)}?limit=200`)
    } finally {
      db.query = query
    }
    expect(statements.filter((sql) => /\bFROM objections\b/.test(sql)), statements.join('\n')).toHaveLength(1)
    // citizen_id is masked for this consumer: count the flags and compare with the database.
    const flagged = page.body.items.filter((i: { _flags?: string[] }) => i._flags).length
    expect(flagged, page.text).toBeGreaterThanOrEqual(objections.length)
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(DISTINCT o.record_key)::int AS n FROM objections o JOIN records r ON r.dataset_id = o.dataset_id AND r.key = o.record_key
       WHERE o.dataset_id = $1 AND o.status IN ('raised', 'accepted') AND r.deleted_at IS NULL AND r.data ->> 'household_region_code' LIKE '3301%'`,
      [data.population],
    )
    expect(flagged).toBe(rows[0]!.n)
  })
})

describe('the objection loop', () => {
  it('corrected: accept, correct through an ingest linked to the objection, close with a rating', async () => {
    const key = inside(6)
    const earlier = await ingestReport(world, cast.deptA.publisher, data.population, [resident(6)])
    world.clock.advance(MINUTE)
    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: key, description: '已迁出本市', proposed_value: { status: 'moved_out' } })

    const early = await transition(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: 'x' })
    expect(early.status, early.text).toBe(409)
    expect(early.body).toMatchObject({ code: 'conflict', reason: 'wrong_state', current_status: 'raised' })

    const accepted = await moved(world, cast.deptA.publisher, objection.id, 'accept')
    expect(accepted).toMatchObject({ status: 'accepted', light: 'green', accepted_at: expect.any(String) })
    expect(Date.parse(accepted.deadline)).toBeGreaterThan(Date.parse(objection.deadline))
    const twice = await transition(world, cast.deptA.approver, objection.id, 'accept')
    expect(twice.status, twice.text).toBe(409)
    expect(twice.body.reason).toBe('wrong_state')

    world.clock.advance(MINUTE)
    const unrelated = await ingestReport(world, cast.deptA.publisher, data.population, [resident(7, { status: 'moved_out' })])
    const otherDataset = await ingestReport(world, cast.deptA.publisher, data.points, [{ point_id: 'SP0001', point_name: '服务点一', region_code: '330106' }])
    const correction = await ingestReport(world, cast.deptA.publisher, data.population, [resident(6, { status: 'moved_out' })])
    expect(correction.updated).toBe(1)

    const refusals: [Record<string, unknown>, number, string][] = [
      [{ outcome: 'corrected', note: '已更正' }, 400, 'required'],
      [{ outcome: 'corrected', note: '已更正', ingest_id: earlier.id }, 422, 'too_early'],
      [{ outcome: 'corrected', note: '已更正', ingest_id: unrelated.id }, 422, 'record_unchanged'],
      [{ outcome: 'corrected', note: '已更正', ingest_id: otherDataset.id }, 422, 'not_found'],
      [{ outcome: 'corrected', note: '已更正', ingest_id: 'ing_nope' }, 422, 'not_found'],
    ]
    for (const [body, status, code] of refusals) {
      const res = await transition(world, cast.deptA.approver, objection.id, 'resolve', body)
      expect(res.status, res.text).toBe(status)
      expect(res.body.errors, res.text).toEqual([expect.objectContaining({ path: 'body.ingest_id', code })])
    }
    const rejectedWithIngest = await transition(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: 'x', ingest_id: correction.id })
    expect(rejectedWithIngest.status, rejectedWithIngest.text).toBe(400)

    const resolved = await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'corrected', note: '已更正为迁出', ingest_id: correction.id })
    expect(resolved).toMatchObject({ status: 'resolved', outcome: 'corrected', resolution_note: '已更正为迁出', correction_ingest_id: correction.id, light: null, overdue: false })
    const corrected = await readAs(cast.deptB.consumer, `${records(data.population)}/${key}`)
    expect(corrected.body, corrected.text).toMatchObject({ status: 'moved_out' })
    expect(corrected.body._flags).toBeUndefined()

    // Only the raiser closes: the owner (who can see it) is refused, a stranger is told nothing.
    const byOwner = await transition(world, cast.deptA.consumer, objection.id, 'close', {})
    expect(byOwner.status, byOwner.text).toBe(403)
    const byStranger = await transition(world, stranger.consumer, objection.id, 'close', {})
    expect(byStranger.status, byStranger.text).toBe(404)
    const badRating = await transition(world, cast.deptB.consumer, objection.id, 'close', { rating: 6 })
    expect(badRating.status, badRating.text).toBe(400)
    const commentOnly = await transition(world, cast.deptB.consumer, objection.id, 'close', { comment: '很好' })
    expect(commentOnly.status, commentOnly.text).toBe(400)
    expect(commentOnly.body.errors[0].path).toBe('body.comment')

    const closed = await moved(world, cast.deptB.consumer, objection.id, 'close', { rating: 5, comment: '处理及时' })
    expect(closed).toMatchObject({
      status: 'closed',
      closed_at: expect.any(String),
      rating: { subject_kind: 'objection', subject_id: objection.id, provider_id: cast.deptA.orgId, rater_org_id: cast.deptB.orgId, score: 5, comment: '处理及时' },
    })
    const again = await transition(world, cast.deptB.consumer, objection.id, 'close', { rating: 1 })
    expect(again.status, again.text).toBe(409)
    const reopenClosed = await transition(world, cast.deptB.consumer, objection.id, 'reopen', { reason: '仍有误' })
    expect(reopenClosed.status, reopenClosed.text).toBe(409)
    expect(reopenClosed.body).toMatchObject({ reason: 'wrong_state', current_status: 'closed' })

    const read = await call(world, 'GET', `/v1/objections/${objection.id}`, { token: cast.deptA.approver.token })
    expect(read.body, read.text).toMatchObject({ status: 'closed', rating: { score: 5 } })
    const { rows } = await world.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ratings WHERE subject_kind = 'objection' AND subject_id = $1`, [objection.id])
    expect(rows[0]!.n).toBe(1)
  })

  it('rejected, then reopened once with a reason, then closed without a rating', async () => {
    const key = inside(8)
    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: key, description: '姓名错别字' })
    await moved(world, cast.deptA.approver, objection.id, 'accept')
    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '与户籍登记一致' })

    const noReason = await transition(world, cast.deptB.consumer, objection.id, 'reopen', {})
    expect(noReason.status, noReason.text).toBe(400)
    expect(noReason.body.errors[0].path).toBe('body.reason')
    const byOwner = await transition(world, cast.deptA.consumer, objection.id, 'reopen', { reason: 'x' })
    expect(byOwner.status, byOwner.text).toBe(403)

    world.clock.advance(MINUTE)
    const reopened = await moved(world, cast.deptB.consumer, objection.id, 'reopen', { reason: '户籍证明显示不同' })
    expect(reopened).toMatchObject({ status: 'accepted', outcome: null, resolution_note: null, reopen_reason: '户籍证明显示不同', reopened_at: expect.any(String), light: 'green' })
    expect((await readAs(cast.deptB.consumer, `${records(data.population)}/${key}`)).body._flags).toEqual(['disputed'])

    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '复核后仍一致' })
    const secondReopen = await transition(world, cast.deptB.consumer, objection.id, 'reopen', { reason: '仍不同意' })
    expect(secondReopen.status, secondReopen.text).toBe(409)
    expect(secondReopen.body.reason).toBe('already_reopened')

    const closed = await moved(world, cast.deptB.consumer, objection.id, 'close', {})
    expect(closed).toMatchObject({ status: 'closed', rating: null, outcome: 'rejected' })
  })

  it('a disputed record deleted since the objection is corrected by its deletion', async () => {
    const key = inside(9)
    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: key, description: '此人已注销户籍' })
    await moved(world, cast.deptA.approver, objection.id, 'accept')
    world.clock.advance(MINUTE)
    const deleted = await call(world, 'DELETE', `${records(data.population)}/${key}`, { token: cast.deptA.publisher.token })
    expect(deleted.status, deleted.text).toBeLessThan(300)
    const resolved = await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'corrected', note: '已注销' })
    expect(resolved).toMatchObject({ outcome: 'corrected', correction_ingest_id: null })
  })

  it('lets only the owning department accept and resolve, and keeps objections from strangers', async () => {
    const objection = await raise(world, cast.deptB.consumer, data.population, { description: '更新不及时' })
    const byRaiser = await transition(world, raiserPublisher, objection.id, 'accept')
    expect(byRaiser.status, byRaiser.text).toBe(403)
    const byStranger = await transition(world, stranger.publisher, objection.id, 'accept')
    expect(byStranger.status, byStranger.text).toBe(404)
    const missing = await transition(world, cast.deptA.approver, 'obj_nope', 'accept')
    expect(byStranger.body.detail.replace(objection.id, 'X')).toBe(missing.body.detail.replace('obj_nope', 'X'))
    const wrongRole = await transition(world, cast.deptA.consumer, objection.id, 'accept')
    expect(wrongRole.status, wrongRole.text).toBe(403)
    const admin = await transition(world, cast.admin, objection.id, 'accept')
    expect(admin.status, admin.text).toBe(403)

    for (const [actor, status] of [[cast.deptB.consumer, 200], [cast.deptA.approver, 200], [cast.admin, 200], [stranger.consumer, 404], [stranger.publisher, 404], [cast.social.consumer, 404]] as const) {
      const res = await call(world, 'GET', `/v1/objections/${objection.id}`, { token: actor.token })
      expect(res.status, `${actor.roles}: ${res.text}`).toBe(status)
    }
  })
})

describe('listing objections', () => {
  it('shows raised, incoming and (to admins) all objections, with filters and cursors', async () => {
    world.clock.advance(1000) // newest first: after every objection raised so far
    const mine = await raise(world, cast.deptB.consumer, data.population, { description: '列表测试' })
    const raised = await call(world, 'GET', '/v1/objections', { token: cast.deptB.consumer.token })
    expect(raised.status, raised.text).toBe(200)
    expect(raised.body.items[0], raised.text).toMatchObject({ id: mine.id, light: expect.any(String), overdue: false })
    expect(raised.body.items.every((o: { raiser_org_id: string }) => o.raiser_org_id === cast.deptB.orgId)).toBe(true)

    const incomingOfRaiser = await call(world, 'GET', '/v1/objections?view=incoming', { token: raiserPublisher.token })
    expect(incomingOfRaiser.body.items.map((o: { id: string }) => o.id)).not.toContain(mine.id)
    const incoming = await call(world, 'GET', `/v1/objections?view=incoming&status=raised&dataset_id=${data.population}`, { token: cast.deptA.publisher.token })
    expect(incoming.body.items.map((o: { id: string }) => o.id), incoming.text).toContain(mine.id)
    expect(incoming.body.items.every((o: { status: string; dataset_id: string }) => o.status === 'raised' && o.dataset_id === data.population)).toBe(true)
    const open = await call(world, 'GET', '/v1/objections?view=incoming&open=true', { token: cast.deptA.publisher.token })
    expect(open.body.items.every((o: { status: string; light: string | null }) => ['raised', 'accepted'].includes(o.status) && o.light !== null), open.text).toBe(true)
    const closed = await call(world, 'GET', '/v1/objections?view=incoming&status=closed', { token: cast.deptA.publisher.token })
    expect(closed.body.items.every((o: { light: string | null; overdue: boolean }) => o.light === null && !o.overdue), closed.text).toBe(true)

    const all = await call(world, 'GET', '/v1/objections', { token: cast.admin.token })
    expect(all.body.items.map((o: { id: string }) => o.id), all.text).toContain(mine.id)
    const notAdmin = await call(world, 'GET', '/v1/objections?view=all', { token: cast.deptA.publisher.token })
    expect(notAdmin.status, notAdmin.text).toBe(403)
    const consumerIncoming = await call(world, 'GET', '/v1/objections?view=incoming', { token: cast.deptB.consumer.token })
    expect(consumerIncoming.status, consumerIncoming.text).toBe(403)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(world, 'GET', `/v1/objections?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: cast.deptB.consumer.token })
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items.map((o: { id: string }) => o.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(raised.body.items.map((o: { id: string }) => o.id))
    expect(new Set(seen).size).toBe(seen.length)
    const badCursor = await call(world, 'GET', '/v1/objections?cursor=nonsense', { token: cast.deptB.consumer.token })
    expect(badCursor.status, badCursor.text).toBe(400)
  })
})

describe('the record of every transition', () => {
  it('audits each transition in its transaction, without the record key, and tells the other side', async () => {
    const key = inside(10)
    const objection = await raise(world, cast.deptB.consumer, data.population, { record_key: key, description: '审计测试' })
    await moved(world, cast.deptA.approver, objection.id, 'accept')
    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '无误' })
    await moved(world, cast.deptB.consumer, objection.id, 'reopen', { reason: '有误' })
    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '仍无误' })
    const closed = await moved(world, cast.deptB.consumer, objection.id, 'close', { rating: 2, comment: '未说明依据' })

    const { rows } = await world.services.db.query<{ action: string; actor_org_id: string; dataset_id: string; content: Record<string, unknown> }>(
      `SELECT action, actor_org_id, dataset_id, content FROM audit_log WHERE resource_id = $1 OR resource_id = $2 ORDER BY seq`,
      [objection.id, (closed.rating as { id: string }).id],
    )
    expect(rows.map((r) => r.action)).toEqual([
      'objection.raised',
      'objection.accepted',
      'objection.resolved',
      'objection.reopened',
      'objection.resolved',
      'objection.closed',
      'objection.rated',
    ])
    expect(rows.map((r) => r.actor_org_id)).toEqual([cast.deptB.orgId, cast.deptA.orgId, cast.deptA.orgId, cast.deptB.orgId, cast.deptA.orgId, cast.deptB.orgId, cast.deptB.orgId])
    expect(rows.every((r) => r.dataset_id === data.population)).toBe(true)
    expect(rows[3]!.content.details).toMatchObject({ reason: '有误', previous_outcome: 'rejected', previous_note: '无误' })
    expect(rows[6]!.content.details).toMatchObject({ subject_id: objection.id, provider_id: cast.deptA.orgId, score: 2 })
    expect(JSON.stringify(rows)).not.toContain(key)

    const events = await world.services.db.query<{ type: string; org_id: string }>(`SELECT type, org_id FROM events WHERE subject_id = $1 ORDER BY created_at, type`, [objection.id])
    expect(events.rows.map((e) => `${e.type} → ${e.org_id === cast.deptA.orgId ? 'owner' : e.org_id === cast.deptB.orgId ? 'raiser' : e.org_id}`).sort()).toEqual(
      [
        'objection.raised → owner',
        'objection.accepted → raiser',
        'objection.resolved → raiser',
        'objection.reopened → owner',
        'objection.resolved → raiser',
        'objection.closed → owner',
      ].sort(),
    )
  })

  it('changes nothing when a transition fails halfway', async () => {
    const objection = await raise(world, cast.deptB.consumer, data.population, { description: '回滚测试' })
    await moved(world, cast.deptA.approver, objection.id, 'accept')
    await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: 'x' })
    // A rating for this objection already in place makes the close fail at the rating insert.
    await world.services.db.query(
      `INSERT INTO ratings (id, subject_kind, subject_id, provider_id, rater_org_id, score, created_at) VALUES ('rat_planted', 'objection', $1, $2, $3, 3, now())`,
      [objection.id, cast.deptA.orgId, cast.deptB.orgId],
    )
    const audited = async () => (await world.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE resource_id = $1`, [objection.id])).rows[0]!.n
    const before = await audited()
    const res = await transition(world, cast.deptB.consumer, objection.id, 'close', { rating: 4 })
    expect(res.status, res.text).toBe(409)
    expect(res.body.reason).toBe('already_rated')
    const after = await call(world, 'GET', `/v1/objections/${objection.id}`, { token: cast.deptB.consumer.token })
    expect(after.body.status, after.text).toBe('resolved')
    expect(await audited()).toBe(before)
  })
})

describe('security', () => {
  it('passes the standard security cases on every route', async () => {
    const objection = await raise(world, cast.deptB.consumer, data.population, { description: '安全测试' })
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/datasets/${data.population}/objections`, body: { description: 'x' }, role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/objections', role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
    await expectStandardSecurity(world, cast, { method: 'GET', path: `/v1/objections/${objection.id}`, role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/objections/${objection.id}/accept`, role: 'approver', orgId: cast.deptA.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/objections/${objection.id}/resolve`, body: { outcome: 'rejected', note: 'x' }, role: 'approver', orgId: cast.deptA.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/objections/${objection.id}/close`, body: {}, role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/objections/${objection.id}/reopen`, body: { reason: 'x' }, role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/access-requests/req_nope/rating', body: { score: 3 }, role: 'consumer', orgId: cast.deptB.orgId })
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/access-requests/req_nope/rating', role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
  })
})
