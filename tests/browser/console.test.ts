import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ndjson, person, populationDataset } from '../support/population.js'
import { checkAndShoot, launchChromium, startConsoleGateway, type ConsoleGateway, nav, newPage, signIn as signInAt, type Credentials, type Watched } from './support.js'

// The console end to end: a real gateway process (PGlite, or PostgreSQL with TEST_DATABASE_URL),
// a small world made through the API, and Debian's Chromium, headless, driven by playwright-core.
// Each role signs in and does the main task of its pages; each page is screenshotted to
// test-output/screenshots/ and checked for console errors (CSP violations are reported there),
// failed sub-resources, one h1, and a label on every form control.

let world: ConsoleGateway | undefined
let browser: Browser | undefined
let base = ''
let datasetId = ''
let consumerToken = ''
const people: Record<'consumer' | 'approver' | 'publisher' | 'auditor', Credentials> = {} as never

beforeAll(async () => {
  world = await startConsoleGateway('qiao-browser-')
  base = world.base
  await makeWorld()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await world?.stop()
})

/** Two departments, a consumer, an approver, a publisher, an auditor, a population dataset with records. */
async function makeWorld() {
  const { api, tokenOf } = world!
  const admin = await tokenOf(world!.admin)
  const client = (org: string, name: string, roles: string[]) => world!.issue(admin, org, name, roles)
  const platform = (await api('GET', '/v1/orgs?kind=platform', admin)).items[0].id as string
  const owner = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '某市公安局', level: 'city', region_code: '330100' })).id as string
  const consumerOrg = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '某区民政局', level: 'county', region_code: '310115' })).id as string
  people.publisher = await client(owner, '户籍数据发布', ['publisher'])
  people.approver = await client(owner, '共享审批', ['approver'])
  people.consumer = await client(consumerOrg, '救助核查', ['consumer'])
  people.auditor = await client(platform, '审计', ['auditor'])
  const publisher = await tokenOf(people.publisher)
  datasetId = (await api('POST', '/v1/datasets', publisher, populationDataset({ title: '户籍人口', name: '某市户籍人口基本信息' }))).id as string
  await api('POST', `/v1/datasets/${datasetId}/records`, publisher, ndjson([1, 2, 3, 4, 5, 6].map((n) => person(n))), 'application/x-ndjson')
  consumerToken = await tokenOf(people.consumer)
}

