import type { Queryable } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { chainEntries, type AuditDecision, type AuditEntryContent, type ChainHead } from './chain.js'
import { webCryptoHasher, type Hasher } from './hasher.js'
import { appendIfHead } from './repository.js'

/** Who acted, from where, in which request: carried from the HTTP layer (or the CLI) into services. */
export interface ActionContext {
  requestId: string
  actor: Principal | null
  sourceIp: string | null
  at: Date
}

export interface AuditEvent {
  action: string
  resourceType?: string
  resourceId?: string
  datasetId?: string
  decision?: AuditDecision
  reason?: string
  purpose?: string
  grantId?: string
  fields?: string[]
  rowCount?: number
  details?: Record<string, unknown>
}

/**
 * The only way an audit entry is written. Call it inside the transaction that makes the change,
 * so the change and its entry commit (or roll back) together. The chain lock is held until that
 * transaction ends, which is what keeps one consistent chain across processes.
 */
export async function recordEvent(
  tx: Queryable,
  ctx: ActionContext,
  events: AuditEvent | readonly AuditEvent[],
  hasher: Hasher = webCryptoHasher,
): Promise<number[]> {
  const list = Array.isArray(events) ? events : [events as AuditEvent]
  return appendEntries(
    tx,
    list.map((event) => ({ ctx, event })),
    hasher,
  )
}

type Item = { ctx: ActionContext; event: AuditEvent }

/**
 * Appends entries inside a transaction: takes the chain lock and reads the head, then stores the
 * entries hashed onto it. The lock, held until the transaction ends, serialises appends to the one
 * global chain across connections and processes. Answers the entries' seqs and the new head.
 */
export async function appendEntries(tx: Queryable, items: readonly Item[], hasher: Hasher = webCryptoHasher): Promise<number[]> {
  return (await appendLocked(tx, items, hasher)).seqs
}

export async function appendLocked(tx: Queryable, items: readonly Item[], hasher: Hasher): Promise<{ seqs: number[]; head: ChainHead }> {
  const { head } = await appendIfHead(tx, [], null)
  const attempt = await appendAt(tx, items, hasher, head)
  // Unreachable while the lock taken above is held: nothing else can have moved the head.
  if (!attempt.appended) throw new Error(`the audit chain moved from seq ${head.seq} while its lock was held`)
  return attempt
}

/**
 * Hashes the entries onto `head` and stores them if the chain still ends there, in one statement.
 * Outside a transaction this is the whole append when `head` is right (src/audit/writer.ts).
 */
export async function appendAt(q: Queryable, items: readonly Item[], hasher: Hasher, head: ChainHead): Promise<{ appended: boolean; seqs: number[]; head: ChainHead }> {
  const contents = items.map(({ ctx, event }, i) => entryContent(head.seq + 1 + i, ctx, event))
  const result = await appendIfHead(q, await chainEntries(head, contents, hasher), head)
  return { appended: result.appended, seqs: contents.map((c) => c.seq), head: result.head }
}

function entryContent(seq: number, ctx: ActionContext, event: AuditEvent): AuditEntryContent {
  return {
    seq,
    at: ctx.at.toISOString(),
    request_id: ctx.requestId,
    actor_client_id: ctx.actor?.clientId ?? null,
    actor_org_id: ctx.actor?.orgId ?? null,
    action: event.action,
    resource_type: event.resourceType ?? null,
    resource_id: event.resourceId ?? null,
    dataset_id: event.datasetId ?? null,
    decision: event.decision ?? null,
    reason: event.reason ?? null,
    purpose: event.purpose ?? null,
    grant_id: event.grantId ?? null,
    fields: event.fields ?? null,
    row_count: event.rowCount ?? null,
    source_ip: ctx.sourceIp,
    details: event.details ?? {},
  }
}
