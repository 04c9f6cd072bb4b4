import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ingestRecords } from '../../src/catalog/ingest.js'
import { pageSql } from '../../src/exchange/repository.js'
import type { Db, Queryable } from '../../src/db/db.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { testDriver } from '../support/database.js'
import { citizenId, csv, ndjson, person, populationDataset, registerDataset } from '../support/catalog.js'
import { call, createActor, createCast, expectStandardSecurity, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

const NDJSON = { 'content-type': 'application/x-ndjson' }
/** A citizen id with a wrong check character. */
const badId = (n: number) => citizenId(n).slice(0, 17) + (citizenId(n).endsWith('0') ? '1' : '0')

async function newDataset(overrides: Record<string, unknown> = {}) {
  return registerDataset(world, cast.deptA.publisher, populationDataset(overrides))
}

function ingest(datasetId: string, body: string, options: { query?: string; headers?: Record<string, string>; token?: string } = {}) {
  return call(world, 'POST', `/v1/datasets/${datasetId}/records${options.query ?? ''}`, {
    token: options.token ?? cast.deptA.publisher.token,
    body,
    headers: { ...NDJSON, ...options.headers },
  })
}

async function quality(datasetId: string) {
  const res = await call(world, 'GET', `/v1/datasets/${datasetId}`, { token: cast.deptA.publisher.token })
  expect(res.status, res.text).toBe(200)
  return res.body.quality as Record<string, number | null>
}

async function storedRecord(datasetId: string, key: string) {
  const { rows } = await world.services.db.query<{ data: Record<string, unknown>; version: number; updated_at: Date; deleted_at: Date | null; ingest_id: string }>(
    'SELECT data, version, updated_at, deleted_at, ingest_id FROM records WHERE dataset_id = $1 AND key = $2',
    [datasetId, key],
  )
  return rows[0]
}

async function recordCount(datasetId: string): Promise<number> {
  const { rows } = await world.services.db.query<{ n: number }>('SELECT count(*) AS n FROM records WHERE dataset_id = $1', [datasetId])
  return rows[0]!.n
}

describe('atomic and partial batches', () => {
  it('stores a valid NDJSON batch and reports what it did', async () => {
    const dataset = await newDataset()
    const res = await ingest(dataset.id, ndjson([person(1), person(2), person(3)]))
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ dataset_id: dataset.id, mode: 'atomic', total: 3, inserted: 3, updated: 0, unchanged: 0, rejected: 0, errors: [], truncated: false })
    expect(res.body.id).toMatch(/^ing_/)
    expect(await quality(dataset.id)).toMatchObject({ records: 3, ingests: 1, rows_received: 3, rows_rejected: 0, conformance: 1 })
    const stored = await storedRecord(dataset.id, citizenId(2))
    expect(stored).toMatchObject({ version: 1, deleted_at: null, ingest_id: res.body.id, data: person(2) })
  })

  it('refuses a whole atomic batch for one invalid row, with the per-row report, storing nothing', async () => {
    const dataset = await newDataset()
    const res = await ingest(dataset.id, ndjson([person(1), person(2, { citizen_id: badId(2) }), person(3, { sex: '7' })]))
    expect(res.status, res.text).toBe(422)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.body).toMatchObject({ code: 'unprocessable', status: 422 })
    expect(res.body.detail).toMatch(/2 of 3 rows are invalid; nothing was stored/)
    expect(res.body.report).toMatchObject({ total: 3, inserted: 0, updated: 0, unchanged: 0, rejected: 2 })
    expect(res.body.report.errors).toEqual([
      { row: 2, key: badId(2), errors: [expect.objectContaining({ path: '/citizen_id', code: 'format.cn-citizen-id.checksum' })] },
      { row: 3, key: citizenId(3), errors: [expect.objectContaining({ path: '/sex', code: 'enum' })] },
    ])
    expect(await recordCount(dataset.id)).toBe(0)
    expect(await quality(dataset.id)).toMatchObject({ records: 0, ingests: 0, refused_ingests: 1, rows_received: 3, rows_rejected: 2 })
  })

  it('stores the valid rows of a partial batch and reports the rest', async () => {
    const dataset = await newDataset()
    const res = await ingest(dataset.id, ndjson([person(1), person(2, { citizen_id: badId(2) }), person(3)]), { query: '?mode=partial' })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ mode: 'partial', total: 3, inserted: 2, rejected: 1 })
    expect(res.body.errors).toHaveLength(1)
    expect(await recordCount(dataset.id)).toBe(2)
    expect((await quality(dataset.id)).conformance).toBeCloseTo(2 / 3)
  })

  it('reads JSON arrays and reports malformed rows and unknown columns', async () => {
    const dataset = await newDataset()
    const array = await call(world, 'POST', `/v1/datasets/${dataset.id}/records`, { token: cast.deptA.publisher.token, body: [person(1), person(2)] })
    expect(array.status, array.text).toBe(200)
    expect(array.body.inserted).toBe(2)
    const body = `${JSON.stringify(person(3))}\n{"citizen_id": \n${JSON.stringify({ ...person(4), nickname: '小明' })}\n`
    const rejected = await ingest(dataset.id, body, { query: '?mode=partial' })
    expect(rejected.body.errors.map((e: { row: number; errors: Array<{ code: string }> }) => [e.row, e.errors[0]!.code])).toEqual([
      [2, 'parse.json.syntax'],
      [3, 'unknown_field'],
    ])
    const dropped = await ingest(dataset.id, ndjson([{ ...person(4), nickname: '小明' }]), { query: '?unknown=drop' })
    expect(dropped.body, dropped.text).toMatchObject({ inserted: 1, rejected: 0 })
  })

  it('answers 415 for other media types, 409 for a retired dataset', async () => {
    const dataset = await newDataset()
    const xml = await ingest(dataset.id, '<records/>', { headers: { 'content-type': 'application/xml' } })
    expect(xml.status, xml.text).toBe(415)
    await call(world, 'POST', `/v1/datasets/${dataset.id}/retire`, { token: cast.deptA.publisher.token })
    const retired = await ingest(dataset.id, ndjson([person(1)]))
    expect(retired.status, retired.text).toBe(409)
  })
})

