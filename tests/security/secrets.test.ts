import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld({ LOG_LEVEL: 'debug' })
  cast = await createCast(world)
})
afterAll(() => world.close())

describe('secrets stay secret', () => {
  it('no client secret, secret hash, private key or bearer token appears in logs, errors, the audit log or its export', async () => {
    const issued = await call(world, 'POST', `/v1/orgs/${cast.deptA.orgId}/clients`, { token: cast.admin.token, body: { name: 'leak check', roles: ['consumer'] } })
    const secret = issued.body.client_secret as string
    await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: issued.body.client_id, client_secret: `${secret}x` } })
    await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: issued.body.client_id, client_secret: secret } })
    const failed = await call(world, 'GET', '/v1/orgs', { token: `${cast.deptA.consumer.token}tampered` })

    const { rows: hashes } = await world.services.db.query<{ secret_hash: string }>('SELECT secret_hash FROM clients')
    const { rows: keys } = await world.services.db.query<{ d: string }>("SELECT private_jwk->>'d' AS d FROM signing_keys WHERE private_jwk IS NOT NULL")
    const exported = await (await world.app.request('/v1/audit/export', { headers: { authorization: `Bearer ${cast.admin.token}` } })).text()
    const listed = (await call(world, 'GET', '/v1/audit?limit=200', { token: cast.admin.token })).text
    const clients = (await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/clients`, { token: cast.admin.token })).text
    const places = { logs: JSON.stringify(world.logs), export: exported, audit: listed, clients, error: failed.text }
    const secrets = [secret, cast.admin.secret, cast.deptA.consumer.secret, cast.deptA.consumer.token, ...hashes.map((h) => h.secret_hash.split('$').at(-1)!), ...keys.map((k) => k.d)]
    expect(exported.length).toBeGreaterThan(0)
    for (const [where, text] of Object.entries(places)) {
      for (const value of secrets) expect(text.includes(value), `${where} contains a secret`).toBe(false)
    }
  })
})
