// SQL of the exchange: access requests, grants, each grant's daily usage, and the record reads
// delivery makes. Plain parameterised SQL; field names reach SQL only as parameters.

import { fromHex } from '../audit/bytes.js'
import { visibleDatasetQuery, type DatasetRow } from '../catalog/repository.js'
import type { CatalogueView } from '../catalog/visibility.js'
import type { Queryable } from '../db/db.js'
import type { MaskSpec } from '../standards/annotations.js'
import type { Cell } from './aggregates.js'
import type { AccessMode } from './policy.js'

export type RequestStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'expired'

export interface AccessRequestRow {
  id: string
  dataset_id: string
  provider_id: string
  consumer_org_id: string
  requested_by: string | null
  purpose: string
  legal_basis: string
  fields: string[]
  duration_days: number
  mode: AccessMode
  status: RequestStatus
  deadline: Date
  expires_at: Date
  created_at: Date
  decided_at: Date | null
  decided_by: string | null
  reason: string | null
  grant_id: string | null
}

/** One condition of a row filter: the record's field equals a value, is one of values, or starts with a prefix. */
export type RowCondition =
  | { field: string; op: 'eq'; value: string }
  | { field: string; op: 'in'; values: string[] }
  | { field: string; op: 'prefix'; value: string }

/** A caller's own filter may also bound a field: compared as text in code-point order (dates, codes). */
export type RangeCondition = { field: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: string }
export type Condition = RowCondition | RangeCondition

const RANGE_SQL: Record<RangeCondition['op'], string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' }

export interface GrantRow {
  id: string
  dataset_id: string
  provider_id: string
  consumer_org_id: string
  request_id: string
  purpose: string
  mode: AccessMode
  fields: string[]
  masks: Record<string, MaskSpec>
  row_filter: RowCondition[]
  daily_quota: number | null
  expires_at: Date | null
  status: 'active' | 'revoked'
  hash_key: Uint8Array
  created_at: Date
  created_by: string | null
  revoked_at: Date | null
  revoked_by: string | null
  revoke_reason: string | null
}

const requestColumns = `id, dataset_id, provider_id, consumer_org_id, requested_by, purpose, legal_basis, fields, duration_days,
  mode, status, deadline, expires_at, created_at, decided_at, decided_by, reason, grant_id`

const grantColumns = `id, dataset_id, provider_id, consumer_org_id, request_id, purpose, mode, fields, masks, row_filter,
  daily_quota, expires_at, status, hash_key, created_at, created_by, revoked_at, revoked_by, revoke_reason`