describe('upsert by key', () => {
  it('counts inserted, updated and unchanged, and keeps the previous version of a changed record', async () => {
    const dataset = await newDataset()
    const first = await ingest(dataset.id, ndjson([person(1), person(2), person(3)]))
    const before = await storedRecord(dataset.id, citizenId(2))
    world.clock.advance(60_000)
    const again = await ingest(dataset.id, ndjson([person(1), person(2, { status: 'moved_out', name: '改名' }), person(3), person(4)]))
    expect(again.status, again.text).toBe(200)
    expect(again.body).toMatchObject({ total: 4, inserted: 1, updated: 1, unchanged: 2, rejected: 0 })

    const after = await storedRecord(dataset.id, citizenId(2))
    expect(after).toMatchObject({ version: 2, ingest_id: again.body.id, data: person(2, { status: 'moved_out', name: '改名' }) })
    expect(after!.updated_at.getTime()).toBe(before!.updated_at.getTime() + 60_000)
    const { rows } = await world.services.db.query<{ version: number; data: Record<string, unknown>; written_at: Date; ingest_id: string }>(
      'SELECT version, data, written_at, ingest_id FROM record_versions WHERE dataset_id = $1 AND key = $2',
      [dataset.id, citizenId(2)],
    )
    expect(rows).toEqual([{ version: 1, data: person(2), written_at: before!.updated_at, ingest_id: first.body.id }])
    const unchanged = await storedRecord(dataset.id, citizenId(1))
    expect(unchanged).toMatchObject({ version: 1, ingest_id: first.body.id })
    expect(await quality(dataset.id)).toMatchObject({ records: 4, ingests: 2 })
  })

  it('applies a key repeated within a batch in input order: the later row wins', async () => {
    const dataset = await newDataset()
    const res = await ingest(dataset.id, ndjson([person(1), person(1, { name: '第二次' }), person(1, { name: '第三次' })]))
    expect(res.body, res.text).toMatchObject({ total: 3, inserted: 1, updated: 2, unchanged: 0 })
    expect((await storedRecord(dataset.id, citizenId(1)))!.data.name).toBe('第三次')
  })

  it('normalises before comparing: the same person sent with local column names is unchanged', async () => {
    const dataset = await newDataset()
    await ingest(dataset.id, ndjson([person(7)]))
    const p = person(7)
    const local = { 身份证号: (p.citizen_id as string).toLowerCase(), 姓名: ` ${p.name} `, 性别: '男', 出生日期: (p.birth_date as string).replaceAll('-', '/'), 户籍地: p.household_region_code, 手机号: `+86 ${p.mobile}`, 人口状态: '正常' }
    const res = await ingest(dataset.id, ndjson([{ ...local, 性别: p.sex === '1' ? '男' : '女' }]))
    expect(res.body, res.text).toMatchObject({ unchanged: 1, inserted: 0, updated: 0 })
  })
})

