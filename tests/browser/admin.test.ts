import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkAndShoot, launchChromium, startConsoleGateway, type ConsoleGateway, nav, newPage, signIn as signInAt, type Credentials, type Watched } from './support.js'

// The administration pages end to end, in Debian's Chromium against a real gateway process
// (PGlite, or PostgreSQL with TEST_DATABASE_URL): the admin creates a department, issues it a
// client and reads the secret once, sets its webhook, edits one cell of the tier grid and saves
// it, and opens a standard's schema view; an auditor sees the grid read-only.

let world: ConsoleGateway | undefined
let browser: Browser | undefined
let base = ''
let admin: Credentials
let auditor: Credentials
const api = (...args: Parameters<ConsoleGateway['api']>) => world!.api(...args)
const tokenOf = (who: Credentials) => world!.tokenOf(who)

beforeAll(async () => {
  world = await startConsoleGateway('qiao-browser-admin-')
  base = world.base
  admin = world.admin
  const adminToken = await tokenOf(admin)
  const platform = (await api('GET', '/v1/orgs?kind=platform', adminToken)).items[0].id as string
  auditor = await world.issue(adminToken, platform, '审计', ['auditor'])
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await world?.stop()
})

const signIn = (w: Watched, who: Credentials) => signInAt(w, base, who)
const main = (w: Watched) => w.page.locator('main')

describe('the administration pages in headless Chromium', () => {
  it('lets the admin create a department, issue it a client whose secret shows once, and set its webhook', async () => {
    const w = await newPage(browser!)
    await signIn(w, admin)
    await nav(w, '组织机构')
    await w.page.getByRole('link', { name: '新建组织' }).click()
    const form = w.page.getByRole('form', { name: '新建政府部门' })
    await form.getByLabel('名称').fill('某区数据资源管理局')
    await form.getByLabel('行政层级').selectOption('county')
    await form.getByLabel('行政区划代码').fill('330106')
    await form.getByRole('button', { name: '创建部门' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('组织已创建')
    expect(await w.page.locator('h1').textContent()).toBe('某区数据资源管理局')
    const orgUrl = w.page.url().replace(/\?.*$/, '')
    const orgId = orgUrl.split('/').at(-1)!

    await w.page.getByLabel('客户端名称').fill('数据交换前置机')
    await w.page.getByRole('checkbox', { name: '数据使用方' }).check()
    await w.page.getByRole('checkbox', { name: '审批人' }).check()
    await w.page.getByRole('button', { name: '签发', exact: true }).click()
    await expect.poll(() => w.page.locator('h1').textContent()).toBe('客户端已签发')
    expect(await w.page.getByRole('alert').textContent()).toContain('离开此页后将无法再次查看')
    const issued: Credentials = {
      id: await w.page.getByLabel('客户端编号（client_id）').inputValue(),
      secret: await w.page.getByLabel('客户端密钥（client_secret）').inputValue(),
    }
    expect(issued.id).toMatch(/^cli_/)
    expect(issued.secret.length).toBeGreaterThan(20)
    await checkAndShoot(w, 'admin-client-secret')
    const token = await tokenOf(issued)
    const whoami = await api('GET', '/v1/auth/whoami', token)
    expect(whoami.org_id).toBe(orgId)
    expect([...whoami.roles].sort()).toEqual(['approver', 'consumer'])

    await w.page.getByRole('link', { name: '我已保存，返回组织页面' }).click()
    await expect.poll(() => main(w).textContent()).toContain(issued.id)
    expect(await w.page.content(), 'the secret is never shown again').not.toContain(issued.secret)

    await w.page.getByLabel('回调地址').fill('https://hooks.sjzyj.example.gov.cn/qiao')
    await w.page.getByRole('button', { name: '创建回调' }).click()
    await expect.poll(() => w.page.locator('h1').textContent()).toBe('回调已创建')
    const signingSecret = await w.page.getByLabel('签名密钥（HMAC-SHA256）').inputValue()
    expect(signingSecret).toMatch(/^whsec_/)
    await w.page.getByRole('link', { name: '我已保存，返回组织页面' }).click()
    await expect.poll(() => main(w).textContent()).toContain('https://hooks.sjzyj.example.gov.cn/qiao')
    const html = await w.page.content()
    expect(html).not.toContain(signingSecret)
    expect(html).not.toContain(issued.secret)
    await checkAndShoot(w, 'admin-org')

    await nav(w, '组织机构')
    await w.page.getByLabel('类型').selectOption('department')
    await w.page.getByRole('button', { name: '查询' }).click()
    await expect.poll(() => main(w).textContent()).toContain('某区数据资源管理局')
    expect(await main(w).textContent()).not.toContain('Qiao platform')
    await checkAndShoot(w, 'admin-orgs')
    await w.context.close()
  })

  it('lets the admin edit one cell of the tier grid and save it with a reason', async () => {
    const w = await newPage(browser!)
    await signIn(w, admin)
    await nav(w, '分级策略')
    await w.page.getByLabel('L3 · 社会组织 的访问方式').selectOption('aggregate_only')
    await w.page.getByLabel('修改理由（必填，记入审计日志）').fill('社会组织对较敏感数据只取统计结果')
    await w.page.getByRole('button', { name: '保存策略' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('策略已保存')
    expect(await main(w).textContent()).toContain('第 1 版')
    await checkAndShoot(w, 'admin-policy')
    await w.context.close()
    const policy = await api('GET', '/v1/policy/tiers', await tokenOf(admin))
    expect(policy.tiers.L3.social_org).toBe('aggregate_only')
    expect(policy.updated_by).toBe(admin.id)
  })

  it('shows the standards and one standard’s schema view', async () => {
    const w = await newPage(browser!)
    await signIn(w, admin)
    await nav(w, '数据标准')
    await checkAndShoot(w, 'admin-standards')
    await w.page.locator('a[href="/console/standards/population/1.0.0"]').click()
    await expect.poll(() => w.page.locator('h1').textContent()).toContain('1.0.0')
    const text = await main(w).textContent()
    expect(text).toContain('cn-citizen-id')
    expect(text).toContain('保留前 6 位和后 4 位')
    expect(await w.page.locator('pre.schema').textContent()).toContain('"x-key": "citizen_id"')
    await checkAndShoot(w, 'admin-standard')
    await w.context.close()
  })

  it('shows an auditor the grid read-only', async () => {
    const w = await newPage(browser!)
    await signIn(w, auditor)
    await nav(w, '分级策略')
    expect(await w.page.locator('main select').count()).toBe(0)
    expect(await w.page.getByRole('button', { name: '保存策略' }).count()).toBe(0)
    expect(await main(w).textContent()).toContain('审计员只能查看策略，不能修改')
    const cell = w.page.locator('table.policy-grid tbody tr').nth(2).locator('td').nth(2)
    expect(await cell.textContent()).toContain('仅统计结果')
    await checkAndShoot(w, 'admin-policy-auditor')
    await w.context.close()
  })
})