export async function insertRequest(q: Queryable, row: AccessRequestRow): Promise<void> {
  await q.query(
    `INSERT INTO access_requests (${requestColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      row.id,
      row.dataset_id,
      row.provider_id,
      row.consumer_org_id,
      row.requested_by,
      row.purpose,
      row.legal_basis,
      row.fields,
      row.duration_days,
      row.mode,
      row.status,
      row.deadline,
      row.expires_at,
      row.created_at,
      row.decided_at,
      row.decided_by,
      row.reason,
      row.grant_id,
    ],
  )
}

/**
 * Pending requests nobody decided in time become expired; answers them, so that the caller audits
 * and announces each (src/exchange/service.ts expireDueRequests). Row locks make each expire once.
 */
export async function expireOverdue(q: Queryable, now: Date): Promise<AccessRequestRow[]> {
  const { rows } = await q.query<AccessRequestRow>(
    `UPDATE access_requests SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1 RETURNING ${requestColumns}`,
    [now],
  )
  return rows
}

/** Pending requests past their deadline not yet announced: marked announced now, and answered. */
export async function markRequestsOverdue(q: Queryable, at: Date): Promise<AccessRequestRow[]> {
  const { rows } = await q.query<AccessRequestRow>(
    `UPDATE access_requests SET overdue_notified_at = $1
     WHERE status = 'pending' AND deadline < $1 AND overdue_notified_at IS NULL RETURNING ${requestColumns}`,
    [at],
  )
  return rows
}

export async function lockRequest(q: Queryable, id: string): Promise<AccessRequestRow | undefined> {
  const { rows } = await q.query<AccessRequestRow>(`SELECT ${requestColumns} FROM access_requests WHERE id = $1 FOR UPDATE`, [id])
  return rows[0]
}

export async function findRequest(q: Queryable, id: string): Promise<AccessRequestRow | undefined> {
  const { rows } = await q.query<AccessRequestRow>(`SELECT ${requestColumns} FROM access_requests WHERE id = $1`, [id])
  return rows[0]
}

export async function decideRequest(
  q: Queryable,
  id: string,
  decision: { status: RequestStatus; at: Date; by: string | null; reason: string | null; grantId: string | null },
): Promise<void> {
  await q.query(`UPDATE access_requests SET status = $2, decided_at = $3, decided_by = $4, reason = $5, grant_id = $6 WHERE id = $1`, [
    id,
    decision.status,
    decision.at,
    decision.by,
    decision.reason,
    decision.grantId,
  ])
}

export interface RequestFilter {
  /** outgoing: requests the organisation made; incoming: requests for its datasets. */
  box: 'outgoing' | 'incoming'
  orgId: string
  status?: RequestStatus
  after?: { createdAt: Date; id: string }
  limit: number
}

export async function listRequests(q: Queryable, filter: RequestFilter): Promise<AccessRequestRow[]> {
  const column = filter.box === 'outgoing' ? 'consumer_org_id' : 'provider_id'
  const { rows } = await q.query<AccessRequestRow>(
    `SELECT ${requestColumns} FROM access_requests
     WHERE ${column} = $1 AND ($2::text IS NULL OR status = $2)
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
     ORDER BY created_at DESC, id DESC LIMIT $5`,
    [filter.orgId, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
  )
  return rows
}

export async function insertGrant(q: Queryable, row: GrantRow): Promise<void> {
  await q.query(
    `INSERT INTO grants (${grantColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
    [
      row.id,
      row.dataset_id,
      row.provider_id,
      row.consumer_org_id,
      row.request_id,
      row.purpose,
      row.mode,
      row.fields,
      JSON.stringify(row.masks),
      JSON.stringify(row.row_filter),
      row.daily_quota,
      row.expires_at,
      row.status,
      row.hash_key,
      row.created_at,
      row.created_by,
      row.revoked_at,
      row.revoked_by,
      row.revoke_reason,
    ],
  )
}

export async function findGrant(q: Queryable, id: string): Promise<GrantRow | undefined> {
  const { rows } = await q.query<GrantRow>(`SELECT ${grantColumns} FROM grants WHERE id = $1`, [id])
  return rows[0]
}

export async function lockGrant(q: Queryable, id: string): Promise<GrantRow | undefined> {
  const { rows } = await q.query<GrantRow>(`SELECT ${grantColumns} FROM grants WHERE id = $1 FOR UPDATE`, [id])
  return rows[0]
}

export async function revokeGrant(q: Queryable, id: string, change: { at: Date; by: string | null; reason: string | null }): Promise<void> {
  await q.query(`UPDATE grants SET status = 'revoked', revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE id = $1`, [
    id,
    change.at,
    change.by,
    change.reason,
  ])
}

/** The grants an organisation holds for a dataset, newest first (revoked ones too: decisions say why). */
export async function grantsHeld(q: Queryable, consumerOrgId: string, datasetId: string): Promise<GrantRow[]> {
  const { rows } = await q.query<GrantRow>(
    `SELECT ${grantColumns} FROM grants WHERE consumer_org_id = $1 AND dataset_id = $2 ORDER BY created_at DESC, id DESC LIMIT 100`,
    [consumerOrgId, datasetId],
  )
  return rows
}

/** Migration 0021's trigger moves read_context_version when any of these change (a test holds the two lists equal). */
export const readDatasetColumns = ['id', 'provider_id', 'tier', 'sharing', 'open', 'status', 'key_field', 'standard_name', 'standard_version'] as const

/** What a read needs of its dataset: what decides it, and its standard's fields. */
export type ReadDataset = Pick<DatasetRow, (typeof readDatasetColumns)[number]>

/** What a read needs to know before deciding: the dataset, both organisations' regions, the grants held. */
export interface ReadContext {
  dataset: ReadDataset
  providerRegionCode: string | null
  /** null also for an anonymous caller or an organisation without a region. */
  callerRegionCode: string | null
  /** grantsHeld's answer for the caller's organisation ([] for an anonymous caller). */
  grants: GrantRow[]
  /** Whether a record of the dataset is under an unresolved objection (raised or accepted). */
  disputes: boolean
}

type GrantJson = Omit<GrantRow, 'expires_at' | 'created_at' | 'revoked_at' | 'hash_key'> & {
  expires_at: string | null
  created_at: string
  revoked_at: string | null
  hash_key: string
}

/** A piece of SQL with its parameters, numbered from where the statement it goes into says. */
export interface SqlPart {
  sql: string
  params: unknown[]
  /**
   * Planned for its parameters each time rather than once (no prepared statement): a generic plan
   * cannot tell a rare value from a common one, and a filtered page's best plan depends on it.
   */
  customPlan?: true
}

/** What readContext found: the context (undefined: not visible), the policy read with it, and the records asked for. */
export interface ReadContextAnswer {
  /** read_context_version as this statement saw it: what the context was read at (migration 0021). */
  version: number
  context: ReadContext | undefined
  /** The stored tier matrix as text, read in the same statement; null when none is stored (the defaults apply). */
  storedMatrix: string | null
  /** The records `records` selected, in key order, when it was given and the dataset is visible. */
  records: RecordRow[] | undefined
}

/**
 * The dataset if the view shows it (findVisibleDataset's condition, unchanged), its provider's and
 * the caller's region codes, the grants the caller's organisation holds on it (as grantsHeld
 * answers them) and the stored tier policy, in ONE statement rather than six round trips, so that
 * a read loads the database less (docs/benchmarks.md, "Delivery"). `records` (pageSql, recordSql)
 * adds the records a read expects to deliver to the same statement: the caller uses them only if
 * its decision, made from this answer, confirms the conditions they were selected with.
 */
export async function readContext(
  q: Queryable,
  view: CatalogueView,
  datasetId: string,
  callerOrgId: string | null,
  records?: (first: number) => SqlPart,
): Promise<ReadContextAnswer> {
  const visible = visibleDatasetQuery(view, datasetId, [...readDatasetColumns.map((c) => `d.${c}`), 'o.region_code AS provider_region_code'])
  const params = [...visible.params, callerOrgId]
  const page = records?.(params.length + 1)
  const { rows } = await q.query<
    ReadDataset & { version: number; provider_region_code: string | null; caller_region_code: string | null; grants: GrantJson[] | null; stored_matrix: string | null; disputes: boolean } & PageAggregates
  >(
    `WITH ds AS (${visible.sql})${page ? `, page AS (${page.sql})` : ''}
     SELECT ds.*,
       (SELECT v.version FROM read_context_version v WHERE v.singleton) AS version,
       (SELECT c.region_code FROM organisations c WHERE c.id = $8::text) AS caller_region_code,
       (SELECT coalesce(json_agg(g ORDER BY g.created_at DESC, g.id DESC), '[]'::json)
          FROM (SELECT ${grantColumns.replace('hash_key', "encode(hash_key, 'hex') AS hash_key")} FROM grants
                WHERE consumer_org_id = $8::text AND dataset_id = ds.id ORDER BY created_at DESC, id DESC LIMIT 100) g) AS grants,
       (SELECT matrix::text FROM tier_policy WHERE singleton) AS stored_matrix,
       EXISTS (SELECT 1 FROM objections ob WHERE ob.dataset_id = ds.id AND ${unresolvedOnRecord}) AS disputes,
       ${page ? 'p.*' : noPageAggregates}
     FROM (SELECT) AS one LEFT JOIN ds ON true${page ? ` LEFT JOIN LATERAL (SELECT ${pageAggregates} FROM page WHERE ds.id IS NOT NULL) p ON true` : ''}`,
    [...params, ...(page?.params ?? [])],
    { prepare: page?.customPlan !== true, pipelined: true },
  )
  const { version, provider_region_code, caller_region_code, grants, stored_matrix, disputes, records: data, keys, disputed_keys, ...dataset } = rows[0]!
  return {
    version,
    storedMatrix: stored_matrix,
    records: page && dataset.id !== null ? recordRows({ records: data, keys, disputed_keys }) : undefined,
    context:
      dataset.id === null
        ? undefined
        : { dataset, providerRegionCode: provider_region_code, callerRegionCode: caller_region_code, grants: (grants ?? []).map(grantFromJson), disputes },
  }
}

/**
 * The records a read expects to deliver (as readContext selects them), if read_context_version is
 * still `version`: the statement a read makes when its context is known from an earlier read. The
 * version and the records come from one snapshot, so a context kept at that version is what
 * readContext would have answered alongside these records. `current` false: something a read is
 * decided from has changed since; the records are not selected.
 */
export async function readIfCurrent(q: Queryable, version: number, records?: (first: number) => SqlPart): Promise<{ current: boolean; records: RecordRow[] | undefined }> {
  const page = records?.(2)
  const { rows } = await q.query<{ version: number } & PageAggregates>(
    page
      ? `WITH page AS (${page.sql}) SELECT v.version, p.*
         FROM read_context_version v LEFT JOIN LATERAL (SELECT ${pageAggregates} FROM page WHERE v.version = $1::bigint) p ON true WHERE v.singleton`
      : `SELECT v.version FROM read_context_version v WHERE v.singleton`,
    page ? [version, ...page.params] : [],
    { prepare: page?.customPlan !== true, pipelined: true },
  )
  const row = rows[0]!
  if (row.version !== version) return { current: false, records: undefined }
  return { current: true, records: page && recordRows(row) }
}

/** A grant as json_agg gives it: timestamps as ISO text, the key as hex. */
function grantFromJson(g: GrantJson): GrantRow {
  const at = (text: string | null) => (text === null ? null : new Date(text))
  return { ...g, expires_at: at(g.expires_at), created_at: new Date(g.created_at), revoked_at: at(g.revoked_at), hash_key: fromHex(g.hash_key) }
}

export interface GrantFilter {
  /** null: every grant (the platform). */
  orgId: string | null
  /** consumer: grants the organisation holds; owner: grants on its datasets; both when undefined. */
  side?: 'consumer' | 'owner'
  datasetId?: string
  status?: GrantRow['status']
  after?: { createdAt: Date; id: string }
  limit: number
}

export async function listGrants(q: Queryable, filter: GrantFilter): Promise<GrantRow[]> {
  const { rows } = await q.query<GrantRow>(
    `SELECT ${grantColumns} FROM grants
     WHERE ($1::text IS NULL
            OR ($2::text IS DISTINCT FROM 'owner' AND consumer_org_id = $1)
            OR ($2::text IS DISTINCT FROM 'consumer' AND provider_id = $1))
       AND ($3::text IS NULL OR dataset_id = $3) AND ($4::text IS NULL OR status = $4)
       AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::text))
     ORDER BY created_at DESC, id DESC LIMIT $7`,
    [filter.orgId, filter.side ?? null, filter.datasetId ?? null, filter.status ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
  )
  return rows
}

/**
 * Charges reads of one grant for `day` in one statement (grant_charge, migration 0017): each cost
 * is admitted, in order, while the day's total stays within `quota`. Answers each read's fate
 * and the day's total after the charge.
 */
export async function chargeGrant(q: Queryable, grantId: string, day: string, costs: readonly number[], quota: number): Promise<{ admitted: boolean[]; used: number }> {
  const { rows } = await q.query<{ admitted: boolean[]; used: number }>(
    'SELECT admitted, used FROM grant_charge($1::text, $2::date, $3::integer[], $4::integer)',
    [grantId, day, costs, quota],
    { prepare: true },
  )
  return rows[0]!
}

export async function usageOn(q: Queryable, grantId: string, day: string): Promise<number> {
  const { rows } = await q.query<{ used: number }>(`SELECT used FROM grant_usage WHERE grant_id = $1 AND day = $2::date`, [grantId, day])
  return rows[0]?.used ?? 0
}

export async function orgOf(q: Queryable, orgId: string): Promise<{ kind: 'department' | 'social_org' | 'platform'; region_code: string | null } | undefined> {
  const { rows } = await q.query<{ kind: 'department' | 'social_org' | 'platform'; region_code: string | null }>(
    'SELECT kind, region_code FROM organisations WHERE id = $1',
    [orgId],
  )
  return rows[0]
}

// ---- records ---------------------------------------------------------------------------------

export interface RecordRow {
  key: string
  data: Record<string, unknown>
  /** Under an unresolved objection (raised or accepted): delivery flags it. */
  disputed: boolean
}

/**
 * A page's records (pageSql, recordSql) as one row beside a statement's other columns: their data
 * in key order as one JSON array, their keys likewise, and the keys of the disputed ones (null when
 * none is). Aggregating each row whole (`json_agg(page)`) has PostgreSQL compose every record's
 * object around its data, which cost it about 15 µs more a page of 51 (docs/benchmarks.md,
 * "Delivery"). The aggregates are null when the page is empty.
 */
const pageAggregates = `json_agg(page.data ORDER BY page.key) AS records, json_agg(page.key ORDER BY page.key) AS keys,
  json_agg(page.key ORDER BY page.key) FILTER (WHERE page.disputed) AS disputed_keys`
const noPageAggregates = 'NULL::json AS records, NULL::json AS keys, NULL::json AS disputed_keys'

interface PageAggregates {
  records: Record<string, unknown>[] | null
  keys: string[] | null
  disputed_keys: string[] | null
}

function recordRows({ records, keys, disputed_keys }: PageAggregates): RecordRow[] {
  if (records === null || keys === null) return []
  const disputed = disputed_keys === null ? undefined : new Set(disputed_keys)
  return records.map((data, i) => ({ key: keys[i]!, data, disputed: disputed?.has(keys[i]!) === true }))
}

/** An objection to one record that is not resolved: the objections_disputed partial index's condition. */
const unresolvedOnRecord = `ob.status IN ('raised', 'accepted') AND ob.record_key IS NOT NULL`

/**
 * Whether the statement looks for disputed records: `check` when it does not know, `none` when the
 * read's context says the dataset has none (ReadContext.disputes, read at the version the statement
 * checks: raising, moving or resolving an objection moves read_context_version, migration 0024).
 * Looking costs PostgreSQL about 12 µs a page even when there are none (docs/benchmarks.md, "Delivery").
 */
export type DisputeCheck = 'check' | 'none'

// When the statement looks, the objections_disputed partial index answers in the page's query:
// first once whether the dataset (the parameter `dataset`) has any disputed record at all (the
// usual answer, no), and only then per record.
const recordColumns = (dataset: string, disputes: DisputeCheck) =>
  disputes === 'none'
    ? 'r.key, r.data, false AS disputed'
    : `r.key, r.data,
  (SELECT EXISTS (SELECT 1 FROM objections ob WHERE ob.dataset_id = ${dataset}::text AND ${unresolvedOnRecord}))
  AND EXISTS (SELECT 1 FROM objections ob WHERE ob.dataset_id = r.dataset_id AND ob.record_key = r.key AND ${unresolvedOnRecord}) AS disputed`

/**
 * The row filter as SQL over `data`, numbered from $`first`: each condition's field and value(s)
 * are parameters. Conditions are ANDed; a record without the field never matches.
 */
function rowFilterSql(conditions: readonly Condition[], first: number): { sql: string; params: unknown[] } {
  const parts: string[] = []
  const params: unknown[] = []
  let n = first
  for (const condition of conditions) {
    const field = `$${n++}`
    params.push(condition.field)
    switch (condition.op) {
      case 'eq':
        parts.push(`(r.data ->> ${field}::text) = $${n++}::text`)
        params.push(condition.value)
        break
      case 'in':
        parts.push(`(r.data ->> ${field}::text) = ANY($${n++}::text[])`)
        params.push(condition.values)
        break
      case 'prefix':
        parts.push(`left(r.data ->> ${field}::text, length($${n}::text)) = $${n++}::text`)
        params.push(condition.value)
        break
      default:
        parts.push(`(r.data ->> ${field}::text) COLLATE "C" ${RANGE_SQL[condition.op]} $${n++}::text`)
        params.push(condition.value)
    }
  }
  return { sql: parts.length === 0 ? 'true' : parts.join(' AND '), params }
}

/**
 * A page of live records in key order, after `afterKey`, matching every condition, with its
 * parameters numbered from $`first`. The first page and the pages after a key are two statements,
 * so that each has one plan (prepared): a single `($n IS NULL OR r.key > $n)` would leave a
 * generic plan unable to start the index scan at the key. The limit is written into the text, not
 * passed: a generic plan takes an unknown limit for a tenth of the rows and sorts the whole
 * dataset instead of reading the first rows of the index (page sizes are few, each its own text).
 * `indexed`, one of the conditions, is read through record_index when the field's index is complete.
 */
export function pageSql(
  datasetId: string,
  conditions: readonly Condition[],
  page: { afterKey?: string; limit: number },
  first = 1,
  indexed?: Condition,
  disputes: DisputeCheck = 'check',
): SqlPart {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1) throw new RangeError(`a page limit is a positive integer, not ${page.limit}`)
  const [dataset, after] = [`$${first}`, `$${first + 1}`]
  const afterKey = page.afterKey === undefined ? [] : [page.afterKey]
  const filter = rowFilterSql(conditions, first + 1 + afterKey.length)
  const params = [datasetId, ...afterKey, ...filter.params]
  const select = (from: string, keyColumn: string, more: string) => `SELECT ${recordColumns(dataset, disputes)} FROM ${from}
     WHERE r.dataset_id = ${dataset}::text AND r.deleted_at IS NULL ${afterKey.length > 0 ? `AND ${keyColumn} > ${after}::text` : ''} AND ${filter.sql}${more}
     ORDER BY ${keyColumn} LIMIT ${page.limit}`
  if (indexed === undefined) return { sql: select('records r', 'r.key', ''), params }
  // The same page twice, only one of which runs: through record_index when the dataset's index
  // covers the field (a one-time test of datasets.indexed_fields), else over the records. Either
  // way every condition is also checked on the record itself, so the index only narrows.
  const field = `$${first + params.length}`
  const boundsFirst = first + params.length + 1
  const bounds = indexBoundsSql(indexed, boundsFirst)
  const allParams = [...params, indexed.field, ...bounds.params]
  const covered = `(SELECT ${field}::text = ANY(d.indexed_fields) FROM datasets d WHERE d.id = ${dataset}::text)`
  const inIndex = `x.dataset_id = ${dataset}::text AND x.field = ${field}::text AND ${bounds.sql} AND ${covered}`
  if (indexed.op === 'eq') {
    // One value's entries are in key order: the page is the first rows of the index after the key.
    const viaIndex = select('record_index x JOIN records r ON r.dataset_id = x.dataset_id AND r.key = x.key', 'x.key', ` AND ${inIndex}`)
    const viaRecords = select('records r', 'r.key', ` AND NOT coalesce(${covered}, false)`)
    return { sql: `SELECT * FROM ((${viaIndex}) UNION ALL (${viaRecords})) AS page ORDER BY key`, params: allParams, customPlan: true }
  }
  // A range's entries are in value order. When it holds few records (at most RANGE_SORT_LIMIT after
  // the cursor), they are read and sorted by key; when it holds more, walking the records in key
  // order finds a page's rows sooner (at least one record in RANGE_SORT_LIMIT / the dataset's size
  // matches), as it does when the index does not cover the field.
  // In index order, so that the range is read from the index whatever the estimates say (value
  // statistics mix all fields); each match's record by its key (LATERAL: one probe per match).
  // A set of values is read one value at a time, each in key order: a btree scan for any of
  // several values (= ANY) gives no order PostgreSQL 15 can use, and would read every match.
  const afterSql = afterKey.length > 0 ? `AND x.key > ${after}::text` : ''
  const matches =
    indexed.op === 'in'
      ? `SELECT m.key FROM unnest($${boundsFirst}::text[]) AS v(value)
           CROSS JOIN LATERAL (SELECT x.key FROM record_index x WHERE ${inIndex} ${afterSql} ORDER BY x.key LIMIT ${RANGE_SORT_LIMIT + 1}) m
         LIMIT ${RANGE_SORT_LIMIT + 1}`
      : `SELECT x.key FROM record_index x WHERE ${inIndex} ${afterSql} ORDER BY x.value, x.key LIMIT ${RANGE_SORT_LIMIT + 1}`
  const few = `(SELECT count(*) FROM matches) <= ${RANGE_SORT_LIMIT}`
  const viaIndex = select(
    `(SELECT key FROM matches ORDER BY key) m CROSS JOIN LATERAL (SELECT * FROM records one WHERE one.dataset_id = ${dataset}::text AND one.key = m.key LIMIT 1) r`,
    'm.key',
    ` AND ${few}`,
  )
  const viaRecords = select('records r', 'r.key', ` AND NOT (coalesce(${covered}, false) AND ${few})`)
  return { sql: `WITH matches AS MATERIALIZED (${matches}) SELECT * FROM ((${viaIndex}) UNION ALL (${viaRecords})) AS page ORDER BY key`, params: allParams, customPlan: true }
}

/** The most records of a range, prefix or set of values a page sorts by key itself (see pageSql). */
const RANGE_SORT_LIMIT = 1000

/**
 * The condition as bounds on record_index's `x.value` (collation "C": code-point order, as the
 * conditions on records compare), numbered from $`first`. A prefix is the range from itself to
 * the next string of its length.
 */
function indexBoundsSql(condition: Condition, first: number): { sql: string; params: unknown[] } {
  switch (condition.op) {
    case 'eq':
      return { sql: `x.value = $${first}::text`, params: [condition.value] }
    case 'in':
      // The parameter is the values, each once: pageSql reads the entries of each (v.value) in turn.
      return { sql: 'x.value = v.value', params: [[...new Set(condition.values)]] }
    case 'prefix': {
      const end = prefixEnd(condition.value)
      return end === undefined
        ? { sql: `x.value >= $${first}::text`, params: [condition.value] }
        : { sql: `x.value >= $${first}::text AND x.value < $${first + 1}::text`, params: [condition.value, end] }
    }
    default:
      return { sql: `x.value ${RANGE_SQL[condition.op]} $${first}::text`, params: [condition.value] }
  }
}

/** The least string above every string that starts with `prefix`, in code-point order; none for a run of U+10FFFF. */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!)
  while (points.length > 0) {
    let last = points.pop()! + 1
    if (last === 0xd800) last = 0xe000 // no text holds a lone surrogate
    if (last <= 0x10ffff) return String.fromCodePoint(...points, last)
  }
  return undefined
}

