import type { Queryable } from '../db/db.js'
import { newId } from '../ids.js'

/**
 * Events Qiao emits so that organisations' own systems can react (docs/webhooks.md). Types are
 * `<resource>.<transition>`; the organisation is the one told, not necessarily the actor.
 */
export type EventType =
  | 'access_request.created'
  | 'access_request.decided'
  | 'access_request.overdue'
  | 'objection.raised'
  | 'objection.accepted'
  | 'objection.resolved'
  | 'objection.closed'
  | 'objection.reopened'
  | 'objection.overdue'
  | (string & {})

export interface NewEvent {
  type: EventType
  /** The organisation told about it (whose webhook receives it). */
  org_id: string
  /** The request, objection, … the event is about. */
  subject_id: string
  data: Record<string, unknown>
  /** When it happened: pass the action's time (ctx.at) so events follow the service clock. */
  at?: Date
}

/**
 * Writes an event to the outbox inside the caller's transaction, so the event exists exactly
 * when the change it reports commits. When the organisation has an active webhook the event is
 * also queued for delivery (src/notify/delivery.ts sends it, from the deliver-webhooks job);
 * without one the outbox row is the record and nothing is sent.
 */
export async function enqueueEvent(q: Queryable, event: NewEvent): Promise<string> {
  const id = newId('evt')
  const at = event.at ?? new Date()
  await q.query(
    `WITH e AS (
       INSERT INTO events (id, type, org_id, subject_id, payload, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, org_id, created_at
     )
     INSERT INTO webhook_deliveries (event_id, org_id, status, next_attempt_at, created_at)
     SELECT e.id, e.org_id, 'pending', e.created_at, e.created_at
     FROM e JOIN webhooks w ON w.org_id = e.org_id AND w.active`,
    [id, event.type, event.org_id, event.subject_id, JSON.stringify(event.data), at],
  )
  return id
}
