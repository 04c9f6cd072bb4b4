/**
 * What the delivery benchmarks share: the bare baseline server, the world a granted masked read
 * needs (organisations, clients, a 5,000-record dataset, two grants), phases of load run in
 * rounds, each round in another order, with each round's ratio taken against that round's first
 * phase (the baseline) and medians at the end, and the frame of a benchmark against the bare route
 * (`againstBare`).
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createTestDatabase, type TestDatabase } from '../tests/support/database.js'
import { ndjson, person, populationDataset } from '../tests/support/population.js'
import { startGateway } from '../tests/support/process.js'
import { formatCpu, formatLoad, measureCpu, pidsNamed, runLoad, type LoadResult } from './load.js'

export async function api(base: string, method: string, path: string, token: string | undefined, body?: unknown, type = 'application/json') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': type }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const json = (await res.json()) as Record<string, any>
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** bench/bare-server.ts as its own process, on the database at `databaseUrl`. */
export async function startBare(databaseUrl: string): Promise<{ url: string; pid: number; stop(): void }> {
  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => bare.stdout.on('data', (d: Buffer) => /listening on (\S+)/.exec(d.toString())?.[1] && resolve(/listening on (\S+)/.exec(d.toString())![1]!)))
  return { url, pid: bare.pid!, stop: () => bare.kill('SIGTERM') }
}

export interface DeliveryWorld {
  dataset: string
  publisher: string
  /** Headers of a consumer's read under its grant without a quota, and under the one with. */
  read: Record<string, string>
  quotaRead: Record<string, string>
}

/** One 5,000-record dataset of an owner department, the same fields granted twice to a consumer department. */
export async function prepareWorld(gatewayUrl: string, bootstrapOutput: string, database: TestDatabase): Promise<DeliveryWorld> {
  const g = gatewayUrl
  const id = /client_id\s+(\S+)/.exec(bootstrapOutput)![1]!
  const secret = /client_secret\s+(\S+)/.exec(bootstrapOutput)![1]!
  const token = async (clientId: string, clientSecret: string) =>
    (await api(g, 'POST', '/v1/auth/token', undefined, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })).access_token as string
  const admin = await token(id, secret)
  const client = async (org: string, roles: string[]) => {
    const issued = await api(g, 'POST', `/v1/orgs/${org}/clients`, admin, { name: roles.join('+'), roles })
    return token(issued.client_id, issued.client_secret)
  }
  const owner = (await api(g, 'POST', '/v1/orgs', admin, { kind: 'department', name: '某市公安局', level: 'city', region_code: '330100' })).id
  const consumerOrg = (await api(g, 'POST', '/v1/orgs', admin, { kind: 'department', name: '某区民政局', level: 'county', region_code: '310115' })).id
  const publisher = await client(owner, ['publisher'])
  const approver = await client(owner, ['approver'])
  const consumer = await client(consumerOrg, ['consumer'])
  const dataset = await ingestDataset(g, publisher)
  // Statistics as autovacuum would soon leave them: without, the first phases would plan the page
  // against an empty table's estimates (a scan of the whole dataset) and later ones would not.
  await database.db.query('ANALYZE')
  const fields = ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'mobile', 'status']
  // Two grants of the same fields: one without a daily quota, one with (never reached here, but
  // counted exactly on every read).
  for (const [purpose, terms] of [['benchmark', {}], ['benchmark-quota', { daily_quota: 1_000_000_000 }]] as const) {
    const request = await api(g, 'POST', '/v1/access-requests', consumer, { dataset_id: dataset, purpose, legal_basis: '基准测试', fields, duration_days: 30 })
    await api(g, 'POST', `/v1/access-requests/${request.id}/approve`, approver, terms)
  }
  const read = { authorization: `Bearer ${consumer}`, 'x-purpose': 'benchmark' }
  const check = await fetch(`${g}/v1/datasets/${dataset}/records?limit=50`, { headers: read })
  const page = (await check.json()) as { items: Array<Record<string, unknown>> }
  if (!check.ok || page.items.length !== 50) throw new Error(`the granted read does not answer 50 records: ${check.status}`)
  console.log(`sample masked record: ${JSON.stringify(page.items[0])}`)
  return { dataset, publisher, read, quotaRead: { ...read, 'x-purpose': 'benchmark-quota' } }
}

/** A new population dataset of 5,000 records, ingested through the gateway at `gatewayUrl`. */
export async function ingestDataset(gatewayUrl: string, publisher: string): Promise<string> {
  const dataset = (await api(gatewayUrl, 'POST', '/v1/datasets', publisher, populationDataset())).id as string
  await api(gatewayUrl, 'POST', `/v1/datasets/${dataset}/records`, publisher, ndjson(Array.from({ length: 5000 }, (_, i) => person(i + 1))), 'application/x-ndjson')
  return dataset
}

/** The phase's own server and PostgreSQL, of the groups measured (the other servers idle meanwhile). */
function serverAndPostgres(cpu: Record<string, number> | null, server: string): Record<string, number> | null {
  return cpu && { [server]: cpu[server]!, postgres: cpu.postgres! }
}

