// SQL of the supervision report: one grouped statement per figure family over the real tables,
// each bounded by the period where it has one (instants: [from, to) ) and by the one
// organisation a non-platform viewer may see. Counts come back as numbers (int8 parser).

import type { Queryable } from '../db/db.js'

export interface Bounds {
  /** Instants bounding the period, [from, to); null for all time. */
  from: Date | null
  to: Date | null
  now: Date
  /** Only this organisation's figures (a department's or social organisation's own view). */
  orgId: string | null
}

const inPeriod = (column: string) => `($1::timestamptz IS NULL OR ${column} >= $1) AND ($2::timestamptz IS NULL OR ${column} < $2)`
/** $1, $2: the period; $3: now; $4: the organisation. */
const params = (b: Bounds) => [b.from, b.to, b.now, b.orgId]
/** $1, $2: the period; $3: the organisation. */
const periodParams = (b: Bounds) => [b.from, b.to, b.orgId]

export interface OrgRow {
  id: string
  kind: 'department' | 'social_org'
  name: string
  level: string | null
  region_code: string | null
  status: 'active' | 'suspended'
}

export async function organisations(q: Queryable, kind: OrgRow['kind'], orgId: string | null): Promise<OrgRow[]> {
  const { rows } = await q.query<OrgRow>(
    `SELECT id, kind, name, level, region_code, status FROM organisations
     WHERE kind = $1 AND ($2::text IS NULL OR id = $2) ORDER BY name, id`,
    [kind, orgId],
  )
  return rows
}

export interface DatasetFigures {
  provider_id: string
  active: number
  l1: number
  l2: number
  l3: number
  l4: number
  below_computed_tier: number
}

/** Datasets in the catalogue now (active), by the tier in force; those an override put below their computed tier. */
export async function datasetFigures(q: Queryable, b: Bounds): Promise<DatasetFigures[]> {
  const { rows } = await q.query<DatasetFigures>(
    `SELECT provider_id, count(*)::int AS active,
       count(*) FILTER (WHERE tier = 'L1')::int AS l1, count(*) FILTER (WHERE tier = 'L2')::int AS l2,
       count(*) FILTER (WHERE tier = 'L3')::int AS l3, count(*) FILTER (WHERE tier = 'L4')::int AS l4,
       count(*) FILTER (WHERE tier < computed_tier)::int AS below_computed_tier
     FROM datasets WHERE status = 'active' AND ($1::text IS NULL OR provider_id = $1)
     GROUP BY provider_id`,
    [b.orgId],
  )
  return rows
}

export interface IngestFigures {
  provider_id: string
  stored: number
  refused: number
  rows_received: number
  rows_rejected: number
}

/**
 * Ingests of the department's datasets (retired ones too). All time: the conformance counters
 * each ingest keeps on its dataset row; a period: the ingests that started in it.
 */
export async function ingestFigures(q: Queryable, b: Bounds): Promise<IngestFigures[]> {
  if (b.from === null && b.to === null) {
    const { rows } = await q.query<IngestFigures>(
      `SELECT provider_id, sum(ingests_stored)::bigint AS stored, sum(ingests_refused)::bigint AS refused,
         sum(rows_received)::bigint AS rows_received, sum(rows_rejected)::bigint AS rows_rejected
       FROM datasets WHERE ($1::text IS NULL OR provider_id = $1) GROUP BY provider_id`,
      [b.orgId],
    )
    return rows
  }
  const { rows } = await q.query<IngestFigures>(
    `SELECT d.provider_id, count(*) FILTER (WHERE i.outcome = 'stored')::bigint AS stored,
       count(*) FILTER (WHERE i.outcome = 'refused')::bigint AS refused,
       COALESCE(sum(i.total), 0)::bigint AS rows_received, COALESCE(sum(i.rejected), 0)::bigint AS rows_rejected
     FROM ingests i JOIN datasets d ON d.id = i.dataset_id
     WHERE i.outcome IS NOT NULL AND ${inPeriod('i.started_at')} AND ($3::text IS NULL OR d.provider_id = $3)
     GROUP BY d.provider_id`,
    periodParams(b),
  )
  return rows
}