/** The live record with `key` if it matches every condition, parameters numbered from $`first`. */
export function recordSql(datasetId: string, key: string, conditions: readonly Condition[], first = 1, disputes: DisputeCheck = 'check'): SqlPart {
  const filter = rowFilterSql(conditions, first + 2)
  return {
    sql: `SELECT ${recordColumns(`$${first}`, disputes)} FROM records r
     WHERE r.dataset_id = $${first}::text AND r.key = $${first + 1}::text AND r.deleted_at IS NULL AND ${filter.sql}`,
    params: [datasetId, key, ...filter.params],
  }
}

export async function findRecord(q: Queryable, datasetId: string, key: string, conditions: readonly Condition[]): Promise<RecordRow | undefined> {
  return (await selectRecords(q, recordSql(datasetId, key, conditions)))[0]
}

/** Runs pageSql or recordSql on its own. */
export async function selectRecords(q: Queryable, part: SqlPart): Promise<RecordRow[]> {
  return (await q.query<RecordRow>(part.sql, part.params, { prepare: part.customPlan !== true, pipelined: true })).rows
}

export interface Dimension {
  field: string
  kind: 'value' | 'region-prefix' | 'age-band' | 'month'
}

/**
 * Counts of live records matching the row filter, grouped by the dimensions. Each dimension's
 * bucket is computed in SQL: the value; the prefecture of a GB/T 2260 code (first four digits,
 * zero-filled); the ten-year age band at `today` (its lower bound); the calendar month (YYYY-MM).
 */
