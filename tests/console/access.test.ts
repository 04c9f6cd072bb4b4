import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/identity/repository.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { Browser, csrfOf } from './support.js'

/**
 * The console's authorisation matrix, as data: every console route, who may use it, and a
 * concrete path. It mirrors the API route behind each page (tests/security/access-matrix.ts),
 * and the test walks the app's own route list, so a console route added without an entry fails.
 * `roles: 'public'` needs no session; `'any'` is every signed-in role; `departments` narrows the
 * listed roles to department organisations.
 */
interface ConsoleRule {
  roles: 'public' | 'any' | readonly Role[]
  path?: string
  departments?: true
}

const consoleMatrix: Record<string, ConsoleRule> = {
  'GET /': { roles: 'public' },
  'GET /console/assets/console.css': { roles: 'public' },
  'GET /console/assets/icon.svg': { roles: 'public' },
  'GET /console/lang': { roles: 'public', path: '/console/lang?to=en&back=/console' },
  'GET /console/sign-in': { roles: 'public' },
  'POST /console/sign-in': { roles: 'public' },
  'POST /console/sign-out': { roles: 'any' },
  'GET /console': { roles: 'any' },
  'GET /console/catalogue': { roles: 'any' },
  'GET /console/datasets/:id': { roles: 'any', path: '/console/datasets/ds_nope' },
  'POST /console/datasets/:id/request': { roles: ['consumer'], path: '/console/datasets/ds_nope/request' },
  'GET /console/requests': { roles: ['consumer', 'approver'] },
  'GET /console/requests/:id': { roles: ['consumer', 'approver'], path: '/console/requests/req_nope' },
  'POST /console/requests/:id/approve': { roles: ['approver'], path: '/console/requests/req_nope/approve' },
  'POST /console/requests/:id/reject': { roles: ['approver'], path: '/console/requests/req_nope/reject' },
  'POST /console/requests/:id/withdraw': { roles: ['consumer'], path: '/console/requests/req_nope/withdraw' },
  'GET /console/grants': { roles: 'any' },
  'GET /console/grants/:id/revoke': { roles: ['approver', 'publisher', 'admin'], path: '/console/grants/grt_nope/revoke' },
  'POST /console/grants/:id/revoke': { roles: ['approver', 'publisher', 'admin'], path: '/console/grants/grt_nope/revoke' },
  'GET /console/audit': { roles: ['auditor', 'admin', 'publisher', 'approver'] },
  'GET /console/audit/verify': { roles: ['auditor', 'admin'] },
  'GET /console/audit/readers': { roles: ['publisher', 'approver'], departments: true },
  'GET /console/audit/:seq{[0-9]{1,15}}': { roles: ['auditor', 'admin', 'publisher', 'approver'], path: '/console/audit/999999' },
  'POST /console/audit/checkpoints': { roles: ['auditor', 'admin'] },
  // Administration (src/console/pages/admin/): the roles of GET/POST /v1/orgs…, /v1/clients…, /v1/orgs/{id}/webhook…, /v1/policy/tiers, /v1/standards…
  'GET /console/orgs': { roles: 'any' },
  'GET /console/orgs/new': { roles: ['admin'] },
  'POST /console/orgs': { roles: ['admin'] },
  'GET /console/orgs/:id': { roles: 'any', path: '/console/orgs/org_nope' },
  'GET /console/orgs/:id/suspend': { roles: ['admin'], path: '/console/orgs/org_nope/suspend' },
  'POST /console/orgs/:id/suspend': { roles: ['admin'], path: '/console/orgs/org_nope/suspend' },
  'GET /console/orgs/:id/reinstate': { roles: ['admin'], path: '/console/orgs/org_nope/reinstate' },
  'POST /console/orgs/:id/reinstate': { roles: ['admin'], path: '/console/orgs/org_nope/reinstate' },
  'POST /console/orgs/:id/clients': { roles: ['admin'], path: '/console/orgs/org_nope/clients' },
  'GET /console/clients/:id/revoke': { roles: ['admin'], path: '/console/clients/cli_nope/revoke' },
  'POST /console/clients/:id/revoke': { roles: ['admin'], path: '/console/clients/cli_nope/revoke' },
  'POST /console/orgs/:id/webhook': { roles: ['admin'], path: '/console/orgs/org_nope/webhook' },
  'GET /console/orgs/:id/webhook/delete': { roles: ['admin'], path: '/console/orgs/org_nope/webhook/delete' },
  'POST /console/orgs/:id/webhook/delete': { roles: ['admin'], path: '/console/orgs/org_nope/webhook/delete' },
  'GET /console/policy': { roles: ['admin', 'auditor'] },
  'POST /console/policy': { roles: ['admin'] },
  'GET /console/standards': { roles: 'any' },
  'GET /console/standards/:name/:version': { roles: 'any', path: '/console/standards/population/1.0.0' },
  // Objections, ratings and supervision (src/console/pages/objections.tsx, ratings.tsx, supervision.tsx)
  'GET /console/objections': { roles: ['consumer', 'publisher', 'approver', 'admin'] },
  'GET /console/objections/:id': { roles: ['consumer', 'publisher', 'approver', 'admin'], path: '/console/objections/obj_nope' },
  'POST /console/objections/:id/accept': { roles: ['publisher', 'approver'], path: '/console/objections/obj_nope/accept' },
  'POST /console/objections/:id/resolve': { roles: ['publisher', 'approver'], path: '/console/objections/obj_nope/resolve' },
  'POST /console/objections/:id/close': { roles: ['consumer'], path: '/console/objections/obj_nope/close' },
  'POST /console/objections/:id/reopen': { roles: ['consumer'], path: '/console/objections/obj_nope/reopen' },
  'GET /console/datasets/:id/objections/new': { roles: ['consumer'], path: '/console/datasets/ds_nope/objections/new' },
  'POST /console/datasets/:id/objections': { roles: ['consumer'], path: '/console/datasets/ds_nope/objections' },
  'POST /console/requests/:id/rating': { roles: ['consumer'], path: '/console/requests/req_nope/rating' },
  'GET /console/supervision': { roles: 'any' },
}

