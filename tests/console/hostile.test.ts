import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { createActor, createCast, type Cast } from '../support/identity.js'
import { Browser, csrfOf } from './support.js'

/**
 * Hostile input against every console route (tests/security/fuzz.test.ts covers the API from
 * its OpenAPI document; the console is not in it): malformed ids, query strings, form bodies
 * and content types, signed out and signed in with a valid CSRF token. Nothing may answer 5xx.
 */
const RUNS_PER_ROUTE = Number(process.env.QIAO_CONSOLE_FUZZ_RUNS ?? 60)

let world: TestWorld
let cast: Cast
const browsers: Browser[] = []
const tokens: string[] = []

beforeAll(async () => {
  world = await createTestWorld({ LOG_LEVEL: 'error', QIAO_TOKEN_FAILURES_PER_MINUTE: '10000' })
  cast = await createCast(world)
  const auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor', 'admin'])
  const everyone = await createActor(world, cast.admin, cast.deptA.orgId, ['publisher', 'approver', 'consumer'])
  for (const actor of [auditor, everyone]) {
    const browser = new Browser(world)
    await browser.signIn(actor)
    browsers.push(browser)
    tokens.push(csrfOf((await browser.get('/console')).html))
  }
})
afterAll(() => world.close())

const hostileStrings = [
  '', ' ', '0', '-1', '1e309', 'NaN', '99999999999999999999999999', "' OR 1=1 --", '%', '%00', '%2e%2e%2f', '../../etc/passwd',
  'a\u0000b', '\u202eevil', '１２３', '🙂', '<script>alert(1)</script>', '"><img src=x>', 'x'.repeat(5000), 'ds_' + 'z'.repeat(300),
  '2026-02-30T25:61', '9999-12-31T23:59', 'eyJ0IjoieCJ9', 'show-first-6-last-4', 'in', 'prefix', 'L4', 'unconditional',
]
const urlSafe = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))
const hostileString = fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ maxLength: 30 })).filter(urlSafe)

const fieldNames = [
  'csrf', 'client_id', 'client_secret', 'next', 'purpose', 'legal_basis', 'fields', 'duration_days', 'mask.citizen_id', 'rf_field_0', 'rf_op_0',
  'rf_value_0', 'daily_quota', 'expires_on', 'note', 'reason', 'back', 'q', 'tier', 'sharing', 'open', 'provider', 'cursor', 'box', 'status',
  'view', 'days', 'action', 'dataset', 'org', 'actor', 'decision', 'from', 'to', 'run', 'to', 'focus',
  // objections, ratings, supervision
  'record_key', 'description', 'pv_field_0', 'pv_value_0', 'outcome', 'ingest_id', 'rating', 'comment', 'granularity',
  // administration (organisations, clients, webhooks, tier policy)
  'kind', 'name', 'level', 'region_code', 'parent_id', 'uscc', 'uscc_reviewed', 'roles', 'url', 'active', 'rotate_secret', 'based_on',
  'cell.L4.social_org', 'cell.L1.anonymous', 'delivery_status', 'deliveries',
]

function consoleRoutes(): Array<{ method: string; path: string }> {
  const seen = new Set<string>()
  const routes: Array<{ method: string; path: string }> = []
  for (const r of world.app.routes) {
    if (r.method === 'ALL' || !(r.path === '/' || r.path.startsWith('/console'))) continue
    if (r.path === '/console/sign-out' || seen.has(`${r.method} ${r.path}`)) continue
    seen.add(`${r.method} ${r.path}`)
    routes.push({ method: r.method, path: r.path })
  }
  return routes
}

describe('hostile input to the console', () => {
  it('never answers 5xx', async () => {
    const routes = consoleRoutes()
    expect(routes.length).toBeGreaterThan(15)
    const failures: string[] = []
    let sent = 0
    for (const route of routes) {
      const request = fc.record({
        params: fc.array(hostileString, { minLength: 2, maxLength: 2 }),
        query: fc.array(fc.tuple(fc.constantFrom(...fieldNames), hostileString), { maxLength: 5 }),
        form: fc.array(fc.tuple(fc.constantFrom(...fieldNames), hostileString), { maxLength: 8 }),
        contentType: fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json', 'text/plain', ''),
        who: fc.constantFrom(-1, 0, 1),
        withToken: fc.boolean(),
      })
      await fc.assert(
        fc.asyncProperty(request, async ({ params, query, form, contentType, who, withToken }) => {
          let i = 0
          const path = route.path.replace(/:\w+(\{[^/]*\})?/g, () => encodeURIComponent(params[i++] ?? 'x'))
          const search = new URLSearchParams(query).toString()
          const browser = who >= 0 ? browsers[who]! : new Browser(world)
          const body = new URLSearchParams(form)
          if (withToken && who >= 0) body.set('csrf', tokens[who]!)
          const headers: Record<string, string> = { origin: 'http://localhost' }
          if (contentType) headers['content-type'] = contentType
          const res = await browser.request(route.method, `${path}${search ? `?${search}` : ''}`, {
            headers,
            body: route.method === 'GET' ? undefined : body.toString(),
          })
          sent++
          if (res.status >= 500) failures.push(`${route.method} ${path}?${search} → ${res.status} ${res.html.slice(0, 300)}`)
          return true
        }),
        { numRuns: RUNS_PER_ROUTE, seed: 20261123 },
      )
    }
    expect(failures.slice(0, 10)).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(routes.length * RUNS_PER_ROUTE)
  }, 300_000)
})
