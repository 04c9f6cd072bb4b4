import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createPgliteDb } from '../../src/db/pglite.js'
import { citizenId, csv, person, populationDataset } from '../support/catalog.js'
import { accessToken, bootstrapCredentials, departmentPublisher, fetchJson } from '../support/gateway-client.js'
import { describeEmbedded } from '../support/embedded.js'
import { runProcess, startGateway } from '../support/process.js'

const scratch = mkdtempSync(join(tmpdir(), 'qiao-cli-ingest-'))
const env = { QIAO_DATA_DIR: join(scratch, 'data') }
let dataset: { id: string; code: string }

beforeAll(async () => {
  const gateway = await startGateway(env)
  try {
    const admin = await accessToken(gateway.url, bootstrapCredentials(gateway))
    const publisher = await departmentPublisher(gateway.url, admin)
    const registered = await fetchJson(`${gateway.url}/v1/datasets`, 'POST', populationDataset(), publisher.token)
    expect(registered.status, JSON.stringify(registered.body)).toBe(201)
    dataset = registered.body
  } finally {
    // PGlite is single-process: the command line gets the data directory once the server is gone.
    expect(await gateway.stop('SIGTERM')).toBe(0)
  }
}, 60_000)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const COLUMNS = ['身份证号', '姓名', '性别', '出生日期', '户籍地', '户籍地址', '人口状态']
function csvRow(n: number, overrides: Record<string, unknown> = {}) {
  const p = person(n, overrides)
  return [p.citizen_id, p.name, p.sex === '1' ? '男' : '女', p.birth_date, p.household_region_code, `人民路${n}号, "东"区\n2单元`, '正常']
}

/** The JSON report the command prints on stdout (the progress lines go to stderr). */
function reportIn(output: string): Record<string, unknown> {
  return JSON.parse(output.slice(output.indexOf('{\n'), output.lastIndexOf('}') + 1)) as Record<string, unknown>
}

describeEmbedded('qiao ingest <dataset> <file>', () => {
  it('streams a CSV file through the pipeline, with progress and the report', { timeout: 60_000 }, async () => {
    const file = join(scratch, 'population.csv')
    writeFileSync(file, csv(COLUMNS, Array.from({ length: 2500 }, (_, n) => csvRow(n))))
    const run = await runProcess(['bin/qiao.mjs', 'ingest', dataset.id, file], env)
    expect(run.code, run.output).toBe(0)
    expect(run.output).toMatch(/2,500 rows\s+[\d,]+ rows\/s\s+100%\s+ETA 0:00/)
    expect(reportIn(run.output)).toMatchObject({ dataset_id: dataset.id, total: 2500, inserted: 2500, rejected: 0 })
  })

  it('finds the dataset by resource code; refuses an atomic batch with invalid rows, exit 1; stores valid rows with --mode partial', { timeout: 60_000 }, async () => {
    const file = join(scratch, 'updates.ndjson')
    const bad = citizenId(9000).slice(0, 17) + (citizenId(9000).endsWith('0') ? '1' : '0')
    writeFileSync(file, [person(1, { status: 'moved_out' }), person(9000, { citizen_id: bad }), person(9001)].map((r) => JSON.stringify(r)).join('\n'))
    const refused = await runProcess(['bin/qiao.mjs', 'ingest', dataset.code, file], env)
    expect(refused.code, refused.output).toBe(1)
    expect(refused.output).toContain('1 of 3 rows are invalid; nothing was stored')
    expect(reportIn(refused.output)).toMatchObject({ rejected: 1, inserted: 0 })

    const partial = await runProcess(['bin/qiao.mjs', 'ingest', dataset.code, file, '--mode', 'partial'], env)
    expect(partial.code, partial.output).toBe(0)
    expect(reportIn(partial.output)).toMatchObject({ mode: 'partial', inserted: 1, updated: 1, rejected: 1 })

    const db = await createPgliteDb(env.QIAO_DATA_DIR)
    try {
      const { rows } = await db.query<{ n: number; record_count: number }>(
        'SELECT (SELECT count(*) FROM records WHERE dataset_id = $1) AS n, (SELECT record_count FROM datasets WHERE id = $1) AS record_count',
        [dataset.id],
      )
      expect(rows[0]).toEqual({ n: 2501, record_count: 2501 })
      const audit = await db.query<{ actor: string | null }>(`SELECT content->>'actor_client_id' AS actor FROM audit_log WHERE action = 'records.ingested' AND dataset_id = $1`, [dataset.id])
      expect(audit.rows).toEqual([{ actor: null }, { actor: null }])
    } finally {
      await db.close()
    }
  })

  it('explains how to call it', async () => {
    const run = await runProcess(['bin/qiao.mjs', 'ingest', dataset.id], env)
    expect(run.code).toBe(1)
    expect(run.output).toContain('usage: qiao ingest')
    const missing = await runProcess(['bin/qiao.mjs', 'ingest', 'ds_nope', join(scratch, 'population.csv')], env)
    expect(missing.code).toBe(1)
    expect(missing.output).toContain('dataset ds_nope not found')
  })
})
