import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createNodeServices } from '../../src/node-services.js'
import worker from '../../src/worker.js'

// A database that cannot be reached is an outage, not a bug: liveness still answers, readiness
// says why it is not ready, and every other route answers 503 problem+json with Retry-After —
// on Node and through the Worker entry (which also makes a signing key on an isolate's first
// request, and must not turn that failure into an error for every route).
const unreachable = 'postgres://qiao@127.0.0.1:1/nowhere'

async function expectOutage(response: Response) {
  expect(response.status).toBe(503)
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  expect(response.headers.get('retry-after')).toBe('5')
  const problem = (await response.json()) as { code: string; detail: string }
  expect(problem.code).toBe('unavailable')
  expect(problem.detail).not.toMatch(/127\.0\.0\.1|nowhere|qiao@/)
}

describe('an unreachable database', () => {
  const db = createPostgresDb({ connectionString: unreachable, max: 1 })
  const config = loadConfig({ DATABASE_URL: unreachable, LOG_LEVEL: 'silent' })
  const app = createApp(createNodeServices(config, db))
  afterAll(() => db.close())

  it('on Node: /health is alive, /ready and data routes answer 503', async () => {
    expect((await app.request('/health')).status).toBe(200)
    expect((await app.request('/ready')).status).toBe(503)
    await expectOutage(await app.request('/v1/datasets'))
    await expectOutage(await app.request('/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'cli_x', client_secret: 'y' }) }))
  })

  it('through the Worker entry: the failed key check does not fail every route', async () => {
    const waits: Promise<unknown>[] = []
    const ctx = { waitUntil: (p: Promise<unknown>) => void waits.push(p.catch(() => undefined)) }
    const env = { DATABASE_URL: unreachable, LOG_LEVEL: 'silent' }
    const call = (path: string) => worker.fetch(new Request(`http://qiao.test${path}`), env, ctx)
    const health = await call('/health')
    expect(health.status).toBe(200)
    await health.body?.cancel() // the Worker pipes each body through; an unread one never ends
    const ready = await call('/ready')
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { detail: string }).detail).toBe('the database is not reachable')
    await expectOutage(await call('/v1/datasets'))
    await Promise.all(waits)
  })
})
