// The events of an access request's life (docs/webhooks.md), built from its row so that every
// transition sends the same shape: created → the owning department; decided (approved, rejected,
// expired) → the requesting organisation, withdrawn → the owning department; overdue (its light
// turned red while pending) → the owning department, whose approvers must act.

import type { Queryable } from '../db/db.js'
import type { AccessRequestRow } from '../exchange/repository.js'
import { enqueueEvent } from './events.js'

type RequestFacts = Pick<
  AccessRequestRow,
  'id' | 'dataset_id' | 'provider_id' | 'consumer_org_id' | 'purpose' | 'fields' | 'duration_days' | 'status' | 'deadline' | 'expires_at' | 'created_at' | 'decided_at' | 'reason' | 'grant_id'
>

function requestData(row: RequestFacts): Record<string, unknown> {
  return {
    access_request: {
      id: row.id,
      dataset_id: row.dataset_id,
      provider_id: row.provider_id,
      consumer_org_id: row.consumer_org_id,
      purpose: row.purpose,
      fields: row.fields,
      duration_days: row.duration_days,
      status: row.status,
      deadline: row.deadline.toISOString(),
      expires_at: row.expires_at.toISOString(),
      created_at: row.created_at.toISOString(),
      decided_at: row.decided_at?.toISOString() ?? null,
      reason: row.reason,
      grant_id: row.grant_id,
    },
  }
}

export async function emitRequestCreated(q: Queryable, row: RequestFacts, at: Date): Promise<void> {
  await enqueueEvent(q, { type: 'access_request.created', org_id: row.provider_id, subject_id: row.id, data: requestData(row), at })
}

export async function emitRequestDecided(q: Queryable, row: RequestFacts, at: Date): Promise<void> {
  const told = row.status === 'withdrawn' ? row.provider_id : row.consumer_org_id
  await enqueueEvent(q, { type: 'access_request.decided', org_id: told, subject_id: row.id, data: requestData(row), at })
}

export async function emitRequestOverdue(q: Queryable, row: RequestFacts, at: Date): Promise<void> {
  await enqueueEvent(q, { type: 'access_request.overdue', org_id: row.provider_id, subject_id: row.id, data: requestData(row), at })
}
