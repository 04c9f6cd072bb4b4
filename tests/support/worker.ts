import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface WorkerProcess {
  url: string
  output(): string
  /** Fires the Worker's cron trigger (`wrangler dev --test-scheduled`) and resolves once its `scheduled` handler returned. */
  scheduled(cron?: string): Promise<Response>
  stop(): Promise<void>
}

export interface WorkerOptions {
  /** Extra bindings, as `wrangler dev --var NAME:VALUE` (plain vars in local development). */
  vars?: Record<string, string>
  timeoutMs?: number
  /** wrangler's log level; `log` also prints the Worker's console.log lines (its JSON logs). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error'
}

/**
 * Runs the Worker in real workerd via `wrangler dev` (the top level of wrangler.toml), with its
 * `HYPERDRIVE` binding pointed at the given PostgreSQL database: the same code path as production,
 * where Hyperdrive hands the Worker a connection string. Miniflare insists on a password in that
 * string; a server that trusts local connections ignores the placeholder one added here.
 */
export function startWorker(databaseUrl: string, port: number, options: WorkerOptions | number = {}): Promise<WorkerProcess> {
  const { vars = {}, timeoutMs = 120_000, logLevel = 'warn' } = typeof options === 'number' ? { timeoutMs: options } : options
  const child = spawn(
    process.execPath,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      '--show-interactive-dev-session=false',
      '--test-scheduled',
      '--log-level',
      logLevel,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(databaseUrl),
        WRANGLER_SEND_METRICS: 'false',
        CI: 'true',
      },
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
  const scheduled = (cron = '* * * * *') => fetch(`${url}/__scheduled?cron=${encodeURIComponent(cron)}`)
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const poll = async () => {
      if (child.exitCode !== null) return reject(new Error(`wrangler dev exited early:\n${output}`))
      try {
        const res = await fetch(`${url}/health`)
        if (res.ok) return resolve({ url, output: () => output, scheduled, stop })
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

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function withPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl)
  if (!url.password) url.password = 'unused'
  return url.toString()
}