describe('CSV', () => {
  it('streams CSV with quoted commas, doubled quotes and line breaks inside fields, under aliased headers', async () => {
    const dataset = await newDataset()
    const columns = ['身份证号', '姓名', '性别', '出生日期', '户籍地', '户籍地址', '人口状态']
    const address = '朝阳路1号, 3单元\n"幸福"小区 2栋'
    const rows = [1, 2, 3].map((n) => {
      const p = person(n)
      return [p.citizen_id, `王"小"${n}`, p.sex === '1' ? '男' : '女', p.birth_date, p.household_region_code, address, '正常']
    })
    const body = csv(columns, rows)
    // Sent in small pieces, splitting multi-byte characters and quoted fields across chunks. With
    // a Content-Length the body-size guard passes the stream on as it is, piece by piece.
    const bytes = new TextEncoder().encode(body)
    let pieces = 0
    let offset = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close()
        controller.enqueue(bytes.slice(offset, offset + 7))
        offset += 7
        pieces++
      },
    })
    const res = await world.app.request(
      new Request(`http://localhost/v1/datasets/${dataset.id}/records`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${cast.deptA.publisher.token}`,
          'content-type': 'text/csv; charset=utf-8',
          'content-length': String(bytes.length),
        },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    expect(pieces).toBe(Math.ceil(bytes.length / 7))
    const report = (await res.json()) as Record<string, unknown>
    expect(res.status, JSON.stringify(report)).toBe(200)
    expect(report).toMatchObject({ total: 3, inserted: 3, rejected: 0 })
    const stored = await storedRecord(dataset.id, citizenId(2))
    expect(stored!.data).toMatchObject({ name: '王"小"2', household_address: address, status: 'normal' })
  })

  it('numbers CSV rows from the first data row in its report', async () => {
    const dataset = await newDataset()
    const body = csv(['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'status'], [
      [citizenId(1), '甲', '1', '1950-01-01', '110105', 'normal'],
      [badId(2), '乙', '1', '1950-01-01', '110105', 'normal'],
    ])
    const res = await ingest(dataset.id, body, { headers: { 'content-type': 'text/csv' } })
    expect(res.status, res.text).toBe(422)
    expect(res.body.report.errors.map((e: { row: number }) => e.row)).toEqual([2])
  })
})

describe('Idempotency-Key', () => {
  it('replays the first report on a retry and stores nothing twice', async () => {
    const dataset = await newDataset()
    const headers = { 'idempotency-key': 'batch-2026-11-23' }
    const first = await ingest(dataset.id, ndjson([person(1), person(2)]), { headers })
    expect(first.status, first.text).toBe(200)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const retry = await ingest(dataset.id, ndjson([person(1), person(2)]), { headers })
    expect(retry.status, retry.text).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(retry.body).toEqual(first.body)
    expect(await quality(dataset.id)).toMatchObject({ ingests: 1, records: 2, rows_received: 2 })

    const otherMode = await ingest(dataset.id, ndjson([person(1)]), { headers, query: '?mode=partial' })
    expect(otherMode.status, otherMode.text).toBe(422)
    expect(otherMode.body.errors[0].code).toBe('key_reused')
    const sameKeyOtherDataset = await ingest((await newDataset()).id, ndjson([person(1)]), { headers })
    expect(sameKeyOtherDataset.status, 'keys are per dataset').toBe(200)
  })

  it('replays a refused atomic batch as the same 422', async () => {
    const dataset = await newDataset()
    const headers = { 'idempotency-key': 'refused-once' }
    const body = ndjson([person(1), person(2, { citizen_id: badId(2) })])
    const first = await ingest(dataset.id, body, { headers })
    expect(first.status, first.text).toBe(422)
    const retry = await ingest(dataset.id, body, { headers })
    expect(retry.status, retry.text).toBe(422)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(retry.body.report).toEqual(first.body.report)
    expect(await quality(dataset.id)).toMatchObject({ refused_ingests: 1, rows_received: 2 })
  })

  it('lets two concurrent requests with one key store the batch once', async () => {
    const dataset = await newDataset()
    const headers = { 'idempotency-key': 'concurrent' }
    const body = ndjson(Array.from({ length: 3000 }, (_, i) => person(i)))
    const [a, b] = await Promise.all([ingest(dataset.id, body, { headers }), ingest(dataset.id, body, { headers })])
    expect([a.status, b.status], `${a.text}\n${b.text}`).toEqual([200, 200])
    expect(a.body.id).toBe(b.body.id)
    expect([a.headers.get('idempotent-replayed'), b.headers.get('idempotent-replayed')].filter(Boolean)).toEqual(['true'])
    expect(await quality(dataset.id)).toMatchObject({ ingests: 1, records: 3000 })
  })
})

describe('DELETE /v1/datasets/{id}/records/{key}', () => {
  it('tombstones a record, idempotently, and brings it back with its history when written again', async () => {
    const dataset = await newDataset()
    await ingest(dataset.id, ndjson([person(1), person(2)]))
    const path = `/v1/datasets/${dataset.id}/records/${citizenId(1)}`
    const deleted = await call(world, 'DELETE', path, { token: cast.deptA.publisher.token })
    expect(deleted.status, deleted.text).toBe(204)
    expect((await storedRecord(dataset.id, citizenId(1)))!.deleted_at).not.toBeNull()
    expect((await quality(dataset.id)).records).toBe(1)
    expect((await call(world, 'DELETE', path, { token: cast.deptA.publisher.token })).status).toBe(204)
    expect((await quality(dataset.id)).records).toBe(1)
    const missing = await call(world, 'DELETE', `/v1/datasets/${dataset.id}/records/${citizenId(99)}`, { token: cast.deptA.publisher.token })
    expect(missing.status, missing.text).toBe(404)

    const revived = await ingest(dataset.id, ndjson([person(1), person(2)]))
    expect(revived.body, revived.text).toMatchObject({ inserted: 1, unchanged: 1, updated: 0 })
    expect(await storedRecord(dataset.id, citizenId(1))).toMatchObject({ version: 2, deleted_at: null })
    const { rows } = await world.services.db.query<{ version: number; deleted_at: Date | null }>(
      'SELECT version, deleted_at FROM record_versions WHERE dataset_id = $1 AND key = $2',
      [dataset.id, citizenId(1)],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.deleted_at).not.toBeNull()
    expect((await quality(dataset.id)).records).toBe(2)

    const audit = await call(world, 'GET', `/v1/audit?action=record.deleted&dataset=${dataset.id}`, { token: cast.admin.token })
    expect(audit.body.items).toHaveLength(1)
  })

  it('is for the provider’s publishers', async () => {
    const dataset = await newDataset()
    await ingest(dataset.id, ndjson([person(1)]))
    const otherPublisher = await createActor(world, cast.admin, cast.deptB.orgId, ['publisher'])
    const path = `/v1/datasets/${dataset.id}/records/${citizenId(1)}`
    expect((await call(world, 'DELETE', path, { token: otherPublisher.token })).status).toBe(403)
    await expectStandardSecurity(world, cast, { method: 'DELETE', path, role: 'publisher', orgId: cast.deptA.orgId })
  })
})

describe('who may ingest', () => {
  it('is the provider’s publishers: 403 for another department’s visible dataset, 404 for an invisible one', async () => {
    const shared = await newDataset()
    const hidden = await newDataset({ sharing: 'none', legal_basis: '《个人信息保护法》第十三条' })
    const otherPublisher = await createActor(world, cast.admin, cast.deptB.orgId, ['publisher'])
    const forbidden = await ingest(shared.id, ndjson([person(1)]), { token: otherPublisher.token })
    expect(forbidden.status, forbidden.text).toBe(403)
    const invisible = await ingest(hidden.id, ndjson([person(1)]), { token: otherPublisher.token })
    expect(invisible.status, invisible.text).toBe(404)
    const missing = await ingest('ds_missing', ndjson([person(1)]), { token: otherPublisher.token })
    expect(invisible.body.title).toBe(missing.body.title)
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/datasets/${shared.id}/records`, body: [], role: 'publisher', orgId: cast.deptA.orgId })
  })

  it('audits each batch with its counts, and lists batches for the provider', async () => {
    const dataset = await newDataset()
    const stored = await ingest(dataset.id, ndjson([person(1), person(2, { citizen_id: badId(2) })]), { query: '?mode=partial' })
    world.clock.advance(1000)
    await ingest(dataset.id, ndjson([person(3, { citizen_id: badId(3) })]))
    const audit = await call(world, 'GET', `/v1/audit?dataset=${dataset.id}&action=records.ingested`, { token: cast.admin.token })
    expect(audit.body.items[0].content).toMatchObject({
      actor_client_id: cast.deptA.publisher.clientId,
      row_count: 1,
      details: { ingest_id: stored.body.id, total: 2, inserted: 1, rejected: 1, mode: 'partial' },
    })
    const refused = await call(world, 'GET', `/v1/audit?dataset=${dataset.id}&action=records.refused`, { token: cast.admin.token })
    expect(refused.body.items).toHaveLength(1)

    const list = await call(world, 'GET', `/v1/datasets/${dataset.id}/ingests?limit=1`, { token: cast.deptA.consumer.token })
    expect(list.status, list.text).toBe(200)
    expect(list.body.items[0]).toMatchObject({ outcome: 'refused', total: 1, rejected: 1 })
    const next = await call(world, 'GET', `/v1/datasets/${dataset.id}/ingests?limit=1&cursor=${list.body.next_cursor}`, { token: cast.deptA.consumer.token })
    expect(next.body.items[0]).toMatchObject({ id: stored.body.id, outcome: 'stored', inserted: 1, rejected: 1 })
    expect(next.body.next_cursor).toBeNull()
    expect((await call(world, 'GET', `/v1/datasets/${dataset.id}/ingests`, { token: cast.deptB.consumer.token })).status).toBe(403)
  })
})

