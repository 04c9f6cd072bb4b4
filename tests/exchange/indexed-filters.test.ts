// Consumers' filters (?filter=) apply to the fields the standard indexes (x-indexed), and a page
// reads them through record_index. The index only narrows: every answer here is compared with the
// one the records give on their own (the index not covering the dataset) and with the records
// themselves, across the ingest, change, tombstone and catch-up paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { advanceIndex, indexStaleDatasets, maintainedFields, nextIndexState } from '../../src/catalog/record-index.js'
import { indexState, upsertChunk } from '../../src/catalog/records-repository.js'
import { lockDataset } from '../../src/catalog/repository.js'
import { pageSql, prefixEnd, type Condition, type RowCondition } from '../../src/exchange/repository.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { person, populationDataset, registerDataset } from '../support/catalog.js'
import { grantFor, ingest, read } from '../support/exchange.js'
import { call, createCast, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
let dataset: string
let stored: Record<string, unknown>[]

const REGIONS = ['330106', '330102', '310115', '3301']
const STATUSES = ['normal', 'moved_out', 'deceased']
const record = (n: number) =>
  person(n, { household_region_code: REGIONS[n % 3]!, status: STATUSES[n % 7 === 0 ? 1 : n % 11 === 0 ? 2 : 0]!, updated_at: `2026-0${1 + (n % 9)}-15T08:00:00+08:00` })

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  dataset = (await registerDataset(world, cast.deptA.publisher, populationDataset())).id
  // More than a range reads through the index before it walks the records instead (1,000).
  stored = Array.from({ length: 1100 }, (_, i) => record(i + 1))
  await ingest(world, cast.deptA.publisher, dataset, stored)
})
afterAll(() => world.close())

/** Every item a reader's reads of `query` return, walking the pages. */
async function itemsOf(query: string, reader = cast.deptA.consumer, purpose?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = []
  let cursor: string | null = null
  do {
    const res = await read(world, reader, `/v1/datasets/${dataset}/records?${query}${cursor ? `&cursor=${cursor}` : ''}`, purpose)
    expect(res.status, res.text).toBe(200)
    items.push(...res.body.items)
    cursor = res.body.next_cursor
  } while (cursor)
  return items
}

/** Every key the owner's filtered reads return. */
const keysOf = async (filter: string, limit = 170) => (await itemsOf(`limit=${limit}&filter=${encodeURIComponent(filter)}`)).map((r) => r.citizen_id)

const live = () => stored.filter((r) => !deleted.has(String(r.citizen_id)))
const deleted = new Set<string>()
const expected = (match: (r: Record<string, unknown>) => boolean) =>
  live()
    .filter(match)
    .map((r) => String(r.citizen_id))
    .sort()

const FILTERS: [string, (r: Record<string, unknown>) => boolean][] = [
  ['status:eq:moved_out', (r) => r.status === 'moved_out'],
  ['household_region_code:eq:330106', (r) => r.household_region_code === '330106'],
  ['household_region_code:prefix:3301', (r) => String(r.household_region_code).startsWith('3301')],
  ['household_region_code:gt:310115', (r) => String(r.household_region_code) > '310115'],
  ['updated_at:gte:2026-05-01,updated_at:lt:2026-05-01', () => false],
  ['updated_at:lte:2026-03-15T08:00:00+08:00,status:eq:normal', (r) => String(r.updated_at) <= '2026-03-15T08:00:00+08:00' && r.status === 'normal'],
  ['status:prefix:', () => true],
  ['status:in:moved_out|deceased', (r) => r.status !== 'normal'],
  ['household_region_code:in:3301|330106|3301,status:eq:normal', (r) => ['3301', '330106'].includes(String(r.household_region_code)) && r.status === 'normal'],
  ['household_region_code:in:330106|330102|310115|3301', () => true],
  ['status:in:normal', (r) => r.status === 'normal'],
  ['updated_at:gte:2026-01-01,household_region_code:lt:330106', (r) => r.updated_at !== undefined && String(r.household_region_code) < '330106'],
]

async function expectAnswersMatch() {
  for (const [filter, match] of FILTERS) expect(await keysOf(filter), filter).toEqual(expected(match))
  // Short pages: the cursor through the index, for a value and for a range.
  expect(await keysOf('status:eq:moved_out', 7)).toEqual(expected((r) => r.status === 'moved_out'))
  expect(await keysOf('household_region_code:gte:330106', 29)).toEqual(expected((r) => String(r.household_region_code) >= '330106'))
}

