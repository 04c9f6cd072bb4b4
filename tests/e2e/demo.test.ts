// `npm run demo`, the guided scenario, as a user runs it: against a gateway already running the
// demo world (on PostgreSQL when TEST_DATABASE_URL is set), and with no gateway at all, when it
// starts and stops its own. It exits 0 only when every step held.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/database.js'
import { runProcess, startGateway, type GatewayProcess } from '../support/process.js'

const scratch = mkdtempSync(join(tmpdir(), 'qiao-demo-e2e-'))
const dataDir = join(scratch, 'data')
let database: TestDatabase | undefined
let gateway: GatewayProcess

beforeAll(async () => {
  database = process.env.TEST_DATABASE_URL ? await createTestDatabase({ migrated: false }) : undefined
  gateway = await startGateway({ QIAO_DATA_DIR: dataDir, QIAO_DEMO: 'on', ...(database ? { DATABASE_URL: database.url! } : {}) }, 120_000)
  expect(gateway.output()).toMatch(/Demo world seeded/)
}, 180_000)

afterAll(async () => {
  await gateway?.stop('SIGTERM')
  await database?.drop()
  rmSync(scratch, { recursive: true, force: true })
})

const steps = (output: string) => output.match(/^\d\. /gm) ?? []

describe('npm run demo', () => {
  it('walks the whole story against a running gateway, and again on the same gateway', async () => {
    for (const run of [1, 2]) {
      const result = await runProcess(['--import', 'tsx', 'scripts/demo.ts'], { QIAO_URL: gateway.url, QIAO_DATA_DIR: dataDir })
      expect(result.code, `run ${run}:\n${result.output}`).toBe(0)
      expect(steps(result.output), result.output).toHaveLength(7)
      expect(result.output).toMatch(/validation report: 40 rows, 38 stored, 2 rejected/)
      expect(result.output).toMatch(/"reporter_mobile":"1\d{2}\*{4}\d{4}"|"location":"杭州市西湖区\*+"/)
      expect(result.output).toMatch(/inclusion proof leads to the signed root/)
      expect(result.output).toMatch(/✔ every step held/)
    }
  }, 180_000)

  it('starts a gateway of its own on a throwaway database when none answers, and stops it', async () => {
    const result = await runProcess(['--import', 'tsx', 'scripts/demo.ts'], { QIAO_URL: 'http://127.0.0.1:9' })
    expect(result.code, result.output).toBe(0)
    expect(result.output).toMatch(/No gateway answers at http:\/\/127\.0\.0\.1:9: starting one/)
    expect(steps(result.output), result.output).toHaveLength(7)
    const own = /Qiao guided scenario against (http:\/\/\S+)/.exec(result.output)?.[1]
    expect(own).toBeDefined()
    await expect(fetch(`${own}/health`)).rejects.toThrow()
  }, 240_000)

  it('exits non-zero with the reason when it cannot go on', async () => {
    const missing = await runProcess(['--import', 'tsx', 'scripts/demo.ts'], { QIAO_URL: gateway.url, QIAO_DEMO_CREDENTIALS: join(scratch, 'nope.json') })
    expect(missing.code, missing.output).toBe(1)
    expect(missing.output).toMatch(/no demo credentials at .*nope\.json/)
  }, 60_000)
})
