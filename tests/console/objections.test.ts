import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { citizenId, person } from '../support/catalog.js'
import { exchangeDatasets, fileRequest, grantFor, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { call, createCast, type Actor, type Cast } from '../support/identity.js'
import { ingestReport } from '../objections/helpers.js'
import { Browser, csrfOf, textOf } from './support.js'

// The objection loop and ratings in the console, in process: raising from the dataset page, the
// owner accepting and resolving (a correction names its ingest), only the raiser closing with a
// rating or reopening once; rating a decided access request. Every form checks its CSRF token,
// every refusal is the service's, and what the pages did is what the API then shows.

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
const PURPOSE = 'subsidy-eligibility'
/** The second person's record: deptB reads it through its grant. */
const KEY = citizenId(2)

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast)
  await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose: PURPOSE }, { fields: ['citizen_id', 'name', 'household_region_code', 'status'] })
  // Objections come after the ingests above, so that a correction is an ingest made after one.
  world.clock.advance(60_000)
})
afterAll(() => world.close())

async function as(actor: Actor): Promise<Browser> {
  const browser = new Browser(world)
  await browser.signIn(actor)
  return browser
}

async function apiObjection(actor: Actor, id: string) {
  const res = await call(world, 'GET', `/v1/objections/${id}`, { token: actor.token })
  expect(res.status, res.text).toBe(200)
  return res.body
}

async function objectionCount(): Promise<number> {
  const { rows } = await world.database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM objections')
  return rows[0]!.n
}

/** Raises an objection through the console's form; answers its id. */
async function raiseInConsole(browser: Browser, fields: Record<string, string>): Promise<string> {
  const form = `/console/datasets/${data.population}/objections/new`
  const res = await browser.submit(form, `/console/datasets/${data.population}/objections`, fields)
  expect(res.status, res.text).toBe(303)
  const id = /^\/console\/objections\/(obj_[a-z0-9]+)\?done=raised$/.exec(res.location ?? '')?.[1]
  expect(id, res.location ?? '').toBeDefined()
  return id!
}

