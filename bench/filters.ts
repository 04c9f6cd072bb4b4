/**
 * Filtered pages with and without record_index. On a population dataset of N records it runs the
 * page statement delivery runs for a caller's ?filter= (pageSql) for rare and common values,
 * prefixes and ranges, through the index (the dataset's index covers the field) and, as the
 * baseline in the same run, the same statement with the dataset's index marked incomplete (the
 * records walked in key order and filtered). Also times building the index for N stored records,
 * as the index-records job does after an upgrade (chunks of INDEX_CHUNK records, a transaction
 * each), against the baseline of one statement over the whole dataset.
 * Usage: DATABASE_URL=postgres://… npm run bench:filters [-- --records 200000 --pages 200]
 * Without DATABASE_URL it runs on in-memory PGlite. Creates and drops a throwaway database.
 */
import { parseArgs } from 'node:util'
import { advanceIndex, INDEX_CHUNK } from '../src/catalog/record-index.js'
import { lockDataset } from '../src/catalog/repository.js'
import { pageSql, selectRecords, type Condition } from '../src/exchange/repository.js'
import { createTestDatabase } from '../tests/support/database.js'

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, pages: { type: 'string', default: '200' } } })
const records = Number(values.records)
const pages = Number(values.pages)
if (process.env.DATABASE_URL && !process.env.TEST_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.DATABASE_URL

const INDEXED = ['household_region_code', 'status', 'updated_at']
const DATASET = 'ds_bench_filters'
const database = await createTestDatabase()
const db = database.db
try {
  console.log(`filtered pages of 50 on ${records.toLocaleString('en-US')} population records (${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`)
  await db.query(`INSERT INTO organisations (id, kind, name, level, region_code) VALUES ('org_bench', 'department', '某市公安局', 'city', '330100')`)
  await db.query(
    `INSERT INTO datasets (id, code, name, title, abstract, provider_id, standard_name, standard_version, key_field, format, sharing, open,
       update_cycle, published_on, computed_tier, tier, created_at, updated_at)
     VALUES ($1, 'BENCH-FILTERS', 'population', '人口', 'bench', 'org_bench', 'population', '1.0.0', 'citizen_id', 'database', 'unconditional', 'none',
       'daily', '2026-01-01', 'L4', 'L4', now(), now())`,
    [DATASET],
  )
  // Set-based: 1 in 5,000 moved out (the rare value), regions spread over 100 districts of 10 cities.
  await db.query(
    `INSERT INTO records (dataset_id, key, data, version, created_at, updated_at)
     SELECT $1, lpad(n::text, 18, '0'), jsonb_build_object(
         'citizen_id', lpad(n::text, 18, '0'), 'name', '测试' || n, 'sex', (1 + n % 2)::text,
         'birth_date', (date '1950-01-01' + (n % 25000))::text,
         'household_region_code', (330000 + (n % 10) * 100 + (n / 10) % 10 + 1)::text,
         'status', CASE WHEN n % 5000 = 0 THEN 'moved_out' ELSE 'normal' END,
         'updated_at', '2026-0' || (1 + n % 9) || '-15T08:00:00+08:00'),
       1, now(), now()
     FROM generate_series(1, $2::integer) AS n`,
    [DATASET, records],
  )
  await db.query('ANALYZE')
  const build = async (name: string, chunkSize: number) => {
    await db.query('DELETE FROM record_index WHERE dataset_id = $1', [DATASET])
    await db.query(`UPDATE datasets SET indexed_fields = '{}' WHERE id = $1`, [DATASET])
    const started = performance.now()
    let rows = 0
    let chunks = 0
    for (let complete = false; !complete; chunks++) {
      complete = await db.transaction(async (tx) => {
        await lockDataset(tx, DATASET)
        const advanced = await advanceIndex(tx, DATASET, INDEXED, 1, chunkSize)
        rows += advanced.rows
        return advanced.state.building.length === 0
      })
    }
    const seconds = (performance.now() - started) / 1000
    console.log(`index of ${INDEXED.length} fields ${name.padEnd(42)} ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${chunks} transactions)`)
  }
  await build('in one statement (baseline):', records + 1)
  await build(`in chunks of ${INDEX_CHUNK.toLocaleString('en-US')} records (the job):`, INDEX_CHUNK)
  await db.query('ANALYZE')
  console.log()

  const cases: [string, Condition][] = [
    ['rare value (1 in 5,000): status eq moved_out', { field: 'status', op: 'eq', value: 'moved_out' }],
    ['common value (1 in 100): region eq 330101', { field: 'household_region_code', op: 'eq', value: '330101' }],
    ['rare prefix (1 in 5,000): status prefix moved', { field: 'status', op: 'prefix', value: 'moved' }],
    ['rare range (1 in 5,000): status < n', { field: 'status', op: 'lt', value: 'n' }],
    ['prefix (1 in 10): region prefix 33010', { field: 'household_region_code', op: 'prefix', value: '33010' }],
    ['range (1 in 9): updated_at ≥ 2026-09-01', { field: 'updated_at', op: 'gte', value: '2026-09-01' }],
    ['rare set (1 in 5,000): status in moved_out,deceased', { field: 'status', op: 'in', values: ['moved_out', 'deceased'] }],
    ['common set (1 in 50): region in 330101,330202', { field: 'household_region_code', op: 'in', values: ['330101', '330202'] }],
  ]
  const time = async (condition: Condition) => {
    const page = pageSql(DATASET, [condition], { limit: 51 }, 1, condition)
    await selectRecords(db, page) // plan and cache
    const samples: number[] = []
    let found = 0
    for (let i = 0; i < pages; i++) {
      const started = performance.now()
      found = (await selectRecords(db, page)).length
      samples.push(performance.now() - started)
    }
    samples.sort((a, b) => a - b)
    return { p50: samples[Math.floor(pages * 0.5)]!, p99: samples[Math.min(pages - 1, Math.floor(pages * 0.99))]!, found }
  }
  const ms = (n: number) => `${n.toFixed(2).padStart(8)} ms`
  console.log(`${'filter'.padEnd(52)} ${'through the index'.padStart(24)}   ${'over the records (baseline)'.padStart(28)}   rows`)
  for (const [name, condition] of cases) {
    await db.query(`UPDATE datasets SET indexed_fields = $2 WHERE id = $1`, [DATASET, INDEXED])
    const indexed = await time(condition)
    await db.query(`UPDATE datasets SET indexed_fields = '{}' WHERE id = $1`, [DATASET])
    const scanned = await time(condition)
    if (indexed.found !== scanned.found) throw new Error(`${name}: ${indexed.found} rows through the index, ${scanned.found} over the records`)
    console.log(`${name.padEnd(52)} p50 ${ms(indexed.p50)} p99 ${ms(indexed.p99)}   p50 ${ms(scanned.p50)} p99 ${ms(scanned.p99)}   ${indexed.found}`)
  }
} finally {
  await database.drop()
}
