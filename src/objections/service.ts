// Data objections (数据异议): a consumer disputes a record (by key) or a whole dataset; the
// owning department accepts it, then resolves it — corrected (through a normal ingest, which the
// objection links to) or rejected with a note — within deadlines in working days; only the raiser
// closes it, rating the handling (好差评), or reopens it once with a reason. While an objection
// on a record is open, deliveries of that record carry `_flags: ["disputed"]` (src/exchange/delivery.ts).
// Every transition is audited and announced (src/notify) in its own transaction. Knows nothing
// about HTTP.

import { recordEvent, type ActionContext, type AuditEvent } from '../audit/recorder.js'
import { deadlineAfter, deadlineState, NO_DEADLINE } from '../calendar/deadlines.js'
import type { Light } from '../calendar/working-days.js'
import { visibleRow } from '../catalog/service.js'
import type { DatasetRow } from '../catalog/repository.js'
import type { Queryable } from '../db/db.js'
import { decideAccess, type GrantFacts } from '../exchange/decide.js'
import { loadTierPolicy } from '../exchange/policy-service.js'
import * as exchangeRepo from '../exchange/repository.js'
import type { Condition, GrantRow } from '../exchange/repository.js'
import { datasetFacts, datasetFields, subjectOf } from '../exchange/service.js'
import type { Principal } from '../http/env.js'
import { ApiError, type FieldProblem } from '../http/errors.js'
import { newId } from '../ids.js'
import { enqueueEvent } from '../notify/events.js'
import type { Services } from '../services.js'
import * as repo from './repository.js'
import type { ObjectionRow, ObjectionStatus, Outcome, RatingRow, SubjectKind } from './repository.js'

export type Deps = Pick<Services, 'db' | 'clock' | 'audit' | 'config'>

export interface NewObjection {
  record_key?: string
  description: string
  /** The values the raiser believes correct, by field of the dataset's standard. */
  proposed_value?: Record<string, unknown>
}

export interface Resolution {
  outcome: Outcome
  note: string
  /** For `corrected`: the ingest that carried the correction. */
  ingest_id?: string
}

export interface NewRating {
  score: number
  comment?: string
}

export interface ObjectionView {
  row: ObjectionRow
  light: Light | null
  overdue: boolean
  rating: RatingRow | null
}

// ---- raising ---------------------------------------------------------------------------------

/**
 * Raises an objection, routed to the dataset's owner with a deadline to accept it. The raiser
 * needs standing (see `standingOf`); a record it names must be one it can read — live and inside
 * its grant's row filter — or the answer is the 404 of a missing record. A raiser that cannot
 * read records at all (a department disputing a shared dataset it holds no grant for, a holder
 * of aggregates only) may name a key, which is not looked up, so that raising tells it nothing.
 */
