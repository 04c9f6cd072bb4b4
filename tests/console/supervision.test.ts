import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { approve, exchangeDatasets, fileRequest, read, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { call, createActor, type Actor, createCast, type Cast } from '../support/identity.js'
import { Browser, textOf } from './support.js'

// The supervision page in process: every figure of its tables is the figure GET /v1/supervision
// answers the same caller (all time and over a period), each row has the report's light, the
// charts are SVG with a title, a description and a table of the same figures, and who sees which
// rows is the service's rule.
//
// Timeline (China time): Mon 2 Mar deptB asks for deptA's population twice (r1, r2) and for its
// service points (direct); the social organisation asks for the population's aggregates (left
// pending) and reads the service points; deptB objects to the population. Tue 3 Mar r1 approved
// and rated 5; deptB reads. Thu 5 Mar r2 rejected. Fri 20 Mar: the social organisation's request
// (due 16 Mar) and the objection (accept by 5 Mar) are overdue, so deptA is red.

const at = (local: string) => new Date(`${local}:00+08:00`)

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
let auditor: Actor
let platformConsumer: Actor

beforeAll(async () => {
  world = await createTestWorld()
  world.clock.set(at('2026-03-02T09:00'))
  cast = await createCast(world)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
  platformConsumer = await createActor(world, cast.admin, cast.admin.orgId, ['consumer'])
  data = await exchangeDatasets(world, cast)
  world.clock.set(at('2026-03-02T10:00'))
  await refreshTokens(world, [cast.deptB.consumer, cast.social.consumer])
  const r1 = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
  const r2 = await fileRequest(world, cast.deptB.consumer, requestBody(data.population, { purpose: 'second' }))
  expect((await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id', 'point_name'], purpose: 'service-directory' }))).status).toBe('approved')
  expect((await fileRequest(world, cast.social.consumer, requestBody(data.population, { fields: ['sex', 'household_region_code'], purpose: 'volunteer-matching' }))).status).toBe('pending')
  expect((await read(world, cast.social.consumer, `/v1/datasets/${data.points}/records`, 'volunteer-matching')).status).toBe(200)
  const objection = await call(world, 'POST', `/v1/datasets/${data.population}/objections`, { token: cast.deptB.consumer.token, body: { description: '缺少迁入人口' } })
  expect(objection.status, objection.text).toBe(201)

  world.clock.set(at('2026-03-03T11:00'))
  await refreshTokens(world, [cast.admin, auditor, platformConsumer, cast.deptA.approver, cast.deptA.publisher, cast.deptA.consumer, cast.deptB.consumer, cast.social.consumer])
  await approve(world, cast.deptA.approver, r1.id)
  expect((await call(world, 'POST', `/v1/access-requests/${r1.id}/rating`, { token: cast.deptB.consumer.token, body: { score: 5 } })).status).toBe(201)
  expect((await read(world, cast.deptB.consumer, `/v1/datasets/${data.population}/records`, 'subsidy-eligibility')).status).toBe(200)

  world.clock.set(at('2026-03-05T15:00'))
  await refreshTokens(world, [cast.deptA.approver])
  expect((await call(world, 'POST', `/v1/access-requests/${r2.id}/reject`, { token: cast.deptA.approver.token, body: { reason: '重复申请' } })).status).toBe(200)

  world.clock.set(at('2026-03-20T10:00'))
  await refreshTokens(world, [cast.admin, auditor, platformConsumer, cast.deptA.approver, cast.deptA.publisher, cast.deptA.consumer, cast.deptB.consumer, cast.social.consumer])
})
afterAll(() => world.close())

async function as(actor: Actor): Promise<Browser> {
  const browser = new Browser(world)
  await browser.signIn(actor)
  return browser
}

type Report = { departments: Array<Record<string, any>>; social_orgs: Array<Record<string, any>> }

async function api(actor: Actor, query = ''): Promise<Report> {
  const res = await call(world, 'GET', `/v1/supervision${query}`, { token: actor.token })
  expect(res.status, res.text).toBe(200)
  return res.body
}

const LIGHT_WORDS: Record<string, string> = { green: '● 正常', yellow: '● 临近期限', red: '● 逾期' }

/** A department's row as the page must show it, cell by cell, from the API's figures. */
function departmentCells(d: Record<string, any>): string[] {
  const rate = d.ingests.conformance_rate as number | null
  return [
    d.name,
    LIGHT_WORDS[d.light]!,
    ...['L1', 'L2', 'L3', 'L4'].map((tier) => String(d.datasets.by_tier[tier])),
    String(d.datasets.active),
    rate === null ? '—' : `${(rate * 100).toFixed(2)}%`,
    String(d.access_requests.received),
    String(d.access_requests.decided),
    String(d.access_requests.overdue),
    d.access_requests.median_decision_working_days === null ? '—' : String(d.access_requests.median_decision_working_days),
    String(d.objections.open),
    String(d.objections.overdue),
    d.ratings.average === null ? '—' : `${d.ratings.average.toFixed(2)} (${d.ratings.count})`,
    ...['department', 'social_org', 'platform', 'anonymous'].map((kind) => String(d.reads_served[kind].reads)),
    String(d.tier_overrides.lowered),
  ]
}

function socialCells(s: Record<string, any>): string[] {
  const purposes = (s.reads_by_purpose as Array<{ purpose: string; reads: number; records: number }>).map((p) => `${p.purpose}：${p.reads} 次，${p.records} 条`).join(' ')
  return [s.name, String(s.grants_held), String(s.reads.reads), String(s.reads.records), purposes || '—']
}

/** The cells of the table row for an organisation, as text. */
function rowCells(html: string, orgId: string): string[] {
  const row = new RegExp(`<tr data-org="${orgId}">([\\s\\S]*?)</tr>`).exec(html)?.[1]
  if (!row) throw new Error(`no row for ${orgId} on the page`)
  return [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => textOf(m[1]!))
}

const rowsOn = (html: string) => [...html.matchAll(/<tr data-org="([^"]+)">/g)].map((m) => m[1])

describe('the supervision page', () => {
  it('shows the admin every department and social organisation, each figure as the API has it', async () => {
    const admin = await as(cast.admin)
    const page = await admin.get('/console/supervision')
    expect(page.status, page.text).toBe(200)
    const report = await api(cast.admin)
    expect(report.departments.length).toBeGreaterThanOrEqual(2)
    for (const d of report.departments) expect(rowCells(page.html, d.org_id), d.name).toEqual(departmentCells(d))
    for (const s of report.social_orgs) expect(rowCells(page.html, s.org_id), s.name).toEqual(socialCells(s))
    expect(rowsOn(page.html).sort()).toEqual([...report.departments, ...report.social_orgs].map((r) => r.org_id).sort())

    // The world is as the timeline says, so the comparison compared something.
    const deptA = report.departments.find((d) => d.org_id === cast.deptA.orgId)!
    expect(deptA).toMatchObject({ light: 'red', access_requests: { received: 4, decided: 2, overdue: 1, median_decision_working_days: 2 }, objections: { open: 1, overdue: 1 }, ratings: { count: 1, average: 5 } })
    expect(deptA.reads_served.department.reads).toBe(1)
    expect(deptA.reads_served.social_org.reads).toBe(1)
    expect(rowCells(page.html, cast.deptA.orgId)[1]).toBe('● 逾期')
    expect(page.html).toContain(`<tr data-org="${cast.deptA.orgId}"><th scope="row">`)
    expect(report.departments.find((d) => d.org_id === cast.deptB.orgId)!.light).toBe('green')
  })

  it('shows the same figures over a period', async () => {
    const auditorPage = await (await as(auditor)).get('/console/supervision?from=2026-03-03&to=2026-03-04')
    expect(auditorPage.status, auditorPage.text).toBe(200)
    expect(textOf(auditorPage.html)).toContain('统计期间：2026-03-03 至 2026-03-04')
    const report = await api(auditor, '?from=2026-03-03&to=2026-03-04')
    for (const d of report.departments) expect(rowCells(auditorPage.html, d.org_id), d.name).toEqual(departmentCells(d))
    for (const s of report.social_orgs) expect(rowCells(auditorPage.html, s.org_id), s.name).toEqual(socialCells(s))
    const deptA = report.departments.find((d) => d.org_id === cast.deptA.orgId)!
    expect(deptA.access_requests).toMatchObject({ received: 0, decided: 1 })
  })

  it('shows a department its own row only, a social organisation its own, and refuses other platform clients', async () => {
    const owner = await (await as(cast.deptA.approver)).get('/console/supervision')
    expect(owner.status, owner.text).toBe(200)
    const own = await api(cast.deptA.approver)
    expect(rowsOn(owner.html)).toEqual([cast.deptA.orgId])
    expect(rowCells(owner.html, cast.deptA.orgId)).toEqual(departmentCells(own.departments[0]!))
    expect(owner.html, 'no choice of department for a member').not.toContain('id="provider"')

    const social = await (await as(cast.social.consumer)).get('/console/supervision')
    expect(social.status, social.text).toBe(200)
    expect(rowsOn(social.html)).toEqual([cast.social.orgId])
    const socialApi = await api(cast.social.consumer)
    expect(rowCells(social.html, cast.social.orgId)).toEqual(socialCells(socialApi.social_orgs[0]!))
    expect(social.html, 'no request charts for a social organisation').not.toContain('<svg')

    const refused = await (await as(platformConsumer)).get('/console/supervision')
    expect(refused.status, refused.text).toBe(403)
    const api403 = await call(world, 'GET', '/v1/supervision', { token: platformConsumer.token })
    expect(api403.status).toBe(403)
  })

  it('draws both charts as SVG with a title, a description and the same figures as a table', async () => {
    const admin = await as(cast.admin)
    const page = await admin.get('/console/supervision?from=2026-03-01&to=2026-03-31&granularity=month')
    expect(page.status, page.text).toBe(200)
    const svgs = [...page.html.matchAll(/<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)]
    expect(svgs).toHaveLength(2)
    for (const [, labelledBy, inner] of svgs) {
      const [titleId, descId] = labelledBy!.split(' ')
      expect(inner).toContain(`<title id="${titleId}">`)
      expect(inner).toContain(`<desc id="${descId}">`)
    }
    expect(page.html, 'no inline styles').not.toMatch(/\sstyle=/)
    expect(page.html, 'no script').not.toMatch(/<script/i)

    const report = await api(cast.admin, '?from=2026-03-01&to=2026-03-31')
    const received = report.departments.reduce((n, d) => n + d.access_requests.received, 0)
    const decided = report.departments.reduce((n, d) => n + d.access_requests.decided, 0)
    const requestsTable = /<caption>共享申请：收到与决定（每月）<\/caption>[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page.html)?.[1] ?? ''
    const rows = [...requestsTable.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => textOf(c[1]!)))
    expect(rows).toEqual([['2026-03-01 – 2026-03-31', String(received), String(decided)]])
    expect(received).toBe(4)
    // Two bars (received, decided) for the one month, each with its figure as a tooltip.
    expect(svgs[0]![2]).toContain(`<title>2026-03-01 – 2026-03-31: 收到 ${received}</title>`)

    const decisions = /<caption>决定用时分布（工作日）<\/caption>[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page.html)?.[1] ?? ''
    const bins = [...decisions.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => textOf(c[1]!)))
    expect(bins.reduce((n, b) => n + Number(b[1]), 0)).toBe(decided)
    expect(bins.filter((b) => b[1] !== '0')).toEqual([
      ['1', '1'],
      ['3', '1'],
    ])
    expect(bins.at(-1)).toEqual(['11 (超期)', '0'])
    expect(svgs[1]![2]).toContain('class="chart-marker"')
  })

  it('narrows the admin’s charts to one department, and a member’s charts are its own', async () => {
    const admin = await as(cast.admin)
    const deptB = await admin.get(`/console/supervision?provider=${cast.deptB.orgId}`)
    expect(deptB.status, deptB.text).toBe(200)
    const name = (await api(cast.admin)).departments.find((d) => d.org_id === cast.deptB.orgId)!.name
    expect(textOf(deptB.html)).toContain(`${name}：收到 0 件，决定 0 件`)
    const owner = await (await as(cast.deptA.approver)).get('/console/supervision')
    const ownName = (await api(cast.deptA.approver)).departments[0]!.name
    expect(textOf(owner.html)).toContain(`${ownName}：共 2 件，中位数 2 个工作日`)
  })

  it('asks for both ends of a period, and for dates', async () => {
    const admin = await as(cast.admin)
    const half = await admin.get('/console/supervision?from=2026-03-01')
    expect(half.status, half.text).toBe(400)
    expect(half.html).toContain('role="alert"')
    expect(half.html).toContain('query.to')
    const notADate = await admin.get('/console/supervision?from=2026-02-30&to=2026-03-01')
    expect(notADate.status, notADate.text).toBe(400)
    expect(notADate.html).toContain('query.from')
    const backwards = await admin.get('/console/supervision?from=2026-03-02&to=2026-03-01')
    expect(backwards.status).toBe(400)
    const tooMany = await admin.get('/console/supervision?from=2020-01-01&to=2026-03-01&granularity=week')
    expect(tooMany.status, tooMany.text).toBe(400)
    expect(tooMany.html).toContain('query.granularity')
  })
})
