import { nodeHasher } from './audit/hasher-node.js'
import { AuditWriter } from './audit/writer.js'
import type { Config } from './config.js'
import type { Db } from './db/db.js'
import { QuotaCharger } from './exchange/quota.js'
import { createLogger, type Logger } from './log.js'
import { processState, systemClock, type Clock, type Services } from './services.js'

/** Services for Node (server, CLI, tests): Node's fast SHA-256, one group-commit writer and one quota charger. */
export function createNodeServices(
  config: Config,
  db: Db,
  options: { logger?: Logger; clock?: Clock } = {},
): Services {
  const clock = options.clock ?? systemClock
  return {
    config,
    db,
    logger: options.logger ?? createLogger(config.LOG_LEVEL),
    clock,
    hasher: nodeHasher,
    audit: new AuditWriter(db, nodeHasher),
    quota: new QuotaCharger(db),
    ...processState(config, clock),
  }
}
