import type { Queryable } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { chainEntries, type AuditDecision, type AuditEntryContent } from './chain.js'
import { webCryptoHasher, type Hasher } from './hasher.js'
import { chainHead, insertEntries } from './repository.js'

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

// Serialises appends to the one global chain, across connections and processes.
const AUDIT_CHAIN_LOCK = 7_411_203_819

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

/** Appends entries from several requests in one go (the group commit of src/audit/writer.ts). */
export async function appendEntries(
  tx: Queryable,
  items: readonly { ctx: ActionContext; event: AuditEvent }[],
  hasher: Hasher = webCryptoHasher,
): Promise<number[]> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK])
  const head = await chainHead(tx)
  const contents = items.map(({ ctx, event }, i) => entryContent(head.seq + 1 + i, ctx, event))
  const entries = await chainEntries(head, contents, hasher)
  await insertEntries(tx, entries)
  return contents.map((c) => c.seq)
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
