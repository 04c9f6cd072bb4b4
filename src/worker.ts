/**
 * Cloudflare Workers entry. PostgreSQL through a Hyperdrive binding in production, or a
 * DATABASE_URL secret (local `wrangler dev` against a local server). Workers cannot share a
 * socket between requests, so each request gets its own one-connection pool, closed after the
 * response; Hyperdrive keeps the real connections warm behind it.
 */
import { createApp } from './app.js'
import { webCryptoHasher } from './audit/hasher.js'
import { AuditWriter, type HeadHint } from './audit/writer.js'
import { loadConfig, type Config } from './config.js'
import { createPostgresDb } from './db/postgres.js'
import { QuotaCharger } from './exchange/quota.js'
import { runDueJobs } from './jobs/scheduler.js'
import type { AppContext } from './http/env.js'
import { createLogger, type Logger } from './log.js'
import { processState, systemClock, type Services } from './services.js'

export interface WorkerEnv {
  HYPERDRIVE?: { connectionString: string }
  DATABASE_URL?: string
  [binding: string]: unknown
}

interface WorkerExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

const servicesKey = '__qiao_services'

const app = createApp((c: AppContext) => c.env[servicesKey] as Services)

// Configuration and logger are derived from the bindings once per isolate.
// Key and auth caches, and the audit chain's head as last seen, live as long as the isolate, like a Node process's.
let configured:
  | { env: WorkerEnv; config: Config; logger: Logger; state: ReturnType<typeof processState>; auditHead: HeadHint; keysReady?: Promise<void> }
  | undefined

function configure(env: WorkerEnv) {
  if (configured?.env !== env) {
    const config = loadConfig(env)
    configured = { env, config, logger: createLogger(config.LOG_LEVEL), state: processState(config, systemClock), auditHead: {} }
  }
  return configured
}

export default {
  /** The cron trigger in wrangler.toml: the same jobs Node runs on a timer. */
  async scheduled(_event: unknown, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<void> {
    const { config, logger, state, auditHead } = configure(env)
    const connectionString = env.HYPERDRIVE?.connectionString ?? config.DATABASE_URL
    if (!connectionString) throw new Error('no database configured: bind HYPERDRIVE or set the DATABASE_URL secret')
    const db = createPostgresDb({ connectionString, max: 1, applicationName: 'qiao-worker-cron' })
    const services: Services = { config, db, logger, clock: systemClock, hasher: webCryptoHasher, audit: new AuditWriter(db, webCryptoHasher, auditHead), quota: new QuotaCharger(db), ...state }
    try {
      await runDueJobs(services, 'worker-cron')
    } finally {
      ctx.waitUntil(services.audit.idle().then(() => db.close()))
    }
  },

  async fetch(request: Request, env: WorkerEnv, ctx: WorkerExecutionContext): Promise<Response> {
    const isolate = configure(env)
    const { config, logger, state } = isolate
    const connectionString = env.HYPERDRIVE?.connectionString ?? config.DATABASE_URL
    if (!connectionString) {
      return new Response(
        JSON.stringify({
          type: '/docs#error-unavailable',
          title: 'Service unavailable',
          status: 503,
          detail: 'no database configured: bind HYPERDRIVE or set the DATABASE_URL secret',
          code: 'unavailable',
          instance: crypto.randomUUID(),
        }),
        { status: 503, headers: { 'content-type': 'application/problem+json' } },
      )
    }
    const db = createPostgresDb({ connectionString, max: 1, applicationName: 'qiao-worker' })
    const services: Services = { config, db, logger, clock: systemClock, hasher: webCryptoHasher, audit: new AuditWriter(db, webCryptoHasher, isolate.auditHead), quota: new QuotaCharger(db), ...state }
    const release = () => services.audit.idle().then(() => db.close())
    let response: Response
    try {
      // A signing key is made on first use of an isolate. If that fails (the database is down or
      // not migrated yet), the request still goes on: /health answers, /ready says why it is not
      // ready, and other routes answer 503 from their own database access; the next request tries again.
      isolate.keysReady ??= state.keys.ensureActiveKey(db).catch((error: unknown) => {
        isolate.keysReady = undefined
        logger.warn('no signing key yet', { error: error instanceof Error ? error.message : String(error) })
      })
      await isolate.keysReady
      response = await app.fetch(request, { ...env, [servicesKey]: services }, ctx as never)
    } catch (error) {
      ctx.waitUntil(release())
      throw error
    }
    if (!response.body) {
      ctx.waitUntil(release())
      return response
    }
    // A streamed body (the audit export, ingest reports) still reads the database after fetch
    // returns: close the connection when the stream ends, not before.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
    ctx.waitUntil(response.body.pipeTo(writable).finally(release))
    return new Response(readable, response)
  },
}