export interface RequestFigures {
  provider_id: string
  received: number
  direct: number
  approved: number
  rejected: number
  withdrawn: number
  expired: number
  pending: number
  overdue: number
  /** The nearest deadline of a pending request not yet overdue, for the yellow light. */
  next_deadline: Date | null
}

/**
 * Access requests for the department's datasets. In the period: received (filed), decided by
 * its approvers (approved, rejected), approved directly by the policy, withdrawn, expired. Now:
 * pending and, of those, overdue. A pending request past its expiry counts as expired already
 * (the expire-requests job may not have run yet).
 */
export async function requestFigures(q: Queryable, b: Bounds): Promise<RequestFigures[]> {
  const { rows } = await q.query<RequestFigures>(
    `SELECT provider_id,
       count(*) FILTER (WHERE ${inPeriod('created_at')})::int AS received,
       count(*) FILTER (WHERE status = 'approved' AND decided_by IS NULL AND ${inPeriod('decided_at')})::int AS direct,
       count(*) FILTER (WHERE status = 'approved' AND decided_by IS NOT NULL AND ${inPeriod('decided_at')})::int AS approved,
       count(*) FILTER (WHERE status = 'rejected' AND ${inPeriod('decided_at')})::int AS rejected,
       count(*) FILTER (WHERE status = 'withdrawn' AND ${inPeriod('decided_at')})::int AS withdrawn,
       count(*) FILTER (WHERE status IN ('expired', 'pending') AND expires_at <= $3 AND ${inPeriod('expires_at')})::int AS expired,
       count(*) FILTER (WHERE status = 'pending' AND expires_at > $3)::int AS pending,
       count(*) FILTER (WHERE status = 'pending' AND expires_at > $3 AND deadline < $3)::int AS overdue,
       min(deadline) FILTER (WHERE status = 'pending' AND deadline >= $3) AS next_deadline
     FROM access_requests WHERE ($4::text IS NULL OR provider_id = $4)
     GROUP BY provider_id`,
    params(b),
  )
  return rows
}

export interface DecisionDays {
  provider_id: string
  /** Days in China (days since 1970-01-01 at UTC+08:00) of filing and of the decision. */
  filed_day: number
  decided_day: number
  requests: number
}

/**
 * Requests the department's approvers decided (approved or rejected) in the period, counted by
 * the China days they were filed and decided on: working days depend only on those, and days
 * (integers) are cheap to ship where thousands of timestamps are not.
 */
export async function decisionDays(q: Queryable, b: Bounds): Promise<DecisionDays[]> {
  const { rows } = await q.query<DecisionDays>(
    `SELECT provider_id,
       floor((extract(epoch FROM created_at) + 28800) / 86400)::int AS filed_day,
       floor((extract(epoch FROM decided_at) + 28800) / 86400)::int AS decided_day,
       count(*)::int AS requests
     FROM access_requests
     WHERE status IN ('approved', 'rejected') AND decided_by IS NOT NULL AND ${inPeriod('decided_at')}
       AND ($3::text IS NULL OR provider_id = $3)
     GROUP BY 1, 2, 3`,
    periodParams(b),
  )
  return rows
}

export interface ObjectionFigures {
  provider_id: string
  raised: number
  open: number
  overdue: number
  next_deadline: Date | null
}

