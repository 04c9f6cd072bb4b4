// Lights turning red: a pending access request or an open objection whose deadline has passed is
// announced once to the department that must act (the mark-overdue job). The request keeps when
// it was announced (overdue_notified_at); an objection keeps the deadline it was announced for,
// because its deadline moves on with each step (accept, then resolve) and each step can run late.
// Marking, its audit entry and its event commit together, and the UPDATE's row locks make two
// concurrent runs announce each one once.

import { recordEvent, type ActionContext, type AuditEvent } from '../audit/recorder.js'
import type { Db } from '../db/db.js'
import type { AccessRequestRow } from '../exchange/repository.js'
import { enqueueEvent } from './events.js'
import { emitRequestOverdue } from './request-events.js'

interface OverdueObjection {
  id: string
  dataset_id: string
  provider_id: string
  status: 'raised' | 'accepted'
  outcome: string | null
  deadline: Date
}

export interface OverdueSummary {
  requests: number
  objections: number
}

export async function markOverdue(db: Db, at: Date): Promise<OverdueSummary> {
  return db.transaction(async (tx) => {
    const { rows: requests } = await tx.query<AccessRequestRow>(
      `UPDATE access_requests SET overdue_notified_at = $1
       WHERE status = 'pending' AND deadline < $1 AND overdue_notified_at IS NULL
       RETURNING id, dataset_id, provider_id, consumer_org_id, requested_by, purpose, legal_basis, fields, duration_days,
         mode, status, deadline, expires_at, created_at, decided_at, decided_by, reason, grant_id`,
      [at],
    )
    const { rows: objections } = await tx.query<OverdueObjection>(
      `UPDATE objections SET overdue_notified_deadline = deadline
       WHERE status IN ('raised', 'accepted') AND deadline < $1 AND overdue_notified_deadline IS DISTINCT FROM deadline
       RETURNING id, dataset_id, provider_id, status, outcome, deadline`,
      [at],
    )
    if (requests.length + objections.length === 0) return { requests: 0, objections: 0 }
    const ctx: ActionContext = { requestId: 'system:mark-overdue', actor: null, sourceIp: null, at }
    const entries: AuditEvent[] = [
      ...requests.map((r) => ({ action: 'access_request.overdue', resourceType: 'access_request', resourceId: r.id, datasetId: r.dataset_id, details: { deadline: r.deadline.toISOString() } })),
      ...objections.map((o) => ({ action: 'objection.overdue', resourceType: 'objection', resourceId: o.id, datasetId: o.dataset_id, details: { status: o.status, step: stepOf(o), deadline: o.deadline.toISOString() } })),
    ]
    await recordEvent(tx, ctx, entries)
    for (const request of requests) await emitRequestOverdue(tx, request, at)
    for (const objection of objections) {
      await enqueueEvent(tx, {
        type: 'objection.overdue',
        org_id: objection.provider_id,
        subject_id: objection.id,
        at,
        data: { objection_id: objection.id, dataset_id: objection.dataset_id, status: objection.status, outcome: objection.outcome, deadline: objection.deadline.toISOString(), step: stepOf(objection) },
      })
    }
    return { requests: requests.length, objections: objections.length }
  })
}

/** What the department has failed to do in time. */
function stepOf(objection: OverdueObjection): 'accept' | 'resolve' {
  return objection.status === 'raised' ? 'accept' : 'resolve'
}