const INDEXED = ['household_region_code', 'status', 'updated_at']
/** The index rows records should have (tombstoned ones keep theirs). */
const valuesOf = (records: Record<string, unknown>[]) => records.reduce((n, r) => n + INDEXED.filter((f) => r[f] !== undefined).length, 0)

/** As after an upgrade, or a standard that marks a field after records were stored. */
async function forgetIndex() {
  await world.services.db.query(`DELETE FROM record_index WHERE dataset_id = $1`, [dataset])
  await world.services.db.query(`UPDATE datasets SET indexed_fields = '{}' WHERE id = $1`, [dataset])
}

const indexStateOf = () => indexState(world.services.db, dataset)

/** What GET /v1/datasets/{id} tells of the index. */
async function filterIndexShown(): Promise<unknown> {
  const res = await call(world, 'GET', `/v1/datasets/${dataset}`, { token: cast.deptA.publisher.token })
  expect(res.status, res.text).toBe(200)
  return res.body.filter_index
}

/**
 * The fields the dataset's index is complete for, its row count, and `stray`: the rows of those
 * fields that differ from what the records hold (missing or stale), which should be none.
 */
async function coverage(): Promise<{ fields: string[]; rows: number; stray: number }> {
  const { rows } = await world.services.db.query<{ fields: string[]; rows: number; stray: number }>(
    `WITH held AS (SELECT f.field, r.data ->> f.field AS value, r.key FROM records r, datasets d, unnest(d.indexed_fields) AS f(field)
                   WHERE r.dataset_id = $1 AND d.id = $1 AND r.data ->> f.field IS NOT NULL),
          kept AS (SELECT x.field, x.value, x.key FROM record_index x, datasets d WHERE x.dataset_id = $1 AND d.id = $1 AND x.field = ANY(d.indexed_fields))
     SELECT d.indexed_fields AS fields, (SELECT count(*)::int FROM record_index x WHERE x.dataset_id = d.id) AS rows,
            (SELECT count(*)::int FROM ((SELECT * FROM held EXCEPT SELECT * FROM kept) UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM held)) AS odd) AS stray
     FROM datasets d WHERE d.id = $1`,
    [dataset],
  )
  return rows[0]!
}

