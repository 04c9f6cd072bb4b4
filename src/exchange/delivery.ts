// Delivering records to consumers. Every read goes through decideAccess with the caller's grant
// for the purpose it states; the records are projected to the granted fields, filtered by the
// grant's row filter, masked per the grant (or the standard's default masks in a masked mode),
// counted against the grant's daily quota and audited before the answer leaves. A read usually
// costs two statements: one that reads the context, the policy and the records together, or only
// the records when the context an earlier read found still holds (decisionInputs), and its share
// of the audit group commit.

import type { ActionContext } from '../audit/recorder.js'
import { chinaDate } from '../calendar/working-days.js'
import { datasetNotFound } from '../catalog/service.js'
import type { Principal } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import type { MaskSpec } from '../standards/annotations.js'
import { decideAccess, type AccessDecision, type GrantFacts } from './decide.js'
import { createMasker, type FieldMasks } from './masking.js'
import { sameMatrix } from './policy.js'
import { MIN_CELL_SIZE, suppressSmallCells, type SuppressedTable } from './aggregates.js'
import * as repo from './repository.js'
import type { GrantRow, RecordRow } from './repository.js'
import type { Services } from '../services.js'
import { datasetFields, factsOf, type Deps } from './service.js'

export interface ReadRequest {
  datasetId: string
  /** The purpose the caller states (X-Purpose); it picks the grant. */
  purpose: string | undefined
  /** `?fields=`: narrows the granted fields further. */
  fields: string[] | undefined
  /** `?filter=`: the caller's own conditions, on granted fields it receives unmasked. */
  filters?: repo.Condition[]
  /** `?measures=` of an aggregate: summable fields to sum and average per group. */
  measures?: string[]
}

export interface RecordsPage {
  items: Record<string, unknown>[]
  nextKey: string | null
}

/** What a read may see once the decision allowed it. */
interface ReadScope {
  decision: AccessDecision
  grant: GrantRow | undefined
  fields: string[]
  conditions: repo.Condition[]
  masks: FieldMasks
  keyField: string
  dimensions: repo.Dimension[]
  /** An aggregate's summable fields, checked. */
  measures: string[]
  /** The records selected with the context, when they were selected under exactly `conditions`. */
  records: RecordRow[] | undefined
}

/** The deps delivery needs, and the audit writer for reads. */
export type DeliveryDeps = Deps & Pick<Services, 'readHints' | 'quota'>

/** The records a read will deliver if allowed, as SQL for the conditions it will run under. */
type RecordsQuery = (conditions: readonly repo.Condition[], disputes?: repo.DisputeCheck) => (first: number) => repo.SqlPart

/**
 * Renders a read's answer (the route writes its JSON and ETag). It runs while the read's audit
 * entry commits, so the page's objects are garbage before that wait rather than held through it;
 * what it renders is handed back only once the entry has committed.
 */
export type Render<P, T> = (page: P) => T | Promise<T>

/**
 * A page of records in key order, rendered. Refusals (403), like reads, are audited before the
 * caller learns of them; a dataset the caller may not know exists answers 404 as a missing one does.
 */
export async function readRecords<T>(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest, page: { afterKey?: string; limit: number }, render: Render<RecordsPage, T>): Promise<T> {
  const query: RecordsQuery = (conditions, disputes) => (first) =>
    repo.pageSql(read.datasetId, conditions, { afterKey: page.afterKey, limit: page.limit + 1 }, first, indexedCondition(read.filters ?? [], conditions), disputes)
  const scope = await readScope(deps, ctx, read, 'records', query)
  const rows = scope.records ?? (await repo.selectRecords(deps.db, query(scope.conditions)(1)))
  const pageRows = rows.slice(0, page.limit)
  const nextKey = rows.length > page.limit ? (pageRows.at(-1)?.key ?? null) : null
  return deliver(deps, ctx, read, scope, pageRows, (items) => render({ items, nextKey }))
}

