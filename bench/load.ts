/** A small closed-loop HTTP load generator for the benchmark scripts: N workers, fixed duration. */
export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  p50: number
  p99: number
}

export async function runLoad(url: string, init: RequestInit, options: { concurrency: number; seconds: number }): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const deadline = performance.now() + options.seconds * 1000
  const started = performance.now()
  const worker = async () => {
    while (performance.now() < deadline) {
      const t = performance.now()
      const res = await fetch(url, init)
      await res.arrayBuffer()
      latencies.push(performance.now() - t)
      if (!res.ok) errors++
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
  return { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) }
}

export function formatLoad(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   (${r.requests} requests, ${r.errors} errors)`
}
