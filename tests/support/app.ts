import { createApp, type App } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createNodeServices } from '../../src/node-services.js'
import { createLogger } from '../../src/log.js'
import type { Clock, Services } from '../../src/services.js'
import { createTestDatabase, type TestDatabase } from './database.js'

export interface TestWorld {
  app: App
  services: Services
  database: TestDatabase
  /** Every line the app logged, parsed. */
  logs: Array<Record<string, unknown>>
  clock: MutableClock
  close(): Promise<void>
}

export interface MutableClock extends Clock {
  set(date: Date): void
  advance(ms: number): void
}

export function mutableClock(start = new Date()): MutableClock {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    set: (date) => {
      current = date.getTime()
    },
    advance: (ms) => {
      current += ms
    },
  }
}

/** An app on a fresh database with a readable log and a clock the test controls. */
export async function createTestWorld(overrides: Record<string, string> = {}): Promise<TestWorld> {
  const database = await createTestDatabase()
  const logs: Array<Record<string, unknown>> = []
  const config: Config = loadConfig({ LOG_LEVEL: 'debug', ...overrides })
  const clock = mutableClock()
  const logger = createLogger(config.LOG_LEVEL, (line) => logs.push(JSON.parse(line) as Record<string, unknown>))
  const services = createNodeServices(config, database.db, { logger, clock })
  await services.keys.ensureActiveKey(database.db)
  const app = createApp(services)
  return { app, services, database, logs, clock, close: () => database.drop() }
}

/** Reads a response body for assertion messages, so a red test shows what the server said. */
export async function bodyOf(response: Response): Promise<string> {
  return response.clone().text()
}
