import type { Queryable } from '../db/db.js'
import { countAuthFailures, pruneAuthFailures, recentAuthFailures } from './repository.js'

/**
 * Counts failures per key in fixed windows, in the database (table auth_failures), so that the
 * bound holds across every gateway process and Worker isolate. Used to slow brute force against
 * client authentication: once a client id or a source address has failed `max` times in a window,
 * further attempts are refused before any secret is hashed. A check is one indexed read; a failure
 * one upsert for all its keys.
 */
export class FailureLimiter {
  constructor(
    private readonly max: number,
    private readonly windowSeconds: number,
  ) {}

  /** Seconds until every one of `keys` may try again, or 0 when all may try now. */
  async retryAfter(q: Queryable, keys: readonly string[], now: Date): Promise<number> {
    const rows = await recentAuthFailures(q, keys.map(limited), this.windowStartedBefore(now))
    const ends = rows.filter((row) => row.failures >= this.max).map((row) => row.window_start.getTime() + this.windowSeconds * 1000)
    if (ends.length === 0) return 0
    return Math.max(1, Math.ceil((Math.max(...ends) - now.getTime()) / 1000))
  }

  /** Counts one failure against each key: in its current window, or in a new one from `now`. */
  async fail(q: Queryable, keys: readonly string[], now: Date): Promise<void> {
    await countAuthFailures(q, [...new Set(keys.map(limited))], now, this.windowStartedBefore(now))
  }

  /** Deletes the windows that have ended; answers how many. */
  async prune(q: Queryable, now: Date): Promise<number> {
    return pruneAuthFailures(q, this.windowStartedBefore(now))
  }

  /** A window that started at or before this has ended. */
  private windowStartedBefore(now: Date): Date {
    return new Date(now.getTime() - this.windowSeconds * 1000)
  }
}

/** Keys hold caller-chosen text (a client id as typed): bounded, as the table requires. */
const limited = (key: string) => key.slice(0, 300)
