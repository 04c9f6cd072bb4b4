/**
 * Audit log throughput against a real database. Prints, in one run:
 *  - appended entries/s under N concurrent writers with group commit (AuditWriter), beside the
 *    baseline of one transaction per entry (recordEvent alone) under the same concurrency;
 *  - on PostgreSQL (Linux), the server's CPU per appended batch of 1 and of 11 entries (the delivery
 *    benchmark's usual batch), through audit_append beside the version it replaced (migration 0019,
 *    which planned its head lookup on every call), in alternating rounds;
 *  - verification entries/s over a log of M entries read back from the database.
 * Usage: DATABASE_URL=postgres://… npm run bench:audit [-- --writers 50 --seconds 5 --entries 1000000]
 * (without DATABASE_URL it runs on in-memory PGlite). Creates and drops its own database.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { chainEntries, GENESIS, type AuditEntryContent } from '../src/audit/chain.js'
import { nodeHasher } from '../src/audit/hasher-node.js'
import { recordEvent } from '../src/audit/recorder.js'
import { appendIfHead } from '../src/audit/repository.js'
import type { ChainHead } from '../src/audit/chain.js'
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
const content = (seq: number): AuditEntryContent => ({
  seq, at: new Date(1_700_000_000_000 + seq * 1000).toISOString(), request_id: `r${seq}`, actor_client_id: 'cli_bench', actor_org_id: 'org_bench',
  action: 'dataset.read', resource_type: 'dataset', resource_id: 'ds_bench', dataset_id: 'ds_bench', decision: 'allowed', reason: 'grant',
  purpose: 'benchmark', grant_id: 'grt_bench', fields: ['name', 'region_code'], row_count: 50, source_ip: '127.0.0.1', details: {},
})
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

  if (database.url && process.platform === 'linux') await serverCpuPerBatch(database.url)

  await db.query('TRUNCATE audit_log')
  const fillStarted = performance.now()
  let head = GENESIS
  const chunk = 10_000
  for (let start = 1; start <= entries; start += chunk) {
    const contents: AuditEntryContent[] = []
    for (let seq = start; seq < Math.min(start + chunk, entries + 1); seq++) {
      contents.push(content(seq))
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

/**
 * PostgreSQL's CPU (its backend's, from /proc) per batch appended through audit_append, and through
 * migration 0019's version of it (created beside it as audit_append_0019), in alternating rounds of
 * `batches` batches each, one connection, each batch a statement of its own as the AuditWriter sends.
 */
async function serverCpuPerBatch(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const replaced = readFileSync(new URL('../src/db/migrations/0019_audit_append_replan.sql', import.meta.url), 'utf8')
    await client.query(replaced.replace('FUNCTION audit_append(', 'FUNCTION audit_append_0019('))
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
    const cpuMicros = () => {
      const stat = readFileSync(`/proc/${backend}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return (Number(fields[11]) + Number(fields[12])) * 10_000
    }
    let head: ChainHead = (await appendIfHead(db, [], null)).head
    const append = async (fn: string, size: number) => {
      const chained = await chainEntries(head, Array.from({ length: size }, (_, i) => content(head.seq + 1 + i)), nodeHasher)
      const { rows } = await client.query({ name: fn, text: `SELECT appended, head_seq, head_hash FROM ${fn}($1::jsonb, $2::bigint, $3::text)`, values: [JSON.stringify(chained), head.seq, head.hash] })
      if (!rows[0].appended) throw new Error(`the chain moved under ${fn}`)
      head = { seq: Number(rows[0].head_seq), hash: rows[0].head_hash }
    }
    const batches = 600
    console.log(`\nPostgreSQL CPU per appended batch (one statement each, ${batches} batches a round, 5 rounds, medians):`)
    for (const size of [1, 11]) {
      const perBatch: Record<string, number[]> = { audit_append: [], audit_append_0019: [] }
      for (let round = 0; round < 5; round++) {
        for (const fn of round % 2 ? ['audit_append_0019', 'audit_append'] : ['audit_append', 'audit_append_0019']) {
          for (let i = 0; i < 20; i++) await append(fn, size)
          const before = cpuMicros()
          for (let i = 0; i < batches; i++) await append(fn, size)
          perBatch[fn]!.push((cpuMicros() - before) / batches)
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!
      const [now, then] = [median(perBatch.audit_append!), median(perBatch.audit_append_0019!)]
      console.log(`  ${String(size).padStart(2)} entries: audit_append ${now.toFixed(0).padStart(5)} µs, as migration 0019 left it ${then.toFixed(0).padStart(5)} µs (${((now / then) * 100).toFixed(0)}%)`)
    }
  } finally {
    await client.query('DROP FUNCTION IF EXISTS audit_append_0019(jsonb, bigint, text)').catch(() => {})
    await client.end()
  }
}
