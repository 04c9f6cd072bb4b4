// Access requests and grants: a consumer applies for a dataset; the policy either grants it at
// once (direct) or sends it to the owning department's approvers, who approve (narrowing fields,
// setting masks, a row filter, a quota, an expiry — never beyond the policy's ceiling), reject
// with a reason, or let it expire; the requester may withdraw it. Grants are listed and revoked
// here. Knows nothing about HTTP.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import { deadlineState, NO_DEADLINE } from '../calendar/deadlines.js'
import { addWorkingDays, calendarFromConfig, type Light, type WorkingCalendar } from '../calendar/working-days.js'
import { visibleRow } from '../catalog/service.js'
import { findDataset, type DatasetRow } from '../catalog/repository.js'
import type { Queryable } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { ApiError, type FieldProblem } from '../http/errors.js'
import { newId } from '../ids.js'
import { emitRequestCreated, emitRequestDecided } from '../notify/request-events.js'
import type { Services } from '../services.js'
import type { MaskSpec } from '../standards/annotations.js'
import { getStandard } from '../standards/service.js'
import type { FieldSpec } from '../standards/standard.js'
import { decideAccess, type AccessDecision, type AccessSubject, type DatasetAccessFacts } from './decide.js'
import { newGrantHashKey } from './masking.js'
import { loadTierPolicy } from './policy-service.js'
import * as repo from './repository.js'
import type { AccessRequestRow, GrantRow, RowCondition } from './repository.js'

export type Deps = Pick<Services, 'db' | 'clock' | 'audit' | 'config'>

/** Working days an approver has to decide (DESIGN.md: default 10). */
export const DECISION_WORKING_DAYS = 10
/** An undecided request stays open (and overdue) this many further working days, then expires. */
export const EXPIRY_AFTER_DEADLINE_WORKING_DAYS = 10
const DAY_MS = 86_400_000

export interface NewAccessRequest {
  dataset_id: string
  purpose: string
  legal_basis: string
  fields: string[]
  duration_days: number
}

export interface Approval {
  fields?: string[]
  masks?: Record<string, MaskSpec>
  row_filter?: RowCondition[]
  daily_quota?: number
  expires_at?: Date
  note?: string
}

export interface RequestView {
  row: AccessRequestRow
  light: Light | null
  overdue: boolean
}

export function calendarOf(deps: Pick<Deps, 'config'>): WorkingCalendar {
  return calendarFromConfig(deps.config)
}

// ---- facts for decisions ---------------------------------------------------------------------

export async function datasetFacts(q: Queryable, row: DatasetRow): Promise<DatasetAccessFacts> {
  return factsOf(row, (await repo.orgOf(q, row.provider_id))?.region_code ?? null)
}

/** datasetFacts with the provider's region code already at hand (delivery's readContext). */
export function factsOf(row: Pick<DatasetRow, 'id' | 'provider_id' | 'tier' | 'sharing' | 'open' | 'status'>, providerRegionCode: string | null): DatasetAccessFacts {
  return {
    id: row.id,
    providerId: row.provider_id,
    providerRegionCode,
    tier: row.tier,
    sharing: row.sharing,
    open: row.open,
    status: row.status,
  }
}

export async function subjectOf(q: Queryable, principal: Principal): Promise<AccessSubject> {
  return { ...principal, regionCode: (await repo.orgOf(q, principal.orgId))?.region_code ?? null }
}

/** The standard's fields of a dataset, by name. */
export async function datasetFields(deps: Pick<Deps, 'db' | 'clock'>, row: Pick<DatasetRow, 'standard_name' | 'standard_version'>, q: Queryable = deps.db): Promise<ReadonlyMap<string, FieldSpec>> {
  const description = (await getStandard(deps, row.standard_name, row.standard_version, q)).compiled?.description
  if (!description) return new Map()
  let fields = fieldsByDescription.get(description)
  if (!fields) {
    fields = new Map(description.fields.map((field) => [field.name, field]))
    fieldsByDescription.set(description, fields)
  }
  return fields
}

/** Each compiled standard's fields by name, made once rather than on every read that asks. */
const fieldsByDescription = new WeakMap<object, ReadonlyMap<string, FieldSpec>>()

// ---- access requests -------------------------------------------------------------------------

/**
 * Files a request. A request the policy makes direct is approved at once, by the policy, and its
 * grant created in the same transaction; one the policy puts on approval waits for the owner's
 * approvers with a deadline in working days; one the policy refuses outright is refused here.
 */