/**
 * The condition a page reads through the index of its field: one of the caller's filters (on
 * indexed fields: readScope refuses others) if it gave any, else one of the grant's row filter,
 * whose field may or may not be indexed (pageSql then walks the records, as without an index).
 * An equality first (its matches come out of the index in key order, so a page stops after its
 * last row), then a set of values (a grant's `in`: one value is an equality), then a range or prefix.
 */
function indexedCondition(filters: readonly repo.Condition[], conditions: readonly repo.Condition[]): repo.Condition | undefined {
  const usable = (filters.length > 0 ? filters : conditions).map((c): repo.Condition => (c.op === 'in' && c.values.length === 1 ? { field: c.field, op: 'eq', value: c.values[0]! } : c))
  return usable.find((c) => c.op === 'eq') ?? usable.find((c) => c.op === 'in') ?? usable[0]
}

/** One record by key, rendered; 404 when it is missing, deleted or outside the grant's row filter. */
export async function readRecord<T>(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest, key: string, render: Render<Record<string, unknown>, T>): Promise<T> {
  const query: RecordsQuery = (conditions, disputes) => (first) => repo.recordSql(read.datasetId, key, conditions, first, disputes)
  const scope = await readScope(deps, ctx, read, 'records', query)
  const rows = scope.records ?? (await repo.selectRecords(deps.db, query(scope.conditions)(1)))
  return deliver(deps, ctx, read, scope, rows.slice(0, 1), (items) => {
    const item = items[0]
    if (!item) throw new ApiError('not_found', `record ${key} not found in ${read.datasetId}`)
    return render(item)
  })
}

/** Reads whose policy keeps changing under them give up after this many statements. */
const CONTEXT_ATTEMPTS = 3

/**
 * What a read is decided from, in one statement: the context, the tier policy, and, for `records`,
 * the records the read expects to deliver, selected under the row filter the hints guess.
 * - When an earlier read of this dataset by this organisation under this catalogue view left its
 *   context, the statement only checks that read_context_version has not moved since (every change
 *   to what a context is read from moves it: migration 0021) and selects the records
 *   (repo.readIfCurrent); the kept context is then exactly what readContext would answer. When it
 *   says no record of the dataset is disputed, the records are selected without looking for any.
 * - Otherwise, or when it has moved, repo.readContext reads everything. Its catalogue view is built
 *   from the matrix the last read found; when the statement shows the policy has changed since, it
 *   is asked again with the matrix it showed, so the answer's view and matrix are always the policy
 *   in force.
 */
async function decisionInputs(deps: DeliveryDeps, principal: Principal | undefined, read: ReadRequest, expected: readonly repo.Condition[] | undefined, records: RecordsQuery | undefined) {
  const orgId = principal?.orgId ?? null
  let matrix = deps.readHints.matrix
  for (let attempt = 0; attempt < CONTEXT_ATTEMPTS; attempt++) {
    const { view, key } = deps.readHints.viewAndKey(principal, matrix, read.datasetId)
    const known = deps.readHints.knownContext(key)
    if (known) {
      const disputes = known.context?.disputes === false ? 'none' : 'check'
      const answer = await repo.readIfCurrent(deps.db, known.version, known.context && expected && records?.(expected, disputes))
      if (answer.current) return { context: known.context, records: answer.records, matrix: known.matrix }
    }
    const answer = await repo.readContext(deps.db, view, read.datasetId, orgId, expected && records?.(expected))
    const inForce = deps.readHints.matrixFor(answer.storedMatrix)
    if (inForce === matrix || sameMatrix(inForce, matrix)) {
      deps.readHints.rememberContext(key, { version: answer.version, context: answer.context, matrix })
      return { context: answer.context, records: answer.records, matrix }
    }
    matrix = inForce
  }
  throw new ApiError('unavailable', 'the tier policy changed while this read was decided: try again', { headers: { 'Retry-After': '1' } })
}

/**
 * Decides a read from decisionInputs. Its records are used only if they were selected under
 * exactly the conditions the decision gives; otherwise the caller selects them again.
 */
