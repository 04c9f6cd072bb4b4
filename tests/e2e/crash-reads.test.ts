import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_POINT_STANDARD, servicePoint, servicePointDataset } from '../support/catalog.js'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { bootstrapCredentials, liveApi } from '../support/live-api.js'
import { startGateway, type GatewayProcess } from '../support/process.js'

// SIGKILL during a burst of audited reads: every read that was answered must have its audit
// entry after restart (an access is answered only once its entry is committed), and the chain
// must verify.
describe.runIf(testServerUrl)('a gateway killed during a burst of audited reads', () => {
  let database: TestDatabase
  let gateway: GatewayProcess | undefined
  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false })
  })
  afterAll(async () => {
    await gateway?.stop()
    await database?.drop()
  })

  it('answered no read without its audit entry', async () => {
    const env = { DATABASE_URL: database.url!, QIAO_SCHEDULER: 'off', LOG_LEVEL: 'warn' }
    gateway = await startGateway(env)
    const base = gateway.url
    const api = liveApi(() => base)
    const token = async (id: string, secret: string) => (await api('POST', '/v1/auth/token', undefined, { grant_type: 'client_credentials', client_id: id, client_secret: secret })).access_token as string
    const bootstrap = bootstrapCredentials(gateway.output())
    const admin = await token(bootstrap.id, bootstrap.secret)
    const org = (await api('POST', '/v1/orgs', admin, { kind: 'department', name: '某市政务服务中心', level: 'city', region_code: '330100' })).id
    const issued = await api('POST', `/v1/orgs/${org}/clients`, admin, { name: 'p', roles: ['publisher'] })
    const publisher = await token(issued.client_id, issued.client_secret)
    await api('POST', '/v1/standards', admin, SERVICE_POINT_STANDARD)
    const dataset = (await api('POST', '/v1/datasets', publisher, servicePointDataset())).id as string
    await api('POST', `/v1/datasets/${dataset}/records`, publisher, [1, 2, 3, 4, 5].map((n) => servicePoint(n)))

    // Anonymous reads of an openly published L1 dataset, each audited; kill the process mid-burst.
    const answered: string[] = []
    const reads = Array.from({ length: 400 }, (_, i) =>
      fetch(`${base}/v1/datasets/${dataset}/records`, { headers: { 'x-request-id': `burst-${i}` } })
        .then((res) => {
          if (res.status === 200) answered.push(`burst-${i}`)
          if (answered.length === 40) gateway!.child.kill('SIGKILL')
        })
        .catch(() => undefined),
    )
    await Promise.all(reads)
    expect(answered.length, 'some reads were answered before the kill').toBeGreaterThanOrEqual(40)
    expect(answered.length, 'the kill interrupted the burst').toBeLessThan(400)

    gateway = await startGateway(env)
    const { rows } = await database.db.query<{ request_id: string }>(
      "SELECT content->>'request_id' AS request_id FROM audit_log WHERE dataset_id = $1 AND action = 'dataset.read'",
      [dataset],
    )
    const audited = new Set(rows.map((r) => r.request_id))
    expect(answered.filter((id) => !audited.has(id)), 'answered reads without an audit entry').toEqual([])
    const verify = await fetch(`${gateway.url}/v1/audit/verify`, { headers: { authorization: `Bearer ${admin}` } })
    expect(await verify.json()).toMatchObject({ ok: true })
  })
})
