import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

  it('answers unknown routes with problem+json', async () => {
    const res = await fetch(`${worker.url}/nope`)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
