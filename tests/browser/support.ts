import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { bootstrapCredentials, liveApi } from '../support/live-api.js'
import { startGateway, type GatewayProcess } from '../support/process.js'

// Driving the console in Debian's Chromium, headless, through playwright-core: a watched page
// (console errors — CSP violations among them —, uncaught errors, failed loads), the checks every
// page must pass, and full-page screenshots kept in test-output/screenshots/.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = join(process.cwd(), 'test-output', 'screenshots')

export interface Credentials {
  id: string
  secret: string
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export interface Watched {
  context: BrowserContext
  page: Page
  problems: string[]
}

/** A fresh browser profile whose page reports console errors, uncaught errors and failed loads. */
export async function newPage(browser: Browser): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('requestfailed', (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`))
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
  })
  return { context, page, problems }
}

/** Checks the page as a person with a screen reader or a keyboard would need it, then screenshots it. */
export async function checkAndShoot(w: Watched, name: string) {
  await w.page.waitForLoadState('load')
  const facts = await w.page.evaluate(() => {
    const controls = [...document.querySelectorAll('input, select, textarea')].filter((el) => (el as HTMLInputElement).type !== 'hidden')
    const unlabelled = controls.filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML.slice(0, 120))
    const headers = [...document.querySelectorAll('th')].filter((th) => !th.getAttribute('scope')).length
    return { lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length, unlabelled, headers, styled: document.styleSheets.length }
  })
  expect(facts.lang, name).toMatch(/^(zh-CN|en)$/)
  expect(facts.h1, `${name}: one h1`).toBe(1)
  expect(facts.unlabelled, `${name}: form controls without a label`).toEqual([])
  expect(facts.headers, `${name}: table headers without scope`).toBe(0)
  expect(facts.styled, `${name}: the stylesheet loaded`).toBe(1)
  expect(w.problems, `${name}: console errors, CSP violations or failed loads`).toEqual([])
  await w.page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** Follows an entry of the main navigation. */
export async function nav(w: Watched, name: string) {
  await w.page.getByRole('navigation').getByRole('link', { name, exact: true }).click()
  await w.page.waitForLoadState('load')
}

export async function signIn(w: Watched, base: string, who: Credentials) {
  await w.page.goto(`${base}/console`)
  expect(new URL(w.page.url()).pathname).toBe('/console/sign-in')
  await w.page.getByLabel('客户端编号（client_id）').fill(who.id)
  await w.page.getByLabel('客户端密钥（client_secret）').fill(who.secret)
  await w.page.getByRole('button', { name: '登录' }).click()
  await w.page.waitForURL(`${base}/console`)
}


export interface ConsoleGateway {
  /** The gateway's base URL. */
  base: string
  gateway: GatewayProcess
  /** The platform admin `qiao` printed at first start. */
  admin: Credentials
  api: ReturnType<typeof liveApi>
  tokenOf(who: Credentials): Promise<string>
  /** Issues a client to an organisation (with an admin token). */
  issue(adminToken: string, orgId: string, name: string, roles: string[]): Promise<Credentials>
  stop(): Promise<void>
}

/**
 * A real gateway process for a browser test file: on a throwaway PostgreSQL database with
 * TEST_DATABASE_URL, else on PGlite in a fresh data directory; no demo world, no scheduler.
 */
export async function startConsoleGateway(dataDirPrefix: string): Promise<ConsoleGateway> {
  const env: Record<string, string> = { QIAO_SCHEDULER: 'off', LOG_LEVEL: 'warn' }
  let database: TestDatabase | undefined
  let dataDir: string | undefined
  if (testServerUrl) {
    database = await createTestDatabase({ migrated: false })
    env.DATABASE_URL = database.url!
  } else {
    dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix))
    env.QIAO_DATA_DIR = dataDir
  }
  const gateway = await startGateway(env, 60_000)
  const api = liveApi(() => gateway.url)
  const tokenOf = async (who: Credentials) =>
    (await api('POST', '/v1/auth/token', undefined, { grant_type: 'client_credentials', client_id: who.id, client_secret: who.secret })).access_token as string
  return {
    base: gateway.url,
    gateway,
    admin: bootstrapCredentials(gateway.output()),
    api,
    tokenOf,
    async issue(adminToken, orgId, name, roles) {
      const issued = await api('POST', `/v1/orgs/${orgId}/clients`, adminToken, { name, roles })
      return { id: issued.client_id, secret: issued.client_secret }
    },
    async stop() {
      await gateway.stop()
      await database?.drop()
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
