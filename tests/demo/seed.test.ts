import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiClient } from '../../src/demo/api.js'
import { credentialFor, type DemoCredential } from '../../src/demo/credentials.js'
import { seededRandom } from '../../src/demo/random.js'
import * as make from '../../src/demo/records.js'
import { runScenario } from '../../src/demo/scenario.js'
import { DemoRefusedError, PURPOSES, demoStartsAt, seedDemo, type DemoWorld } from '../../src/demo/seed.js'
import { DATASETS, DEPARTMENTS, SOCIAL_ORGS } from '../../src/demo/world.js'
import { bootstrapPlatform } from '../../src/identity/service.js'
import { FORMAT_CHECKS, isFormatName, usccProblem } from '../../src/standards/formats.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, tokenFor } from '../support/identity.js'

let world: TestWorld
let demo: DemoWorld
const tokens = new Map<string, string>()

async function tokenOf(credential: DemoCredential): Promise<string> {
  let token = tokens.get(credential.client_id)
  if (!token) {
    token = await tokenFor(world, credential.client_id, credential.client_secret)
    tokens.set(credential.client_id, token)
  }
  return token
}

const as = (role: DemoCredential['role'], org?: string) => tokenOf(credentialFor(demo.credentials, role, org))

beforeAll(async () => {
  world = await createTestWorld({ LOG_LEVEL: 'warn' })
  const bootstrap = await bootstrapPlatform(world.services.db, { requestId: 'test', actor: null, sourceIp: null, at: demoStartsAt(world.services) })
  demo = await seedDemo(world.services, { platform: bootstrap!.org })
}, 180_000)
afterAll(() => world?.close())

async function count(sql: string): Promise<Record<string, number>> {
  const { rows } = await world.services.db.query<{ k: string; n: number }>(sql)
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]))
}