export async function raiseObjection(deps: Deps, ctx: ActionContext, datasetId: string, input: NewObjection): Promise<ObjectionView> {
  const actor = actorOf(ctx)
  const dataset = await visibleRow(deps, actor, datasetId)
  if (dataset.provider_id === actor.orgId) {
    throw new ApiError('unprocessable', `${dataset.id} belongs to the caller's organisation: correct it by ingesting, no objection needed`)
  }
  if (input.proposed_value !== undefined) {
    const fields = await datasetFields(deps, dataset)
    const unknown = Object.keys(input.proposed_value).filter((f) => !fields.has(f))
    if (unknown.length > 0) {
      throw invalid(unknown.map((f) => ({ path: `body.proposed_value.${f}`, message: `${f} is not a field of ${dataset.id}`, code: 'unknown_field' })))
    }
  }
  const standing = await standingOf(deps, actor, dataset, ctx.at)
  if (!standing.eligible) {
    throw new ApiError('forbidden', `an objection to ${dataset.id} needs an active grant on it (or, for a department, a dataset shared with departments)`, { reason: 'no_grant' })
  }
  if (input.record_key !== undefined && standing.readable.length > 0) {
    const key = input.record_key
    const found = await anyMatch(standing.readable, (conditions) => exchangeRepo.findRecord(deps.db, dataset.id, key, conditions))
    if (!found) throw new ApiError('not_found', `record ${key} not found in ${dataset.id}`)
  }

  const row: ObjectionRow = {
    id: newId('obj'),
    dataset_id: dataset.id,
    provider_id: dataset.provider_id,
    raiser_org_id: actor.orgId,
    raised_by: actor.clientId,
    record_key: input.record_key ?? null,
    description: input.description,
    proposed_value: input.proposed_value ?? null,
    status: 'raised',
    deadline: deadlineAfter(deps.config, ctx.at, deps.config.QIAO_OBJECTION_ACCEPT_WORKING_DAYS),
    created_at: ctx.at,
    accepted_at: null,
    accepted_by: null,
    outcome: null,
    resolution_note: null,
    correction_ingest_id: null,
    resolved_at: null,
    resolved_by: null,
    closed_at: null,
    closed_by: null,
    reopened_at: null,
    reopened_by: null,
    reopen_reason: null,
  }
  await deps.db.transaction(async (tx) => {
    await repo.insertObjection(tx, row)
    await recordTransition(tx, ctx, row, 'objection.raised', { raiser_org_id: row.raiser_org_id })
    await announce(tx, ctx, row, 'objection.raised', row.provider_id)
  })
  return viewOf(deps, row, null, ctx.at)
}

interface Standing {
  /** May raise an objection to the dataset at all. */
  eligible: boolean
  /** The row filters under which the caller reads records now (`[]` in one: all rows); empty: it reads none. */
  readable: Condition[][]
}

/**
 * Who may object: an organisation holding an active, unexpired grant on the dataset; a department,
 * when the dataset is shared with departments (sharing not `none`); anyone the tier policy lets
 * read it directly. What it reads is what the exchange would deliver to it now.
 */
async function standingOf(deps: Deps, actor: Principal, dataset: DatasetRow, now: Date): Promise<Standing> {
  const subject = await subjectOf(deps.db, actor)
  const facts = await datasetFacts(deps.db, dataset)
  const matrix = (await loadTierPolicy(deps.db)).matrix
  const active = (await exchangeRepo.grantsHeld(deps.db, actor.orgId, dataset.id)).filter((g) => grantIsActive(g, now))
  const readable: Condition[][] = []
  const direct = decideAccess(subject, facts, matrix, undefined, now)
  if (direct.decision === 'allow' && !direct.aggregateOnly) readable.push([])
  for (const grant of active) {
    const decision = decideAccess(subject, facts, matrix, grantFacts(grant), now)
    if (decision.decision === 'allow' && !decision.aggregateOnly) readable.push(grant.row_filter)
  }
  const department = actor.orgKind === 'department' && dataset.sharing !== 'none'
  return { eligible: active.length > 0 || department || direct.decision === 'allow', readable }
}

async function anyMatch<T>(filters: readonly Condition[][], find: (conditions: Condition[]) => Promise<T | undefined>): Promise<boolean> {
  for (const conditions of filters) if ((await find(conditions)) !== undefined) return true
  return false
}

// ---- reading ---------------------------------------------------------------------------------

export type ObjectionListView = 'raised' | 'incoming' | 'all'

/** Objections the caller's organisation raised, or those about its datasets; every one for admins (view all). Newest first. */
/**
 * A page of objections in one view: `raised` (the caller's organisation raised them: consumers),
 * `incoming` (about its datasets: publishers and approvers), `all` (platform admins). Without a
 * view, the caller's natural one: all for admins, incoming for owners, raised otherwise.
 */