describe('raising an objection from the dataset page', () => {
  it('offers the form to a consumer of another department, with the standard’s fields only', async () => {
    const consumer = await as(cast.deptB.consumer)
    const dataset = await consumer.get(`/console/datasets/${data.population}`)
    expect(dataset.html).toContain(`href="/console/datasets/${data.population}/objections/new"`)
    const form = await consumer.get(`/console/datasets/${data.population}/objections/new?record_key=${KEY}`)
    expect(form.status, form.text).toBe(200)
    expect(form.html).toContain(`value="${KEY}"`)
    const offered = [...form.html.matchAll(/<select id="pv_field_0"[^>]*>([\s\S]*?)<\/select>/g)].flatMap((m) => [...m[1]!.matchAll(/value="([^"]*)"/g)].map((v) => v[1]))
    const dataset_ = (await call(world, 'GET', `/v1/datasets/${data.population}`, { token: cast.deptB.consumer.token })).body
    const standard = await call(world, 'GET', `/v1/standards/${dataset_.standard.name}/${dataset_.standard.version}`, { token: cast.deptB.consumer.token })
    expect(standard.status, standard.text).toBe(200)
    expect(offered).toEqual(['', ...Object.keys(standard.body.schema.properties)])
    expect(offered).toContain('household_region_code')

    const owner = await as(cast.deptA.approver)
    const own = await owner.get(`/console/datasets/${data.population}`)
    expect(own.html).not.toContain('/objections/new')
    expect(own.html).toContain(`href="/console/objections?view=incoming&amp;dataset=${data.population}"`)
  })

  it('refuses a bad form in place and stores nothing', async () => {
    const consumer = await as(cast.deptB.consumer)
    const before = await objectionCount()
    const form = `/console/datasets/${data.population}/objections/new`
    const action = `/console/datasets/${data.population}/objections`
    const empty = await consumer.submit(form, action, { description: '  ' })
    expect(empty.status, empty.text).toBe(400)
    expect(empty.html).toContain('role="alert"')
    expect(empty.html).toContain('body.description')
    const unknown = await consumer.submit(form, action, { description: '有误', pv_field_0: 'shoe_size', pv_value_0: '42' })
    expect(unknown.status, unknown.text).toBe(400)
    expect(unknown.html).toContain('body.proposed_value.shoe_size')
    const missing = await consumer.submit(form, action, { description: '有误', record_key: citizenId(999_999) })
    expect(missing.status, missing.text).toBe(404)
    const noGrant = await (await as(cast.social.consumer)).submit(`/console/datasets/${data.population}/objections/new`, action, { description: '有误' })
    expect(noGrant.status, noGrant.text).toBe(403)
    expect(noGrant.html, 'shown beside the form').toContain('name="description"')
    expect(await objectionCount()).toBe(before)
  })

  it('refuses a form without the session’s token, or from another origin', async () => {
    const consumer = await as(cast.deptB.consumer)
    const before = await objectionCount()
    const action = `/console/datasets/${data.population}/objections`
    expect((await consumer.post(action, { description: '有误' })).status).toBe(403)
    expect((await consumer.post(action, { csrf: 'forged', description: '有误' })).status).toBe(403)
    const token = csrfOf((await consumer.get(`/console/datasets/${data.population}/objections/new`)).html)
    expect((await consumer.post(action, { csrf: token, description: '有误' }, { origin: 'https://evil.example' })).status).toBe(403)
    expect(await objectionCount()).toBe(before)
  })
})

describe('the objection loop', () => {
  let id = ''

  it('raises an objection on a record, which shows flagged in both lists with its light and deadline', async () => {
    const consumer = await as(cast.deptB.consumer)
    id = await raiseInConsole(consumer, { record_key: KEY, description: '户籍地址已迁出', pv_field_0: 'household_region_code', pv_value_0: '330105' })
    const api = await apiObjection(cast.deptB.consumer, id)
    expect(api).toMatchObject({ record_key: KEY, description: '户籍地址已迁出', proposed_value: { household_region_code: '330105' }, status: 'raised' })

    const shown = await consumer.get(`/console/objections/${id}?done=raised`)
    expect(shown.status, shown.text).toBe(200)
    const text = textOf(shown.html)
    expect(text).toContain('异议已提出')
    expect(text).toContain('有异议')
    expect(text).toContain('_flags: ["disputed"]')
    expect(text).toContain('受理期限')
    expect(shown.html).toContain(`class="light light-${api.light}"`)
    expect(shown.html).toContain(`datetime="${api.deadline}"`)

    const raised = await consumer.get('/console/objections')
    expect(raised.html).toContain(`/console/objections/${id}`)
    expect(raised.html).toContain('flag-disputed')
    const owner = await as(cast.deptA.approver)
    const incoming = await owner.get('/console/objections')
    expect(textOf(incoming.html)).toContain('针对本单位数据的异议')
    expect(incoming.html).toContain(`/console/objections/${id}`)
    expect((await owner.get('/console/objections?status=closed')).html).not.toContain(`/console/objections/${id}`)
    expect((await owner.get('/console/objections?open=1')).html).toContain(`/console/objections/${id}`)
    expect((await owner.get(`/console/objections?dataset=${data.points}`)).html).not.toContain(`/console/objections/${id}`)
  })

  it('lets only the owner accept it, with the session’s token', async () => {
    const raiser = await as(cast.deptB.consumer)
    const page = `/console/objections/${id}`
    expect((await raiser.get(page)).html, 'the raiser has no accept form').not.toContain(`${page}/accept`)
    expect((await raiser.post(`${page}/accept`, { csrf: csrfOf((await raiser.get(page)).html) })).status, 'a consumer is not an owner').toBe(403)

    const owner = await as(cast.deptA.publisher)
    expect((await owner.get(page)).html).toContain(`action="${page}/accept"`)
    expect((await owner.post(`${page}/accept`, {})).status).toBe(403)
    expect((await apiObjection(cast.deptA.publisher, id)).status).toBe('raised')
    const accepted = await owner.submit(page, `${page}/accept`, {})
    expect(accepted.status, accepted.text).toBe(303)
    expect(accepted.location).toBe(`${page}?done=accepted`)
    expect((await apiObjection(cast.deptA.publisher, id)).status).toBe('accepted')
    const again = await owner.post(`${page}/accept`, { csrf: csrfOf((await owner.get(page)).html) })
    expect(again.status, 'accepting twice is a conflict, shown in place').toBe(409)
    expect(again.html).toContain('role="alert"')
  })

  it('resolves it as corrected by the ingest that carried the correction, chosen from the recent ones', async () => {
    const owner = await as(cast.deptA.publisher)
    const page = `/console/objections/${id}`
    const before = await owner.get(page)
    expect(before.html).toContain(`action="${page}/resolve"`)
    expect(textOf(before.html)).toContain('异议提出后，该数据集还没有新的入库批次')

    const correction = await ingestReport(world, cast.deptA.publisher, data.population, [person(2, { household_region_code: '330105' })])
    const form = await owner.get(page)
    expect(form.html).toContain(`<option value="${correction.id}">`)

    const noIngest = await owner.submit(page, `${page}/resolve`, { outcome: 'corrected', note: '已更正' })
    expect(noIngest.status, noIngest.text).toBe(400)
    expect(noIngest.html).toContain('body.ingest_id')
    expect(noIngest.html, 'the form keeps what was typed').toContain('已更正</textarea>')
    expect((await owner.post(`${page}/resolve`, { outcome: 'corrected', note: '已更正', ingest_id: correction.id })).status).toBe(403)

    const resolved = await owner.submit(page, `${page}/resolve`, { outcome: 'corrected', note: '已更正为迁出后的地址', ingest_id: correction.id })
    expect(resolved.status, resolved.text).toBe(303)
    const api = await apiObjection(cast.deptA.publisher, id)
    expect(api).toMatchObject({ status: 'resolved', outcome: 'corrected', correction_ingest_id: correction.id, light: null })
    const after = textOf((await owner.get(page)).html)
    expect(after).toContain('已办结 (已更正)')
    expect(after).toContain(correction.id)
    expect(after, 'the record is no longer flagged').not.toContain('_flags')
  })

  it('lets only the raiser close it, rating the handling', async () => {
    const page = `/console/objections/${id}`
    const ownerConsumer = await as(cast.deptA.consumer)
    const refused = await ownerConsumer.post(`${page}/close`, { csrf: csrfOf((await ownerConsumer.get(page)).html), rating: '1' })
    expect(refused.status, 'the owner’s consumer is not the raiser').toBe(403)
    const stranger = await as(cast.social.consumer)
    const hidden = await stranger.post(`${page}/close`, { csrf: csrfOf((await stranger.get('/console')).html), rating: '1' })
    expect(hidden.status, 'an organisation that may not see it gets a 404').toBe(404)

    const raiser = await as(cast.deptB.consumer)
    const form = await raiser.get(page)
    for (const score of [1, 2, 3, 4, 5]) expect(form.html).toMatch(new RegExp(`<label for="close_rating_${score}"><input type="radio" id="close_rating_${score}" name="rating" value="${score}"`))
    expect((await raiser.post(`${page}/close`, { rating: '4' })).status).toBe(403)
    const commentOnly = await raiser.submit(page, `${page}/close`, { comment: '很及时' })
    expect(commentOnly.status, commentOnly.text).toBe(400)
    expect(commentOnly.html).toContain('body.comment')
    const badScore = await raiser.submit(page, `${page}/close`, { rating: '9' })
    expect(badScore.status, badScore.text).toBe(400)
    expect((await apiObjection(cast.deptB.consumer, id)).status).toBe('resolved')

    const closed = await raiser.submit(page, `${page}/close`, { rating: '4', comment: '处理及时，更正准确' })
    expect(closed.status, closed.text).toBe(303)
    expect(closed.location).toBe(`${page}?done=closed`)
    const api = await apiObjection(cast.deptB.consumer, id)
    expect(api).toMatchObject({ status: 'closed', rating: { score: 4, comment: '处理及时，更正准确' } })
    const shown = await raiser.get(page)
    expect(textOf(shown.html)).toContain('4 分（满分 5 分） — 处理及时，更正准确')
    expect(shown.html, 'closed is final: no forms').not.toContain(`${page}/reopen"`)
    const late = await raiser.submit(page, `${page}/reopen`, { reason: '再议' })
    expect(late.status, late.text).toBe(409)
    const list = await raiser.get('/console/objections?status=closed')
    expect(textOf(list.html)).toContain('4 分（满分 5 分）')
  })

  it('lets the raiser reopen a resolved objection once, with a reason', async () => {
    const raiser = await as(cast.deptB.consumer)
    const owner = await as(cast.deptA.approver)
    const second = await raiseInConsole(raiser, { description: '缺少2025年迁入人口' })
    const page = `/console/objections/${second}`
    expect(textOf((await raiser.get(page)).html)).toContain('整个数据集')
    expect((await owner.submit(page, `${page}/accept`, {})).status).toBe(303)
    expect((await owner.submit(page, `${page}/resolve`, { outcome: 'rejected', note: '经核实数据完整' })).status).toBe(303)

    const noReason = await raiser.submit(page, `${page}/reopen`, { reason: ' ' })
    expect(noReason.status, noReason.text).toBe(400)
    expect(noReason.html).toContain('body.reason')
    const reopened = await raiser.submit(page, `${page}/reopen`, { reason: '2025年迁入的记录仍然缺失' })
    expect(reopened.status, reopened.text).toBe(303)
    expect(await apiObjection(cast.deptB.consumer, second)).toMatchObject({ status: 'accepted', reopen_reason: '2025年迁入的记录仍然缺失' })
    const history = textOf((await raiser.get(page)).html)
    expect(history).toMatch(/提出异议.*受理.*重新提出：2025年迁入的记录仍然缺失/)

    expect((await owner.submit(page, `${page}/resolve`, { outcome: 'rejected', note: '已补充核对，确无遗漏' })).status).toBe(303)
    const once = await raiser.get(page)
    expect(textOf(once.html)).toContain('该异议已重新提出过一次')
    expect(once.html).not.toContain(`action="${page}/reopen"`)
    const twice = await raiser.post(`${page}/reopen`, { csrf: csrfOf(once.html), reason: '仍有异议' })
    expect(twice.status, twice.text).toBe(409)
    expect(textOf(twice.html)).toContain('reopened once already')
  })

  it('answers an objection of others exactly like a missing one, and shows admins every objection', async () => {
    const stranger = await as(cast.social.consumer)
    const other = await stranger.get(`/console/objections/${id}`)
    const missing = await stranger.get('/console/objections/obj_doesnotexist')
    expect(other.status).toBe(404)
    expect(missing.status).toBe(404)
    expect(textOf(other.html).replace(/[0-9a-f-]{36}/g, '')).toBe(textOf(missing.html).replace(/[0-9a-f-]{36}/g, ''))
    expect((await stranger.get('/console/objections')).html).not.toContain(id)
    expect((await stranger.get(`/console/objections?dataset=${data.population}`)).html, 'no dataset title for an id typed in').not.toContain('户籍')
    expect((await stranger.get('/console/objections?view=incoming')).status, 'a consumer has no incoming list').toBe(403)

    const admin = await as(cast.admin)
    const all = await admin.get('/console/objections')
    expect(all.status, all.text).toBe(200)
    expect(textOf(all.html)).toContain('全部异议')
    expect(all.html).toContain(id)
    expect((await admin.get(`/console/objections/${id}`)).status).toBe(200)
  })
})

describe('rating an access request', () => {
  it('offers the requester a rating form once an approver decided, takes one rating, and shows it to both sides', async () => {
    const consumer = await as(cast.deptB.consumer)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population, { purpose: 'to-rate', fields: ['name'] }))
    const page = `/console/requests/${filed.id}`
    const action = `${page}/rating`
    const pending = await consumer.get(page)
    expect(pending.html, 'no form while pending').not.toContain(`action="${action}"`)
    const early = await consumer.post(action, { csrf: csrfOf(pending.html), rating: '5' })
    expect(early.status, early.text).toBe(409)
    expect(early.html).toContain('role="alert"')

    const rejected = await call(world, 'POST', `/v1/access-requests/${filed.id}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } })
    expect(rejected.status, rejected.text).toBe(200)
    const decided = await consumer.get(page)
    expect(decided.html).toContain(`action="${action}"`)
    for (const score of [1, 2, 3, 4, 5]) expect(decided.html).toContain(`<label for="request_rating_${score}"><input type="radio" id="request_rating_${score}" name="rating" value="${score}"`)
    expect((await consumer.post(action, { rating: '5' })).status).toBe(403)
    expect((await consumer.post(action, { csrf: csrfOf(decided.html), rating: '5' }, { origin: 'https://evil.example' })).status).toBe(403)
    const noScore = await consumer.submit(page, action, { comment: '很快' })
    expect(noScore.status, noScore.text).toBe(400)
    expect(noScore.html).toContain('body.score')
    expect(noScore.html, 'the form again, with the comment').toContain('很快</textarea>')

    const rated = await consumer.submit(page, action, { rating: '2', comment: '驳回理由过于简单' })
    expect(rated.status, rated.text).toBe(303)
    expect(rated.location).toBe(`${page}?done=rated#rating`)
    const api = await call(world, 'GET', `/v1/access-requests/${filed.id}/rating`, { token: cast.deptA.approver.token })
    expect(api.body).toMatchObject({ score: 2, comment: '驳回理由过于简单', rater_org_id: cast.deptB.orgId, provider_id: cast.deptA.orgId })
    const shown = textOf((await consumer.get(`${page}?done=rated`)).html)
    expect(shown).toContain('评价已提交')
    expect(shown).toContain('2 分（满分 5 分） — 驳回理由过于简单')
    const approverView = await (await as(cast.deptA.approver)).get(page)
    expect(textOf(approverView.html)).toContain('2 分（满分 5 分）')
    expect(approverView.html).not.toContain(`action="${action}"`)
    const twice = await consumer.post(action, { csrf: csrfOf((await consumer.get(page)).html), rating: '5' })
    expect(twice.status, twice.text).toBe(409)
  })

  it('has nothing to rate on a request the tier policy approved by itself, and refuses other organisations', async () => {
    const consumer = await as(cast.deptB.consumer)
    const direct = await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id', 'point_name'] }))
    expect(direct.status).toBe('approved')
    const page = await consumer.get(`/console/requests/${direct.id}`)
    expect(textOf(page.html)).toContain('按分级策略自动批准')
    expect(page.html).not.toContain('name="rating"')
    const forced = await consumer.post(`/console/requests/${direct.id}/rating`, { csrf: csrfOf(page.html), rating: '5' })
    expect(forced.status, forced.text).toBe(409)

    const stranger = await as(cast.social.consumer)
    const token = csrfOf((await stranger.get('/console')).html)
    expect((await stranger.post(`/console/requests/${direct.id}/rating`, { csrf: token, rating: '5' })).status).toBe(404)
  })
})
