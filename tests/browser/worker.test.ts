import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapPlatform } from '../../src/identity/service.js'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { startWorker, type WorkerProcess } from '../support/worker.js'
import { checkAndShoot, launchChromium, nav, newPage, signIn } from './support.js'

// The same console from the Worker build in workerd (wrangler dev, PostgreSQL through the
// Hyperdrive binding): sessions, forms and pages work there as on Node. PostgreSQL only: the
// Worker has no PGlite.
describe.runIf(testServerUrl)('the console in workerd', () => {
  let database: TestDatabase
  let worker: WorkerProcess
  let browser: Browser
  let admin: { id: string; secret: string }

  beforeAll(async () => {
    database = await createTestDatabase()
    const created = await bootstrapPlatform(database.db, { requestId: 'browser', actor: null, sourceIp: null, at: new Date() })
    admin = { id: created!.client.id, secret: created!.secret }
    worker = await startWorker(database.url!, 8794)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await worker?.stop()
    await database?.drop()
  })

  it('signs in, shows the catalogue and the audit log, verifies it, and signs out', async () => {
    const w = await newPage(browser)
    await signIn(w, worker.url, admin)
    await checkAndShoot(w, 'worker-home')
    await nav(w, '数据目录')
    await checkAndShoot(w, 'worker-catalogue')
    await nav(w, '审计日志')
    await w.page.getByLabel('操作', { exact: true }).fill('console.signed_in')
    await w.page.getByRole('button', { name: '查询' }).click()
    await expect.poll(() => w.page.locator('main table').textContent()).toContain('console.signed_in')
    await w.page.getByRole('link', { name: '核验日志' }).click()
    await w.page.getByRole('button', { name: '开始核验' }).click()
    await expect.poll(() => w.page.locator('.verdict-ok').textContent()).toContain('✓ 日志完整')
    await checkAndShoot(w, 'worker-audit-verify')
    await w.page.getByRole('button', { name: '退出登录' }).click()
    await expect.poll(() => w.page.getByRole('status').textContent()).toContain('您已退出登录')
    const { rows } = await database.db.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM console_sessions')
    expect(rows).toEqual([{ revoked: true }])
    await w.context.close()
  })
})