async function readScope(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest, kind: 'records' | 'aggregate', records?: RecordsQuery): Promise<ReadScope> {
  const principal = ctx.actor ?? undefined
  const callerOrgId = principal?.orgId ?? null
  const filters = read.filters ?? []
  const expected = records && [...deps.readHints.rowFilter(callerOrgId, read.datasetId, read.purpose), ...filters]
  const { context, matrix, records: selected } = await decisionInputs(deps, principal, read, expected, records)
  if (!context) throw datasetNotFound(read.datasetId)
  const dataset = context.dataset
  const facts = factsOf(dataset, context.providerRegionCode)
  const subject = principal ? { ...principal, regionCode: context.callerRegionCode } : undefined
  const refuse = async (decision: { reason: string; detail: string }, grant?: GrantRow): Promise<never> => {
    await deps.audit.append(ctx, {
      action: 'dataset.read',
      datasetId: dataset.id,
      grantId: grant?.id,
      purpose: read.purpose,
      fields: read.fields,
      rowCount: 0,
      decision: 'denied',
      reason: decision.reason,
    })
    throw new ApiError('forbidden', decision.detail, { reason: decision.reason })
  }

  // The grant for the stated purpose: the newest active one, else the newest at all (so a revoked
  // or expired grant is refused with its own reason).
  const held = principal && principal.orgId !== dataset.provider_id ? context.grants : []
  const forPurpose = held.filter((g) => read.purpose !== undefined && g.purpose === read.purpose)
  const grant = forPurpose.find((g) => g.status === 'active' && (g.expires_at === null || g.expires_at.getTime() > ctx.at.getTime())) ?? forPurpose[0]

  const decision = decideAccess(subject, facts, matrix, grant ? grantFacts(grant) : undefined, ctx.at)
  if (decision.decision === 'deny') {
    if (decision.reason === 'no_grant' && held.length > 0) {
      return refuse({ reason: 'wrong_purpose', detail: read.purpose === undefined ? 'state the purpose of this read in the X-Purpose header: it must match a grant' : `no grant of ${dataset.id} to the caller's organisation is for the purpose stated in X-Purpose` }, held[0])
    }
    return refuse(decision, grant)
  }
  if (decision.aggregateOnly && kind === 'records') return refuse({ reason: 'tier_forbidden', detail: `the policy gives the caller aggregates of ${dataset.id} only: use GET /v1/datasets/${dataset.id}/aggregate` }, grant)
  // Everyone but the owner and the anonymous public states why it reads.
  if (subject && decision.reason !== 'owner' && read.purpose === undefined) {
    return refuse({ reason: 'no_grant', detail: 'state the purpose of this read in the X-Purpose header' })
  }

  const standardFields = await datasetFields(deps, dataset)
  const usable = decision.reason === 'grant_active' && grant ? grant.fields : [...standardFields.keys()]
  let fields = usable
  if (read.fields !== undefined) {
    const outside = read.fields.filter((f) => !usable.includes(f))
    if (outside.length > 0) return refuse({ reason: 'tier_forbidden', detail: `fields outside what the caller may read: ${outside.join(', ')}` }, grant)
    fields = usable.filter((f) => read.fields!.includes(f))
  }
  const masks: Record<string, MaskSpec> = {}
  const active = decision.reason === 'grant_active' ? grant : undefined
  const maskOf = (field: string) => active?.masks[field] ?? (decision.masked ? standardFields.get(field)?.mask : undefined)
  for (const field of fields) {
    const mask = maskOf(field)
    if (mask) masks[field] = mask
  }
  const unreadable = filters.filter((f) => !usable.includes(f.field)).map((f) => f.field)
  if (unreadable.length > 0) return refuse({ reason: 'tier_forbidden', detail: `filters on fields outside what the caller may read: ${unreadable.join(', ')}` }, grant)
  // Filtering on a masked field would let a caller probe its raw values one guess at a time.
  const masked = filters.filter((f) => maskOf(f.field) !== undefined).map((f) => f.field)
  if (masked.length > 0) {
    throw new ApiError('validation_failed', `the caller receives these fields masked and may not filter on them: ${masked.join(', ')}`, {
      errors: masked.map((f) => ({ path: 'query.filter', message: `${f} is masked for the caller`, code: 'masked_field' })),
    })
  }
  // Filters read the index of their field (record_index), so a filtered page costs what a page does.
  const unindexed = [...new Set(filters.filter((f) => standardFields.get(f.field)?.indexed !== true).map((f) => f.field))]
  if (unindexed.length > 0) {
    const indexed = [...standardFields.values()].filter((f) => f.indexed === true).map((f) => f.name)
    throw new ApiError('validation_failed', `filters apply to the fields ${dataset.standard_name} indexes (x-indexed: ${indexed.join(', ') || 'none'}), not to: ${unindexed.join(', ')}`, {
      errors: unindexed.map((f) => ({ path: 'query.filter', message: `${f} is not an indexed field`, code: 'not_indexed' })),
    })
  }
  const measures = read.measures ?? []
  if (kind === 'aggregate') {
    const notDimensions = fields.filter((f) => standardFields.get(f)?.aggregatable === undefined)
    if (notDimensions.length > 0) {
      throw new ApiError('validation_failed', `not aggregatable dimensions of ${dataset.id}: ${notDimensions.join(', ')}`, {
        errors: notDimensions.map((f) => ({ path: 'query.group_by', message: `${f} is not aggregatable`, code: 'not_aggregatable' })),
      })
    }
    const unreadableMeasures = measures.filter((f) => !usable.includes(f))
    if (unreadableMeasures.length > 0) return refuse({ reason: 'tier_forbidden', detail: `measures on fields outside what the caller may read: ${unreadableMeasures.join(', ')}` }, grant)
    // A field the owner masked in the grant stays hidden, summed or not; the standard's default
    // masks govern records, and sums over groups of at least k are what aggregates are for.
    const notSummable = measures.filter((f) => standardFields.get(f)?.summable !== true || active?.masks[f] !== undefined)
    if (notSummable.length > 0) {
      throw new ApiError('validation_failed', `fields of ${dataset.id} the caller may not sum: ${notSummable.join(', ')}`, {
        errors: notSummable.map((f) => ({ path: 'query.measures', message: `${f} is not summable (x-summable) or is masked by the grant`, code: 'not_summable' })),
      })
    }
  }
  const dimensions = fields.map((field) => ({ field, kind: standardFields.get(field)?.aggregatable ?? 'value' }))
  const conditions = [...(active?.row_filter ?? []), ...filters]
  if (records) deps.readHints.rememberRowFilter(callerOrgId, read.datasetId, read.purpose, active?.row_filter ?? [])
  const selectedUnder = expected !== undefined && JSON.stringify(expected) === JSON.stringify(conditions)
  return { decision, grant: active, fields, conditions, masks, keyField: dataset.key_field, dimensions, measures, records: selectedUnder ? selected : undefined }
}