export async function listObjections(deps: Deps, viewer: Principal, filter: Omit<repo.ObjectionFilter, 'orgId' | 'view'> & { view?: repo.ObjectionFilter['view'] }): Promise<ObjectionView[]> {
  const roles = viewer.roles
  const view = filter.view ?? (roles.includes('admin') ? 'all' : roles.includes('publisher') || roles.includes('approver') ? 'incoming' : 'raised')
  if (view === 'all' && !isAdmin(viewer)) throw new ApiError('forbidden', 'view=all is for admins')
  if (view === 'raised' && !roles.includes('consumer')) throw new ApiError('forbidden', 'the objections an organisation raised are for its consumers')
  if (view === 'incoming' && !roles.includes('publisher') && !roles.includes('approver')) throw new ApiError('forbidden', 'incoming objections are for publishers and approvers')
  const rows = await repo.listObjections(deps.db, { ...filter, view, orgId: viewer.orgId })
  const ratings = await repo.ratingsOf(deps.db, 'objection', rows.filter((r) => r.status === 'closed').map((r) => r.id))
  const now = deps.clock.now()
  return rows.map((row) => viewOf(deps, row, ratings.get(row.id) ?? null, now))
}

/** One objection, for the raising organisation, the owning department and admins; 404 for anyone else. */
export async function getObjection(deps: Deps, viewer: Principal, id: string): Promise<ObjectionView> {
  const row = await repo.findObjection(deps.db, id)
  if (!row || !mayRead(viewer, row)) throw objectionNotFound(id)
  return viewOf(deps, row, await repo.findRating(deps.db, 'objection', row.id) ?? null, deps.clock.now())
}

// ---- the owner's transitions -----------------------------------------------------------------

/** The owning department takes the objection up: from now it has QIAO_OBJECTION_WORKING_DAYS to resolve it. */
export async function acceptObjection(deps: Deps, ctx: ActionContext, id: string): Promise<ObjectionView> {
  const actor = actorOf(ctx)
  const row = await deps.db.transaction(async (tx) => {
    const row = await lockedFor(tx, actor, id, 'owner')
    expectStatus(row, ['raised'], 'accepted')
    const next: ObjectionRow = {
      ...row,
      status: 'accepted',
      accepted_at: ctx.at,
      accepted_by: actor.clientId,
      deadline: deadlineAfter(deps.config, ctx.at, deps.config.QIAO_OBJECTION_WORKING_DAYS),
    }
    await repo.updateObjection(tx, next)
    await recordTransition(tx, ctx, next, 'objection.accepted', { accepted_late: ctx.at.getTime() > row.deadline.getTime() })
    await announce(tx, ctx, next, 'objection.accepted', next.raiser_org_id)
    return next
  })
  return viewOf(deps, row, null, ctx.at)
}

/**
 * Resolves an accepted objection. `corrected` names the ingest that carried the correction: an
 * ingest of this dataset, stored, started no earlier than the objection was raised, and — for a
 * record — one that wrote that record. A disputed record deleted since the objection was raised
 * is corrected by its deletion, with no ingest. `rejected` needs only the note, which says why.
 */
export async function resolveObjection(deps: Deps, ctx: ActionContext, id: string, resolution: Resolution): Promise<ObjectionView> {
  const actor = actorOf(ctx)
  const row = await deps.db.transaction(async (tx) => {
    const row = await lockedFor(tx, actor, id, 'owner')
    expectStatus(row, ['accepted'], 'resolved')
    const ingestId = resolution.outcome === 'corrected' ? await checkedCorrection(tx, row, resolution.ingest_id) : null
    const next: ObjectionRow = {
      ...row,
      status: 'resolved',
      outcome: resolution.outcome,
      resolution_note: resolution.note,
      correction_ingest_id: ingestId,
      resolved_at: ctx.at,
      resolved_by: actor.clientId,
    }
    await repo.updateObjection(tx, next)
    await recordTransition(tx, ctx, next, 'objection.resolved', {
      outcome: next.outcome,
      note: next.resolution_note,
      ingest_id: ingestId,
      resolved_late: ctx.at.getTime() > row.deadline.getTime(),
    })
    await announce(tx, ctx, next, 'objection.resolved', next.raiser_org_id)
    return next
  })
  return viewOf(deps, row, null, ctx.at)
}

