/**
 * A granted, masked read of 50 records through Qiao (token check, visibility, policy decision,
 * grant and purpose, projection, masking, audited before the response), and the same under a
 * grant with a daily quota (counted exactly), against a bare Hono + pg route running the same
 * SELECT (bench/bare-server.ts), same machine, same load, with CPU time per request of each process.
 * The three phases run in several rounds, each round in another order (what runs first after a
 * quiet phase measures faster on a shared 2-core machine), and each round's ratio is taken against
 * that round's bare route; the summary gives the medians.
 * Usage: DATABASE_URL=postgres://… npm run bench:delivery [-- --seconds 6 --rounds 3 --concurrency 32]
 * With BARE_PIPELINES=2 the bare route pipelines its SELECT over two connections, as the gateway
 * pipelines a read's statement (QIAO_DB_PIPELINES); without, it runs it on a plain pg pool.
 * Creates and drops a throwaway database.
 */
import { againstBare } from './delivery-world.js'

await againstBare(6, async ({ gatewayUrl, bareUrl, world, run }) => {
  const qiaoUrl = `${gatewayUrl}/v1/datasets/${world.dataset}/records?limit=50`
  console.log('\n50-record pages on PostgreSQL:')
  const [qiao, quota] = await run([
    { name: 'bare Hono + pg, same SELECT', url: `${bareUrl}/records/${world.dataset}`, headers: {}, server: 'bare' },
    { name: 'Qiao granted masked read, audited', url: qiaoUrl, headers: world.read, server: 'gateway' },
    { name: '… under a daily quota', url: qiaoUrl, headers: world.quotaRead, server: 'gateway' },
  ])
  console.log(`Qiao / bare throughput, median of each round's ratio: ${qiao!.ratio.toFixed(2)}, with a quota ${quota!.ratio.toFixed(2)}  (goal ≥ 0.6)`)
})
