import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapPlatform } from '../../src/identity/service.js'
import { createTestDatabase, testServerUrl, type TestDatabase } from '../support/database.js'
import { startWorker, type WorkerProcess } from '../support/worker.js'

// The Worker talks PostgreSQL only (no PGlite on Workers): this suite needs TEST_DATABASE_URL.
describe.runIf(testServerUrl)('the Worker in workerd (wrangler dev)', () => {
  let database: TestDatabase
  let worker: WorkerProcess

  beforeAll(async () => {
    database = await createTestDatabase()
    worker = await startWorker(database.url!, 8790)
  })
  afterAll(async () => {
    await worker?.stop()
    await database?.drop()
  })

  it('answers /health', async () => {
    const res = await fetch(`${worker.url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers /ready from PostgreSQL', async () => {
    const res = await fetch(`${worker.url}/ready`)
    expect(res.status, `${await res.clone().text()}\n${worker.output()}`).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ready', database: 'postgres' })
  })

  it('issues tokens with PBKDF2 and ES256 in workerd, and verifies them', async () => {
    const created = await bootstrapPlatform(database.db, { requestId: 'e2e', actor: null, sourceIp: null, at: new Date() })
    const token = await fetch(`${worker.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa(`${created!.client.id}:${created!.secret}`)}` },
      body: 'grant_type=client_credentials',
    })
    expect(token.status, `${await token.clone().text()}\n${worker.output()}`).toBe(200)
    const { access_token } = (await token.json()) as { access_token: string }
    const orgs = await fetch(`${worker.url}/v1/orgs`, { headers: { authorization: `Bearer ${access_token}` } })
    expect(orgs.status, await orgs.clone().text()).toBe(200)
    expect(((await orgs.json()) as { items: unknown[] }).items).toHaveLength(1)
    const jwks = (await (await fetch(`${worker.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] }
    expect(jwks.keys.length).toBeGreaterThan(0)
    expect((await fetch(`${worker.url}/v1/orgs`)).status).toBe(401)
  })

  it('runs the scheduled jobs from the cron trigger', async () => {
    const res = await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`)
    expect(res.status, `${await res.clone().text()}\n${worker.output()}`).toBe(200)
    const { rows } = await database.db.query<{ claimed_by: string; last_status: string; last_detail: string }>(
      "SELECT claimed_by, last_status, last_detail FROM job_runs WHERE name = 'audit-checkpoint'",
    )
    expect(rows[0], worker.output()).toMatchObject({ claimed_by: 'worker-cron', last_status: 'ok' })
    expect(rows[0]?.last_detail).toMatch(/^checkpoint \d+ signed by key_/)
  })

  it('answers unknown routes with problem+json', async () => {
    const res = await fetch(`${worker.url}/nope`)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
