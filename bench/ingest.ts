/**
 * Ingestion throughput over HTTP. Starts a real gateway process, registers a population
 * dataset, and streams N generated population records (valid citizen ids) as NDJSON in one
 * request (POST /v1/datasets/{id}/records, atomic). Prints, in one run:
 *  - records/s over HTTP and the gateway's peak RSS (VmHWM) during the run;
 *  - baseline: the same records through parse + standardiseRecord alone, in this process;
 *  - baseline: the same rows written by a plain set-based INSERT (jsonb_array_elements, 2000 rows
 *    a statement, one transaction; no upsert, no history), no HTTP and no pipeline.
 * Usage: [DATABASE_URL=postgres://…] npm run bench:ingest [-- --records 1000000]
 * With DATABASE_URL it creates and drops a throwaway database on that server; without, it runs
 * the gateway on embedded PGlite in a temporary data directory.
 */
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import type { Db } from '../src/db/db.js'
import { createPgliteDb } from '../src/db/pglite.js'
import { shippedCatalog } from '../src/standards/registry-core.js'
import { standardiseRecord } from '../src/standards/standardise.js'
import { createTestDatabase, type TestDatabase } from '../tests/support/database.js'
import { accessToken, bootstrapCredentials, departmentPublisher, fetchJson, streamUpload } from '../tests/support/gateway-client.js'
import { person, populationDataset } from '../tests/support/population.js'
import { startGateway } from '../tests/support/process.js'

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' } } })
const records = Number(values.records)
if (process.env.DATABASE_URL && !process.env.TEST_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.DATABASE_URL

const scratch = mkdtempSync(join(tmpdir(), 'qiao-bench-ingest-'))
const file = join(scratch, 'population.ndjson')
let database: TestDatabase | undefined
const dataDir = join(scratch, 'data')
const format = (n: number) => Math.round(n).toLocaleString('en-US')
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

try {
  await writeRecords(file, records)
  const size = statSync(file).size
  database = process.env.TEST_DATABASE_URL ? await createTestDatabase() : undefined
  const env: Record<string, string> = database ? { DATABASE_URL: database.url!, LOG_LEVEL: 'warn' } : { QIAO_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
  console.log(`ingest: ${format(records)} population records, NDJSON ${megabytes(size)}, on ${database ? 'PostgreSQL' : 'PGlite'}`)

  const gateway = await startGateway(env, 120_000)
  const pid = gateway.child.pid!
  let http: { seconds: number; peakRss: number; rssBefore: number }
  try {
    const admin = await accessToken(gateway.url, bootstrapCredentials(gateway))
    const publisher = await departmentPublisher(gateway.url, admin)
    const registered = await fetchJson(`${gateway.url}/v1/datasets`, 'POST', populationDataset(), publisher.token)
    if (registered.status !== 201) throw new Error(`register: ${JSON.stringify(registered.body)}`)
    const rssBefore = memoryOf(pid).rss
    const started = performance.now()
    const upload = streamUpload(
      `${gateway.url}/v1/datasets/${registered.body.id}/records`,
      { token: publisher.token, contentType: 'application/x-ndjson', contentLength: size },
      createReadStream(file, { highWaterMark: 256 * 1024 }),
    )
    const result = await upload.response
    const seconds = (performance.now() - started) / 1000
    if (result.status !== 200 || result.body.inserted !== records) throw new Error(`ingest: ${result.status} ${JSON.stringify(result.body).slice(0, 500)}`)
    http = { seconds, peakRss: memoryOf(pid).peak, rssBefore }
  } finally {
    await gateway.stop('SIGTERM')
  }
  console.log(
    `  over HTTP, standardised and stored     ${format(records / http.seconds).padStart(9)} records/s  (${http.seconds.toFixed(1)} s; gateway peak RSS ${megabytes(http.peakRss)}, ${megabytes(http.rssBefore)} before the upload)`,
  )

  const standardise = await standardiseOnly(file)
  console.log(`  baseline: parse + standardise only     ${format(records / standardise).padStart(9)} records/s  (in-process, no HTTP, no database)`)

  const db = database ? database.db : await createPgliteDb(dataDir)
  try {
    const insert = await plainInsert(db, file)
    console.log(`  baseline: plain set-based INSERT       ${format(records / insert).padStart(9)} records/s  (the same rows, jsonb_array_elements without upsert or history; no HTTP, no pipeline)`)
  } finally {
    if (!database) await db.close()
  }
} finally {
  await database?.drop()
  rmSync(scratch, { recursive: true, force: true })
}

/** N population records as NDJSON, written with backpressure (never all in memory). */
async function writeRecords(path: string, count: number): Promise<void> {
  const out = createWriteStream(path)
  for (let start = 0; start < count; start += 1000) {
    let piece = ''
    for (let i = start; i < Math.min(start + 1000, count); i++) piece += `${JSON.stringify(person(i))}\n`
    if (!out.write(piece)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

/** Current and peak resident set size of a process, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') }
}

async function standardiseOnly(path: string): Promise<number> {
  const standard = shippedCatalog().compiled('population', '1.0.0')!
  const started = performance.now()
  let valid = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (standardiseRecord(standard, JSON.parse(line)).ok) valid++
  }
  if (valid !== records) throw new Error(`standardise: ${valid} of ${records} valid`)
  return (performance.now() - started) / 1000
}

/** The rows as they are, in 2000-row jsonb_array_elements INSERTs in one transaction, into a scratch table shaped like `records`. */
async function plainInsert(db: Db, path: string): Promise<number> {
  await db.exec(`DROP TABLE IF EXISTS bench_records;
    CREATE TABLE bench_records (dataset_id text NOT NULL, key text COLLATE "C" NOT NULL, data jsonb NOT NULL, version integer NOT NULL,
      created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, deleted_at timestamptz, ingest_id text, PRIMARY KEY (dataset_id, key))`)
  const started = performance.now()
  await db.transaction(async (tx) => {
    let chunk: string[] = []
    const flush = async () => {
      await tx.query(
        `INSERT INTO bench_records (dataset_id, key, data, version, created_at, updated_at, ingest_id)
         SELECT 'ds_bench', e ->> 'citizen_id', e, 1, now(), now(), 'ing_bench' FROM jsonb_array_elements($1::jsonb) AS e`,
        [`[${chunk.join(',')}]`],
      )
      chunk = []
    }
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      chunk.push(line)
      if (chunk.length === 2000) await flush()
    }
    if (chunk.length > 0) await flush()
  })
  const seconds = (performance.now() - started) / 1000
  await db.exec('DROP TABLE bench_records')
  return seconds
}