const ROLES: Role[] = ['admin', 'auditor', 'publisher', 'approver', 'consumer']

let world: TestWorld
let cast: Cast
const actors = new Map<Role, Actor>()

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  actors.set('admin', cast.admin)
  actors.set('auditor', await createActor(world, cast.admin, cast.admin.orgId, ['auditor']))
  actors.set('publisher', cast.deptA.publisher)
  actors.set('approver', cast.deptA.approver)
  actors.set('consumer', cast.deptA.consumer)
})
afterAll(() => world.close())

function consoleRoutes(): string[] {
  const routes = world.app.routes
    .filter((r) => r.method !== 'ALL' && (r.path === '/' || r.path === '/console' || r.path.startsWith('/console/')))
    .map((r) => `${r.method} ${r.path}`)
  return [...new Set(routes)]
}

const concretePath = (route: string, rule: ConsoleRule) => rule.path ?? route.split(' ')[1]!

describe("the console's authorisation matrix", () => {
  it('has an entry for every console route, and none for routes that are gone', () => {
    const routes = consoleRoutes()
    expect(routes.filter((r) => !consoleMatrix[r]), 'add these routes to the console matrix').toEqual([])
    expect(Object.keys(consoleMatrix).filter((r) => !routes.includes(r)), 'entries for routes that no longer exist').toEqual([])
  })

  it('sends a signed-out browser to sign in, and refuses its forms', async () => {
    const failures: string[] = []
    for (const [route, rule] of Object.entries(consoleMatrix)) {
      if (rule.roles === 'public') continue
      const [method] = route.split(' ') as [string]
      const path = concretePath(route, rule)
      const browser = new Browser(world)
      const res = method === 'GET' ? await browser.get(path) : await browser.post(path, { csrf: 'x' })
      if (method === 'GET') {
        if (res.status !== 303 || !res.location?.startsWith('/console/sign-in?next=')) failures.push(`${route} signed out → ${res.status} ${res.location}`)
      } else if (res.status !== 401 || !res.headers.get('content-type')?.startsWith('text/html')) {
        failures.push(`${route} signed out → ${res.status} ${res.headers.get('content-type')}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('lets exactly the listed roles through, never a 5xx', async () => {
    const failures: string[] = []
    let checked = 0
    for (const role of ROLES) {
      const actor = actors.get(role)!
      const browser = new Browser(world)
      await browser.signIn(actor)
      const token = csrfOf((await browser.get('/console')).html)
      for (const [route, rule] of Object.entries(consoleMatrix)) {
        if (rule.roles === 'public' || route === 'POST /console/sign-out') continue
        const [method] = route.split(' ') as [string]
        const path = concretePath(route, rule)
        const res = method === 'GET' ? await browser.get(path) : await browser.post(path, { csrf: token })
        checked++
        const listed = rule.roles === 'any' || rule.roles.includes(role)
        const allowed = listed && (!rule.departments || actor.orgId !== cast.admin.orgId)
        if (allowed && (res.status === 401 || res.status === 403)) failures.push(`${route} as ${role} → ${res.status} (should pass the guard)`)
        if (!allowed && res.status !== 403) failures.push(`${route} as ${role} → ${res.status} (should be 403)`)
        if (res.status >= 500) failures.push(`${route} as ${role} → ${res.status}: ${res.text.slice(0, 300)}`)
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBeGreaterThan(ROLES.length * 10)
  })

  it('lets every role sign out', async () => {
    for (const role of ROLES) {
      const browser = new Browser(world)
      await browser.signIn(actors.get(role)!)
      const out = await browser.submit('/console', '/console/sign-out', {})
      expect(out.status, `${role}: ${out.text}`).toBe(303)
      expect(out.location).toBe('/console/sign-in?done=signed-out')
    }
  })

  it('serves the public routes without a session', async () => {
    const browser = new Browser(world)
    expect((await browser.get('/')).location).toBe('/console')
    const css = await browser.get('/console/assets/console.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect((await browser.get('/console/assets/icon.svg')).headers.get('content-type')).toBe('image/svg+xml')
    expect((await browser.get('/console/sign-in')).status).toBe(200)
    const unknown = await browser.get('/console/no-such-page')
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toMatch(/^text\/html/)
  })
})
