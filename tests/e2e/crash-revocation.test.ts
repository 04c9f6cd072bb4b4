import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { ndjson, person, populationDataset } from '../support/population.js'
import { bootstrapCredentials, liveApi } from '../support/live-api.js'
import { startGateway, type GatewayProcess } from '../support/process.js'

// SIGKILL around grant revocations: a revocation that was answered holds after restart, and one
// cut off mid-flight is either wholly there (grant revoked + its audit entry) or wholly absent.
describe.runIf(testServerUrl)('a gateway killed during grant revocations', () => {
  let database: TestDatabase
  let gateway: GatewayProcess | undefined
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false })
  })
  afterAll(async () => {
    await gateway?.stop()
    await database?.drop()
  })

  it('keeps answered revocations and never half-writes one', async () => {
    const env = { DATABASE_URL: database.url!, QIAO_SCHEDULER: 'off', LOG_LEVEL: 'warn' }
    gateway = await startGateway(env)
    const base = () => gateway!.url
    const api = liveApi(base)
    const token = async (id: string, secret: string) => (await api('POST', '/v1/auth/token', undefined, { grant_type: 'client_credentials', client_id: id, client_secret: secret })).access_token as string
    const bootstrap = bootstrapCredentials(gateway.output())
    const admin = await token(bootstrap.id, bootstrap.secret)
    const actor = async (org: string, roles: string[]) => {
      const issued = await api('POST', `/v1/orgs/${org}/clients`, admin, { name: roles.join('+'), roles })
      return token(issued.client_id, issued.client_secret)
    }
    const owner = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '户籍', level: 'city', region_code: '330100' })).id
    const consumerOrg = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '民政', level: 'county', region_code: '310115' })).id
    const [publisher, approver, consumer] = [await actor(owner, ['publisher']), await actor(owner, ['approver']), await actor(consumerOrg, ['consumer'])]
    const dataset = (await api('POST', '/v1/datasets', publisher, populationDataset())).id as string
    await api('POST', `/v1/datasets/${dataset}/records`, publisher, ndjson([1, 2, 3].map((n) => person(n))), 'application/x-ndjson')
    const grantFor = async (purpose: string) => {
      const request = await api('POST', '/v1/access-requests', consumer, { dataset_id: dataset, purpose, legal_basis: '测试', fields: ['name', 'status'], duration_days: 30 })
      return (await api('POST', `/v1/access-requests/${request.id}/approve`, approver, {})).grant_id as string
    }
    const answeredGrant = await grantFor('answered')
    const cutGrant = await grantFor('cut-off')

    // One revocation answered, then the process killed; another sent and killed mid-flight.
    const answered = await fetch(`${base()}/v1/grants/${answeredGrant}`, { method: 'DELETE', headers: { authorization: `Bearer ${approver}` } })
    expect(answered.ok, `revocation answered ${answered.status}`).toBe(true)
    const cut = fetch(`${base()}/v1/grants/${cutGrant}`, { method: 'DELETE', headers: { authorization: `Bearer ${approver}` } }).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 5))
    gateway.child.kill('SIGKILL')
    await cut
    gateway = await startGateway(env)

    const read = (purpose: string) => fetch(`${base()}/v1/datasets/${dataset}/records`, { headers: { authorization: `Bearer ${consumer}`, 'x-purpose': purpose } })
    expect((await read('answered')).status, 'an answered revocation holds after the crash').toBe(403)
    const { rows } = await database.db.query<{ status: string; audited: boolean }>(
      `SELECT g.status, EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'grant.revoked' AND a.resource_id = g.id) AS audited
       FROM grants g WHERE g.id = $1`,
      [cutGrant],
    )
    const state = rows[0]!
    expect(state.audited, `grant ${state.status} and its audit entry commit together`).toBe(state.status === 'revoked')
    expect((await read('cut-off')).status).toBe(state.status === 'revoked' ? 403 : 200)
    const verify = await fetch(`${base()}/v1/audit/verify`, { headers: { authorization: `Bearer ${admin}` } })
    expect(await verify.json()).toMatchObject({ ok: true })
  })
})
