/**
 * A catalogue read, `GET /v1/datasets/{id}` by a consumer department (token check, the tier policy,
 * the dataset under the caller's catalogue view), against a bare Hono + pg route that selects the
 * same row with its provider's name (bench/bare-server.ts), in rotated rounds on one machine, with
 * CPU time per request of each process.
 * Usage: DATABASE_URL=postgres://… npm run bench:catalogue [-- --seconds 5 --rounds 3 --concurrency 32]
 * Creates and drops a throwaway database.
 */
import { parseArgs } from 'node:util'
import { createTestDatabase } from '../tests/support/database.js'
import { startGateway } from '../tests/support/process.js'
import { prepareWorld, runRounds, startBare } from './delivery-world.js'
import { pidsNamed } from './load.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' } } })
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
process.env.TEST_DATABASE_URL = serverUrl

const database = await createTestDatabase({ migrated: false })
const gateway = await startGateway({ DATABASE_URL: database.url!, LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' })
const bare = await startBare(database.url!)
try {
  const world = await prepareWorld(gateway.url, gateway.output(), database)
  console.log('\nOne catalogue entry on PostgreSQL:')
  const [catalogue] = await runRounds(
    [
      { name: 'bare Hono + pg, the row by id', url: `${bare.url}/datasets/${world.dataset}`, headers: {}, server: 'bare' },
      { name: 'Qiao GET /v1/datasets/{id}', url: `${gateway.url}/v1/datasets/${world.dataset}`, headers: { authorization: world.read.authorization! }, server: 'gateway' },
    ],
    { gateway: () => [gateway.child.pid!], bare: () => [bare.pid], postgres: () => pidsNamed('postgres') },
    { rounds: Number(values.rounds), seconds: Number(values.seconds), concurrency: Number(values.concurrency) },
  )
  console.log(`Qiao / bare throughput, median of each round's ratio: ${catalogue!.ratio.toFixed(2)}`)
} finally {
  bare.stop()
  await gateway.stop()
  await database.drop()
}