export async function createAccessRequest(deps: Deps, ctx: ActionContext, input: NewAccessRequest): Promise<RequestView> {
  const actor = actorOf(ctx)
  const dataset = await visibleRow(deps, actor, input.dataset_id)
  if (dataset.provider_id === actor.orgId) throw new ApiError('unprocessable', `${dataset.id} belongs to the caller's organisation: owners read their own data without a grant`)
  const fields = await datasetFields(deps, dataset)
  const unknown = input.fields.filter((f) => !fields.has(f))
  if (unknown.length > 0) throw invalid(unknown.map((f) => ({ path: `body.fields.${input.fields.indexOf(f)}`, message: `${f} is not a field of ${dataset.id}`, code: 'unknown_field' })))

  const decision = decideAccess(await subjectOf(deps.db, actor), await datasetFacts(deps.db, dataset), (await loadTierPolicy(deps.db)).matrix, undefined, ctx.at)
  if (decision.decision === 'deny' && !(decision.needsGrant && decision.reason === 'no_grant')) {
    throw new ApiError('forbidden', `the tier policy refuses this request: ${decision.detail}`, { reason: decision.reason })
  }
  if (decision.aggregateOnly) {
    const notDimensions = input.fields.filter((f) => fields.get(f)?.aggregatable === undefined)
    if (notDimensions.length > 0) {
      throw new ApiError('unprocessable', `the policy gives aggregates only: request aggregatable dimensions, not ${notDimensions.join(', ')}`, { reason: 'aggregate_only' })
    }
  }
  const calendar = calendarOf(deps)
  const deadline = addWorkingDays(ctx.at, DECISION_WORKING_DAYS, calendar)
  const row: AccessRequestRow = {
    id: newId('req'),
    dataset_id: dataset.id,
    provider_id: dataset.provider_id,
    consumer_org_id: actor.orgId,
    requested_by: actor.clientId,
    purpose: input.purpose,
    legal_basis: input.legal_basis,
    fields: [...new Set(input.fields)],
    duration_days: input.duration_days,
    mode: decision.mode,
    status: 'pending',
    deadline,
    expires_at: addWorkingDays(deadline, EXPIRY_AFTER_DEADLINE_WORKING_DAYS, calendar),
    created_at: ctx.at,
    decided_at: null,
    decided_by: null,
    reason: null,
    grant_id: null,
  }
  await deps.db.transaction(async (tx) => {
    await repo.insertRequest(tx, row)
    await recordEvent(tx, ctx, {
      action: 'access_request.created',
      resourceType: 'access_request',
      resourceId: row.id,
      datasetId: dataset.id,
      purpose: row.purpose,
      fields: row.fields,
      details: { mode: decision.mode, legal_basis: row.legal_basis, duration_days: row.duration_days, deadline: deadline.toISOString() },
    })
    await emitRequestCreated(tx, row, ctx.at)
    if (decision.decision === 'allow') {
      const grant = newGrant(row, { fields: row.fields, masks: {}, row_filter: [], daily_quota: null, expires_at: new Date(ctx.at.getTime() + row.duration_days * DAY_MS) }, decision, ctx.at, null)
      await repo.insertGrant(tx, grant)
      Object.assign(row, { status: 'approved', decided_at: ctx.at, reason: 'policy_direct', grant_id: grant.id })
      await repo.decideRequest(tx, row.id, { status: 'approved', at: ctx.at, by: null, reason: 'policy_direct', grantId: grant.id })
      await recordEvent(tx, ctx, grantEvent('grant.created', grant, { by: 'policy', reason: decision.reason }))
      await emitRequestDecided(tx, row, ctx.at)
    }
  })
  return viewOf(deps, row, ctx.at)
}

/** The caller's outgoing requests (its organisation's) or incoming ones (for its datasets), newest first. */
export async function listAccessRequests(deps: Deps, viewer: Principal, filter: Omit<repo.RequestFilter, 'orgId'>): Promise<RequestView[]> {
  const now = deps.clock.now()
  await deps.db.transaction((tx) => expireDueRequests(tx, now))
  const rows = await repo.listRequests(deps.db, { ...filter, orgId: viewer.orgId })
  return rows.map((row) => viewOf(deps, row, now))
}

