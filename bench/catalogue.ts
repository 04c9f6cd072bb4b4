/**
 * A catalogue read, `GET /v1/datasets/{id}` by a consumer department (token check, the tier policy,
 * the dataset under the caller's catalogue view), against a bare Hono + pg route that selects the
 * same row with its provider's name (bench/bare-server.ts), in rotated rounds on one machine, with
 * CPU time per request of each process.
 * Usage: DATABASE_URL=postgres://… npm run bench:catalogue [-- --seconds 5 --rounds 3 --concurrency 32]
 * Creates and drops a throwaway database.
 */
import { againstBare } from './delivery-world.js'

await againstBare(5, async ({ gatewayUrl, bareUrl, world, run }) => {
  console.log('\nOne catalogue entry on PostgreSQL:')
  const [catalogue] = await run([
    { name: 'bare Hono + pg, the row by id', url: `${bareUrl}/datasets/${world.dataset}`, headers: {}, server: 'bare' },
    { name: 'Qiao GET /v1/datasets/{id}', url: `${gatewayUrl}/v1/datasets/${world.dataset}`, headers: { authorization: world.read.authorization! }, server: 'gateway' },
  ])
  console.log(`Qiao / bare throughput, median of each round's ratio: ${catalogue!.ratio.toFixed(2)}`)
})
