// SQL of notifications: webhooks, the event outbox, the delivery queue and its attempt log.

import type { Queryable } from '../db/db.js'

export interface WebhookRow {
  org_id: string
  url: string
  secret: string
  active: boolean
  created_at: Date
  updated_at: Date
  updated_by: string | null
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface DeliveryRow {
  id: number
  event_id: string
  event_type: string
  subject_id: string
  org_id: string
  status: DeliveryStatus
  attempts: number
  next_attempt_at: Date | null
  last_http_status: number | null
  last_error: string | null
  created_at: Date
  delivered_at: Date | null
}

export interface AttemptRow {
  delivery_id: number
  attempt: number
  at: Date
  url: string
  http_status: number | null
  error: string | null
  duration_ms: number
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: number
  attempts: number
  event_id: string
  type: string
  org_id: string
  subject_id: string
  payload: Record<string, unknown>
  event_at: Date
  url: string
  secret: string
}

export async function findWebhook(q: Queryable, orgId: string): Promise<WebhookRow | undefined> {
  const { rows } = await q.query<WebhookRow>('SELECT org_id, url, secret, active, created_at, updated_at, updated_by FROM webhooks WHERE org_id = $1', [orgId])
  return rows[0]
}

export async function lockWebhook(q: Queryable, orgId: string): Promise<WebhookRow | undefined> {
  const { rows } = await q.query<WebhookRow>('SELECT org_id, url, secret, active, created_at, updated_at, updated_by FROM webhooks WHERE org_id = $1 FOR UPDATE', [orgId])
  return rows[0]
}

export async function upsertWebhook(q: Queryable, row: WebhookRow): Promise<void> {
  await q.query(
    `INSERT INTO webhooks (org_id, url, secret, active, created_at, updated_at, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, active = EXCLUDED.active,
       updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    [row.org_id, row.url, row.secret, row.active, row.created_at, row.updated_at, row.updated_by],
  )
}

export async function deleteWebhook(q: Queryable, orgId: string): Promise<void> {
  await q.query('DELETE FROM webhooks WHERE org_id = $1', [orgId])
}

/** Deliveries still queued for an organisation end as failed when its webhook goes. */
export async function abandonPending(q: Queryable, orgId: string, reason: string): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = $2
     WHERE org_id = $1 AND status = 'pending'`,
    [orgId, reason],
  )
  return rowCount
}

/**
 * Claims up to `limit` due deliveries: each is leased (its next attempt pushed `leaseSeconds`
 * ahead) and its attempt counted in the claiming statement, and rows another claimer holds are
 * skipped, so two processes never send the same delivery at once. A process that dies while
 * sending leaves its lease to expire and the delivery is tried again (at least once). Deliveries
 * of a paused webhook are not claimed: they wait until it is active again.
 */
export async function claimDueDeliveries(q: Queryable, now: Date, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
  const { rows } = await q.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d
       WHERE d.status = 'pending' AND d.next_attempt_at <= $1
         AND EXISTS (SELECT 1 FROM webhooks w WHERE w.org_id = d.org_id AND w.active)
       ORDER BY d.next_attempt_at, d.id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $3)
       FROM due WHERE d.id = due.id
       RETURNING d.id, d.attempts, d.event_id, d.org_id
     )
     SELECT c.id, c.attempts, c.event_id, e.type, c.org_id, e.subject_id, e.payload, e.created_at AS event_at,
       w.url, w.secret
     FROM claimed c JOIN events e ON e.id = c.event_id JOIN webhooks w ON w.org_id = c.org_id
     ORDER BY c.id`,
    [now, limit, leaseSeconds],
  )
  return rows
}

export interface AttemptOutcome {
  deliveryId: number
  attempt: number
  at: Date
  url: string
  httpStatus: number | null
  error: string | null
  durationMs: number
  /** delivered, retry at `nextAttemptAt`, or failed for good. */
  next: { status: 'delivered' } | { status: 'pending'; nextAttemptAt: Date } | { status: 'failed' }
}

/**
 * Logs an attempt and moves its delivery on, unless the delivery is no longer the one claimed
 * (another claimer took it after this one's lease ran out): then nothing is written twice.
 */
export async function recordAttempt(q: Queryable, outcome: AttemptOutcome): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE webhook_deliveries SET status = $3, last_http_status = $4, last_error = $5,
       next_attempt_at = $6, delivered_at = $7
     WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [
      outcome.deliveryId,
      outcome.attempt,
      outcome.next.status,
      outcome.httpStatus,
      outcome.error,
      outcome.next.status === 'pending' ? outcome.next.nextAttemptAt : null,
      outcome.next.status === 'delivered' ? outcome.at : null,
    ],
  )
  if (rowCount !== 1) return false
  await q.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, at, url, http_status, error, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [outcome.deliveryId, outcome.attempt, outcome.at, outcome.url, outcome.httpStatus, outcome.error, outcome.durationMs],
  )
  return true
}

export interface DeliveryFilter {
  orgId: string
  status?: DeliveryStatus
  /** Newest first: the id of the last delivery of the previous page. */
  beforeId?: number
  limit: number
}

export async function listDeliveries(q: Queryable, filter: DeliveryFilter): Promise<DeliveryRow[]> {
  const { rows } = await q.query<DeliveryRow>(
    `SELECT d.id, d.event_id, e.type AS event_type, e.subject_id, d.org_id, d.status, d.attempts, d.next_attempt_at,
       d.last_http_status, d.last_error, d.created_at, d.delivered_at
     FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.org_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::bigint IS NULL OR d.id < $3)
     ORDER BY d.id DESC LIMIT $4`,
    [filter.orgId, filter.status ?? null, filter.beforeId ?? null, filter.limit],
  )
  return rows
}

export async function attemptsOf(q: Queryable, deliveryIds: readonly number[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return []
  const { rows } = await q.query<AttemptRow>(
    `SELECT delivery_id, attempt, at, url, http_status, error, duration_ms FROM webhook_attempts
     WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, attempt`,
    [deliveryIds],
  )
  return rows
}
