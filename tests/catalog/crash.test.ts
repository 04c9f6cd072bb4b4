// A gateway killed with SIGKILL in the middle of a large atomic ingest: after a restart the
// dataset holds none of that batch (or, once answered, all of it), never a part. On embedded
// PGlite (a data directory) and, when TEST_DATABASE_URL is set, on a throwaway PostgreSQL.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Db } from '../../src/db/db.js'
import { createPgliteDb } from '../../src/db/pglite.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { person, populationDataset } from '../support/catalog.js'
import { createTestDatabase, testDriver, type TestDatabase } from '../support/database.js'
import { accessToken, bootstrapCredentials, departmentPublisher, fetchJson, streamUpload } from '../support/gateway-client.js'
import { startGateway, type GatewayProcess } from '../support/process.js'

const RECORDS = 100_000
const scratch = mkdtempSync(join(tmpdir(), 'qiao-crash-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The batch as NDJSON lines, produced lazily in 1000-line pieces. */
function* batch(): Generator<string> {
  for (let start = 0; start < RECORDS; start += 1000) {
    let piece = ''
    for (let i = start; i < Math.min(start + 1000, RECORDS); i++) piece += `${JSON.stringify(person(i))}\n`
    yield piece
  }
}
const batchBytes = [...batch()].reduce((sum, piece) => sum + Buffer.byteLength(piece), 0)

interface Target {
  env: Record<string, string>
  /** Opens the gateway's database directly (only while no gateway holds a PGlite directory). */
  open(): Promise<Db>
  /** Evidence that uncommitted rows are being written right now, where it can be observed. */
  writing?(db: Db): Promise<boolean>
  cleanup(): Promise<void>
}

function pgliteTarget(): Target {
  const dataDir = join(scratch, 'pglite')
  return { env: { QIAO_DATA_DIR: dataDir }, open: () => createPgliteDb(dataDir), cleanup: async () => {} }
}

async function postgresTarget(): Promise<Target> {
  const database: TestDatabase = await createTestDatabase()
  return {
    env: { DATABASE_URL: database.url! },
    open: async () => createPostgresDb({ connectionString: database.url!, max: 1 }),
    // Uncommitted tuples already take pages, though no other transaction can see them.
    writing: async (db) => {
      const { rows } = await db.query<{ pages: number; visible: number }>(
        "SELECT pg_relation_size('records') AS pages, (SELECT count(*) FROM records) AS visible",
      )
      return rows[0]!.pages > 0 && rows[0]!.visible === 0
    },
    cleanup: () => database.drop(),
  }
}

async function countsIn(target: Target, datasetId: string) {
  const db = await target.open()
  try {
    const { rows } = await db.query<{ records: number; ingests: number; record_count: number }>(
      `SELECT (SELECT count(*) FROM records WHERE dataset_id = $1) AS records,
              (SELECT count(*) FROM ingests WHERE dataset_id = $1) AS ingests,
              (SELECT record_count FROM datasets WHERE id = $1) AS record_count`,
      [datasetId],
    )
    return rows[0]!
  } finally {
    await db.close()
  }
}

const targets: Array<[string, () => Promise<Target>]> = [['PGlite data directory', async () => pgliteTarget()]]
if (testDriver === 'postgres') targets.push(['PostgreSQL', postgresTarget])

describe.each(targets)('SIGKILL during an atomic ingest (%s)', (_name, makeTarget) => {
  it('leaves none of the batch; after a restart the retried batch is stored whole', { timeout: 180_000 }, async () => {
    const target = await makeTarget()
    let gateway: GatewayProcess | undefined = await startGateway(target.env)
    try {
      const admin = await accessToken(gateway.url, bootstrapCredentials(gateway))
      const publisher = await departmentPublisher(gateway.url, admin)
      const registered = await fetchJson(`${gateway.url}/v1/datasets`, 'POST', populationDataset(), publisher.token)
      expect(registered.status, JSON.stringify(registered.body)).toBe(201)
      const datasetId = registered.body.id as string
      const upload = (url: string, token: string) =>
        streamUpload(
          `${url}/v1/datasets/${datasetId}/records`,
          { token, contentType: 'application/x-ndjson', contentLength: batchBytes, headers: { 'idempotency-key': 'full-load-1' } },
          batch(),
        )

      // Kill it half-way: at least a third of the rows have been read and written by then (the
      // socket buffers hold a few megabytes at most), and it cannot have reached the end.
      const first = upload(gateway.url, publisher.token)
      first.response.catch(() => {}) // the connection breaks: that is the point
      const observer = target.writing ? await target.open() : undefined
      try {
        await until(() => first.written() >= batchBytes / 2)
        if (observer && target.writing) await until(() => target.writing!(observer))
        expect(first.written()).toBeLessThan(batchBytes)
        expect(await gateway.stop('SIGKILL')).toBeNull()
      } finally {
        await observer?.close()
      }
      gateway = undefined
      expect(await countsIn(target, datasetId)).toEqual({ records: 0, ingests: 0, record_count: 0 })

      // Restart: the database recovers (tokens still verify: keys live in it), and the same
      // Idempotency-Key was never taken.
      gateway = await startGateway(target.env)
      const retry = await upload(gateway.url, publisher.token).response
      expect(retry.status, JSON.stringify(retry.body).slice(0, 500)).toBe(200)
      expect(retry.body).toMatchObject({ total: RECORDS, inserted: RECORDS, rejected: 0 })

      // Killed once the batch was answered: all of it is there.
      expect(await gateway.stop('SIGKILL')).toBeNull()
      gateway = undefined
      expect(await countsIn(target, datasetId)).toEqual({ records: RECORDS, ingests: 1, record_count: RECORDS })
    } finally {
      await gateway?.stop('SIGKILL')
      await target.cleanup()
    }
  })
})

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
