import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { ndjson, person, populationDataset } from '../support/population.js'
import { liveApi } from '../support/live-api.js'
import { startGateway, type GatewayProcess } from '../support/process.js'

// Two Node gateway processes on one PostgreSQL: what one does, the other sees.
describe.runIf(testServerUrl)('two gateway processes on one PostgreSQL', () => {
  let database: TestDatabase
  let a: GatewayProcess
  let b: GatewayProcess
  let admin: { id: string; secret: string }

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false })
    const env = { DATABASE_URL: database.url!, QIAO_AUTH_CACHE_SECONDS: '1', QIAO_TOKEN_FAILURES_PER_MINUTE: '1000' }
    // Both start at once: migrations, key creation and bootstrap must each happen exactly once.
    ;[a, b] = await Promise.all([startGateway(env), startGateway(env)])
    const printed = [a.output(), b.output()].filter((o) => o.includes('client_secret'))
    expect(printed, 'exactly one process bootstraps the platform').toHaveLength(1)
    admin = { id: /client_id\s+(\S+)/.exec(printed[0]!)![1]!, secret: /client_secret\s+(\S+)/.exec(printed[0]!)![1]! }
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await database?.drop()
  })

  const token = async (base: string, id: string, secret: string) => {
    const res = await fetch(`${base}/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: id, client_secret: secret }) })
    return { status: res.status, token: ((await res.json()) as { access_token?: string }).access_token }
  }
  const get = (base: string, path: string, bearer: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${bearer}` } })

  it('share keys: a token from one verifies on the other', async () => {
    const issued = await token(a.url, admin.id, admin.secret)
    expect(issued.status).toBe(200)
    expect((await get(b.url, '/v1/auth/whoami', issued.token!)).status).toBe(200)
  })

  it('see a revocation made on the other within the auth cache lifetime', async () => {
    const adminToken = (await token(a.url, admin.id, admin.secret)).token!
    const platform = ((await (await get(a.url, '/v1/orgs?kind=platform', adminToken)).json()) as { items: Array<{ id: string }> }).items[0]!.id
    const created = (await (
      await fetch(`${a.url}/v1/orgs/${platform}/clients`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'both', roles: ['auditor'] }) })
    ).json()) as { client_id: string; client_secret: string }
    const victim = (await token(b.url, created.client_id, created.client_secret)).token!
    expect((await get(b.url, '/v1/auth/whoami', victim)).status).toBe(200)
    expect((await fetch(`${a.url}/v1/clients/${created.client_id}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(204)
    expect((await get(a.url, '/v1/auth/whoami', victim)).status, 'at once on the revoking process').toBe(401)
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect((await get(b.url, '/v1/auth/whoami', victim)).status, 'within QIAO_AUTH_CACHE_SECONDS on the other').toBe(401)
  })

  it('hold a daily quota exactly when reads of one grant are spread over both', async () => {
    const onA = liveApi(() => a.url)
    const onB = liveApi(() => b.url)
    const api = (base: string, ...rest: Parameters<typeof onA>) => (base === a.url ? onA : onB)(...rest)
    const adminToken = (await token(a.url, admin.id, admin.secret)).token!
    const actor = async (org: string, roles: string[]) => {
      const issued = await api(a.url, 'POST', `/v1/orgs/${org}/clients`, adminToken, { name: roles.join('+'), roles })
      return (await token(b.url, issued.client_id, issued.client_secret)).token!
    }
    const owner = (await api(a.url, 'POST', '/v1/orgs', adminToken, { kind: 'department', name: '户籍', level: 'city', region_code: '330100' })).id
    const consumerOrg = (await api(b.url, 'POST', '/v1/orgs', adminToken, { kind: 'department', name: '民政', level: 'county', region_code: '310115' })).id
    const [publisher, approver, consumer] = await Promise.all([actor(owner, ['publisher']), actor(owner, ['approver']), actor(consumerOrg, ['consumer'])])
    const dataset = (await api(a.url, 'POST', '/v1/datasets', publisher, populationDataset())).id as string
    await api(b.url, 'POST', `/v1/datasets/${dataset}/records`, publisher, ndjson(Array.from({ length: 50 }, (_, i) => person(i + 1))), 'application/x-ndjson')
    const request = await api(b.url, 'POST', '/v1/access-requests', consumer, { dataset_id: dataset, purpose: 'quota-check', legal_basis: '测试', fields: ['name', 'status'], duration_days: 30 })
    await api(a.url, 'POST', `/v1/access-requests/${request.id}/approve`, approver, { daily_quota: 100 })

    // 30 reads of 10 records, alternating between the two processes, all at once: exactly 10 fit.
    const reads = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${i % 2 ? a.url : b.url}/v1/datasets/${dataset}/records?limit=10`, { headers: { authorization: `Bearer ${consumer}`, 'x-purpose': 'quota-check' } }),
      ),
    )
    const statuses = reads.map((r) => r.status)
    expect(statuses.filter((s) => s === 200), statuses.join(',')).toHaveLength(10)
    expect(statuses.filter((s) => s === 429)).toHaveLength(20)
  })

  it('keep one audit chain under interleaved writes from both', async () => {
    // Refused logins are audited through each process's group-commit writer.
    await Promise.all(Array.from({ length: 60 }, (_, i) => token(i % 2 ? a.url : b.url, `cli_nobody${i}`, 'qs_wrong')))
    const auditorToken = (await token(b.url, admin.id, admin.secret)).token!
    const verdict = (await (await get(a.url, '/v1/audit/verify', auditorToken)).json()) as { ok: boolean; size: number }
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ ok: true })
    const refused = (await (await get(b.url, '/v1/audit?action=auth.token_refused&limit=200', auditorToken)).json()) as { items: unknown[] }
    expect(refused.items.length).toBeGreaterThanOrEqual(60)
  })
})