async function checkedCorrection(tx: Queryable, row: ObjectionRow, ingestId: string | undefined): Promise<string | null> {
  if (ingestId === undefined) {
    const deletedAt = row.record_key === null ? null : await repo.recordDeletedAt(tx, row.dataset_id, row.record_key)
    if (deletedAt !== null && deletedAt.getTime() >= row.created_at.getTime()) return null
    throw invalid([{ path: 'body.ingest_id', message: 'a correction names the ingest that carried it (POST /v1/datasets/{id}/records answers its id)', code: 'required' }])
  }
  const ingest = await repo.findIngest(tx, ingestId)
  const refuse = (message: string, code: string): never => {
    throw new ApiError('unprocessable', `ingest ${ingestId} ${message}`, { errors: [{ path: 'body.ingest_id', message, code }] })
  }
  if (!ingest || ingest.dataset_id !== row.dataset_id) return refuse(`is not an ingest of ${row.dataset_id}`, 'not_found')
  if (ingest.outcome !== 'stored') return refuse('stored nothing (it was refused)', 'refused')
  if (ingest.started_at.getTime() < row.created_at.getTime()) return refuse(`was made before objection ${row.id} was raised`, 'too_early')
  if (row.record_key !== null && !(await repo.ingestWroteRecord(tx, row.dataset_id, row.record_key, ingestId))) {
    return refuse('did not change the disputed record', 'record_unchanged')
  }
  return ingestId
}

// ---- the raiser's transitions ----------------------------------------------------------------

/** The raiser accepts the resolution and closes the loop, optionally rating the handling 1–5. */
export async function closeObjection(deps: Deps, ctx: ActionContext, id: string, input: { rating?: number; comment?: string }): Promise<ObjectionView> {
  const actor = actorOf(ctx)
  const result = await deps.db.transaction(async (tx) => {
    const row = await lockedFor(tx, actor, id, 'raiser')
    expectStatus(row, ['resolved'], 'closed')
    const next: ObjectionRow = { ...row, status: 'closed', closed_at: ctx.at, closed_by: actor.clientId }
    await repo.updateObjection(tx, next)
    const events: AuditEvent[] = [transitionEvent(next, 'objection.closed', { rated: input.rating !== undefined })]
    let rating: RatingRow | null = null
    if (input.rating !== undefined) {
      rating = newRating('objection', next.id, next.provider_id, actor, { score: input.rating, comment: input.comment }, ctx.at)
      if (!(await repo.insertRating(tx, rating))) throw alreadyRated('objection', id)
      events.push(ratingEvent(rating, next.dataset_id))
    }
    await recordEvent(tx, ctx, events)
    await announce(tx, ctx, next, 'objection.closed', next.provider_id, rating ? { rating: rating.score } : {})
    return { row: next, rating }
  })
  return viewOf(deps, result.row, result.rating, ctx.at)
}

/**
 * The raiser disputes the resolution: once, with a reason, while it is resolved (a closed
 * objection is final). It goes back to accepted with a fresh QIAO_OBJECTION_WORKING_DAYS to
 * resolve; the first resolution stays in the audit log.
 */
export async function reopenObjection(deps: Deps, ctx: ActionContext, id: string, reason: string): Promise<ObjectionView> {
  const actor = actorOf(ctx)
  const row = await deps.db.transaction(async (tx) => {
    const row = await lockedFor(tx, actor, id, 'raiser')
    if (row.reopened_at !== null) {
      throw new ApiError('conflict', `objection ${id} was reopened once already (${row.reopened_at.toISOString()}): it cannot be reopened again`, {
        reason: 'already_reopened',
        current_status: row.status,
      })
    }
    expectStatus(row, ['resolved'], 'reopened')
    const next: ObjectionRow = {
      ...row,
      status: 'accepted',
      deadline: deadlineAfter(deps.config, ctx.at, deps.config.QIAO_OBJECTION_WORKING_DAYS),
      outcome: null,
      resolution_note: null,
      correction_ingest_id: null,
      resolved_at: null,
      resolved_by: null,
      reopened_at: ctx.at,
      reopened_by: actor.clientId,
      reopen_reason: reason,
    }
    await repo.updateObjection(tx, next)
    await recordTransition(tx, ctx, next, 'objection.reopened', {
      reason,
      previous_outcome: row.outcome,
      previous_note: row.resolution_note,
      previous_ingest_id: row.correction_ingest_id,
    })
    await announce(tx, ctx, next, 'objection.reopened', next.provider_id)
    return next
  })
  return viewOf(deps, row, null, ctx.at)
}

