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

/** Where the chain ended after the last batch a writer appended, if known; writers may share one. */
export interface HeadHint {
  head?: ChainHead
}

/**
 * Group commit for audit entries that are not part of a change transaction (reads, denials,
 * refused logins). Callers await `append`, which resolves only once their entry is committed.
 * While one batch commits, new entries queue; the next batch takes all of them. The writer keeps
 * the head its last batch left, hashes the next batch onto it and stores it with one statement
 * that checks the head under the chain lock (appendAt): one round trip per batch while this writer
 * is the only one appending. When something else appended in between (another process, a change
 * transaction), that statement stores nothing and answers the new head, onto which the batch is
 * hashed and tried again; after a few such misses it goes in a transaction that locks first
 * (appendLocked), which cannot miss. On Workers each request has its own Db and writer; the
 * writers of one isolate share a HeadHint, so a request's batch is usually one round trip there too.
 */
export class AuditWriter {
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined

  constructor(
    private readonly db: Db,
    private readonly hasher: Hasher = webCryptoHasher,
    private readonly hint: HeadHint = {},
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
          this.hint.head = undefined
          for (const item of batch) item.reject(error)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }

  private async appendBatch(batch: readonly Pending[]): Promise<number[]> {
    const { hint } = this
    for (let tries = 0; tries < 3; tries++) {
      hint.head ??= (await appendIfHead(this.db, [], null)).head
      const attempt = await appendAt(this.db, batch, this.hasher, hint.head)
      hint.head = attempt.head
      if (attempt.appended) return attempt.seqs
    }
    const done = await this.db.transaction((tx) => appendLocked(tx, batch, this.hasher))
    hint.head = done.head
    return done.seqs
  }
}
