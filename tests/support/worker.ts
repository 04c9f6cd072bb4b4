import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface WorkerProcess {
  url: string
  output(): string
  stop(): Promise<void>
}

/** Runs the Worker in real workerd via `wrangler dev`, bound to the given PostgreSQL database. */
export function startWorker(databaseUrl: string, port: number, timeoutMs = 120_000): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--var',
      `DATABASE_URL:${databaseUrl}`,
      '--show-interactive-dev-session=false',
      '--test-scheduled',
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let output = ''
  child.stdout.on('data', (c: Buffer) => (output += c.toString()))
  child.stderr.on('data', (c: Buffer) => (output += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const poll = async () => {
      if (child.exitCode !== null) return reject(new Error(`wrangler dev exited early:\n${output}`))
      try {
        const res = await fetch(`${url}/health`)
        if (res.ok) return resolve({ url, output: () => output, stop })
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await stop()
        return reject(new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${output}`))
      }
      setTimeout(poll, 500)
    }
    void poll()
  })
}
