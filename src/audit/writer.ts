import type { Db } from '../db/db.js'
import { appendEntries, type ActionContext, type AuditEvent } from './recorder.js'
import { webCryptoHasher, type Hasher } from './hasher.js'

interface Pending {
  ctx: ActionContext
  event: AuditEvent
  resolve: (seq: number) => void
  reject: (error: unknown) => void
}

const MAX_BATCH = 500

/**
 * Group commit for audit entries that are not part of a change transaction (reads, denials,
 * refused logins). Callers await `append`, which resolves only once their entry is committed.
 * While one batch commits, new entries queue; the next batch takes all of them in one
 * transaction under the chain lock. So the serial chain costs one round of locking per batch,
 * not per entry. On Workers each request has its own Db and writer, so a batch there is one
 * request's entries; the advisory lock still keeps one chain across isolates and processes.
 */
export class AuditWriter {
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined

  constructor(
    private readonly db: Db,
    private readonly hasher: Hasher = webCryptoHasher,
  ) {}

  append(ctx: ActionContext, event: AuditEvent): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ ctx, event, resolve, reject })
      this.flushing ??= this.drain()
    })
  }

  /** Waits until everything appended so far is committed (graceful shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH)
        try {
          const seqs = await this.db.transaction((tx) => appendEntries(tx, batch, this.hasher))
          batch.forEach((item, i) => item.resolve(seqs[i]!))
        } catch (error) {
          for (const item of batch) item.reject(error)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }
}
