import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../../src/identity/repository.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { accessMatrix } from './access-matrix.js'

let world: TestWorld
let cast: Cast
const byRole = new Map<Role, Actor>()

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  byRole.set('admin', cast.admin)
  byRole.set('auditor', await createActor(world, cast.admin, cast.admin.orgId, ['auditor']))
  byRole.set('publisher', cast.deptA.publisher)
  byRole.set('approver', cast.deptA.approver)
  byRole.set('consumer', cast.deptA.consumer)
})
afterAll(() => world.close())

/**
 * Every API route as "METHOD /path/{param}". The web console's HTML pages (`/` and `/console…`)
 * use session cookies, not bearer tokens: tests/console/access.test.ts holds their matrix.
 */
function documentedRoutes(): string[] {
  const routes: string[] = []
  for (const route of world.app.routes) {
    if (route.method === 'ALL') continue
    if (route.path === '/' || route.path === '/console' || route.path.startsWith('/console/')) continue
    routes.push(`${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
  }
  return [...new Set(routes)]
}

describe('the authorisation matrix', () => {
  it('has an entry for every route the app serves', () => {
    const missing = documentedRoutes().filter((r) => !accessMatrix[r])
    expect(missing, `add these routes to tests/security/access-matrix.ts`).toEqual([])
    const stale = Object.keys(accessMatrix).filter((r) => !documentedRoutes().includes(r))
    expect(stale, 'entries for routes that no longer exist').toEqual([])
  })

  it('lets exactly the listed roles through, and no anonymous caller past a protected route', async () => {
    const roles: Role[] = ['admin', 'auditor', 'publisher', 'approver', 'consumer']
    const failures: string[] = []
    let checked = 0
    for (const [route, rule] of Object.entries(accessMatrix)) {
      const [method, template] = route.split(' ') as [string, string]
      const path = (rule.path ?? template).replace('{org}', cast.deptB.orgId)
      const anonymous = await call(world, method, path, { body: rule.body })
      checked++
      if (rule.roles !== 'public' && rule.anonymous !== 'allowed' && anonymous.status !== 401) failures.push(`${route} anonymous → ${anonymous.status}`)
      if (rule.roles === 'public') continue
      for (const role of roles) {
        const res = await call(world, method, path, { token: byRole.get(role)!.token, body: rule.body })
        checked++
        const allowed = rule.roles === 'any' || rule.roles.includes(role)
        if (allowed && (res.status === 401 || res.status === 403)) failures.push(`${route} as ${role} → ${res.status} (should pass the guard)`)
        if (!allowed && res.status !== 403) failures.push(`${route} as ${role} → ${res.status} (should be 403)`)
        if (res.status >= 500) failures.push(`${route} as ${role} → ${res.status}`)
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBeGreaterThan(Object.keys(accessMatrix).length)
  })
})