/**
 * Projects and masks the rows and takes them from the quota; audits the read while the answer is
 * rendered, and hands the answer back once the entry has committed: then it may go.
 */
async function deliver<T>(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest, scope: ReadScope, rows: readonly RecordRow[], render: Render<Record<string, unknown>[], T>): Promise<T> {
  const grant = scope.grant
  // Each request costs at least one, so that empty pages are not free.
  await chargeQuota(deps, ctx, read, scope, Math.max(1, rows.length))
  const masker = await createMasker(scope.masks, grant?.hash_key)
  const items = flagDisputed(rows, await masker.maskAll(rows.map((row) => row.data), scope.fields))
  const audited = deps.audit.append(ctx, {
    action: 'dataset.read',
    datasetId: read.datasetId,
    grantId: grant?.id,
    purpose: read.purpose,
    fields: scope.fields,
    rowCount: items.length,
    decision: 'allowed',
    reason: scope.decision.reason,
  })
  // Not awaited here: a suspended async function keeps its parameters and locals alive, used or
  // not, and this one holds the page's records and masked items. Waiting in a frame of its own,
  // the read holds only its rendered answer while the entry commits, and a scavenge during that
  // wait no longer copies (then promotes) every waiting read's page (docs/benchmarks.md, "Delivery").
  return onceAudited((async () => render(items))(), audited)
}

