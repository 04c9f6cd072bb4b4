import { expect } from 'vitest'
import type { Role } from '../../src/identity/repository.js'
import { bootstrapPlatform } from '../../src/identity/service.js'
import type { TestWorld } from './app.js'

export interface ClientCredentials {
  clientId: string
  secret: string
  orgId: string
  roles: Role[]
}

export interface Actor extends ClientCredentials {
  token: string
}

/** The cast of an identity world: the platform admin and two departments and a social organisation. */
export interface Cast {
  admin: Actor
  deptA: { orgId: string; publisher: Actor; approver: Actor; consumer: Actor }
  deptB: { orgId: string; consumer: Actor }
  social: { orgId: string; consumer: Actor }
}

export async function call(world: TestWorld, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] ??= 'application/json'
  const response = await world.app.request(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  })
  const text = await response.text()
  let body: any
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = text
  }
  return { status: response.status, headers: response.headers, body, text: `${response.status} ${text}` }
}

export async function tokenFor(world: TestWorld, clientId: string, secret: string): Promise<string> {
  const res = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } })
  expect(res.status, res.text).toBe(200)
  return res.body.access_token as string
}

export async function bootstrapAdmin(world: TestWorld): Promise<Actor> {
  const created = await bootstrapPlatform(world.services.db, { requestId: 'test', actor: null, sourceIp: null, at: new Date() })
  if (!created) throw new Error('platform already bootstrapped in this world')
  const token = await tokenFor(world, created.client.id, created.secret)
  return { clientId: created.client.id, secret: created.secret, orgId: created.org.id, roles: created.client.roles, token }
}

export async function createOrg(world: TestWorld, admin: Actor, body: Record<string, unknown>): Promise<string> {
  const res = await call(world, 'POST', '/v1/orgs', { token: admin.token, body })
  expect(res.status, res.text).toBe(201)
  return res.body.id as string
}

export async function createActor(world: TestWorld, admin: Actor, orgId: string, roles: Role[]): Promise<Actor> {
  const res = await call(world, 'POST', `/v1/orgs/${orgId}/clients`, { token: admin.token, body: { name: `test ${roles.join('+')}`, roles } })
  expect(res.status, res.text).toBe(201)
  const token = await tokenFor(world, res.body.client_id, res.body.client_secret)
  return { clientId: res.body.client_id, secret: res.body.client_secret, orgId, roles, token }
}

let regionCounter = 0
export function department(name: string, region_code = '330100') {
  regionCounter++
  return { kind: 'department', name: `${name} ${regionCounter}`, level: 'city', region_code }
}

export async function createCast(world: TestWorld): Promise<Cast> {
  const admin = await bootstrapAdmin(world)
  const deptAId = await createOrg(world, admin, department('某市民政局', '330100'))
  const deptBId = await createOrg(world, admin, department('某区卫生健康局', '310115'))
  const socialId = await createOrg(world, admin, { kind: 'social_org', name: '某市志愿者协会', uscc: '52440300MJL123454Y' })
  return {
    admin,
    deptA: {
      orgId: deptAId,
      publisher: await createActor(world, admin, deptAId, ['publisher']),
      approver: await createActor(world, admin, deptAId, ['approver']),
      consumer: await createActor(world, admin, deptAId, ['consumer']),
    },
    deptB: { orgId: deptBId, consumer: await createActor(world, admin, deptBId, ['consumer']) },
    social: { orgId: socialId, consumer: await createActor(world, admin, socialId, ['consumer']) },
  }
}

export interface SecuredRequest {
  method: string
  path: string
  body?: unknown
  /** A role that may call the route; the helper issues fresh clients with it. */
  role: Role
  /** The organisation those clients belong to (the platform for admin/auditor roles). */
  orgId: string
  /** The route is open to every role: there is no "wrong role" case. */
  anyRole?: boolean
}

/**
 * The standard security cases every protected route must pass: no token, malformed token,
 * expired token, wrong role, revoked client, suspended organisation. Used by every route file.
 */
export async function expectStandardSecurity(world: TestWorld, cast: Cast, request: SecuredRequest) {
  const send = (token?: string) => call(world, request.method, request.path, { token, body: request.body })
  const expect401 = async (token: string | undefined, why: string) => {
    const res = await send(token)
    expect(res.status, `${why}: ${res.text}`).toBe(401)
    expect(res.headers.get('content-type'), why).toBe('application/problem+json')
    expect(res.headers.get('www-authenticate'), why).toMatch(/^Bearer/)
  }
  await expect401(undefined, 'no token')
  await expect401('not.a.jwt', 'malformed token')

  const fresh = await createActor(world, cast.admin, request.orgId, [request.role])
  world.clock.advance((world.services.config.QIAO_TOKEN_TTL_SECONDS + 60) * 1000)
  try {
    await expect401(fresh.token, 'expired token')
  } finally {
    world.clock.advance(-(world.services.config.QIAO_TOKEN_TTL_SECONDS + 60) * 1000)
  }

  if (!request.anyRole) {
    const otherRole: Role = request.role === 'consumer' ? 'publisher' : 'consumer'
    const wrongRoleOrg = request.orgId === cast.admin.orgId ? cast.deptA.orgId : request.orgId
    const wrong = await createActor(world, cast.admin, wrongRoleOrg, [otherRole])
    const forbidden = await send(wrong.token)
    expect(forbidden.status, `wrong role: ${forbidden.text}`).toBe(403)
  }

  const revoked = await createActor(world, cast.admin, request.orgId, [request.role])
  const revoke = await call(world, 'DELETE', `/v1/clients/${revoked.clientId}`, { token: cast.admin.token })
  expect(revoke.status, revoke.text).toBe(204)
  await expect401(revoked.token, 'revoked client')

  if (request.orgId !== cast.admin.orgId) {
    const member = await createActor(world, cast.admin, request.orgId, [request.role])
    expect((await call(world, 'POST', `/v1/orgs/${request.orgId}/suspend`, { token: cast.admin.token })).status).toBe(200)
    try {
      await expect401(member.token, 'suspended organisation')
    } finally {
      expect((await call(world, 'POST', `/v1/orgs/${request.orgId}/reinstate`, { token: cast.admin.token })).status).toBe(200)
    }
  }
}