describe('the demo world', () => {
  it('has a city with three departments, two social organisations and the platform', async () => {
    expect(await count('SELECT kind AS k, count(*) AS n FROM organisations GROUP BY kind')).toEqual({ platform: 1, department: 3, social_org: 2 })
    const orgs = await call(world, 'GET', '/v1/orgs?limit=100', { token: await as('admin') })
    expect(orgs.status, orgs.text).toBe(200)
    const names = orgs.body.items.map((o: { name: string }) => o.name)
    for (const { name } of [...Object.values(DEPARTMENTS), ...Object.values(SOCIAL_ORGS)]) expect(names).toContain(name)
    for (const org of orgs.body.items.filter((o: { kind: string }) => o.kind === 'department')) expect(org.region_code).toBe('330100')
    for (const org of orgs.body.items.filter((o: { kind: string }) => o.kind === 'social_org')) {
      expect(usccProblem(org.uscc), org.uscc).toBeUndefined()
      expect(org.uscc_reviewed).toBe(false)
    }
  })

  it('has datasets at every tier with a few thousand records', async () => {
    expect(await count('SELECT tier AS k, count(*) AS n FROM datasets GROUP BY tier')).toEqual({ L1: 1, L2: 1, L3: 1, L4: 4 })
    const perDataset = await count('SELECT dataset_id AS k, count(*) AS n FROM records WHERE deleted_at IS NULL GROUP BY dataset_id')
    const total = Object.values(perDataset).reduce((a, b) => a + b, 0)
    expect(total).toBe(4450)
    for (const [key, dataset] of Object.entries(demo.datasets)) {
      expect(perDataset[dataset.id], key).toBe(dataset.records)
      expect(dataset.tier, key).toBe(DATASETS[key as keyof typeof DATASETS].tier)
    }
    // Three rows of one batch were refused by validation, on purpose, and are not stored.
    expect(demo.rejectedRows).toBe(3)
  })

  it('stores only valid identifiers: every formatted value passes the product’s own check', async () => {
    const { rows: datasets } = await world.services.db.query<{ id: string; standard_name: string; standard_version: string }>('SELECT id, standard_name, standard_version FROM datasets')
    let checked = 0
    for (const dataset of datasets) {
      const standard = await call(world, 'GET', `/v1/standards/${dataset.standard_name}/${dataset.standard_version}`, { token: await as('admin') })
      expect(standard.status, standard.text).toBe(200)
      const formatted = (standard.body.fields as { name: string; format: string | null }[]).filter((f) => f.format && isFormatName(f.format))
      const { rows } = await world.services.db.query<{ data: Record<string, unknown> }>('SELECT data FROM records WHERE dataset_id = $1', [dataset.id])
      for (const { data } of rows) {
        for (const field of formatted) {
          const value = data[field.name]
          if (value === undefined) continue
          const problem = FORMAT_CHECKS[field.format as keyof typeof FORMAT_CHECKS](String(value), Date.now)
          expect(problem, `${dataset.standard_name}.${field.name} = ${String(value)}`).toBeUndefined()
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000)
  })

  it('has pending requests whose lights come from real working-day deadlines, and decided ones', async () => {
    expect(await count('SELECT status AS k, count(*) AS n FROM access_requests GROUP BY status')).toEqual({ approved: 3, rejected: 1, pending: 3 })
    const incoming = await call(world, 'GET', '/v1/access-requests?box=incoming&status=pending', { token: await as('approver', DEPARTMENTS.market.name) })
    expect(incoming.status, incoming.text).toBe(200)
    const lights = incoming.body.items.map((r: { light: string }) => r.light).sort()
    expect(lights).toEqual(['green', 'red', 'yellow'])
    const red = incoming.body.items.find((r: { light: string }) => r.light === 'red')
    expect(red.overdue).toBe(true)
    expect(new Date(red.deadline).getTime()).toBeLessThan(world.clock.now().getTime())
    const rejected = demo.requests.find((r) => r.status === 'rejected')!
    const view = await call(world, 'GET', `/v1/access-requests/${rejected.id}`, { token: await as('consumer', SOCIAL_ORGS.volunteers.name) })
    expect(view.body.reason, view.text).toMatch(/个人信息保护法/)
  })

  it('has grants with masks and a row filter, and delivers masked records under them', async () => {
    const grants = await call(world, 'GET', '/v1/grants', { token: await as('consumer', SOCIAL_ORGS.elderly.name) })
    expect(grants.status, grants.text).toBe(200)
    const grid = grants.body.items.find((g: { dataset_id: string }) => g.dataset_id === demo.datasets.grid.id)
    expect(grid.row_filter, grants.text).toContainEqual({ field: 'region_code', op: 'eq', value: '330106' })
    expect(Object.keys(grid.masks)).toContain('location')
    const read = await call(world, 'GET', `/v1/datasets/${demo.datasets.grid.id}/records?limit=200`, {
      token: await as('consumer', SOCIAL_ORGS.elderly.name),
      headers: { 'x-purpose': encodeURIComponent(PURPOSES.elderlyGrid) },
    })
    expect(read.status, read.text).toBe(200)
    expect(read.body.items.length).toBeGreaterThan(10)
    for (const record of read.body.items) {
      expect(record.region_code).toBe('330106')
      expect(['livelihood', 'public_facility', 'safety_hazard']).toContain(record.category)
      expect(record.location).toMatch(/^杭州市西湖区\*+$/)
      expect(record).not.toHaveProperty('reporter_name')
    }
    // The objection still open flags its record on delivery.
    expect(read.body.items.filter((r: { _flags?: string[] }) => r._flags?.includes('disputed'))).toHaveLength(1)
  })

  it('has objections: one round the whole loop, one still open', async () => {
    expect(demo.objections.map((o) => o.status).sort()).toEqual(['accepted', 'closed'])
    const closed = await call(world, 'GET', `/v1/objections/${demo.objections.find((o) => o.status === 'closed')!.id}`, { token: await as('consumer', DEPARTMENTS.health.name) })
    expect(closed.body.outcome, closed.text).toBe('corrected')
  })

  it('has an audit history the owner can query and the auditor can verify, in time order', async () => {
    const reads = await call(world, 'GET', `/v1/audit?dataset=${demo.datasets.grid.id}&action=dataset.read&limit=100`, { token: await as('publisher', DEPARTMENTS.civil.name) })
    expect(reads.status, reads.text).toBe(200)
    const decisions = reads.body.items.map((e: { content: { actor_org_id: string; decision: string } }) => [e.content.actor_org_id, e.content.decision])
    expect(decisions).toContainEqual([demo.orgs.elderly.id, 'allowed'])
    expect(decisions).toContainEqual([demo.orgs.volunteers.id, 'denied'])

    const verified = await call(world, 'GET', '/v1/audit/verify', { token: await as('auditor') })
    expect(verified.body.ok, verified.text).toBe(true)
    expect(verified.body.checkpoint.size).toBe(demo.checkpoint.size)
    const { rows } = await world.services.db.query<{ at: string }>("SELECT content->>'at' AS at FROM audit_log ORDER BY seq")
    const times = rows.map((r) => Date.parse(r.at))
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!), 'audit times move forward').toBe(true)
    expect(times[0]).toBe(demoStartsAt(world.services).getTime())
  })

  it('prints credentials that work: a token for each role and organisation', async () => {
    expect(demo.credentials).toHaveLength(13)
    for (const credential of demo.credentials) {
      const token = await tokenOf(credential)
      const who = await call(world, 'GET', '/v1/auth/whoami', { token })
      expect(who.body, who.text).toMatchObject({ client_id: credential.client_id, org_id: credential.org_id, roles: [credential.role] })
    }
  })

  it('refuses a database that is not empty, and changes nothing', async () => {
    const before = await count("SELECT 'all' AS k, count(*) AS n FROM audit_log")
    const platform = { id: demo.orgs.platform.id, name: demo.orgs.platform.name }
    await expect(seedDemo(world.services, { platform })).rejects.toBeInstanceOf(DemoRefusedError)
    expect(await count("SELECT 'all' AS k, count(*) AS n FROM audit_log")).toEqual(before)
  })

  it('lets the approver decide a pending request, and the auditor read the entry it made', async () => {
    const approver = await as('approver', DEPARTMENTS.market.name)
    const pending = await call(world, 'GET', '/v1/access-requests?box=incoming&status=pending', { token: approver })
    const green = pending.body.items.find((r: { light: string }) => r.light === 'green')
    const approved = await call(world, 'POST', `/v1/access-requests/${green.id}/approve`, { token: approver, body: { note: '同意，仅统计结果。' } })
    expect(approved.status, approved.text).toBe(200)
    const entries = await call(world, 'GET', '/v1/audit?action=access_request.approved&limit=1', { token: await as('auditor') })
    expect(entries.body.items[0].content, entries.text).toMatchObject({ resource_id: green.id, actor_org_id: demo.orgs.market.id, decision: null })
  })

  it('runs the guided scenario through the public API, every step checked', async () => {
    const lines: string[] = []
    const outcome = await runScenario({ call: apiClient(async (path, init) => world.app.request(path, init)), credentials: demo.credentials, print: (line) => lines.push(line) })
    expect(lines.filter((l) => /^\n\d\. /.test(l))).toHaveLength(7)
    expect(outcome.delivered.length).toBeGreaterThan(0)
    expect(outcome.checkpointSize).toBeGreaterThanOrEqual(outcome.readSeq)
  })
})

describe('the record generator', () => {
  it('is deterministic for a seed and a reference day', () => {
    const generate = () => make.people({ random: seededRandom(42), taken: new Set(), today: '2026-03-02' }, { count: 50, fromYear: 1950, toYear: 2000, withMobile: 0.5 })
    expect(generate()).toEqual(generate())
  })
})
