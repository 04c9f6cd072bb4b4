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
import { parseArgs } from 'node:util'
import { createTestDatabase } from '../tests/support/database.js'
import { startGateway } from '../tests/support/process.js'
import { prepareWorld, runRounds, startBare } from './delivery-world.js'
import { pidsNamed } from './load.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } })
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
process.env.TEST_DATABASE_URL = serverUrl

const database = await createTestDatabase({ migrated: false })
const gateway = await startGateway({ DATABASE_URL: database.url!, LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' })
const bare = await startBare(database.url!)
try {
  const world = await prepareWorld(gateway.url, gateway.output(), database)
  const qiaoUrl = `${gateway.url}/v1/datasets/${world.dataset}/records?limit=50`
  console.log('\n50-record pages on PostgreSQL:')
  const [qiao, quota] = await runRounds(
    [
      { name: 'bare Hono + pg, same SELECT', url: `${bare.url}/records/${world.dataset}`, headers: {}, server: 'bare' },
      { name: 'Qiao granted masked read, audited', url: qiaoUrl, headers: world.read, server: 'gateway' },
      { name: '… under a daily quota', url: qiaoUrl, headers: world.quotaRead, server: 'gateway' },
    ],
    { gateway: () => [gateway.child.pid!], bare: () => [bare.pid], postgres: () => pidsNamed('postgres') },
    { rounds: Number(values.rounds), seconds: Number(values.seconds), concurrency: Number(values.concurrency) },
  )
  console.log(`Qiao / bare throughput, median of each round's ratio: ${qiao!.ratio.toFixed(2)}, with a quota ${quota!.ratio.toFixed(2)}  (goal ≥ 0.6)`)
} finally {
  bare.stop()
  await gateway.stop()
  await database.drop()
}
