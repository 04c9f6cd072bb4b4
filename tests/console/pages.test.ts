import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { exchangeDatasets, read, type ExchangeWorld } from '../support/exchange.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { Browser, csrfOf, textOf } from './support.js'

// The console's main task per page, in process: the consumer requests access from the dataset
// page, the approver narrows and approves it, the grant shows, the owner revokes it, the auditor
// finds the approval in the log with its inclusion proof; services' refusals render as pages.

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
let auditor: Actor

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
})
afterAll(() => world.close())

async function as(actor: Actor): Promise<Browser> {
  const browser = new Browser(world)
  await browser.signIn(actor)
  return browser
}

describe('the console, page by page', () => {
  let requestId: string
  let grantId: string

  it('shows the catalogue, searchable, with the datasets the caller may see', async () => {
    const consumer = await as(cast.deptB.consumer)
    const all = await consumer.get('/console/catalogue')
    expect(all.status, all.text).toBe(200)
    expect(all.html).toContain(`/console/datasets/${data.population}`)
    const none = await consumer.get('/console/catalogue?q=nothing-matches-this')
    expect(textOf(none.html)).toContain('没有符合条件的数据集')
    const l4 = await consumer.get('/console/catalogue?tier=L4')
    expect(l4.html).toContain(data.population)
    expect(l4.html).not.toContain(data.points)
  })

  it('shows a dataset with its fields, sensitivity, default masks, tier and conformance', async () => {
    const consumer = await as(cast.deptB.consumer)
    const page = await consumer.get(`/console/datasets/${data.population}`)
    expect(page.status, page.text).toBe(200)
    const text = textOf(page.html)
    expect(text).toContain('citizen_id')
    expect(text).toContain('保留前 6 位和后 4 位') // the citizen id's default mask
    expect(text).toContain('当前分级 L4')
    expect(text).toContain('符合率')
    expect(text).toContain('筛选索引（已完成） household_region_code, status, updated_at')
    expect(text).not.toContain('构建中')
    expect(text).toContain('分级变更记录仅对提供单位和平台可见')
    const owner = await as(cast.deptA.publisher)
    const own = textOf((await owner.get(`/console/datasets/${data.population}`)).html)
    expect(own).toContain('分级变更记录')
    expect(own).toContain('登记')
    expect(own).toContain('最近的入库批次')
  })

  it('lets a consumer request access from the dataset page, and refuses a bad form in place', async () => {
    const consumer = await as(cast.deptB.consumer)
    const from = `/console/datasets/${data.population}`
    const empty = await consumer.submit(from, `${from}/request`, { purpose: '', legal_basis: '', duration_days: '30' })
    expect(empty.status, empty.text).toBe(400)
    expect(empty.html).toContain('role="alert"')
    expect(empty.html).toContain('body.purpose')

    const filed = await consumer.submit(from, `${from}/request`, {
      purpose: 'subsidy-eligibility',
      legal_basis: '《社会救助暂行办法》第十一条',
      fields: ['citizen_id', 'name', 'household_region_code', 'status'],
      duration_days: '30',
    })
    expect(filed.status, filed.text).toBe(303)
    requestId = /\/console\/requests\/(req_[a-z0-9]+)\?done=created/.exec(filed.location ?? '')?.[1] ?? ''
    expect(requestId, filed.location ?? '').toMatch(/^req_/)
    const shown = textOf((await consumer.get(filed.location!)).html)
    expect(shown).toContain('申请已提交')
    expect(shown).toContain('待审批')
  })

  it('shows the approver the pending request with its light, and approves it narrowed', async () => {
    const approver = await as(cast.deptA.approver)
    const home = await approver.get('/console')
    expect(home.status, home.text).toBe(200)
    expect(home.html).toContain(requestId)
    expect(home.html).toMatch(/class="light light-(green|yellow|red)"/)

    const detail = `/console/requests/${requestId}`
    const page = await approver.get(detail)
    expect(page.html).toContain('name="mask.citizen_id"')

    const tooWide = await approver.submit(detail, `${detail}/approve`, { fields: ['citizen_id', 'mobile'] })
    expect(tooWide.status, tooWide.text).toBe(422)
    expect(textOf(tooWide.html)).toContain('mobile was not requested')

    const approved = await approver.submit(detail, `${detail}/approve`, {
      fields: ['citizen_id', 'household_region_code', 'status'],
      'mask.citizen_id': 'show-last-4',
      rf_field_0: 'household_region_code',
      rf_op_0: 'prefix',
      rf_value_0: '3301',
      daily_quota: '100',
      note: '仅限核查',
    })
    expect(approved.status, approved.text).toBe(303)
    expect(approved.location).toBe(`${detail}?done=approved`)
    const after = await approver.get(approved.location!)
    expect(textOf(after.html)).toContain('已批准')
    grantId = /(grt_[a-z0-9]+)/.exec(after.html)?.[1] ?? ''
    expect(grantId).toMatch(/^grt_/)

    const api = await call(world, 'GET', `/v1/access-requests/${requestId}`, { token: cast.deptB.consumer.token })
    expect(api.body.status).toBe('approved')
    const grants = await call(world, 'GET', '/v1/grants?side=consumer', { token: cast.deptB.consumer.token })
    const grant = grants.body.items.find((g: { id: string }) => g.id === grantId)
    expect(grant.fields).toEqual(['citizen_id', 'household_region_code', 'status'])
    expect(grant.masks).toEqual({ citizen_id: { type: 'show-last-n', n: 4 } })
    expect(grant.row_filter).toEqual([{ field: 'household_region_code', op: 'prefix', value: '3301' }])
    expect(grant.daily_quota).toBe(100)
  })

  it('shows the consumer its grant, and the owner who read the data', async () => {
    const consumer = await as(cast.deptB.consumer)
    const grants = await consumer.get('/console/grants')
    expect(grants.html).toContain(grantId)
    expect(grants.html).not.toContain(`/console/grants/${grantId}/revoke`)
    const readRes = await read(world, cast.deptB.consumer, `/v1/datasets/${data.population}/records`, 'subsidy-eligibility')
    expect(readRes.status, readRes.text).toBe(200)

    const owner = await as(cast.deptA.approver)
    const readers = textOf((await owner.get('/console/audit/readers')).html)
    expect(readers).toContain('某区卫生健康局')
    expect(readers).toContain('subsidy-eligibility')
  })

  it('lists the grant among those ending soon, for its two organisations only', async () => {
    const consumer = await as(cast.deptB.consumer)
    expect((await consumer.get('/console/grants?view=expiring&days=31')).html).toContain(grantId)
    expect((await consumer.get('/console/grants?view=expiring&days=1')).html).not.toContain(grantId)
    const owner = await as(cast.deptA.publisher)
    expect((await owner.get('/console/grants?view=expiring&days=31')).html).toContain(grantId)
    const stranger = await as(cast.social.consumer)
    expect((await stranger.get('/console/grants?view=expiring&days=31')).html).not.toContain(grantId)
    expect((await stranger.get('/console/grants')).html).not.toContain(grantId)
    expect((await stranger.get(`/console/grants/${grantId}/revoke`)).status).toBe(403) // a consumer: not a revoker at all
    const otherDept = await createActor(world, cast.admin, cast.deptB.orgId, ['approver'])
    const outsider = await as(otherDept)
    expect((await outsider.get(`/console/grants/${grantId}/revoke`)).status, 'the consumer side cannot revoke').toBe(403)
  })

  it('lets the approver reject a request, with a reason it insists on', async () => {
    const consumer = await as(cast.deptB.consumer)
    const from = `/console/datasets/${data.population}`
    const filed = await consumer.submit(from, `${from}/request`, { purpose: 'to-reject', legal_basis: '测试', fields: ['name'], duration_days: '10' })
    const detail = filed.location!.replace(/\?.*$/, '')
    const approver = await as(cast.deptA.approver)
    const noReason = await approver.submit(detail, `${detail}/reject`, { reason: '  ' })
    expect(noReason.status, noReason.text).toBe(400)
    expect(noReason.html).toContain('body.reason')
    const rejected = await approver.submit(detail, `${detail}/reject`, { reason: '申请字段超出履职所需' })
    expect(rejected.status, rejected.text).toBe(303)
    const shown = textOf((await consumer.get(detail)).html)
    expect(shown).toContain('已驳回')
    expect(shown).toContain('申请字段超出履职所需')
    const again = await approver.post(`${detail}/approve`, { csrf: csrfOf((await approver.get(detail)).html), fields: 'name' })
    expect(again.status, 'a decided request cannot be approved').toBe(409)
  })

  it('lets the owner revoke the grant after a confirmation with a reason', async () => {
    const owner = await as(cast.deptA.approver)
    const confirm = `/console/grants/${grantId}/revoke`
    const noReason = await owner.submit(confirm, confirm, { reason: '' })
    expect(noReason.status, noReason.text).toBe(400)
    const revoked = await owner.submit(confirm, confirm, { reason: '核查已完成' })
    expect(revoked.status, revoked.text).toBe(303)
    const list = await owner.get('/console/grants?view=revoked')
    expect(list.html).toContain(grantId)
    const readRes = await read(world, cast.deptB.consumer, `/v1/datasets/${data.population}/records`, 'subsidy-eligibility')
    expect(readRes.status, readRes.text).toBe(403)
  })

  it('lets the auditor find the approval, prove its inclusion, and verify the log', async () => {
    const browser = await as(auditor)
    const found = await browser.get('/console/audit?action=access_request.approved')
    expect(found.status, found.text).toBe(200)
    const seq = /href="\/console\/audit\/(\d+)"/.exec(found.html)?.[1]
    expect(seq, found.text).toBeDefined()
    const entryPath = `/console/audit/${seq}`
    const before = textOf((await browser.get(entryPath)).html)
    expect(before).toContain(requestId)
    expect(before).toMatch(/尚未签署任何检查点|晚于最新检查点/)
    const signed = await browser.submit(entryPath, '/console/audit/checkpoints', { back: entryPath })
    expect(signed.status, signed.text).toBe(303)
    expect(signed.location).toMatch(new RegExp(`^${entryPath}\\?done=checkpoint&size=\\d+$`))
    const after = textOf((await browser.get(signed.location!)).html)
    expect(after).toContain('✓ 已包含')

    const verify = textOf((await browser.get('/console/audit/verify?run=1')).html)
    expect(verify).toContain('✓ 日志完整')
  })

  it('shows a department only the audit entries about its own datasets', async () => {
    const owner = await as(cast.deptA.approver)
    const list = await owner.get('/console/audit')
    expect(list.status, list.text).toBe(200)
    const seqs = [...list.html.matchAll(/href="\/console\/audit\/(\d+)"/g)].map((m) => Number(m[1]))
    expect(seqs.length).toBeGreaterThan(0)
    const outsider = await as(cast.deptB.consumer)
    expect((await outsider.get('/console/audit')).status).toBe(403)
    const signIn = await world.database.db.query<{ seq: number }>("SELECT seq FROM audit_log WHERE action = 'console.signed_in' ORDER BY seq LIMIT 1")
    const notMine = await owner.get(`/console/audit/${signIn.rows[0]!.seq}`)
    expect(notMine.status, notMine.text).toBe(404)
    expect(textOf(notMine.html)).not.toContain('console.signed_in')
  })

  it("answers another organisation's request exactly like a missing one", async () => {
    const stranger = await as(cast.social.consumer)
    const other = await stranger.get(`/console/requests/${requestId}`)
    const missing = await stranger.get('/console/requests/req_doesnotexist')
    expect(other.status).toBe(404)
    expect(missing.status).toBe(404)
    expect(textOf(other.html).replace(/[0-9a-f-]{36}/g, '')).toBe(textOf(missing.html).replace(/[0-9a-f-]{36}/g, ''))
  })

  it('lets a consumer withdraw a pending request', async () => {
    const consumer = await as(cast.deptB.consumer)
    const from = `/console/datasets/${data.population}`
    const filed = await consumer.submit(from, `${from}/request`, { purpose: 'to-withdraw', legal_basis: '测试', fields: ['status'], duration_days: '10' })
    expect(filed.status, filed.text).toBe(303)
    const detail = filed.location!.replace(/\?.*$/, '')
    const withdrawn = await consumer.submit(detail, `${detail}/withdraw`, {})
    expect(withdrawn.status, withdrawn.text).toBe(303)
    expect(textOf((await consumer.get(withdrawn.location!)).html)).toContain('已撤回')
  })

  it('switches the language with a cookie and says so in <html lang>', async () => {
    const browser = await as(cast.deptB.consumer)
    const zh = await browser.get('/console/catalogue')
    expect(zh.html).toContain('<html lang="zh-CN">')
    const switched = await browser.get('/console/lang?to=en&back=%2Fconsole%2Fcatalogue')
    expect(switched.status).toBe(303)
    expect(switched.location).toBe('/console/catalogue')
    const en = await browser.get('/console/catalogue')
    expect(en.html).toContain('<html lang="en">')
    expect(textOf(en.html)).toContain('Catalogue')
    const offsite = await browser.get('/console/lang?to=zh&back=https%3A%2F%2Fevil.example%2F')
    expect(offsite.location).toBe('/console')
  })
})