/**
 * The rendered answer once the read's audit entry has committed. Both settle before the read
 * answers, whatever the answer (a record's 404 too); an entry that failed fails the read, whatever
 * was rendered.
 */
async function onceAudited<T>(rendering: Promise<T>, audited: Promise<unknown>): Promise<T> {
  const [rendered, entry] = await Promise.allSettled([rendering, audited])
  if (entry.status === 'rejected') throw entry.reason
  if (rendered.status === 'rejected') throw rendered.reason
  return rendered.value
}

/**
 * Records under an unresolved objection (raised or accepted) carry `_flags: ["disputed"]`, so
 * consumers know; others carry no `_flags`. The page's query says which; the ETag covers the flag.
 */
function flagDisputed(rows: readonly RecordRow[], items: Record<string, unknown>[]): Record<string, unknown>[] {
  return items.map((item, i) => (rows[i]!.disputed ? { ...item, _flags: ['disputed'] } : item))
}

export interface AggregateAnswer {
  dimensions: repo.Dimension[]
  measures: string[]
  k: number
  table: SuppressedTable
}

/**
 * Counts grouped by aggregatable dimensions the caller may use (those of its grant, or all for
 * direct access), and the sums and averages of the summable fields asked for, with small cells
 * suppressed. Audited like a read; costs one against the quota.
 */
export async function aggregateRecords(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest & { fields: string[] }): Promise<AggregateAnswer> {
  const scope = await readScope(deps, ctx, read, 'aggregate')
  const cells = await repo.countGroups(deps.db, read.datasetId, scope.conditions, scope.dimensions, chinaDate(ctx.at), scope.measures)
  const table = suppressSmallCells(cells, MIN_CELL_SIZE)
  await chargeQuota(deps, ctx, read, scope, 1)
  await deps.audit.append(ctx, {
    action: 'dataset.read',
    datasetId: read.datasetId,
    grantId: scope.grant?.id,
    purpose: read.purpose,
    fields: scope.fields,
    rowCount: table.cells.length,
    decision: 'allowed',
    reason: scope.decision.reason,
    details: { aggregate: true, k: MIN_CELL_SIZE, suppressed_cells: table.suppressedCells, ...(scope.measures.length > 0 ? { measures: scope.measures } : {}) },
  })
  return { dimensions: scope.dimensions, measures: scope.measures, k: MIN_CELL_SIZE, table }
}

/** Takes `cost` from the grant's quota for today (China); a refusal is audited and answers 429. */
async function chargeQuota(deps: DeliveryDeps, ctx: ActionContext, read: ReadRequest, scope: ReadScope, cost: number): Promise<void> {
  const grant = scope.grant
  if (!grant || grant.daily_quota === null) return
  const used = await deps.quota.charge(grant.id, chinaDate(ctx.at), cost, grant.daily_quota)
  if (used !== undefined) return
  await deps.audit.append(ctx, {
    action: 'dataset.read',
    datasetId: read.datasetId,
    grantId: grant.id,
    purpose: read.purpose,
    fields: scope.fields,
    rowCount: 0,
    decision: 'denied',
    reason: 'quota_exceeded',
  })
  throw new ApiError('rate_limited', `grant ${grant.id}'s daily quota of ${grant.daily_quota} records is used up for ${chinaDate(ctx.at)} (China time)`, {
    reason: 'quota_exceeded',
  })
}

function grantFacts(grant: GrantRow): GrantFacts {
  return { id: grant.id, datasetId: grant.dataset_id, consumerOrgId: grant.consumer_org_id, status: grant.status, expiresAt: grant.expires_at }
}