describe('the console in headless Chromium', () => {
  let requestUrl = ''
  let grantId = ''

  it('signs a consumer in, with a skip link first in the tab order', async () => {
    const w = await newPage(browser!)
    await w.page.goto(`${base}/console`)
    await checkAndShoot(w, 'sign-in')
    await w.page.keyboard.press('Tab')
    expect(await w.page.evaluate(() => document.activeElement?.textContent)).toBe('跳到正文')
    await signIn(w, people.consumer)
    await expect.poll(() => w.page.locator('h1').textContent()).toBe('首页')
    await checkAndShoot(w, 'home-consumer')
    await w.context.close()
  })

  it('lets the consumer find the dataset and request access', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.consumer)
    await nav(w, '数据目录')
    await w.page.getByLabel('关键词（代码、名称、摘要）').fill('户籍')
    await w.page.getByRole('button', { name: '查询' }).click()
    await checkAndShoot(w, 'catalogue')
    await w.page.getByRole('link', { name: '户籍人口', exact: true }).click()
    expect(w.page.url()).toBe(`${base}/console/datasets/${datasetId}`)
    await checkAndShoot(w, 'dataset')
    await w.page.getByLabel('用途').fill('最低生活保障资格核查')
    await w.page.getByLabel('法律依据').fill('《社会救助暂行办法》第十一条')
    for (const field of ['citizen_id', 'name', 'household_region_code', 'mobile', 'status']) {
      await w.page.getByRole('checkbox', { name: new RegExp(`^${field} `) }).check()
    }
    await w.page.getByLabel('使用期限（天）').fill('90')
    await w.page.getByRole('button', { name: '提交申请' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('申请已提交')
    requestUrl = w.page.url().replace(/\?.*$/, '')
    expect(requestUrl).toMatch(/\/console\/requests\/req_/)
    await checkAndShoot(w, 'request-filed')
    await nav(w, '共享申请')
    await checkAndShoot(w, 'requests-outgoing')
    await w.context.close()
  })

  it('lets the approver see the request with its light, narrow it and approve it', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.approver)
    await expect.poll(() => w.page.locator('.light').first().textContent()).toMatch(/● (正常|临近期限|逾期)/)
    await checkAndShoot(w, 'home-approver')
    await w.page.getByRole('link', { name: /^req_/ }).first().click()
    expect(w.page.url()).toBe(requestUrl)
    await checkAndShoot(w, 'request-decision')
    await w.page.getByRole('checkbox', { name: /^mobile / }).uncheck()
    await w.page.getByLabel('citizen_id 的脱敏方式').selectOption('show-first-6-last-4')
    await w.page.getByLabel('字段 1').selectOption('household_region_code')
    await w.page.getByLabel('运算 1').selectOption('prefix')
    await w.page.getByLabel('值（“属于”用逗号分隔） 1').fill('1101')
    await w.page.getByLabel('每日配额（条，留空为不限）').fill('500')
    const expiry = await w.page.getByLabel('到期日（留空为申请的期限）').getAttribute('max')
    await w.page.getByLabel('到期日（留空为申请的期限）').fill(expiry!)
    await w.page.getByRole('button', { name: '批准' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('已批准')
    grantId = (await w.page.locator('a.mono', { hasText: /^grt_/ }).textContent())!.trim()
    await checkAndShoot(w, 'request-approved')
    await w.context.close()
  })

  it('shows the consumer its grant, which reads masked records', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.consumer)
    await nav(w, '授权')
    await expect.poll(() => w.page.locator('main').textContent()).toContain(grantId)
    expect(await w.page.locator('main').textContent()).toContain('保留前 6 位和后 4 位')
    await checkAndShoot(w, 'grants-consumer')
    await w.context.close()
    const read = await fetch(`${base}/v1/datasets/${datasetId}/records`, {
      headers: { authorization: `Bearer ${consumerToken}`, 'x-purpose': encodeURIComponent('最低生活保障资格核查') },
    })
    const body = (await read.json()) as { items: Array<Record<string, string>> }
    expect(read.status, JSON.stringify(body)).toBe(200)
    expect(body.items.length).toBeGreaterThan(0)
    expect(body.items[0]!.citizen_id).toMatch(/^\d{6}\*+\w{4}$/)
    expect(body.items[0]).not.toHaveProperty('mobile')
  })

  it('shows the owner who read its data, and lets it revoke the grant', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.approver)
    await nav(w, '谁读取了我的数据')
    await expect.poll(() => w.page.locator('main').textContent()).toContain('某区民政局')
    await checkAndShoot(w, 'readers')
    await nav(w, '授权')
    await w.page.getByRole('link', { name: `撤销 ${grantId}` }).click()
    await checkAndShoot(w, 'revoke-confirm')
    await w.page.getByLabel('撤销理由（必填，记入审计日志）').fill('核查工作已完成')
    await w.page.getByRole('button', { name: '确认撤销' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('授权已撤销')
    await checkAndShoot(w, 'grants-revoked')
    await w.context.close()
    const read = await fetch(`${base}/v1/datasets/${datasetId}/records`, {
      headers: { authorization: `Bearer ${consumerToken}`, 'x-purpose': encodeURIComponent('最低生活保障资格核查') },
    })
    expect(read.status, 'revoked at once').toBe(403)
  })

  it('lets the auditor find the approval, see it included, verify the log, in English too, and sign out', async () => {
    const w = await newPage(browser!)
    await signIn(w, people.auditor)
    await nav(w, '审计日志')
    await w.page.getByLabel('操作', { exact: true }).fill('access_request.approved')
    await w.page.getByRole('button', { name: '查询' }).click()
    await checkAndShoot(w, 'audit')
    await w.page.locator('main table a').first().click()
    expect(await w.page.locator('main').textContent()).toContain(requestUrl.split('/').at(-1)!)
    const sign = w.page.getByRole('button', { name: '立即签署检查点' })
    if (await sign.count()) await sign.click()
    await expect.poll(() => w.page.locator('.verdict-ok').textContent()).toContain('✓ 已包含')
    await checkAndShoot(w, 'audit-entry')
    await nav(w, '审计日志')
    await w.page.getByRole('link', { name: '核验日志' }).click()
    await w.page.getByRole('button', { name: '开始核验' }).click()
    await expect.poll(() => w.page.locator('.verdict-ok').textContent()).toContain('✓ 日志完整')
    await checkAndShoot(w, 'audit-verify')

    await w.page.getByRole('link', { name: '切换为英文界面' }).click()
    await expect.poll(() => w.page.evaluate(() => document.documentElement.lang)).toBe('en')
    expect(await w.page.locator('h1').textContent()).toBe('Verify the log')
    await nav(w, 'Audit log')
    await checkAndShoot(w, 'audit-en')

    await w.page.getByRole('button', { name: 'Sign out' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('You have signed out')
    await checkAndShoot(w, 'signed-out')
    await w.page.goto(`${base}/console/audit`)
    expect(new URL(w.page.url()).pathname).toBe('/console/sign-in')
    await w.context.close()
  })
})

const signIn = (w: Watched, who: Credentials) => signInAt(w, base, who)
