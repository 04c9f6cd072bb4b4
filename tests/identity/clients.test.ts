import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, expectStandardSecurity, tokenFor, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

describe('clients', () => {
  it('issues one client per Idempotency-Key: a retry answers 409 with the first client, and no secret', async () => {
    const issue = (key: string) =>
      call(world, 'POST', `/v1/orgs/${cast.deptB.orgId}/clients`, { token: cast.admin.token, headers: { 'idempotency-key': key }, body: { name: 'retried system', roles: ['consumer'] } })
    const first = await issue('issue-2026-12-03-a')
    expect(first.status, first.text).toBe(201)
    const retry = await issue('issue-2026-12-03-a')
    expect(retry.status, retry.text).toBe(409)
    expect(retry.body).toMatchObject({ code: 'conflict', reason: 'already_issued', client_id: first.body.client_id })
    expect(retry.text).not.toContain(first.body.client_secret)
    expect((await issue('issue-2026-12-03-b')).status).toBe(201)
    const { rows } = await world.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM clients WHERE name = 'retried system'`)
    expect(rows[0]!.n).toBe(2)
    const bad = await issue('has space')
    expect(bad.status, bad.text).toBe(400)
  })

  it('issues a credential whose secret is shown once and stored only as a slow hash', async () => {
    const res = await call(world, 'POST', `/v1/orgs/${cast.deptB.orgId}/clients`, {
      token: cast.admin.token,
      body: { name: 'exchange system', roles: ['consumer', 'publisher', 'consumer'] },
    })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ org_id: cast.deptB.orgId, roles: ['consumer', 'publisher'] })
    expect(res.body.client_id).toBe(res.body.id)
    const secret = res.body.client_secret as string
    const { rows } = await world.services.db.query<{ secret_hash: string }>('SELECT secret_hash FROM clients WHERE id = $1', [res.body.id])
    expect(rows[0]?.secret_hash).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect(rows[0]?.secret_hash).not.toContain(secret)
    const listed = await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}/clients`, { token: cast.admin.token })
    expect(listed.text).not.toContain(secret)
    expect(listed.text).not.toContain('secret_hash')
    expect(await tokenFor(world, res.body.client_id, secret)).toBeTypeOf('string')
  })

  it('dates organisations and clients by the gateway’s clock, as their audit entries are', async () => {
    world.clock.advance(60_000) // within token lifetimes, and far from the database's own now()
    const at = world.clock.now().toISOString()
    const org = await call(world, 'POST', '/v1/orgs', { token: cast.admin.token, body: { kind: 'department', name: '某县统计局', level: 'county', region_code: '330102' } })
    expect(org.status, org.text).toBe(201)
    expect(org.body.created_at).toBe(at)
    const client = await call(world, 'POST', `/v1/orgs/${org.body.id}/clients`, { token: cast.admin.token, body: { name: 'stats system', roles: ['consumer'] } })
    expect(client.status, client.text).toBe(201)
    const listed = await call(world, 'GET', `/v1/orgs/${org.body.id}/clients`, { token: cast.admin.token })
    expect(listed.body.items.map((c: { created_at: string }) => c.created_at)).toEqual([at])
    const { rows } = await world.services.db.query<{ at: Date }>(`SELECT at FROM audit_log WHERE action = 'client.issued' AND content ->> 'resource_id' = $1`, [client.body.id])
    expect(rows.map((r) => r.at.toISOString())).toEqual([at])
  })

  it('keeps admin and auditor for the platform organisation', async () => {
    const res = await call(world, 'POST', `/v1/orgs/${cast.deptA.orgId}/clients`, { token: cast.admin.token, body: { name: 'x', roles: ['admin'] } })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors[0]).toMatchObject({ path: 'body.roles', code: 'platform_only' })
    const auditor = await call(world, 'POST', `/v1/orgs/${cast.admin.orgId}/clients`, { token: cast.admin.token, body: { name: 'audit office', roles: ['auditor'] } })
    expect(auditor.status, auditor.text).toBe(201)
  })

  it('refuses unknown roles and 404s an unknown organisation', async () => {
    expect((await call(world, 'POST', `/v1/orgs/${cast.deptA.orgId}/clients`, { token: cast.admin.token, body: { name: 'x', roles: ['root'] } })).status).toBe(400)
    expect((await call(world, 'POST', '/v1/orgs/org_nope/clients', { token: cast.admin.token, body: { name: 'x', roles: ['consumer'] } })).status).toBe(404)
  })

  it('revokes: tokens stop working at once and no new ones are issued; revoking again is harmless', async () => {
    const issued = (await call(world, 'POST', `/v1/orgs/${cast.social.orgId}/clients`, { token: cast.admin.token, body: { name: 'r', roles: ['consumer'] } })).body
    const token = await tokenFor(world, issued.client_id, issued.client_secret)
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(200)
    expect((await call(world, 'DELETE', `/v1/clients/${issued.client_id}`, { token: cast.admin.token })).status).toBe(204)
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(401)
    const again = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: issued.client_id, client_secret: issued.client_secret } })
    expect(again.body.error).toBe('invalid_client')
    expect((await call(world, 'DELETE', `/v1/clients/${issued.client_id}`, { token: cast.admin.token })).status).toBe(204)
    expect((await call(world, 'DELETE', '/v1/clients/cli_nope', { token: cast.admin.token })).status).toBe(404)
    const { rows } = await world.services.db.query('SELECT 1 FROM audit_log WHERE action = $1 AND resource_id = $2', ['client.revoked', issued.client_id])
    expect(rows).toHaveLength(1)
  })

  it('a revocation made elsewhere is seen within the auth cache lifetime', async () => {
    const issued = (await call(world, 'POST', `/v1/orgs/${cast.deptA.orgId}/clients`, { token: cast.admin.token, body: { name: 'cached', roles: ['consumer'] } })).body
    const token = await tokenFor(world, issued.client_id, issued.client_secret)
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(200)
    // Another gateway process revokes it: this process's cache does not know yet.
    await world.services.db.query("UPDATE clients SET status = 'revoked' WHERE id = $1", [issued.client_id])
    world.clock.advance((world.services.config.QIAO_AUTH_CACHE_SECONDS + 1) * 1000)
    expect((await call(world, 'GET', '/v1/orgs', { token })).status).toBe(401)
  })

  it('passes the standard security cases (issue and revoke)', async () => {
    await expectStandardSecurity(world, cast, {
      method: 'POST',
      path: `/v1/orgs/${cast.deptB.orgId}/clients`,
      body: { name: 's', roles: ['consumer'] },
      role: 'admin',
      orgId: cast.admin.orgId,
    })
    await expectStandardSecurity(world, cast, { method: 'DELETE', path: '/v1/clients/cli_nope', role: 'admin', orgId: cast.admin.orgId })
  })
})