/** One request, for its requester's organisation and the owning department; 404 for anyone else. */
export async function getAccessRequest(deps: Deps, viewer: Principal, id: string): Promise<RequestView> {
  const now = deps.clock.now()
  await deps.db.transaction((tx) => expireDueRequests(tx, now))
  const row = await repo.findRequest(deps.db, id)
  if (!row || (row.consumer_org_id !== viewer.orgId && row.provider_id !== viewer.orgId)) throw requestNotFound(id)
  return viewOf(deps, row, now)
}

/**
 * Approves a pending request of the approver's department. The grant is checked against the
 * policy in force now, for the consumer: fields only narrowed from those requested; in a masked
 * mode every field above L1 masked (the approver's mask or the standard's default); in the
 * aggregates mode only aggregatable dimensions; an expiry within the requested duration.
 */
export async function approveAccessRequest(deps: Deps, ctx: ActionContext, id: string, approval: Approval): Promise<{ request: RequestView; grant: GrantRow }> {
  const actor = actorOf(ctx)
  const result = await deps.db.transaction(async (tx) => {
    const row = await pendingRequestOfProvider(tx, actor, id, ctx.at)
    const dataset = await findDataset(tx, row.dataset_id)
    if (!dataset) throw requestNotFound(id)
    const consumer = await repo.orgOf(tx, row.consumer_org_id)
    const subject: AccessSubject = {
      clientId: row.requested_by ?? 'cli_unknown',
      orgId: row.consumer_org_id,
      orgKind: consumer?.kind ?? 'social_org',
      roles: ['consumer'],
      regionCode: consumer?.region_code ?? null,
    }
    const decision = decideAccess(subject, await datasetFacts(tx, dataset), (await loadTierPolicy(tx)).matrix, undefined, ctx.at)
    if (decision.decision === 'deny' && !(decision.needsGrant && decision.reason === 'no_grant')) {
      throw new ApiError('unprocessable', `the tier policy no longer allows this access: ${decision.detail}`, { reason: decision.reason })
    }
    const fields = await datasetFields(deps, dataset, tx)
    const terms = checkedTerms(row, approval, fields, decision, ctx.at)
    const grant = newGrant(row, terms, decision, ctx.at, actor.clientId)
    await repo.insertGrant(tx, grant)
    await repo.decideRequest(tx, row.id, { status: 'approved', at: ctx.at, by: actor.clientId, reason: approval.note ?? null, grantId: grant.id })
    await recordEvent(tx, ctx, [
      {
        action: 'access_request.approved',
        resourceType: 'access_request',
        resourceId: row.id,
        datasetId: row.dataset_id,
        grantId: grant.id,
        purpose: row.purpose,
        fields: grant.fields,
        details: { requested_fields: row.fields, note: approval.note ?? null },
      },
      grantEvent('grant.created', grant, { by: 'approval' }),
    ])
    const approved = { ...row, status: 'approved' as const, decided_at: ctx.at, decided_by: actor.clientId, reason: approval.note ?? null, grant_id: grant.id }
    await emitRequestDecided(tx, approved, ctx.at)
    return { row: approved, grant }
  })
  return { request: viewOf(deps, result.row, ctx.at), grant: result.grant }
}

export async function rejectAccessRequest(deps: Deps, ctx: ActionContext, id: string, reason: string): Promise<RequestView> {
  const actor = actorOf(ctx)
  const row = await deps.db.transaction(async (tx) => {
    const row = await pendingRequestOfProvider(tx, actor, id, ctx.at)
    await repo.decideRequest(tx, row.id, { status: 'rejected', at: ctx.at, by: actor.clientId, reason, grantId: null })
    await recordEvent(tx, ctx, { action: 'access_request.rejected', resourceType: 'access_request', resourceId: row.id, datasetId: row.dataset_id, reason })
    const rejected = { ...row, status: 'rejected' as const, decided_at: ctx.at, decided_by: actor.clientId, reason }
    await emitRequestDecided(tx, rejected, ctx.at)
    return rejected
  })
  return viewOf(deps, row, ctx.at)
}

/** The requester's organisation takes back a pending request. */
export async function withdrawAccessRequest(deps: Deps, ctx: ActionContext, id: string): Promise<RequestView> {
  const actor = actorOf(ctx)
  const row = await deps.db.transaction(async (tx) => {
    await expireDueRequests(tx, ctx.at)
    const row = await repo.lockRequest(tx, id)
    if (!row || row.consumer_org_id !== actor.orgId) throw requestNotFound(id)
    if (row.status !== 'pending') throw new ApiError('conflict', `request ${id} is ${row.status}: only a pending request can be withdrawn`)
    await repo.decideRequest(tx, row.id, { status: 'withdrawn', at: ctx.at, by: actor.clientId, reason: null, grantId: null })
    await recordEvent(tx, ctx, { action: 'access_request.withdrawn', resourceType: 'access_request', resourceId: row.id, datasetId: row.dataset_id })
    const withdrawn = { ...row, status: 'withdrawn' as const, decided_at: ctx.at, decided_by: actor.clientId }
    await emitRequestDecided(tx, withdrawn, ctx.at)
    return withdrawn
  })
  return viewOf(deps, row, ctx.at)
}