describe('bulk writes', () => {
  it('write one statement per chunk, never one per row', async () => {
    const dataset = await newDataset()
    const statements: string[] = []
    const db = countingDb(world.services.db, statements)
    const rows = 5000
    const outcome = await ingestRecords(
      { ...world.services, db },
      { requestId: 'count', actor: null, sourceIp: null, at: world.clock.now() },
      'operator',
      dataset.id,
      { body: [ndjson(Array.from({ length: rows }, (_, i) => person(i)))], contentType: 'application/x-ndjson' },
      { mode: 'atomic', unknown: 'reject' },
    )
    expect(outcome.report).toMatchObject({ inserted: rows, rejected: 0 })
    const upserts = statements.filter((sql) => sql.includes('INSERT INTO records'))
    expect(upserts).toHaveLength(3)
    expect(statements.length, statements.join('\n---\n')).toBeLessThan(20)
  })
})

/** The Db, counting every statement its transactions run. */
function countingDb(db: Db, statements: string[]): Db {
  const counted = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql)
      return q.query(sql, params)
    },
    exec: (sql) => q.exec(sql),
  })
  return { ...db, ...counted(db), transaction: (fn) => db.transaction((tx) => fn(counted(tx))) }
}

describe('planner statistics', () => {
  // PostgreSQL's autovacuum analyzes on its own schedule; PGlite has none, so ingest does it.
  it.runIf(testDriver === 'pglite')('leave a page read by the key index, not a sort of the whole dataset, after an ingest on PGlite', async () => {
    const dataset = await newDataset()
    const res = await ingest(dataset.id, ndjson(Array.from({ length: 300 }, (_, i) => person(i + 1))))
    expect(res.status, res.text).toBe(200)
    const page = pageSql(dataset.id, [], { limit: 51 })
    const { rows } = await world.services.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${page.sql}`, page.params)
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
    expect(plan).toMatch(/Index Scan using records_pkey/)
    expect(plan).not.toMatch(/Sort/)
  })
})