// ---- ratings of access requests --------------------------------------------------------------

/**
 * The requesting organisation rates how its access request was handled, once, after the owner's
 * approvers decided it (approved or rejected). A request the tier policy approved by itself had no
 * handling to rate.
 */
export async function rateAccessRequest(deps: Deps, ctx: ActionContext, requestId: string, input: NewRating): Promise<RatingRow> {
  const actor = actorOf(ctx)
  return deps.db.transaction(async (tx) => {
    const request = await exchangeRepo.lockRequest(tx, requestId)
    if (!request || (request.consumer_org_id !== actor.orgId && request.provider_id !== actor.orgId)) throw requestNotFound(requestId)
    if (request.consumer_org_id !== actor.orgId) throw new ApiError('forbidden', 'an access request is rated by the organisation that made it')
    if (request.status !== 'approved' && request.status !== 'rejected') {
      throw new ApiError('conflict', `access request ${requestId} is ${request.status}: it can be rated once it is approved or rejected`, {
        reason: 'wrong_state',
        current_status: request.status,
      })
    }
    if (request.decided_by === null) {
      throw new ApiError('conflict', `access request ${requestId} was approved directly by the tier policy: no approver handled it`, { reason: 'decided_by_policy' })
    }
    const rating = newRating('access_request', request.id, request.provider_id, actor, input, ctx.at)
    if (!(await repo.insertRating(tx, rating))) throw alreadyRated('access_request', requestId)
    await recordEvent(tx, ctx, ratingEvent(rating, request.dataset_id))
    return rating
  })
}

/** An access request's rating, for the requester, the owning department and admins; 404 when there is none. */
export async function getAccessRequestRating(deps: Deps, viewer: Principal, requestId: string): Promise<RatingRow> {
  const request = await exchangeRepo.findRequest(deps.db, requestId)
  if (!request || !(isAdmin(viewer) || request.consumer_org_id === viewer.orgId || request.provider_id === viewer.orgId)) throw requestNotFound(requestId)
  const rating = await repo.findRating(deps.db, 'access_request', requestId)
  if (!rating) throw new ApiError('not_found', `access request ${requestId} has not been rated`)
  return rating
}

function newRating(kind: SubjectKind, subjectId: string, providerId: string, actor: Principal, input: NewRating, at: Date): RatingRow {
  return {
    id: newId('rat'),
    subject_kind: kind,
    subject_id: subjectId,
    provider_id: providerId,
    rater_org_id: actor.orgId,
    rated_by: actor.clientId,
    score: input.score,
    comment: input.comment ?? null,
    created_at: at,
  }
}

function ratingEvent(rating: RatingRow, datasetId: string): AuditEvent {
  return {
    action: `${rating.subject_kind}.rated`,
    resourceType: 'rating',
    resourceId: rating.id,
    datasetId,
    details: { subject_kind: rating.subject_kind, subject_id: rating.subject_id, provider_id: rating.provider_id, score: rating.score, comment: rating.comment },
  }
}

function alreadyRated(kind: SubjectKind, id: string): ApiError {
  return new ApiError('conflict', `${kind === 'objection' ? 'objection' : 'access request'} ${id} has been rated already: a rating is given once`, { reason: 'already_rated' })
}

// ---- shared ----------------------------------------------------------------------------------