/**
 * Pending requests nobody decided before their expires_at become expired, each audited and
 * announced to its requester in the transaction that expires it. The expire-requests job runs it,
 * and so does every read or decision of requests first, so none is seen pending past its expiry.
 */
export async function expireDueRequests(tx: Queryable, at: Date): Promise<AccessRequestRow[]> {
  const expired = await repo.expireOverdue(tx, at)
  if (expired.length === 0) return expired
  const ctx: ActionContext = { requestId: 'system:expire-requests', actor: null, sourceIp: null, at }
  await recordEvent(
    tx,
    ctx,
    expired.map((row) => ({ action: 'access_request.expired', resourceType: 'access_request', resourceId: row.id, datasetId: row.dataset_id, details: { expires_at: row.expires_at.toISOString() } })),
  )
  for (const row of expired) await emitRequestDecided(tx, row, at)
  return expired
}

async function pendingRequestOfProvider(tx: Queryable, actor: Principal, id: string, now: Date): Promise<AccessRequestRow> {
  await expireDueRequests(tx, now)
  const row = await repo.lockRequest(tx, id)
  // Requests are the owning department's business: anyone else gets the answer for a missing one.
  if (!row || row.provider_id !== actor.orgId) throw requestNotFound(id)
  if (row.status !== 'pending') throw new ApiError('conflict', `request ${id} is ${row.status}: only a pending request can be decided`)
  return row
}

interface GrantTerms {
  fields: string[]
  masks: Record<string, MaskSpec>
  row_filter: RowCondition[]
  daily_quota: number | null
  expires_at: Date | null
}

/** The approval's terms, or a 422 naming every way they exceed the request or the policy. */
function checkedTerms(row: AccessRequestRow, approval: Approval, fields: ReadonlyMap<string, FieldSpec>, decision: AccessDecision, now: Date): GrantTerms {
  const problems: FieldProblem[] = []
  const granted = [...new Set(approval.fields ?? row.fields)]
  granted.forEach((field, i) => {
    if (!row.fields.includes(field)) problems.push({ path: `body.fields.${i}`, message: `${field} was not requested: an approval may only narrow the fields`, code: 'wider_than_requested' })
  })
  if (granted.length === 0) problems.push({ path: 'body.fields', message: 'a grant needs at least one field', code: 'empty' })
  const masks = approval.masks ?? {}
  for (const field of Object.keys(masks)) {
    if (!granted.includes(field)) problems.push({ path: `body.masks.${field}`, message: `${field} is not a granted field`, code: 'not_granted' })
  }
  if (decision.masked) {
    for (const field of granted) {
      const spec = fields.get(field)
      if (spec && spec.sensitivity !== 'L1' && masks[field] === undefined && spec.mask === undefined) {
        problems.push({ path: `body.fields`, message: `${field} is ${spec.sensitivity} with no default mask: the policy allows this consumer masked data only, so set a mask for it`, code: 'exceeds_policy' })
      }
    }
  }
  if (decision.aggregateOnly) {
    for (const field of granted) {
      if (fields.get(field)?.aggregatable === undefined) problems.push({ path: 'body.fields', message: `${field} is not an aggregatable dimension: the policy allows this consumer aggregates only`, code: 'exceeds_policy' })
    }
  }
  const rowFilter = approval.row_filter ?? []
  rowFilter.forEach((condition, i) => {
    if (!fields.has(condition.field)) problems.push({ path: `body.row_filter.${i}.field`, message: `${condition.field} is not a field of the dataset`, code: 'unknown_field' })
  })
  const longest = new Date(now.getTime() + row.duration_days * DAY_MS)
  const expiresAt = approval.expires_at ?? longest
  if (expiresAt.getTime() <= now.getTime()) problems.push({ path: 'body.expires_at', message: 'the expiry is in the past', code: 'past' })
  if (expiresAt.getTime() > longest.getTime()) {
    problems.push({ path: 'body.expires_at', message: `the request was for ${row.duration_days} days: the grant may not run past ${longest.toISOString()}`, code: 'wider_than_requested' })
  }
  if (problems.length > 0) {
    throw new ApiError('unprocessable', `the approval exceeds the request or the tier policy (${decision.mode}): ${problems.map((p) => p.message).join('; ')}`, {
      errors: problems,
      reason: 'exceeds_policy',
    })
  }
  return { fields: granted, masks, row_filter: rowFilter, daily_quota: approval.daily_quota ?? null, expires_at: expiresAt }
}

