/**
 * Load for the benchmark scripts. `runLoad` drives a URL with wrk (Debian's `wrk`) in its own
 * process when it is installed, so the load generator does not share the server's event loop; it
 * falls back to a closed-loop fetch generator in this process. `measureCpu` reads the CPU time that
 * named processes spent during a phase from /proc, so a result can say what one request cost whom.
 */
import { execFile, execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50: number
  p99: number
  generator: 'wrk' | 'fetch'
}

export interface LoadOptions {
  concurrency: number
  seconds: number
}

let wrkPath: string | null | undefined
function wrk(): string | null {
  if (wrkPath === undefined) {
    try {
      wrkPath = execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null
    } catch {
      wrkPath = null
    }
  }
  return process.env.BENCH_LOAD === 'fetch' ? null : wrkPath
}

export function runLoad(url: string, headers: Record<string, string>, options: LoadOptions): Promise<LoadResult> {
  const path = wrk()
  return path ? runWrk(path, url, headers, options) : runFetch(url, headers, options)
}

async function runFetch(url: string, headers: Record<string, string>, options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const deadline = performance.now() + options.seconds * 1000
  const started = performance.now()
  const worker = async () => {
    while (performance.now() < deadline) {
      const t = performance.now()
      const res = await fetch(url, { headers })
      await res.arrayBuffer()
      latencies.push(performance.now() - t)
      if (!res.ok) errors++
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), generator: 'fetch' }
}

const millis = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? NaN)

/** wrk with one thread (the machine has few cores; the point is only to leave this process). */
function runWrk(path: string, url: string, headers: Record<string, string>, options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${options.concurrency}`, `-d${options.seconds}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]
  return new Promise((resolve, reject) =>
    execFile(path, args, (error, stdout) => {
      if (error) return reject(new Error(`wrk failed: ${error.message}\n${stdout}`))
      const done = /(\d+) requests in ([\d.]+)(\w+)/.exec(stdout)
      const p50 = /\s50%\s+([\d.]+)(\w+)/.exec(stdout)
      const p99 = /\s99%\s+([\d.]+)(\w+)/.exec(stdout)
      if (!done || !p50 || !p99) return reject(new Error(`cannot read wrk's report:\n${stdout}`))
      const requests = Number(done[1])
      const seconds = millis(done[2]!, done[3]!) / 1000
      const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
      const errors = failed + (socketErrors ? socketErrors.slice(1).reduce((n, x) => n + Number(x), 0) : 0)
      resolve({ requests, errors, seconds, rps: requests / seconds, p50: millis(p50[1]!, p50[2]!), p99: millis(p99[1]!, p99[2]!), generator: 'wrk' })
    }),
  )
}

export function formatLoad(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.requests} requests, ${r.errors} errors)`
}

const ticksPerSecond = 100 // USER_HZ on Linux

/** utime + stime of each process, in seconds, by pid; processes that vanish are skipped. */
function cpuByPid(pids: number[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const pid of pids) {
    try {
      // Fields after the command name, which is in parentheses and may contain spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerSecond)
    } catch {
      // gone
    }
  }
  return out
}

/** Every process whose command name is `name` (e.g. all of PostgreSQL's backends). */
export function pidsNamed(name: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry))
    } catch {
      // gone
    }
  }
  return pids
}

/**
 * CPU seconds each group of processes spent while `phase` ran. Groups are functions so that
 * processes started during the phase (a new PostgreSQL backend) are counted from zero.
 * Returns null where /proc cannot be read (not Linux).
 */
export async function measureCpu<T>(groups: Record<string, () => number[]>, phase: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number> | null }> {
  let before: Map<string, Map<number, number>> | null = null
  try {
    before = new Map(Object.entries(groups).map(([name, pids]) => [name, cpuByPid(pids())]))
  } catch {
    before = null
  }
  const result = await phase()
  if (!before) return { result, cpu: null }
  const cpu: Record<string, number> = {}
  for (const [name, pids] of Object.entries(groups)) {
    const start = before.get(name)!
    let total = 0
    for (const [pid, seconds] of cpuByPid(pids())) total += seconds - (start.get(pid) ?? 0)
    cpu[name] = total
  }
  return { result, cpu }
}

/**
 * "gateway 232 µs (97% of a core), postgres 118 µs (64% of a core)": CPU per request, and how busy each
 * group was over the phase. A server near 100% of one core is bound by its own thread.
 */
export function formatCpu(cpu: Record<string, number> | null, result: Pick<LoadResult, 'requests' | 'seconds'>): string {
  if (!cpu || result.requests === 0) return 'CPU per request: not measured (no /proc)'
  return `CPU per request: ${Object.entries(cpu)
    .map(([name, seconds]) => `${name} ${Math.round((seconds * 1e6) / result.requests)} µs (${Math.round((seconds / result.seconds) * 100)}% of a core)`)
    .join(', ')}`
}