/**
 * The objection locked for a transition by `side`. Organisations that may not see it get the 404
 * of a missing one; those that see it but are on the other side (the owner closing, the raiser
 * accepting) get a 403.
 */
async function lockedFor(tx: Queryable, actor: Principal, id: string, side: 'owner' | 'raiser'): Promise<ObjectionRow> {
  const row = await repo.lockObjection(tx, id)
  if (!row || !mayRead(actor, row)) throw objectionNotFound(id)
  const org = side === 'owner' ? row.provider_id : row.raiser_org_id
  if (org !== actor.orgId) {
    throw new ApiError('forbidden', side === 'owner' ? 'an objection is accepted and resolved by the owning department' : 'only the organisation that raised an objection closes or reopens it')
  }
  return row
}

function expectStatus(row: ObjectionRow, allowed: readonly ObjectionStatus[], transition: string): void {
  if (allowed.includes(row.status)) return
  throw new ApiError('conflict', `objection ${row.id} is ${row.status}: only ${allowed.join(' or ')} objections can be ${transition}`, {
    reason: 'wrong_state',
    current_status: row.status,
  })
}

function mayRead(viewer: Principal, row: ObjectionRow): boolean {
  return row.raiser_org_id === viewer.orgId || row.provider_id === viewer.orgId || isAdmin(viewer)
}

function isAdmin(viewer: Principal): boolean {
  return viewer.orgKind === 'platform' && viewer.roles.includes('admin')
}

function transitionEvent(row: ObjectionRow, action: string, details: Record<string, unknown>): AuditEvent {
  // The record key is not copied into the audit log: keys are often personal identifiers (a
  // citizen id), and the log cannot forget. The objection row holds it.
  return {
    action,
    resourceType: 'objection',
    resourceId: row.id,
    datasetId: row.dataset_id,
    details: { status: row.status, on_record: row.record_key !== null, deadline: row.deadline.toISOString(), ...details },
  }
}

async function recordTransition(tx: Queryable, ctx: ActionContext, row: ObjectionRow, action: string, details: Record<string, unknown>): Promise<void> {
  await recordEvent(tx, ctx, transitionEvent(row, action, details))
}

/** Tells the other side (src/notify outbox), in the transaction of the change. */
async function announce(tx: Queryable, ctx: ActionContext, row: ObjectionRow, type: string, orgId: string, data: Record<string, unknown> = {}): Promise<void> {
  await enqueueEvent(tx, {
    type,
    org_id: orgId,
    subject_id: row.id,
    at: ctx.at,
    data: { objection_id: row.id, dataset_id: row.dataset_id, status: row.status, outcome: row.outcome, deadline: row.deadline.toISOString(), ...data },
  })
}

function viewOf(deps: Pick<Deps, 'config'>, row: ObjectionRow, rating: RatingRow | null, now: Date): ObjectionView {
  const open = (repo.OPEN_STATUSES as readonly string[]).includes(row.status)
  return { row, rating, ...(open ? deadlineState(deps.config, row.deadline, now) : NO_DEADLINE) }
}

function grantIsActive(grant: GrantRow, now: Date): boolean {
  return grant.status === 'active' && (grant.expires_at === null || grant.expires_at.getTime() > now.getTime())
}

function grantFacts(grant: GrantRow): GrantFacts {
  return { id: grant.id, datasetId: grant.dataset_id, consumerOrgId: grant.consumer_org_id, status: grant.status, expiresAt: grant.expires_at }
}

function actorOf(ctx: ActionContext): Principal {
  if (!ctx.actor) throw new ApiError('unauthorized', 'this needs an authenticated client')
  return ctx.actor
}

function invalid(errors: FieldProblem[]): ApiError {
  return new ApiError('validation_failed', errors.map((e) => e.message).join('; '), { errors })
}

export function objectionNotFound(id: string): ApiError {
  return new ApiError('not_found', `objection ${id} not found`)
}

function requestNotFound(id: string): ApiError {
  return new ApiError('not_found', `access request ${id} not found`)
}