function newGrant(row: AccessRequestRow, terms: GrantTerms, decision: AccessDecision, at: Date, by: string | null): GrantRow {
  return {
    id: newId('grt'),
    dataset_id: row.dataset_id,
    provider_id: row.provider_id,
    consumer_org_id: row.consumer_org_id,
    request_id: row.id,
    purpose: row.purpose,
    mode: decision.mode,
    fields: terms.fields,
    masks: terms.masks,
    row_filter: terms.row_filter,
    daily_quota: terms.daily_quota,
    expires_at: terms.expires_at,
    status: 'active',
    hash_key: newGrantHashKey(),
    created_at: at,
    created_by: by,
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
  }
}

function grantEvent(action: string, grant: GrantRow, details: Record<string, unknown>) {
  return {
    action,
    resourceType: 'grant',
    resourceId: grant.id,
    datasetId: grant.dataset_id,
    grantId: grant.id,
    purpose: grant.purpose,
    fields: grant.fields,
    details: {
      ...details,
      consumer_org_id: grant.consumer_org_id,
      mode: grant.mode,
      masks: grant.masks,
      row_filter: grant.row_filter,
      daily_quota: grant.daily_quota,
      expires_at: grant.expires_at?.toISOString() ?? null,
    },
  }
}

function viewOf(deps: Pick<Deps, 'config'>, row: AccessRequestRow, now: Date): RequestView {
  if (row.status !== 'pending') return { row, ...NO_DEADLINE }
  return { row, ...deadlineState(deps.config, row.deadline, now) }
}

// ---- grants ----------------------------------------------------------------------------------

/** Grants the caller's organisation holds or has given; the platform sees every grant. */
export async function listGrants(deps: Deps, viewer: Principal, filter: Omit<repo.GrantFilter, 'orgId'>): Promise<GrantRow[]> {
  return repo.listGrants(deps.db, { ...filter, orgId: viewer.orgKind === 'platform' ? null : viewer.orgId })
}

/** Revokes a grant: the owning department or an admin. Every read checks the grant, so it takes effect at once. */
export async function revokeGrant(deps: Deps, ctx: ActionContext, id: string, reason: string | null): Promise<GrantRow> {
  const actor = actorOf(ctx)
  return deps.db.transaction(async (tx) => {
    const grant = await repo.lockGrant(tx, id)
    const admin = actor.orgKind === 'platform' && actor.roles.includes('admin')
    if (!grant || (!admin && grant.provider_id !== actor.orgId && grant.consumer_org_id !== actor.orgId)) throw grantNotFound(id)
    if (!admin && grant.provider_id !== actor.orgId) throw new ApiError('forbidden', 'a grant is revoked by the owning department or an admin')
    if (grant.status === 'revoked') return grant
    await repo.revokeGrant(tx, id, { at: ctx.at, by: actor.clientId, reason })
    await recordEvent(tx, ctx, { ...grantEvent('grant.revoked', grant, {}), reason: reason ?? undefined })
    return { ...grant, status: 'revoked' as const, revoked_at: ctx.at, revoked_by: actor.clientId, revoke_reason: reason }
  })
}

export function grantStatus(grant: GrantRow, now: Date): 'active' | 'revoked' | 'expired' {
  if (grant.status === 'revoked') return 'revoked'
  return grant.expires_at !== null && now.getTime() >= grant.expires_at.getTime() ? 'expired' : 'active'
}

function actorOf(ctx: ActionContext): Principal {
  if (!ctx.actor) throw new ApiError('unauthorized', 'this needs an authenticated client')
  return ctx.actor
}

function invalid(errors: FieldProblem[]): ApiError {
  return new ApiError('validation_failed', errors.map((e) => e.message).join('; '), { errors })
}

export function requestNotFound(id: string): ApiError {
  return new ApiError('not_found', `access request ${id} not found`)
}

function grantNotFound(id: string): ApiError {
  return new ApiError('not_found', `grant ${id} not found`)
}

