import type { AuditWriter } from './audit/writer.js'
import type { Hasher } from './audit/hasher.js'
import type { Config } from './config.js'
import type { Db } from './db/db.js'
import type { QuotaCharger } from './exchange/quota.js'
import { ReadHints } from './exchange/read-hints.js'
import { FailureLimiter } from './identity/failure-limiter.js'
import { AuthCache, VerifiedTokens } from './identity/auth-cache.js'
import { KeyStore } from './identity/keys.js'
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
  /** Token signing keys, cached per process (per isolate on Workers). */
  keys: KeyStore
  /** "Is this client still active?", cached for QIAO_AUTH_CACHE_SECONDS. */
  authCache: AuthCache
  /** Tokens already verified, until they expire (the signature is checked once per token). */
  verifiedTokens: VerifiedTokens
  /** Failed token requests per client id and per source address, fleet-wide (brute-force brake). */
  tokenFailures: FailureLimiter
  /** Guesses that let a read ask for its context and its records in one statement (src/exchange/read-hints.ts). */
  readHints: ReadHints
  /** Group-committed appends of audit entries outside change transactions (reads, denials). */
  audit: AuditWriter
  /** Grants' daily quotas, charged in groups of concurrent reads (src/exchange/quota.ts). */
  quota: QuotaCharger
  /** SHA-256 for the audit chain: Node's crypto on Node, WebCrypto on Workers. */
  hasher: Hasher
}

/** The parts of Services that live as long as the process, not a request. */
export function processState(config: Config, clock: Clock): Pick<Services, 'keys' | 'authCache' | 'verifiedTokens' | 'tokenFailures' | 'readHints'> {
  return {
    tokenFailures: new FailureLimiter(config.QIAO_TOKEN_FAILURES_PER_MINUTE, 60),
    keys: new KeyStore({
      configuredKey: config.QIAO_SIGNING_KEY,
      retireAfterSeconds: config.QIAO_TOKEN_TTL_SECONDS + 60,
      clock,
    }),
    authCache: new AuthCache(config.QIAO_AUTH_CACHE_SECONDS, () => clock.now().getTime()),
    verifiedTokens: new VerifiedTokens(),
    readHints: new ReadHints(),
  }
}