export async function countGroups(
  q: Queryable,
  datasetId: string,
  conditions: readonly Condition[],
  dimensions: readonly Dimension[],
  today: string,
  measures: readonly string[] = [],
): Promise<Cell[]> {
  const params: unknown[] = [datasetId, today]
  const field = (name: string): string => {
    params.push(name)
    return `$${params.length}::text`
  }
  const bucket = (dimension: Dimension): string => {
    const value = `(r.data ->> ${field(dimension.field)})`
    switch (dimension.kind) {
      case 'value':
        return value
      case 'region-prefix':
        return `CASE WHEN ${value} ~ '^[0-9]{6}$' THEN left(${value}, 4) || '00' END`
      case 'age-band':
        return `CASE WHEN ${value} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                THEN ((floor(date_part('year', age($2::date, (${value})::date)) / 10) * 10)::integer)::text END`
      case 'month':
        return `CASE WHEN ${value} ~ '^[0-9]{4}-[0-9]{2}' THEN left(${value}, 7) END`
    }
  }
  // A summable field holds JSON numbers (the standard says so); anything else counts as no value.
  const measure = (name: string): string => {
    const at = field(name)
    return `CASE WHEN jsonb_typeof(r.data -> ${at}) = 'number' THEN (r.data ->> ${at})::numeric END`
  }
  const columns = [...dimensions.map((d, i) => `${bucket(d)} AS d${i}`), ...measures.map((m, i) => `${measure(m)} AS m${i}`)]
  const filter = rowFilterSql(conditions, params.length + 1)
  params.push(...filter.params)
  const names = dimensions.map((_, i) => `d${i}`)
  const totals = measures.flatMap((_, i) => [`sum(m${i}) AS s${i}`, `count(m${i}) AS c${i}`])
  const { rows } = await q.query<Record<string, string | number | null>>(
    `SELECT ${[...names, 'count(*) AS n', ...totals].join(', ')} FROM (
       SELECT ${columns.length > 0 ? columns.join(', ') : '1 AS d'} FROM records r
       WHERE r.dataset_id = $1 AND $2::date IS NOT NULL AND r.deleted_at IS NULL AND ${filter.sql}
     ) s ${names.length > 0 ? `GROUP BY ${names.join(', ')} ORDER BY ${names.join(', ')}` : ''}`,
    params,
  )
  return rows.map((row) => ({
    values: names.map((n) => (row[n] === null || row[n] === undefined ? null : String(row[n]))),
    count: Number(row.n),
    sums: measures.map((_, i) => Number(row[`s${i}`] ?? 0)),
    counted: measures.map((_, i) => Number(row[`c${i}`])),
  }))
}
