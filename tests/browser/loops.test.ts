import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { citizenId, ndjson, person, populationDataset } from '../support/population.js'
import { checkAndShoot, launchChromium, startConsoleGateway, type ConsoleGateway, nav, newPage, signIn as signInAt, type Credentials, type Watched } from './support.js'

// The closed loops of the console in headless Chromium against a real gateway process: a consumer
// raises an objection on a record it reads; the owner accepts it, corrects the record by an
// ingest and resolves it naming that ingest; the consumer closes it with a rating; the consumer
// rates its decided access request; the admin opens supervision and sees the charts.
// Screenshots: objections.png, objection.png, supervision.png (and the steps between).

let world: ConsoleGateway | undefined
let browser: Browser | undefined
let base = ''
let datasetId = ''
let requestId = ''
let publisherToken = ''
const KEY = citizenId(2)
const people: Record<'admin' | 'consumer' | 'publisher', Credentials> = {} as never

beforeAll(async () => {
  world = await startConsoleGateway('qiao-loops-')
  base = world.base
  await makeWorld()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await world?.stop()
})

/** An owning department (publisher, approver), a consuming department with a granted, decided request, a population dataset. */
async function makeWorld() {
  const { api, tokenOf } = world!
  people.admin = world!.admin
  const admin = await tokenOf(people.admin)
  const client = (org: string, name: string, roles: string[]) => world!.issue(admin, org, name, roles)
  const owner = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '某市公安局', level: 'city', region_code: '330100' })).id as string
  const consumerOrg = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '某区民政局', level: 'county', region_code: '310115' })).id as string
  people.publisher = await client(owner, '户籍数据维护', ['publisher', 'approver'])
  people.consumer = await client(consumerOrg, '救助核查', ['consumer'])
  publisherToken = await tokenOf(people.publisher)
  datasetId = (await api('POST', '/v1/datasets', publisherToken, populationDataset({ title: '户籍人口', name: '某市户籍人口基本信息' }))).id as string
  await api('POST', `/v1/datasets/${datasetId}/records`, publisherToken, ndjson([1, 2, 3, 4, 5, 6].map((n) => person(n))), 'application/x-ndjson')
  const consumer = await tokenOf(people.consumer)
  const filed = await api('POST', '/v1/access-requests', consumer, {
    dataset_id: datasetId,
    purpose: '最低生活保障资格核查',
    legal_basis: '《社会救助暂行办法》第十一条',
    fields: ['citizen_id', 'name', 'household_region_code', 'status'],
    duration_days: 90,
  })
  requestId = filed.id as string
  await api('POST', `/v1/access-requests/${requestId}/approve`, publisherToken, {})
}

