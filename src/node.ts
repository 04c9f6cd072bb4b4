import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import v8 from 'node:v8'
import { serve, type ServerType } from '@hono/node-server'
import { credentialsFileText, credentialsTable, DEMO_CREDENTIALS_FILE_NAME, parseCredentialsFile, type DemoCredential } from './demo/credentials.js'
import { assertEmptyWorld, demoStartsAt, seedDemo, type DemoWorld } from './demo/seed.js'
import { isEntrypoint } from './entry.js'
import { startScheduler } from './jobs/scheduler.js'
import { createApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { migrate } from './db/migrate.js'
import { openDatabase } from './db/open.js'
import { createLogger } from './log.js'
import { findClientAuth, findPlatformOrg } from './identity/repository.js'
import { bootstrapPlatform, type Bootstrap } from './identity/service.js'
import { createNodeServices } from './node-services.js'
import { systemClock, type Services } from './services.js'

export interface RunningServer {
  url: string
  services: Services
  /** The demo world's credentials: just seeded, or read back from the credentials file. */
  demo?: DemoStart
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>
}

export async function startServer(config: Config): Promise<RunningServer> {
  // A gateway that applied migrations at start, as the first start of each release does, measured
  // 15% more CPU per read for as long as it ran (docs/benchmarks.md, "Delivery"), and promoted 800
  // KB a scavenge where others promoted 20 - 170. V8 had pretenured some allocation sites during
  // the long migration transaction: their objects go straight to the old generation, where the
  // young objects they point to survive collections until they are promoted. Without pretenuring
  // it measured as a fresh gateway does, and ingest as fast as before.
  v8.setFlagsFromString('--no-allocation-site-pretenuring')
  const logger = createLogger(config.LOG_LEVEL)
  const db = await openDatabase(config)
  const migrated = await migrate(db)
  if (migrated.applied.length > 0) logger.info('migrations applied', { applied: migrated.applied })
  const services = createNodeServices(config, db, { logger })
  await services.keys.ensureActiveKey(db)
  const demo = demoEnabled(config) ? await demoOnStart(services) : undefined
  if (!demo) {
    const bootstrap = await bootstrapPlatform(db, { requestId: 'startup', actor: null, sourceIp: null, at: systemClock.now() })
    if (bootstrap) printBootstrap(bootstrap)
  }
  const app = createApp(services)
  const scheduler = config.QIAO_SCHEDULER === 'on' ? startScheduler(services, `node:${process.pid}`) : undefined
  const server = await listen(app.fetch, config)
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`
  let closing: Promise<void> | undefined
  return {
    url,
    services,
    demo,
    close: () => (closing ??= scheduler ? scheduler.stop().then(() => shutdown(server, services)) : shutdown(server, services)),
  }
}

function printBootstrap({ org, client, secret }: Bootstrap) {
  console.log(
    [
      '',
      'First start: created the platform organisation and an admin client. The secret is shown only now:',
      `  organisation   ${org.id}`,
      `  client_id      ${client.id}`,
      `  client_secret  ${secret}`,
      '',
    ].join('\n'),
  )
}

// ---- the demo world ---------------------------------------------------------------------------

/** QIAO_DEMO, or by default: on with embedded PGlite (a fresh machine), off with PostgreSQL (a deployment). */
export function demoEnabled(config: Pick<Config, 'QIAO_DEMO' | 'DATABASE_URL'>): boolean {
  return config.QIAO_DEMO ? config.QIAO_DEMO === 'on' : !config.DATABASE_URL
}

export interface DemoStart {
  credentials: DemoCredential[]
  /** Seeded by this start (false: read back from the credentials file). */
  seeded: boolean
  file: string
}

/** Where the demo credentials are kept: beside the data directory (`.qiao/demo-credentials.json` by default). */
export function demoCredentialsPath(config: Pick<Config, 'QIAO_DATA_DIR'>): string {
  return join(dirname(resolve(config.QIAO_DATA_DIR)), DEMO_CREDENTIALS_FILE_NAME)
}

export interface SeededDemo {
  bootstrap: Bootstrap | undefined
  world: DemoWorld
  file: string
  milliseconds: number
}

/**
 * `qiao seed demo`: seeds the demo world into an empty database (refused otherwise,
 * DemoRefusedError), creating the platform first when there is none.
 */
export async function seedDemoWorld(services: Services): Promise<SeededDemo> {
  const started = performance.now()
  await assertEmptyWorld(services.db)
  const bootstrap = await bootstrapAtDemoStart(services)
  if (bootstrap) printBootstrap(bootstrap)
  const platform = bootstrap?.org ?? (await findPlatformOrg(services.db))
  if (!platform) throw new Error('no platform organisation')
  const world = await seedDemo(services, { platform })
  const file = writeDemoCredentials(services.config, platform.id, world.credentials)
  return { bootstrap, world, file, milliseconds: Math.round(performance.now() - started) }
}

/** The platform, created at the start of the demo's history so that the audit log reads in order. */
function bootstrapAtDemoStart(services: Services): Promise<Bootstrap | undefined> {
  return bootstrapPlatform(services.db, { requestId: 'demo-seed', actor: null, sourceIp: null, at: demoStartsAt(services) })
}

/**
 * On start with the demo on: on a new database, the process that creates the platform seeds the
 * world (another process starting at the same moment finds the platform made and leaves it be); on
 * later starts, the credentials from the file, if they belong to this database. Undefined
 * otherwise (the caller bootstraps as usual, which then does nothing).
 */
async function demoOnStart(services: Services): Promise<DemoStart | undefined> {
  const { db, logger } = services
  if (!(await findPlatformOrg(db))) {
    const started = performance.now()
    const bootstrap = await bootstrapAtDemoStart(services)
    if (!bootstrap) return undefined
    printBootstrap(bootstrap)
    try {
      const world = await seedDemo(services, { platform: bootstrap.org })
      const file = writeDemoCredentials(services.config, bootstrap.org.id, world.credentials)
      const records = Object.values(world.datasets).reduce((n, d) => n + d.records, 0)
      logger.info('demo world seeded', { ms: Math.round(performance.now() - started), records, file })
      return { credentials: world.credentials, seeded: true, file }
    } catch (error) {
      // Serve anyway: the platform and its admin (printed above) exist; only the demo is missing.
      const message = error instanceof Error ? error.message : String(error)
      logger.error('demo world not seeded', { error: message })
      console.error(`qiao: the demo world could not be seeded (${message}); start on an empty data directory to try again`)
      return undefined
    }
  }
  const file = demoCredentialsPath(services.config)
  if (!existsSync(file)) return undefined
  const parsed = parseCredentialsFile(readFileSync(file, 'utf8'))
  if ('problem' in parsed) {
    logger.warn('demo credentials file ignored', { file, problem: parsed.problem })
    return undefined
  }
  // A file left from another database (another data directory, or PostgreSQL) is not shown.
  const platform = await findPlatformOrg(db)
  const live = await Promise.all(parsed.credentials.map(async (c) => (await findClientAuth(db, c.client_id))?.client_status === 'active'))
  if (platform?.id !== parsed.platform_org_id || !live.some(Boolean)) return undefined
  return { credentials: parsed.credentials.filter((_, i) => live[i]), seeded: false, file }
}

function writeDemoCredentials(config: Pick<Config, 'QIAO_DATA_DIR'>, platformOrgId: string, credentials: readonly DemoCredential[]): string {
  const file = demoCredentialsPath(config)
  mkdirSync(dirname(file), { recursive: true })
  // Created afresh, so the mode applies from the first byte (an old file may have had a wider one).
  rmSync(file, { force: true })
  writeFileSync(file, credentialsFileText(platformOrgId, credentials, new Date()), { mode: 0o600, flag: 'wx' })
  return file
}

/** What a person needs to try the demo: where to click, and as whom. */
export function demoBanner(url: string, demo: DemoStart): string {
  const inside = relative(process.cwd(), demo.file)
  const shown = inside && !inside.startsWith('..') ? inside : demo.file
  return [
    '',
    demo.seeded
      ? 'Demo world seeded: 杭州市 with three departments, two social organisations, seven datasets (L1–L4) and their history.'
      : `Demo world (credentials from ${shown}):`,
    `  console   ${url}/console`,
    `  API docs  ${url}/docs`,
    '',
    credentialsTable(demo.credentials),
    '',
    demo.seeded ? `These secrets are also in ${shown} (mode 0600); later starts print them again. QIAO_DEMO=off skips the demo.` : '',
  ].join('\n')
}

function listen(fetch: (request: Request) => Response | Promise<Response>, config: Config): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        port: config.PORT,
        hostname: config.HOST,
        // Slow clients may not hold connections open: headers within QIAO_HEADERS_TIMEOUT_SECONDS,
        // a whole request (streamed uploads included) within 15 minutes, headers of at most 16 KiB.
        serverOptions: {
          headersTimeout: config.QIAO_HEADERS_TIMEOUT_SECONDS * 1000,
          requestTimeout: 15 * 60_000,
          keepAliveTimeout: 5_000,
          maxHeaderSize: 16 * 1024,
          connectionsCheckingInterval: 1_000,
        },
      },
      () => resolve(server),
    )
    server.once('error', reject)
  })
}

async function shutdown(server: ServerType, services: Services): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      services.logger.warn('shutdown: closing connections still open after 10 s')
      if ('closeAllConnections' in server) server.closeAllConnections()
    }, 10_000)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    // Idle keep-alive sockets would otherwise hold close() open until they time out.
    if ('closeIdleConnections' in server) server.closeIdleConnections()
  })
  await services.audit.idle()
  await services.db.close()
}

async function main() {
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`qiao: ${error.message}`)
      process.exit(2)
    }
    throw error
  }
  const started = performance.now()
  const running = await startServer(config)
  const { logger } = running.services
  logger.info('listening', {
    url: running.url,
    database: running.services.db.driver,
    startup_ms: Math.round(performance.now() - started),
  })
  // Graceful shutdown is armed before the line that tells supervisors (and tests) it is up.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info('shutting down', { signal })
      running.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error('shutdown failed', { error: String(error) })
          process.exit(1)
        },
      )
    })
  }
  if (running.demo) console.log(demoBanner(running.url, running.demo))
  console.log(`Qiao is listening on ${running.url}  (API reference: ${running.url}/docs)`)
}

if (isEntrypoint(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`qiao: failed to start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
