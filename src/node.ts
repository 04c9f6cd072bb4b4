import { serve, type ServerType } from '@hono/node-server'
import { isEntrypoint } from './entry.js'
import { startScheduler } from './jobs/scheduler.js'
import { createApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { migrate } from './db/migrate.js'
import { openDatabase } from './db/open.js'
import { createLogger } from './log.js'
import { bootstrapPlatform, type Bootstrap } from './identity/service.js'
import { createNodeServices } from './node-services.js'
import { systemClock, type Services } from './services.js'

export interface RunningServer {
  url: string
  services: Services
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>
}

export async function startServer(config: Config): Promise<RunningServer> {
  const logger = createLogger(config.LOG_LEVEL)
  const db = await openDatabase(config)
  const migrated = await migrate(db)
  if (migrated.applied.length > 0) logger.info('migrations applied', { applied: migrated.applied })
  const services = createNodeServices(config, db, { logger })
  await services.keys.ensureActiveKey(db)
  const bootstrap = await bootstrapPlatform(db, { requestId: 'startup', actor: null, sourceIp: null, at: systemClock.now() })
  if (bootstrap) printBootstrap(bootstrap)
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
  console.log(`Qiao is listening on ${running.url}  (API reference: ${running.url}/docs)`)
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
}

if (isEntrypoint(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`qiao: failed to start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
