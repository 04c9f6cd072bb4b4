// Lights turning red: a pending access request or an open objection whose deadline has passed is
// announced once to the department that must act (the mark-overdue job). The request keeps when
// it was announced (overdue_notified_at); an objection keeps the deadline it was announced for,
// because its deadline moves on with each step (accept, then resolve) and each step can run late.
// Marking, its audit entry and its event commit together, and the UPDATE's row locks make two
// concurrent runs announce each one once.

import { recordEvent, type ActionContext, type AuditEvent } from '../audit/recorder.js'
import type { Db } from '../db/db.js'
import { markRequestsOverdue } from '../exchange/repository.js'
import { markObjectionsOverdue, type ObjectionRow } from '../objections/repository.js'
import { enqueueEvent } from './events.js'
import { emitRequestOverdue } from './request-events.js'

export interface OverdueSummary {
  requests: number
  objections: number
}

export async function markOverdue(db: Db, at: Date): Promise<OverdueSummary> {
  return db.transaction(async (tx) => {
    const requests = await markRequestsOverdue(tx, at)
    const objections = await markObjectionsOverdue(tx, at)
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
function stepOf(objection: Pick<ObjectionRow, 'status'>): 'accept' | 'resolve' {
  return objection.status === 'raised' ? 'accept' : 'resolve'
}
