/**
 * The read of bench/delivery.ts through two gateways in one run: this working tree's and another
 * commit's (`--base`, checked out into a temporary git worktree that uses this tree's
 * node_modules), beside the bare route, in rounds with the order rotated, on one database. A third
 * gateway (the base's) sets the world up and stops; the two compared start fresh and each ingests a
 * dataset of its own first, so neither carries more history than the other (a gateway that ran the
 * setup measured slower than a fresh one: docs/benchmarks.md, "Delivery"). For judging a change to
 * the read path: compare the two medians and their CPU per request, never figures across runs.
 * Usage: DATABASE_URL=postgres://… npm run bench:compare -- --base <commit> [--quota] [--limit 50 --rounds 4 --seconds 5 --concurrency 32]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createTestDatabase } from '../tests/support/database.js'
import { startGateway, type GatewayProcess } from '../tests/support/process.js'
import { ingestDataset, prepareWorld, runRounds, startBare } from './delivery-world.js'
import { pidsNamed } from './load.js'

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    quota: { type: 'boolean', default: false },
    limit: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
  },
})
if (!values.base) throw new Error('name the commit to compare with: --base <commit>')
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
process.env.TEST_DATABASE_URL = serverUrl

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim()
const base = git('rev-parse', '--short', values.base)
const baseTree = join(mkdtempSync(join(tmpdir(), 'qiao-compare-')), base)
git('worktree', 'add', '--detach', baseTree, base)
symlinkSync(join(process.cwd(), 'node_modules'), join(baseTree, 'node_modules'))
if (readFileSync(join(baseTree, 'package-lock.json'), 'utf8') !== readFileSync('package-lock.json', 'utf8')) {
  console.log(`warning: ${base} locks other dependencies; its gateway runs with this tree's node_modules`)
}
const startBase = ((await import(join(baseTree, 'tests/support/process.ts'))) as typeof import('../tests/support/process.js')).startGateway

const database = await createTestDatabase({ migrated: false })
const env = { DATABASE_URL: database.url!, LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' }
const started: GatewayProcess[] = []
const bare = await startBare(database.url!)
try {
  const setup = await startBase(env)
  started.push(setup)
  const world = await prepareWorld(setup.url, setup.output(), database)
  await setup.stop()
  const baseGateway = await startBase(env)
  started.push(baseGateway)
  const workGateway = await startGateway(env)
  started.push(workGateway)
  for (const gateway of [baseGateway, workGateway]) await ingestDataset(gateway.url, world.publisher)
  const read = values.quota ? world.quotaRead : world.read
  const path = `/v1/datasets/${world.dataset}/records?limit=${values.limit}`
  console.log(`\n${values.limit}-record pages on PostgreSQL${values.quota ? ', under a daily quota' : ''}: ${base} against this working tree`)
  const [fromBase, fromWork] = await runRounds(
    [
      { name: 'bare Hono + pg, same SELECT', url: `${bare.url}/records/${world.dataset}?limit=${values.limit}`, headers: {}, server: 'bare' },
      { name: `Qiao at ${base}`, url: `${baseGateway.url}${path}`, headers: read, server: 'base' },
      { name: 'Qiao, this working tree', url: `${workGateway.url}${path}`, headers: read, server: 'work' },
    ],
    { base: () => [baseGateway.child.pid!], work: () => [workGateway.child.pid!], bare: () => [bare.pid], postgres: () => pidsNamed('postgres') },
    { rounds: Number(values.rounds), seconds: Number(values.seconds), concurrency: Number(values.concurrency) },
  )
  console.log(`this working tree / ${base}: ${(fromWork!.ratio / fromBase!.ratio).toFixed(2)} of the median ratios to the bare route; CPU per request ${((fromWork!.cpu / fromBase!.cpu) * 100).toFixed(1)}% of the base's`)
} finally {
  bare.stop()
  for (const gateway of started) if (gateway.child.exitCode === null) await gateway.stop()
  await database.drop()
  git('worktree', 'remove', '--force', baseTree)
  rmSync(join(baseTree, '..'), { recursive: true, force: true })
}
