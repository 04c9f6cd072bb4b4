import type { Db } from '../db/db.js'
import type { ChainHead } from './chain.js'
import { appendAt, appendLocked, type ActionContext, type AuditEvent } from './recorder.js'
import { appendIfHead } from './repository.js'
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
 * While one batch commits, new entries queue; the next batch takes all of them. The writer keeps
 * the head its last batch left, hashes the next batch onto it and stores it with one statement
 * that checks the head under the chain lock (appendAt): one round trip per batch while this writer
 * is the only one appending. When something else appended in between (another process, a change
 * transaction), that statement stores nothing and answers the new head, onto which the batch is
 * hashed and tried again; after a few such misses it goes in a transaction that locks first
 * (appendLocked), which cannot miss. On Workers each request has its own Db and writer: its first
 * batch reads the head, then appends, two round trips.
 */
export class AuditWriter {
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined
  /** Where the chain ended after this writer's last batch, if it knows. */
  private head: ChainHead | undefined

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
          const seqs = await this.appendBatch(batch)
          batch.forEach((item, i) => item.resolve(seqs[i]!))
        } catch (error) {
          this.head = undefined
          for (const item of batch) item.reject(error)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }

  private async appendBatch(batch: readonly Pending[]): Promise<number[]> {
    for (let tries = 0; tries < 3; tries++) {
      this.head ??= (await appendIfHead(this.db, [], null)).head
      const attempt = await appendAt(this.db, batch, this.hasher, this.head)
      this.head = attempt.head
      if (attempt.appended) return attempt.seqs
    }
    const done = await this.db.transaction((tx) => appendLocked(tx, batch, this.hasher))
    this.head = done.head
    return done.seqs
  }
}
