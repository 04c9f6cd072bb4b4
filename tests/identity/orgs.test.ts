import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, department, expectStandardSecurity, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

describe('POST /v1/orgs', () => {
  it('creates a department with a checked region code and a parent', async () => {
    const res = await call(world, 'POST', '/v1/orgs', {
      token: cast.admin.token,
      body: { ...department('某县民政局', '330102'), level: 'county', parent_id: cast.deptA.orgId },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ kind: 'department', level: 'county', region_code: '330102', parent_id: cast.deptA.orgId, status: 'active' })
    expect(res.body.id).toMatch(/^org_/)
  })

  it('refuses a malformed region code, naming the field', async () => {
    const res = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: department('x', '990000') })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors[0]).toMatchObject({ path: 'body.region_code', code: 'format.cn-admin-division.province' })
  })

  it('refuses a parent that is not a department', async () => {
    const res = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { ...department('y'), parent_id: cast.social.orgId } })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors[0].path).toBe('body.parent_id')
  })

  it('creates social organisations only with a valid credit code', async () => {
    const ok = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'social_org', name: '某基金会', uscc: '12310115MA01ABCD5H' } })
    expect(ok.status, ok.text).toBe(201)
    const bad = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'social_org', name: 'z', uscc: '91350100M000100Y44' } })
    expect(bad.status, bad.text).toBe(400)
    expect(bad.body.errors[0]).toMatchObject({ path: 'body.uscc', code: 'format.cn-uscc.checksum' })
    expect(bad.body.detail).toContain('uscc_reviewed')
  })

  it('accepts a pilot code that fails only its checksum when the admin marks it reviewed', async () => {
    const res = await call(world, 'POST', '/v1/orgs', {
      token: cast.admin.token,
      body: { kind: 'social_org', name: '试点协会', uscc: '91350100M0001TGQXM', uscc_reviewed: true },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body.uscc_reviewed).toBe(true)
  })

  it('refuses a duplicate credit code', async () => {
    const res = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'social_org', name: 'dup', uscc: '52440300MJL123454Y' } })
    expect(res.status, res.text).toBe(409)
  })

  it('refuses an unknown kind and a missing name', async () => {
    const res = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'platform', name: 'second platform' } })
    expect(res.status, res.text).toBe(400)
    const missing = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'department', level: 'city', region_code: '330100' } })
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('body.name')
  })

  it('records the creation in the audit log in the same transaction', async () => {
    const res = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: department('审计') })
    const { rows } = await world.services.db.query<{ action: string; actor_client_id: string }>(
      'SELECT action, actor_client_id FROM audit_log WHERE resource_id = $1',
      [res.body.id],
    )
    expect(rows).toEqual([{ action: 'org.created', actor_client_id: cast.admin.clientId }])
  })

  it('passes the standard security cases', async () => {
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/orgs', body: department('sec'), role: 'admin', orgId: cast.admin.orgId })
  })
})

describe('GET /v1/orgs', () => {
  it('lists for any authenticated client, with cursor pagination and filters', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(world, 'GET', `/v1/orgs?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: cast.social.consumer.token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((o: { id: string }) => o.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual(expect.arrayContaining([cast.deptA.orgId, cast.deptB.orgId, cast.social.orgId, cast.admin.orgId]))
    const socials = await call(world, 'GET', '/v1/orgs?kind=social_org', { token: cast.deptA.consumer.token })
    expect(socials.body.items.every((o: { kind: string }) => o.kind === 'social_org')).toBe(true)
  })

  it('rejects a forged cursor and an oversized page', async () => {
    expect((await call(world, 'GET', '/v1/orgs?cursor=%%%', { token: cast.admin.token })).status).toBe(400)
    expect((await call(world, 'GET', '/v1/orgs?limit=100000', { token: cast.admin.token })).status).toBe(400)
  })

  it('reads one, and 404s an unknown id', async () => {
    const res = await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}`, { token: cast.deptA.consumer.token })
    expect(res.body).toMatchObject({ id: cast.deptB.orgId, region_code: '310115' })
    expect((await call(world, 'GET', '/v1/orgs/org_nope', { token: cast.admin.token })).status).toBe(404)
  })

  it('passes the standard security cases', async () => {
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/orgs', role: 'consumer', orgId: cast.deptA.orgId, anyRole: true })
  })
})

describe('suspension', () => {
  it('stops the organisation’s clients getting and using tokens, until reinstated', async () => {
    const orgId = (await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: department('停用') })).body.id
    const issued = (await call(world, 'POST', `/v1/orgs/${orgId}/clients`, { token: cast.admin.token, body: { name: 'c', roles: ['consumer'] } })).body
    const token = (await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: issued.client_id, client_secret: issued.client_secret } })).body.access_token
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(200)

    const suspended = await call(world, 'POST', `/v1/orgs/${orgId}/suspend`, { token: cast.admin.token })
    expect(suspended.body.status).toBe('suspended')
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(401)
    const refused = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: issued.client_id, client_secret: issued.client_secret } })
    expect(refused.status).toBe(401)
    expect(refused.body.error).toBe('invalid_client')

    await call(world, 'POST', `/v1/orgs/${orgId}/reinstate`, { token: cast.admin.token })
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(200)
  })

  it('is admin only and never suspends the platform', async () => {
    expect((await call(world, 'POST', `/v1/orgs/${cast.deptB.orgId}/suspend`, { token: cast.deptA.approver.token })).status).toBe(403)
    expect((await call(world, 'POST', `/v1/orgs/${cast.admin.orgId}/suspend`, { token: cast.admin.token })).status).toBe(409)
  })
})
