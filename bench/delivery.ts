/**
 * A granted, masked read of 50 records through Qiao (token check, visibility, policy decision,
 * grant and purpose, projection, masking, audited before the response), and the same under a
 * grant with a daily quota (counted exactly), against a bare Hono + pg route running the same
 * SELECT (bench/bare-server.ts), same machine, same load, with CPU time per request of each process.
 * The three phases run in several rounds, each round in another order (what runs first after a
 * quiet phase measures faster on a shared 2-core machine), and each round's ratio is taken against
 * that round's bare route; the summary gives the medians.
 * Usage: DATABASE_URL=postgres://… npm run bench:delivery [-- --seconds 6 --rounds 3 --concurrency 32]
 * Creates and drops a throwaway database.
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createTestDatabase } from '../tests/support/database.js'
import { ndjson, person, populationDataset } from '../tests/support/population.js'
import { startGateway } from '../tests/support/process.js'
import { formatCpu, formatLoad, measureCpu, pidsNamed, runLoad, type LoadResult } from './load.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } })
const seconds = Number(values.seconds)
const rounds = Number(values.rounds)
const concurrency = Number(values.concurrency)
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
process.env.TEST_DATABASE_URL = serverUrl

async function api(base: string, method: string, path: string, token: string | undefined, body?: unknown, type = 'application/json') {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': type }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const json = (await res.json()) as Record<string, any>
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`)
  return json
}

const database = await createTestDatabase({ migrated: false })
const gateway = await startGateway({ DATABASE_URL: database.url!, LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' })
const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], { env: { ...process.env, DATABASE_URL: database.url! }, stdio: ['ignore', 'pipe', 'inherit'] })
try {
  const bareUrl = await new Promise<string>((resolve) => bare.stdout.on('data', (d: Buffer) => /listening on (\S+)/.exec(d.toString())?.[1] && resolve(/listening on (\S+)/.exec(d.toString())![1]!)))
  const g = gateway.url
  const id = /client_id\s+(\S+)/.exec(gateway.output())![1]!
  const secret = /client_secret\s+(\S+)/.exec(gateway.output())![1]!
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
  const dataset = (await api(g, 'POST', '/v1/datasets', publisher, populationDataset())).id as string
  await api(g, 'POST', `/v1/datasets/${dataset}/records`, publisher, ndjson(Array.from({ length: 5000 }, (_, i) => person(i + 1))), 'application/x-ndjson')
  // Statistics as autovacuum would soon leave them: without, the first phases would plan the page
  // against an empty table's estimates (a scan of the whole dataset) and later ones would not.
  await database.db.query('ANALYZE')
  const fields = ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'mobile', 'status']
  // Two grants of the same fields: one without a daily quota, one with (never reached here, but
  // counted exactly on every read: one more statement each).
  for (const [purpose, terms] of [['benchmark', {}], ['benchmark-quota', { daily_quota: 1_000_000_000 }]] as const) {
    const request = await api(g, 'POST', '/v1/access-requests', consumer, { dataset_id: dataset, purpose, legal_basis: '基准测试', fields, duration_days: 30 })
    await api(g, 'POST', `/v1/access-requests/${request.id}/approve`, approver, terms)
  }

  const qiaoRead = { authorization: `Bearer ${consumer}`, 'x-purpose': 'benchmark' }
  const quotaRead = { ...qiaoRead, 'x-purpose': 'benchmark-quota' }
  const check = await fetch(`${g}/v1/datasets/${dataset}/records?limit=50`, { headers: qiaoRead })
  const page = (await check.json()) as { items: Array<Record<string, unknown>> }
  if (!check.ok || page.items.length !== 50) throw new Error(`the granted read does not answer 50 records: ${check.status}`)
  console.log(`sample masked record: ${JSON.stringify(page.items[0])}`)

  const qiaoUrl = `${g}/v1/datasets/${dataset}/records?limit=50`
  const phases = [
    { name: 'bare Hono + pg, same SELECT', url: `${bareUrl}/records/${dataset}`, headers: {} },
    { name: 'Qiao granted masked read, audited', url: qiaoUrl, headers: qiaoRead },
    { name: '… under a daily quota', url: qiaoUrl, headers: quotaRead },
  ]
  for (const phase of phases) await runLoad(phase.url, phase.headers, { concurrency, seconds: 2 }) // warm-up
  const processes = { gateway: () => [gateway.child.pid!], bare: () => [bare.pid!], postgres: () => pidsNamed('postgres') }
  const runs = phases.map(() => [] as Awaited<ReturnType<typeof measured>>[])
  async function measured(i: number) {
    const phase = phases[i]!
    return measureCpu(processes, () => runLoad(phase.url, phase.headers, { concurrency, seconds }))
  }
  console.log(`\n50-record pages on PostgreSQL, ${concurrency} concurrent clients, ${rounds} rounds of ${seconds} s a phase, same 2 cores:`)
  for (let round = 0; round < rounds; round++) {
    const order = phases.map((_, i) => (i + round) % phases.length)
    console.log(`round ${round + 1}:`)
    for (const i of order) {
      const run = await measured(i)
      runs[i]!.push(run)
      console.log(formatLoad(`  ${phases[i]!.name}`, run.result))
      console.log(`    ${formatCpu(run.cpu, run.result.requests)}`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const ratios = (i: number) => runs[i]!.map((run, round) => run.result.rps / runs[0]![round]!.result.rps)
  console.log(`\nmedians over ${rounds} rounds (load from ${runs[0]![0]!.result.generator}):`)
  phases.forEach((phase, i) => {
    const of = (pick: (r: LoadResult) => number) => median(runs[i]!.map((run) => pick(run.result)))
    const cpu = (name: string) => median(runs[i]!.map((run) => (run.cpu ? (run.cpu[name]! * 1000) / run.result.requests : NaN)))
    const server = i === 0 ? 'bare' : 'gateway'
    console.log(`${phase.name.padEnd(34)} ${of((r) => r.rps).toFixed(0).padStart(8)} req/s   p50 ${of((r) => r.p50).toFixed(2).padStart(6)} ms   p99 ${of((r) => r.p99).toFixed(2).padStart(6)} ms   CPU per request: ${server} ${cpu(server).toFixed(2)} ms, postgres ${cpu('postgres').toFixed(2)} ms`)
  })
  const shown = (i: number) => `${median(ratios(i)).toFixed(2)} (rounds: ${ratios(i).map((r) => r.toFixed(2)).join(', ')})`
  console.log(`Qiao / bare throughput, median of each round's ratio: ${shown(1)}; with a quota ${shown(2)}  (goal ≥ 0.6)`)
} finally {
  bare.kill('SIGTERM')
  await gateway.stop()
  await database.drop()
}