describe('the objection loop, ratings and supervision in headless Chromium', () => {
  let objectionUrl = ''

  it('lets the consumer raise an objection on a record from the dataset page', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.consumer)
    await w.page.goto(`${base}/console/datasets/${datasetId}`)
    await w.page.getByRole('link', { name: '对此数据集提出数据异议' }).click()
    await w.page.getByLabel(/^记录主键/).fill(KEY)
    await w.page.getByLabel('异议内容').fill('户籍地址已于本月迁出，数据未更新')
    await w.page.getByLabel('字段 1', { exact: true }).selectOption('household_region_code')
    await w.page.getByLabel('值 1', { exact: true }).fill('330105')
    await checkAndShoot(w, 'objection-raise')
    await w.page.getByRole('button', { name: '提交异议' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('异议已提出')
    objectionUrl = w.page.url().replace(/\?.*$/, '')
    expect(objectionUrl).toMatch(/\/console\/objections\/obj_/)
    expect(await w.page.locator('main').textContent()).toContain('有异议')
    await nav(w, '数据异议')
    await expect.poll(() => w.page.locator('main').textContent()).toContain(objectionUrl.split('/').at(-1)!)
    expect(await w.page.locator('main .flag-disputed').count()).toBe(1)
    expect(await w.page.locator('main .light').first().textContent()).toMatch(/● (正常|临近期限|逾期)/)
    await checkAndShoot(w, 'objections')
    await w.context.close()

    // While it is open, the record is flagged to readers.
    const token = await fetch(`${base}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: people.consumer.id, client_secret: people.consumer.secret }),
    })
    const read = await fetch(`${base}/v1/datasets/${datasetId}/records/${KEY}`, {
      headers: { authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}`, 'x-purpose': encodeURIComponent('最低生活保障资格核查') },
    })
    expect(((await read.json()) as { _flags?: string[] })._flags).toEqual(['disputed'])
  })

  it('lets the owner accept it, correct the record and resolve it naming the ingest', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.publisher)
    await nav(w, '数据异议')
    await w.page.getByRole('link', { name: objectionUrl.split('/').at(-1)! }).click()
    await w.page.getByRole('button', { name: '受理', exact: true }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('已受理')

    const ingest = await fetch(`${base}/v1/datasets/${datasetId}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publisherToken}`, 'content-type': 'application/x-ndjson' },
      body: ndjson([person(2, { household_region_code: '330105' })]),
    })
    const report = (await ingest.json()) as { id: string }
    expect(ingest.status, JSON.stringify(report)).toBe(200)
    await w.page.reload()
    await w.page.getByLabel('已更正', { exact: true }).check()
    await w.page.getByLabel('更正所用的入库批次').selectOption(report.id)
    await w.page.getByLabel('处理说明').fill('已核实迁出，户籍地址已更正')
    await checkAndShoot(w, 'objection-resolve')
    await w.page.getByRole('button', { name: '办结', exact: true }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('已办结')
    expect(await w.page.locator('main').textContent()).toContain(report.id)
    await w.context.close()
  })

  it('lets the consumer close it with a rating', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.consumer)
    await w.page.goto(objectionUrl)
    await w.page.getByLabel('4 分 · 较好').check()
    await w.page.getByLabel('评价意见（可选，须先评分）').fill('处理及时，更正准确')
    await w.page.getByRole('button', { name: '关闭异议' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('异议已关闭')
    const main = await w.page.locator('main').textContent()
    expect(main).toContain('4 分（满分 5 分） — 处理及时，更正准确')
    expect(main).toContain('已关闭')
    expect(await w.page.locator('main ol.history li').count()).toBe(4)
    await checkAndShoot(w, 'objection')
    await w.context.close()
  })

  it('lets the consumer rate its decided access request', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.consumer)
    await w.page.goto(`${base}/console/requests/${requestId}`)
    await w.page.getByLabel('5 分 · 很好').check()
    await w.page.getByLabel('评价意见（可选，须先评分）').fill('审批迅速')
    await w.page.getByRole('button', { name: '提交评价' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('评价已提交')
    expect(await w.page.locator('main').textContent()).toContain('5 分（满分 5 分） — 审批迅速')
    await checkAndShoot(w, 'request-rated')
    await w.context.close()
  })

  it('shows the admin supervision with its table and two charts', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.admin)
    await nav(w, '监管')
    await expect.poll(() => w.page.locator('h1').textContent()).toBe('监管')
    expect(await w.page.locator('svg.chart').count()).toBe(2)
    expect(await w.page.locator('svg.chart title').first().textContent()).toContain('共享申请')
    const row = w.page.locator('tr', { hasText: '某市公安局' })
    expect(await row.locator('.light').textContent()).toMatch(/● (正常|临近期限|逾期)/)
    expect(await row.textContent()).toContain('4.50 (2)') // the two ratings: 4 and 5
    await w.page.getByText('以表格查看图表数据').first().click()
    await checkAndShoot(w, 'supervision')
    await w.context.close()
  })
})

const signIn = (w: Watched, who: Credentials) => signInAt(w, base, who)
