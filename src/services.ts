import type { Config } from './config.js'
import type { Db } from './db/db.js'
import type { Logger } from './log.js'

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** What handlers reach through `c.get('services')`. Every member is an interface with a real implementation. */
export interface Services {
  config: Config
  db: Db
  logger: Logger
  clock: Clock
}