/** The executed plan of a 5-record page under `condition`, read through the index where it can. */
async function planOf(condition: Condition): Promise<string> {
  const page = pageSql(dataset, [condition], { limit: 5 }, 1, condition)
  const { rows } = await world.services.db.query<Record<string, string>>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ${page.sql}`, page.params)
  return rows.map((r) => Object.values(r)[0]).join('\n')
}
const indexLines = (plan: string) => plan.split('\n').filter((l) => /record_index/.test(l))

describe('filters on indexed fields', () => {
  it('are indexed by the ingest: a row per record and indexed field with a value', async () => {
    expect(await coverage()).toEqual({ fields: INDEXED, rows: valuesOf(stored), stray: 0 })
  })

  it('answer as the records do, page by page', async () => {
    await expectAnswersMatch()
  })

  it('read the page through the index when it covers the field, and the records when it does not', async () => {
    const plan = () => planOf({ field: 'status', op: 'eq', value: 'moved_out' })
    const covered = await plan()
    // The index was read, and the walk over the records (the page's second branch) was not.
    expect(indexLines(covered).some((l) => !/never executed/.test(l))).toBe(true)
    expect(covered).toMatch(/ on records r_1 \(never executed\)/)
    const fields = (await coverage()).fields
    await world.services.db.query(`UPDATE datasets SET indexed_fields = '{}' WHERE id = $1`, [dataset])
    try {
      const uncovered = await plan()
      expect(indexLines(uncovered).every((l) => /never executed/.test(l))).toBe(true)
      expect(uncovered).not.toMatch(/ on records r_1 \(never executed\)/)
      await expectAnswersMatch()
    } finally {
      await world.services.db.query(`UPDATE datasets SET indexed_fields = $2 WHERE id = $1`, [dataset, fields])
    }
  })

  it('follow changed values and tombstones', async () => {
    const moved = stored.findIndex((r) => r.status === 'normal' && r.household_region_code === '330106')
    stored[moved] = { ...stored[moved]!, status: 'moved_out', household_region_code: '310115' }
    const dropped = { ...stored[moved + 1]! }
    delete dropped.updated_at
    stored[moved + 1] = dropped
    await ingest(world, cast.deptA.publisher, dataset, [stored[moved]!, stored[moved + 1]!])
    const gone = stored.find((r) => r.status === 'moved_out' && r !== stored[moved])!
    const res = await call(world, 'DELETE', `/v1/datasets/${dataset}/records/${gone.citizen_id}`, { token: cast.deptA.publisher.token })
    expect(res.status, res.text).toBe(204)
    deleted.add(String(gone.citizen_id))
    expect(await keysOf('status:eq:moved_out')).toContain(stored[moved]!.citizen_id)
    expect(await keysOf('household_region_code:eq:330106')).not.toContain(stored[moved]!.citizen_id)
    // The rows of the values the two records no longer hold are gone, not just filtered out.
    expect(await coverage()).toMatchObject({ rows: valuesOf(stored), stray: 0 })
    await expectAnswersMatch()
  })

  it('on records stored before the index covered them: answered from the records, then indexed by the job', async () => {
    // As after an upgrade, or a standard that marks a field after records were stored.
    await forgetIndex()
    await expectAnswersMatch()
    const run = await indexStaleDatasets(world.services)
    expect(run).toMatchObject({ datasets: 1, waiting: 0 })
    const after = await coverage()
    expect(after).toEqual({ fields: INDEXED, rows: valuesOf(stored), stray: 0 })
    expect(run.rows).toBe(after.rows)
    await expectAnswersMatch()
    expect(await indexStaleDatasets(world.services)).toEqual({ datasets: 0, rows: 0, waiting: 0 })
  })

  it('are built in chunks of records, and writers between chunks keep the rows of the fields being built', async () => {
    await forgetIndex()
    // Two chunks of 300 records, then the job's budget is spent: filters read the records meanwhile.
    expect(await indexStaleDatasets(world.services, { chunks: 2, chunkSize: 300 })).toMatchObject({ datasets: 0, waiting: 1 })
    const keys = stored.map((r) => String(r.citizen_id)).sort()
    const partway = (await indexStateOf())!
    expect(partway).toEqual({ indexed: [], building: INDEXED, builtTo: keys[599], dropping: [] })
    expect(await filterIndexShown()).toEqual({ complete: [], building: INDEXED })
    await expectAnswersMatch()
    // A writer changes a record on each side of builtTo and adds one, as an ingest's chunk does.
    const changedKeys = [keys[100]!, keys[900]!]
    const { rows } = await world.services.db.query<{ key: string; data: Record<string, unknown> }>(
      'SELECT key, data FROM records WHERE dataset_id = $1 AND key = ANY($2) ORDER BY key',
      [dataset, changedKeys],
    )
    const flip = (status: unknown) => (status === 'deceased' ? 'normal' : 'deceased')
    const fresh = String(person(5000).citizen_id)
    const written = [...rows.map((r) => ({ ...r.data, status: flip(r.data.status) })), { ...rows[0]!.data, citizen_id: fresh }]
    for (const key of changedKeys) {
      const at = stored.findIndex((r) => r.citizen_id === key)
      stored[at] = { ...stored[at]!, status: flip(stored[at]!.status) }
    }
    stored.push({ ...stored.find((r) => r.citizen_id === changedKeys[0])!, citizen_id: fresh, status: rows[0]!.data.status })
    await world.services.db.transaction(async (tx) => {
      await lockDataset(tx, dataset)
      const indexedFields = maintainedFields((await indexState(tx, dataset))!)
      await upsertChunk(tx, { datasetId: dataset, keyField: 'citizen_id', records: JSON.stringify(written), ingestId: 'ing_chunks', at: new Date(), indexedFields })
    })
    expect((await indexStaleDatasets(world.services, { chunkSize: 300 })).datasets).toBe(1)
    expect(await indexStateOf()).toEqual({ indexed: INDEXED, building: [], builtTo: null, dropping: [] })
    expect(await filterIndexShown()).toEqual({ complete: INDEXED, building: [] })
    expect(await coverage()).toEqual({ fields: INDEXED, rows: valuesOf(stored), stray: 0 })
    await expectAnswersMatch()
  })

  it('drop the rows of fields no longer indexed, in chunks, and build them again when wanted', async () => {
    const kept = ['household_region_code']
    const dropped = await world.services.db.transaction(async (tx) => {
      await lockDataset(tx, dataset)
      return advanceIndex(tx, dataset, kept, 1, 500)
    })
    // One chunk of 500 deletes does not finish: the fields stay out of the complete ones meanwhile.
    expect(dropped.state).toEqual({ indexed: kept, building: [], builtTo: null, dropping: ['status', 'updated_at'] })
    await expectAnswersMatch()
    await world.services.db.transaction(async (tx) => {
      await lockDataset(tx, dataset)
      return advanceIndex(tx, dataset, kept, Number.POSITIVE_INFINITY, 500)
    })
    expect(await coverage()).toEqual({ fields: kept, rows: stored.length, stray: 0 })
    // The standard still indexes them: the job builds them again.
    expect((await indexStaleDatasets(world.services)).datasets).toBe(1)
    expect(await coverage()).toEqual({ fields: INDEXED, rows: valuesOf(stored), stray: 0 })
    await expectAnswersMatch()
  })

  it('include the row filters of grants: equality, prefix and sets of values read through the index too', async () => {
    const fields = ['household_region_code', 'status', 'updated_at']
    const cases: [string, RowCondition, (r: Record<string, unknown>) => boolean][] = [
      ['in-few', { field: 'household_region_code', op: 'in', values: ['330106', '310115', '330106'] }, (r) => ['330106', '310115'].includes(String(r.household_region_code))],
      ['in-all', { field: 'household_region_code', op: 'in', values: REGIONS }, () => true],
      ['in-one', { field: 'household_region_code', op: 'in', values: ['3301'] }, (r) => r.household_region_code === '3301'],
      ['in-status', { field: 'status', op: 'in', values: ['deceased', 'moved_out'] }, (r) => r.status !== 'normal'],
      ['prefix', { field: 'household_region_code', op: 'prefix', value: '3301' }, (r) => String(r.household_region_code).startsWith('3301')],
      ['eq', { field: 'status', op: 'eq', value: 'deceased' }, (r) => r.status === 'deceased'],
    ]
    for (const [purpose, condition, match] of cases) {
      await grantFor(world, cast, cast.deptB.consumer, dataset, { purpose, fields }, { row_filter: [condition] })
      // In key order, field for field: the grant's masks (the standard's defaults here) applied alike.
      const want = live()
        .filter(match)
        .sort((a, b) => String(a.citizen_id).localeCompare(String(b.citizen_id)))
        .map((r) => [r.status, r.updated_at])
      const got = await itemsOf('limit=97', cast.deptB.consumer, purpose)
      expect(got.map((r) => [r.status, r.updated_at]), purpose).toEqual(want)
    }
    // A few values' entries are read from the index, one value at a time; the walk over the records is not.
    const few = await planOf(cases[0]![1])
    expect(indexLines(few).some((l) => !/never executed/.test(l))).toBe(true)
    expect(few).toMatch(/ on records r_1 \(never executed\)/)
  })

  it('refuse fields the standard does not index, naming those it does', async () => {
    const res = await read(world, cast.deptA.consumer, `/v1/datasets/${dataset}/records?filter=name:eq:${encodeURIComponent('测试1')}`)
    expect(res.status, res.text).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(res.body.detail).toContain('household_region_code')
    expect(res.body.errors).toEqual([{ path: 'query.filter', message: 'name is not an indexed field', code: 'not_indexed' }])
  })
})

describe('values holding the filter syntax', () => {
  // A standard of the publisher's own may index free text, whose values can hold `,`, `|` and `%`.
  const subjects = ['水电费, 燃气费', 'A|B 两栋', '减免 50%', '水电费', '其他']
  let notices: string

  beforeAll(async () => {
    const standard = {
      name: 'notice',
      version: '1.0.0',
      title: '公告 / Notice',
      schema: {
        'x-key': 'notice_id',
        type: 'object',
        properties: {
          notice_id: { title: '编号 / ID', type: 'string', pattern: '^N[0-9]{3}$', 'x-sensitivity': 'L1' },
          subject: { title: '主题 / Subject', type: 'string', maxLength: 100, 'x-sensitivity': 'L1', 'x-indexed': true },
        },
        required: ['notice_id', 'subject'],
        additionalProperties: false,
      },
    }
    const published = await call(world, 'POST', '/v1/standards', { token: cast.admin.token, body: standard })
    expect(published.status, published.text).toBe(201)
    notices = (await registerDataset(world, cast.deptA.publisher, { ...populationDataset(), standard: { name: 'notice', version: '1.0.0' } })).id
    await ingest(world, cast.deptA.publisher, notices, subjects.map((subject, i) => ({ notice_id: `N00${i}`, subject })))
  })

  const subjectsOf = async (filter: string) => {
    const res = await read(world, cast.deptA.consumer, `/v1/datasets/${notices}/records?filter=${encodeURIComponent(filter)}`)
    expect(res.status, res.text).toBe(200)
    return (res.body.items as { subject: string }[]).map((r) => r.subject)
  }
  /** A value as it is written inside a filter. */
  const escaped = (value: string) => value.replace(/%/g, '%25').replace(/,/g, '%2C').replace(/\|/g, '%7C')

  it('are written percent-encoded inside the filter and match as themselves', async () => {
    expect(await subjectsOf(`subject:eq:${escaped('水电费, 燃气费')}`)).toEqual(['水电费, 燃气费'])
    expect(await subjectsOf(`subject:in:${escaped('A|B 两栋')}|${escaped('减免 50%')}`)).toEqual(['A|B 两栋', '减免 50%'])
    expect(await subjectsOf(`subject:prefix:${escaped('水电费,')}`)).toEqual(['水电费, 燃气费'])
    // Unescaped, the comma still separates conditions and the bar still separates a set's values.
    expect(await subjectsOf('subject:in:A|B 两栋')).toEqual([])
  })

  it('refuse a value that is not valid percent-encoding, naming the condition', async () => {
    const res = await read(world, cast.deptA.consumer, `/v1/datasets/${notices}/records?filter=${encodeURIComponent('subject:eq:减免 50%')}`)
    expect(res.status, res.text).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(res.body.errors).toEqual([{ path: 'query.filter', message: expect.stringContaining('"subject:eq:减免 50%" has a value that is not valid percent-encoded UTF-8'), code: 'invalid_filter' }])
  })
})

describe('nextIndexState', () => {
  const state = (indexed: string[], building: string[] = [], builtTo: string | null = null, dropping: string[] = []) => ({ indexed, building, builtTo, dropping })
  it.each([
    ['nothing to do', state(['a', 'b']), ['a', 'b'], state(['a', 'b'])],
    ['a new field is built from the first record', state(['a']), ['a', 'b'], state(['a'], ['b'])],
    ['a field no longer wanted is dropped', state(['a', 'b']), ['a'], state(['a'], [], null, ['b'])],
    ['a build goes on when its fields do not grow', state([], ['a', 'b'], 'k9'), ['a'], state([], ['a'], 'k9', ['b'])],
    ['a build restarts when its fields grow', state([], ['a'], 'k9'), ['a', 'b'], state([], ['a', 'b'])],
    ['a field wanted again waits for its rows to be dropped', state(['a'], [], null, ['b']), ['a', 'b'], state(['a'], [], null, ['b'])],
    ['after the drop it is built', state(['a']), ['a', 'b'], state(['a'], ['b'])],
    ['no field wanted', state(['a'], ['b'], 'k1', ['c']), [], state([], [], null, ['a', 'b', 'c'])],
  ])('%s', (_, from, wanted, to) => {
    expect(nextIndexState(from, wanted)).toEqual(to)
  })
})

describe('prefixEnd', () => {
  it('is the least string above every string with the prefix, in code-point order', () => {
    expect(prefixEnd('3301')).toBe('3302')
    expect(prefixEnd('ab\u{10FFFF}')).toBe('ac')
    expect(prefixEnd('\u{10FFFF}\u{10FFFF}')).toBeUndefined()
    expect(prefixEnd('a\uD7FF')).toBe('a\uE000')
    expect(prefixEnd('测')).toBe(String.fromCodePoint('测'.codePointAt(0)! + 1))
  })
})
