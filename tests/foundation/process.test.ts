import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it, vi } from 'vitest'
import { createPgliteDb, DataDirLockedError } from '../../src/db/pglite.js'
import { describeEmbedded } from '../support/embedded.js'
import { runProcess, startGateway } from '../support/process.js'

const scratch = mkdtempSync(join(tmpdir(), 'qiao-process-'))
// Six real CLI processes, each starting Node, tsx and PGlite: generous on a loaded 2-core machine.
const PROCESSES_TIMEOUT = 120_000
// Every test here starts real processes on fresh data directories: on a loaded machine one start
// alone can take most of the default 30 s.
vi.setConfig({ testTimeout: PROCESSES_TIMEOUT })
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describeEmbedded('the Node server on embedded PGlite', () => {
  it('starts, answers, shuts down gracefully on SIGTERM and keeps its data', async () => {
    const dataDir = join(scratch, 'graceful')
    const gateway = await startGateway({ QIAO_DATA_DIR: dataDir })
    expect(gateway.output(), 'first start prints the admin credentials').toMatch(/client_secret\s+qs_/)
    const ready = await fetch(`${gateway.url}/ready`)
    expect(ready.status, gateway.output()).toBe(200)
    const code = await gateway.stop('SIGTERM')
    expect(code, gateway.output()).toBe(0)
    expect(gateway.output()).toContain('"msg":"shutting down"')
    expect(existsSync(`${dataDir}.lock`), 'lock file released').toBe(false)

    const again = await startGateway({ QIAO_DATA_DIR: dataDir })
    expect(again.output(), 'migrations were kept, not re-applied').not.toContain('migrations applied')
    expect((await fetch(`${again.url}/ready`)).status).toBe(200)
    expect(await again.stop('SIGINT')).toBe(0)
  })

  it('refuses a second process on the same data directory with a clear message', async () => {
    const dataDir = join(scratch, 'locked')
    const first = await startGateway({ QIAO_DATA_DIR: dataDir })
    try {
      const second = await runProcess(['--import', 'tsx', 'src/node.ts'], { QIAO_DATA_DIR: dataDir, PORT: '0' })
      expect(second.code).toBe(1)
      expect(second.output).toContain(`in use by process ${first.child.pid}`)
    } finally {
      await first.stop()
    }
  })

  it('takes over a lock left by a process that died', async () => {
    const dataDir = join(scratch, 'stale')
    const crashed = await startGateway({ QIAO_DATA_DIR: dataDir })
    expect(await crashed.stop('SIGKILL')).toBeNull()
    expect(existsSync(`${dataDir}.lock`)).toBe(true)
    const db = await createPgliteDb(dataDir)
    await expect(createPgliteDb(dataDir)).rejects.toBeInstanceOf(DataDirLockedError)
    await db.close()
  })

  it('stops on bad configuration, naming the variable', async () => {
    const result = await runProcess(['--import', 'tsx', 'src/node.ts'], { PORT: 'eighty', QIAO_DATA_DIR: join(scratch, 'x') })
    expect(result.code).toBe(2)
    expect(result.output).toContain('PORT')
  })
})

describeEmbedded('the qiao command', () => {
  it('migrates and is idempotent', async () => {
    const env = { QIAO_DATA_DIR: join(scratch, 'cli') }
    const first = await runProcess(['bin/qiao.mjs', 'migrate'], env)
    expect(first.code, first.output).toBe(0)
    expect(first.output).toContain('applied 0001_init')
    const second = await runProcess(['bin/qiao.mjs', 'migrate'], env)
    expect(second.output).toContain('database is current')
  })

  it('init creates the platform admin once; --json prints only the credentials', async () => {
    const env = { QIAO_DATA_DIR: join(scratch, 'init') }
    const first = await runProcess(['bin/qiao.mjs', 'init', '--json'], env)
    expect(first.code, first.output).toBe(0)
    const credentials = JSON.parse(first.output.trim()) as Record<string, string>
    expect(Object.keys(credentials).sort()).toEqual(['client_id', 'client_secret'])
    expect(credentials.client_id).toMatch(/^cli_/)
    const second = await runProcess(['bin/qiao.mjs', 'init'], env)
    expect(second.code).toBe(1)
    expect(second.output).toContain('already initialised')
    const rotated = await runProcess(['bin/qiao.mjs', 'keys', 'rotate'], env)
    expect(rotated.code, rotated.output).toBe(0)
    expect(rotated.output).toMatch(/new signing key key_\w+; key_\w+ keeps verifying/)
    const checkpoint = await runProcess(['bin/qiao.mjs', 'audit', 'checkpoint'], env)
    expect(checkpoint.output).toMatch(/checkpoint 3: root [0-9a-f]{64}/)
    const verified = await runProcess(['bin/qiao.mjs', 'audit', 'verify'], env)
    expect(verified.code, verified.output).toBe(0)
    expect(verified.output).toContain('audit log ok: 3 entries')
    expect(verified.output).toContain('matches checkpoint 3')
    const exported = await runProcess(['bin/qiao.mjs', 'audit', 'export'], env)
    expect(exported.output.trim().split('\n').map((line) => JSON.parse(line).content.action)).toEqual(['org.created', 'client.issued', 'key.rotated'])
  }, PROCESSES_TIMEOUT)

  it('rejects an unknown command', async () => {
    const result = await runProcess(['bin/qiao.mjs', 'frobnicate'])
    expect(result.code).toBe(2)
    expect(result.output).toContain('unknown command')
  })
})

describeEmbedded('slow and oversized clients', () => {
  it('answers an oversized header block with 431 and drops a client that never finishes its headers', async () => {
    const { connect } = await import('node:net')
    const gateway = await startGateway({ QIAO_DATA_DIR: join(scratch, 'slow'), QIAO_HEADERS_TIMEOUT_SECONDS: '2' })
    try {
      const big = await fetch(`${gateway.url}/health`, { headers: { 'x-big': 'a'.repeat(20_000) } })
      expect(big.status).toBe(431)
      const { port } = new URL(gateway.url)
      const closedBy = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n'))
        let answer = ''
        socket.on('data', (d) => (answer += d.toString()))
        socket.on('close', () => resolve(answer))
      })
      expect(closedBy).toMatch(/^HTTP\/1\.1 408|^$/)
    } finally {
      await gateway.stop()
    }
  }, 60_000)
})