export interface Phase {
  name: string
  url: string
  headers: Record<string, string>
  /** The process group (of `processes`) that serves it, whose CPU per request is reported. */
  server: string
}

/** A later phase against the first: the median of its rounds' throughput ratios, and its server's median CPU per request (µs). */
export interface PhaseSummary {
  ratio: number
  cpu: number
}

/**
 * Warms each phase up, then runs `rounds` rounds of all phases, round r starting at phase r (what
 * runs first after a quiet phase measures faster on a shared machine). Prints each run, the
 * medians, and each later phase's median ratio to the first phase within its round, with its CPU per request.
 */
export async function runRounds(phases: Phase[], processes: Record<string, () => number[]>, options: { rounds: number; seconds: number; concurrency: number }): Promise<PhaseSummary[]> {
  const { rounds, seconds, concurrency } = options
  for (const phase of phases) await runLoad(phase.url, phase.headers, { concurrency, seconds: 2 })
  const runs = phases.map(() => [] as { result: LoadResult; cpu: Record<string, number> | null }[])
  console.log(`\n${concurrency} concurrent clients, ${rounds} rounds of ${seconds} s a phase, same machine:`)
  for (let round = 0; round < rounds; round++) {
    console.log(`round ${round + 1}:`)
    for (let k = 0; k < phases.length; k++) {
      const i = (k + round) % phases.length
      const phase = phases[i]!
      const run = await measureCpu(processes, () => runLoad(phase.url, phase.headers, { concurrency, seconds }))
      runs[i]!.push(run)
      console.log(formatLoad(`  ${phase.name}`, run.result))
      console.log(`    ${formatCpu(serverAndPostgres(run.cpu, phase.server), run.result)}`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(`\nmedians over ${rounds} rounds (load from ${runs[0]![0]!.result.generator}):`)
  const cpuOf = (i: number, name: string) => median(runs[i]!.map((run) => (run.cpu ? (run.cpu[name]! * 1e6) / run.result.requests : NaN)))
  phases.forEach((phase, i) => {
    const of = (pick: (r: LoadResult) => number) => median(runs[i]!.map((run) => pick(run.result)))
    const cpu = (name: string) => cpuOf(i, name)
    const busy = (name: string) => median(runs[i]!.map((run) => (run.cpu ? (run.cpu[name]! / run.result.seconds) * 100 : NaN)))
    console.log(
      `${phase.name.padEnd(34)} ${of((r) => r.rps).toFixed(0).padStart(8)} req/s   p50 ${of((r) => r.p50).toFixed(2).padStart(6)} ms   p99 ${of((r) => r.p99).toFixed(2).padStart(6)} ms   CPU per request: ${phase.server} ${cpu(phase.server).toFixed(0)} µs (${busy(phase.server).toFixed(0)}% of a core), postgres ${cpu('postgres').toFixed(0)} µs`,
    )
  })
  return phases.slice(1).map((_, j) => {
    const ratios = runs[j + 1]!.map((run, round) => run.result.rps / runs[0]![round]!.result.rps)
    console.log(`${phases[j + 1]!.name} / ${phases[0]!.name}: median ${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`)
    return { ratio: median(ratios), cpu: cpuOf(j + 1, phases[j + 1]!.server) }
  })
}

/** What a benchmark against the bare route is given by `againstBare`. */
export interface BareBench {
  gatewayUrl: string
  bareUrl: string
  world: DeliveryWorld
  /** runRounds with the command line's options, measuring the gateway, the bare server and PostgreSQL. */
  run(phases: Phase[]): Promise<PhaseSummary[]>
}

/**
 * The frame of a benchmark against the bare route: reads `--seconds`, `--rounds` and
 * `--concurrency`, makes a throwaway database on DATABASE_URL, starts a gateway (which migrates it)
 * and the bare server on it, sets the world up through the gateway and runs `bench`; then stops
 * both and drops the database.
 */
export async function againstBare(defaultSeconds: number, bench: (frame: BareBench) => Promise<void>): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: String(defaultSeconds) }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } })
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
  process.env.TEST_DATABASE_URL = serverUrl
  const database = await createTestDatabase({ migrated: false })
  const gateway = await startGateway({ DATABASE_URL: database.url!, LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' })
  const bare = await startBare(database.url!)
  try {
    const world = await prepareWorld(gateway.url, gateway.output(), database)
    const processes = { gateway: () => [gateway.child.pid!], bare: () => [bare.pid], postgres: () => pidsNamed('postgres') }
    const options = { rounds: Number(values.rounds), seconds: Number(values.seconds), concurrency: Number(values.concurrency) }
    await bench({ gatewayUrl: gateway.url, bareUrl: bare.url, world, run: (phases) => runRounds(phases, processes, options) })
  } finally {
    bare.stop()
    await gateway.stop()
    await database.drop()
  }
}
