// The demo world as a new user meets it: `npm start` on an empty data directory seeds it and says
// how to try it; later starts say it again; `qiao seed demo` seeds once and then refuses; the
// demo stays out of the way when switched off. Real processes on PGlite data directories.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { parseCredentialsFile, type DemoCredentialsFile } from '../../src/demo/credentials.js'
import { loadConfig } from '../../src/config.js'
import { demoEnabled } from '../../src/node.js'
import { accessToken, bootstrapCredentials, fetchJson } from '../support/gateway-client.js'
import { describeEmbedded } from '../support/embedded.js'
import { runProcess, startGateway } from '../support/process.js'

const scratch = mkdtempSync(join(tmpdir(), 'qiao-demo-start-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function credentialsIn(dir: string): DemoCredentialsFile {
  const file = join(dir, 'demo-credentials.json')
  expect(existsSync(file), `${file} exists`).toBe(true)
  expect(statSync(file).mode & 0o777, 'readable by its owner only').toBe(0o600)
  const parsed = parseCredentialsFile(readFileSync(file, 'utf8'))
  if ('problem' in parsed) throw new Error(parsed.problem)
  return parsed
}

describeEmbedded('the first start', () => {
  it('seeds the demo world on an empty data directory, prints the console and the credentials, and prints them again on the next start', async () => {
    const dir = join(scratch, 'first')
    // QIAO_DEMO unset: on, since this is embedded PGlite.
    const first = await startGateway({ QIAO_DATA_DIR: join(dir, 'data'), QIAO_DEMO: '' }, 120_000)
    let file: DemoCredentialsFile
    try {
      const output = first.output()
      expect(output).toMatch(/First start: created the platform organisation/)
      expect(output).toMatch(/Demo world seeded/)
      expect(output).toContain(`console   ${first.url}/console`)
      expect(output).toContain(`API docs  ${first.url}/docs`)
      file = credentialsIn(dir)
      expect(file.credentials.map((c) => c.role).sort()).toEqual(['admin', 'approver', 'approver', 'approver', 'auditor', 'consumer', 'consumer', 'consumer', 'consumer', 'consumer', 'publisher', 'publisher', 'publisher'])
      for (const credential of file.credentials) expect(output).toContain(`${credential.client_id}  ${credential.client_secret}`)

      // The printed credentials work over HTTP, and the world is there.
      const publisher = file.credentials.find((c) => c.role === 'publisher' && c.org_name === '杭州市民政局')!
      const token = await accessToken(first.url, { clientId: publisher.client_id, secret: publisher.client_secret })
      const datasets = await fetchJson(`${first.url}/v1/datasets?provider=${publisher.org_id}`, 'GET', undefined, token)
      expect(datasets.status, JSON.stringify(datasets.body)).toBe(200)
      expect(datasets.body.items.map((d: { tier: string }) => d.tier).sort()).toEqual(['L3', 'L4', 'L4'])
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0)
    }

    const second = await startGateway({ QIAO_DATA_DIR: join(dir, 'data'), QIAO_DEMO: '' }, 90_000)
    try {
      const output = second.output()
      expect(output).not.toMatch(/First start|Demo world seeded/)
      expect(output).toMatch(/Demo world \(credentials from .*demo-credentials\.json\)/)
      expect(output).toContain(`${second.url}/console`)
      for (const credential of file.credentials) expect(output).toContain(`${credential.client_id}  ${credential.client_secret}`)
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0)
    }
  }, 240_000)

  it('leaves the database empty with QIAO_DEMO=off', async () => {
    const dir = join(scratch, 'off')
    const gateway = await startGateway({ QIAO_DATA_DIR: join(dir, 'data'), QIAO_DEMO: 'off' }, 90_000)
    try {
      expect(gateway.output()).toMatch(/First start: created the platform organisation/)
      expect(gateway.output()).not.toMatch(/Demo world/)
      expect(existsSync(join(dir, 'demo-credentials.json'))).toBe(false)
      const admin = await accessToken(gateway.url, bootstrapCredentials(gateway))
      const orgs = await fetchJson(`${gateway.url}/v1/orgs`, 'GET', undefined, admin)
      expect(orgs.body.items.map((o: { kind: string }) => o.kind), JSON.stringify(orgs.body)).toEqual(['platform'])
    } finally {
      expect(await gateway.stop('SIGTERM')).toBe(0)
    }
  }, 120_000)

  it('is on by default with embedded PGlite and off with PostgreSQL, unless QIAO_DEMO says otherwise', () => {
    expect(demoEnabled(loadConfig({}))).toBe(true)
    expect(demoEnabled(loadConfig({ DATABASE_URL: 'postgres://db/qiao' }))).toBe(false)
    expect(demoEnabled(loadConfig({ DATABASE_URL: 'postgres://db/qiao', QIAO_DEMO: 'on' }))).toBe(true)
    expect(demoEnabled(loadConfig({ QIAO_DEMO: 'off' }))).toBe(false)
  })
})

describeEmbedded('qiao seed demo', () => {
  it('seeds an empty database once, writes the credentials file, and refuses the second time', async () => {
    const dir = join(scratch, 'cli')
    const env = { QIAO_DATA_DIR: join(dir, 'data') }
    const seeded = await runProcess(['bin/qiao.mjs', 'seed', 'demo'], env)
    expect(seeded.code, seeded.output).toBe(0)
    expect(seeded.output).toMatch(/records {8}4450/)
    expect(seeded.output).toMatch(/requests {7}.*1 pending \(red\).*1 pending \(yellow\).*1 pending \(green\)/)
    const file = credentialsIn(dir)
    for (const credential of file.credentials) expect(seeded.output).toContain(credential.client_secret)

    const again = await runProcess(['bin/qiao.mjs', 'seed', 'demo'], env)
    expect(again.code, again.output).toBe(1)
    expect(again.output).toMatch(/only seeded into an empty database/)
    expect(credentialsIn(dir)).toEqual(file)
  }, 180_000)
})
