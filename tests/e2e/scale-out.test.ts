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

  it('refuse a grant revoked through one at the very next read on the other (grants are never cached)', async () => {
    const adminToken = (await token(a.url, admin.id, admin.secret)).token!
    const onA = liveApi(() => a.url)
    const actor = async (org: string, roles: string[]) => {
      const issued = await onA('POST', `/v1/orgs/${org}/clients`, adminToken, { name: roles.join('+'), roles })
      return (await token(a.url, issued.client_id, issued.client_secret)).token!
    }
    const owner = (await onA('POST', '/v1/orgs', adminToken, { kind: 'department', name: '公安', level: 'city', region_code: '330100' })).id
    const consumerOrg = (await onA('POST', '/v1/orgs', adminToken, { kind: 'department', name: '人社', level: 'county', region_code: '310115' })).id
    const [publisher, approver, consumer] = await Promise.all([actor(owner, ['publisher']), actor(owner, ['approver']), actor(consumerOrg, ['consumer'])])
    const dataset = (await onA('POST', '/v1/datasets', publisher, populationDataset())).id as string
    await onA('POST', `/v1/datasets/${dataset}/records`, publisher, ndjson([person(1), person(2)]), 'application/x-ndjson')
    const request = await onA('POST', '/v1/access-requests', consumer, { dataset_id: dataset, purpose: 'revocation-check', legal_basis: '测试', fields: ['status'], duration_days: 30 })
    const { grant_id: grant } = await onA('POST', `/v1/access-requests/${request.id}/approve`, approver, {})
    const readOn = (base: string) => fetch(`${base}/v1/datasets/${dataset}/records`, { headers: { authorization: `Bearer ${consumer}`, 'x-purpose': 'revocation-check' } })
    expect((await readOn(b.url)).status).toBe(200)
    expect((await fetch(`${a.url}/v1/grants/${grant}`, { method: 'DELETE', headers: { authorization: `Bearer ${approver}` } })).status).toBe(200)
    const after = await readOn(b.url)
    expect(after.status).toBe(403)
    expect(((await after.json()) as { reason: string }).reason).toBe('grant_revoked')
  })

  it('run each scheduled job once between them: one claims it, the other skips it', async () => {
    const finished = /"msg":"job finished","job":"audit-checkpoint"/
    const deadline = Date.now() + 30_000
    while (!finished.test(a.output()) && !finished.test(b.output())) {
      if (Date.now() > deadline) throw new Error(`neither process ran the audit-checkpoint job:\n${a.output()}\n${b.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect([a.output(), b.output()].filter((o) => finished.test(o)), 'exactly one process ran it').toHaveLength(1)
    const { rows } = await database.db.query<{ claimed_by: string }>("SELECT claimed_by FROM job_runs WHERE name = 'audit-checkpoint'")
    expect(rows).toHaveLength(1)
    expect([`node:${a.child.pid}`, `node:${b.child.pid}`]).toContain(rows[0]!.claimed_by)
    const checkpoints = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_checkpoints')
    expect(checkpoints.rows[0]!.n).toBe(1)
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
