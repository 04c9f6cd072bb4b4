/**
 * Audit log throughput against a real database. Prints, in one run:
 *  - appended entries/s under N concurrent writers with group commit (AuditWriter), beside the
 *    baseline of one transaction per entry (recordEvent alone) under the same concurrency;
 *  - verification entries/s over a log of M entries read back from the database.
 * Usage: DATABASE_URL=postgres://… npm run bench:audit [-- --writers 50 --seconds 5 --entries 1000000]
 * (without DATABASE_URL it runs on in-memory PGlite). Creates and drops its own database.
 */
import { parseArgs } from 'node:util'
import { chainEntries, GENESIS, type AuditEntryContent } from '../src/audit/chain.js'
import { nodeHasher } from '../src/audit/hasher-node.js'
import { recordEvent } from '../src/audit/recorder.js'
import { appendIfHead } from '../src/audit/repository.js'
import { verifyLog } from '../src/audit/service.js'
import { AuditWriter } from '../src/audit/writer.js'
import { createTestDatabase } from '../tests/support/database.js'

const { values } = parseArgs({
  options: { writers: { type: 'string', default: '50' }, seconds: { type: 'string', default: '5' }, entries: { type: 'string', default: '1000000' } },
})
const writers = Number(values.writers)
const seconds = Number(values.seconds)
const entries = Number(values.entries)

if (process.env.DATABASE_URL && !process.env.TEST_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.DATABASE_URL
const ctx = () => ({ requestId: crypto.randomUUID(), actor: null, sourceIp: '127.0.0.1', at: new Date() })
const event = { action: 'dataset.read', decision: 'allowed' as const, fields: ['name', 'region_code'], rowCount: 50, purpose: 'benchmark' }

async function concurrently(append: () => Promise<unknown>): Promise<number> {
  let count = 0
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        await append()
        count++
      }
    }),
  )
  return count / ((performance.now() - started) / 1000)
}

const database = await createTestDatabase()
const { db } = database
try {
  console.log(`audit appends on ${db.driver}, ${writers} concurrent writers, ${seconds} s each`)
  const single = await concurrently(() => db.transaction((tx) => recordEvent(tx, ctx(), event, nodeHasher)))
  console.log(`  one transaction per entry (baseline)   ${single.toFixed(0).padStart(8)} entries/s`)
  const writer = new AuditWriter(db, nodeHasher)
  const grouped = await concurrently(() => writer.append(ctx(), event))
  console.log(`  group commit (AuditWriter)             ${grouped.toFixed(0).padStart(8)} entries/s   (${(grouped / single).toFixed(1)}× the baseline)`)

  await db.query('TRUNCATE audit_log')
  const fillStarted = performance.now()
  let head = GENESIS
  const chunk = 10_000
  for (let start = 1; start <= entries; start += chunk) {
    const contents: AuditEntryContent[] = []
    for (let seq = start; seq < Math.min(start + chunk, entries + 1); seq++) {
      contents.push({
        seq, at: new Date(1_700_000_000_000 + seq * 1000).toISOString(), request_id: `r${seq}`, actor_client_id: 'cli_bench', actor_org_id: 'org_bench',
        action: 'dataset.read', resource_type: 'dataset', resource_id: 'ds_bench', dataset_id: 'ds_bench', decision: 'allowed', reason: 'grant',
        purpose: 'benchmark', grant_id: 'grt_bench', fields: ['name', 'region_code'], row_count: 50, source_ip: '127.0.0.1', details: {},
      })
    }
    const chained = await chainEntries(head, contents, nodeHasher)
    const stored = await appendIfHead(db, chained, head)
    if (!stored.appended) throw new Error(`the chain moved while filling it: ${JSON.stringify(stored.head)}`)
    head = stored.head
  }
  console.log(`\nfilled ${entries} entries in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`)
  const verifyStarted = performance.now()
  const { result } = await verifyLog(db, nodeHasher)
  const verifySeconds = (performance.now() - verifyStarted) / 1000
  if (!result.ok) throw new Error(`verification failed: ${JSON.stringify(result)}`)
  console.log(`verify from the database (read + hash + link)   ${(result.size / verifySeconds).toFixed(0).padStart(8)} entries/s   (${result.size} entries, ${verifySeconds.toFixed(1)} s)`)
} finally {
  await database.drop()
}