/** Objections to the department's data: raised in the period; open now and, of those, overdue. */
export async function objectionFigures(q: Queryable, b: Bounds): Promise<ObjectionFigures[]> {
  const { rows } = await q.query<ObjectionFigures>(
    `SELECT provider_id,
       count(*) FILTER (WHERE ${inPeriod('created_at')})::int AS raised,
       count(*) FILTER (WHERE status IN ('raised', 'accepted'))::int AS open,
       count(*) FILTER (WHERE status IN ('raised', 'accepted') AND deadline < $3)::int AS overdue,
       min(deadline) FILTER (WHERE status IN ('raised', 'accepted') AND deadline >= $3) AS next_deadline
     FROM objections WHERE ($4::text IS NULL OR provider_id = $4)
     GROUP BY provider_id`,
    params(b),
  )
  return rows
}

export interface RatingFigures {
  provider_id: string
  ratings: number
  /** The sum of scores: the average is computed from it exactly, not from a rounded float. */
  score_sum: number
}

export async function ratingFigures(q: Queryable, b: Bounds): Promise<RatingFigures[]> {
  const { rows } = await q.query<RatingFigures>(
    `SELECT provider_id, count(*)::int AS ratings, sum(score)::bigint AS score_sum
     FROM ratings WHERE ${inPeriod('created_at')} AND ($3::text IS NULL OR provider_id = $3)
     GROUP BY provider_id`,
    periodParams(b),
  )
  return rows
}

export interface OverrideFigures {
  provider_id: string
  lowered: number
}

/** Admin overrides in the period that set a dataset's tier below the tier its fields call for. */
export async function loweringOverrides(q: Queryable, b: Bounds): Promise<OverrideFigures[]> {
  const { rows } = await q.query<OverrideFigures>(
    `SELECT d.provider_id, count(*)::int AS lowered
     FROM dataset_tier_changes c JOIN datasets d ON d.id = c.dataset_id
     WHERE c.cause = 'override' AND c.tier_after < c.computed_tier AND ${inPeriod('c.at')}
       AND ($3::text IS NULL OR d.provider_id = $3)
     GROUP BY d.provider_id`,
    periodParams(b),
  )
  return rows
}

export interface GrantFigures {
  consumer_org_id: string
  grants_held: number
}

/** Grants in force now (active, not expired), by holder. */
export async function grantsHeld(q: Queryable, b: Bounds): Promise<GrantFigures[]> {
  const { rows } = await q.query<GrantFigures>(
    `SELECT consumer_org_id, count(*)::int AS grants_held FROM grants
     WHERE status = 'active' AND (expires_at IS NULL OR expires_at > $1) AND ($2::text IS NULL OR consumer_org_id = $2)
     GROUP BY consumer_org_id`,
    [b.now, b.orgId],
  )
  return rows
}

/** Requests filed and decided in [from, to), by the first day of their China week or month. */
export async function requestBucketCounts(
  q: Queryable,
  b: { from: Date; to: Date; orgId: string | null; granularity: 'week' | 'month' },
): Promise<Map<string, { received: number; decided: number }>> {
  const local = (column: string) => `to_char(date_trunc($4, (${column} AT TIME ZONE 'UTC') + interval '8 hours'), 'YYYY-MM-DD')`
  const { rows } = await q.query<{ bucket: string; received: number; decided: number }>(
    `SELECT bucket, sum(received)::int AS received, sum(decided)::int AS decided FROM (
       SELECT ${local('created_at')} AS bucket, count(*) AS received, 0 AS decided
       FROM access_requests
       WHERE created_at >= $1 AND created_at < $2 AND ($3::text IS NULL OR provider_id = $3)
       GROUP BY 1
       UNION ALL
       SELECT ${local('decided_at')} AS bucket, 0 AS received, count(*) AS decided
       FROM access_requests
       WHERE status IN ('approved', 'rejected') AND decided_by IS NOT NULL AND decided_at >= $1 AND decided_at < $2
         AND ($3::text IS NULL OR provider_id = $3)
       GROUP BY 1
     ) counted GROUP BY bucket`,
    [b.from, b.to, b.orgId, b.granularity],
  )
  return new Map(rows.map((r) => [r.bucket, { received: r.received, decided: r.decided }]))
}
