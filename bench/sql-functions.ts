/**
 * PostgreSQL's CPU per call of the functions every read runs, each beside the version it replaced,
 * created next to it under another name, in alternating rounds on one connection, with each call a
 * statement of its own as the gateway sends it:
 *  - audit_append with a batch of 1 and of 11 entries (the delivery benchmark's usual group
 *    commit), beside migration 0019's, which planned its head lookup on every call;
 *  - grant_charge with a group of 6 reads (32 concurrent readers of one grant), beside migration
 *    0020's, which planned its two statements on every call.
 * The CPU is the backend's own, read from /proc (measureCpu): PostgreSQL on this machine, on Linux.
 * Usage: DATABASE_URL=postgres://… npm run bench:sql-functions [-- --calls 600 --rounds 5]
 * Creates and drops its own database.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { chainEntries, type AuditEntryContent, type ChainHead } from '../src/audit/chain.js'
import { nodeHasher } from '../src/audit/hasher-node.js'
import { appendIfHead } from '../src/audit/repository.js'
import { createTestDatabase } from '../tests/support/database.js'
import { measureCpu } from './load.js'

const { values } = parseArgs({ options: { calls: { type: 'string', default: '600' }, rounds: { type: 'string', default: '5' } } })
const calls = Number(values.calls)
const rounds = Number(values.rounds)
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server on this machine (the benchmark makes its own database there)')
if (process.platform !== 'linux') throw new Error('the server CPU is read from /proc: run this on Linux')
process.env.TEST_DATABASE_URL = serverUrl

const database = await createTestDatabase()
const client = new pg.Client({ connectionString: database.url })
await client.connect()
try {
  const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid
  /** The function as `migration` left it, created beside the current one as `<name>_<migration number>`. */
  const createReplaced = async (name: string, migration: string) => {
    const text = readFileSync(new URL(`../src/db/migrations/${migration}.sql`, import.meta.url), 'utf8')
    const renamed = `${name}_${migration.slice(0, 4)}`
    await client.query(text.replace(`FUNCTION ${name}(`, `FUNCTION ${renamed}(`))
    return renamed
  }
  /** The median CPU per call of each of `functions`, `call(fn)` being one call. */
  const measure = async (functions: string[], call: (fn: string) => Promise<void>) => {
    const perCall = new Map(functions.map((fn) => [fn, [] as number[]]))
    for (let round = 0; round < rounds; round++) {
      for (const fn of round % 2 ? [...functions].reverse() : functions) {
        for (let i = 0; i < 20; i++) await call(fn)
        const { cpu } = await measureCpu({ backend: () => [backend] }, async () => {
          for (let i = 0; i < calls; i++) await call(fn)
        })
        perCall.get(fn)!.push((cpu!.backend! * 1e6) / calls)
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    return functions.map((fn) => median(perCall.get(fn)!))
  }
  const line = (what: string, now: number, then: number, migration: string) =>
    console.log(`  ${what.padEnd(36)} ${now.toFixed(0).padStart(5)} µs, as migration ${migration} left it ${then.toFixed(0).padStart(5)} µs (${((now / then) * 100).toFixed(0)}%)`)

  console.log(`PostgreSQL CPU per call (${calls} calls a round, ${rounds} rounds alternating, medians):`)

  const oldAppend = await createReplaced('audit_append', '0019_audit_append_replan')
  let head: ChainHead = (await appendIfHead(database.db, [], null)).head
  const append = (size: number) => async (fn: string) => {
    const contents = Array.from({ length: size }, (_, i) => entry(head.seq + 1 + i))
    const chained = await chainEntries(head, contents, nodeHasher)
    const sql = `SELECT appended, head_seq, head_hash FROM ${fn}($1::jsonb, $2::bigint, $3::text)`
    const { rows } = await client.query({ name: fn, text: sql, values: [JSON.stringify(chained), head.seq, head.hash] })
    if (!rows[0].appended) throw new Error(`the chain moved under ${fn}`)
    head = { seq: Number(rows[0].head_seq), hash: rows[0].head_hash }
  }
  for (const size of [1, 11]) {
    const [now, then] = await measure(['audit_append', oldAppend], append(size))
    line(`audit_append, ${size} ${size === 1 ? 'entry' : 'entries'}`, now!, then!, '0019')
  }

  const oldCharge = await createReplaced('grant_charge', '0020_grant_charge_replan')
  // grant_charge reads and writes grant_usage only. Its reference to grants is dropped in this
  // throwaway database rather than make a grant (an organisation, a dataset, a request): it is
  // checked only when a day's row is inserted, the first of the calls.
  await client.query('ALTER TABLE grant_usage DROP CONSTRAINT grant_usage_grant_id_fkey')
  const grant = 'grt_bench'
  const charge = async (fn: string) => {
    await client.query({ name: fn, text: `SELECT admitted, used FROM ${fn}($1::text, $2::date, $3::integer[], $4::integer)`, values: [grant, '2026-12-07', [50, 50, 50, 50, 50, 50], 2_000_000_000] })
  }
  const [now, then] = await measure(['grant_charge', oldCharge], charge)
  line('grant_charge, a group of 6 reads', now!, then!, '0020')
} finally {
  await client.end()
  await database.drop()
}

function entry(seq: number): AuditEntryContent {
  return {
    seq, at: new Date().toISOString(), request_id: crypto.randomUUID(), actor_client_id: 'cli_bench', actor_org_id: 'org_bench',
    action: 'dataset.read', resource_type: null, resource_id: null, dataset_id: 'ds_bench', decision: 'allowed', reason: 'grant_active',
    purpose: 'benchmark', grant_id: 'grt_bench', fields: ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'mobile', 'status'], row_count: 50,
    source_ip: '127.0.0.1', details: {},
  }
}

