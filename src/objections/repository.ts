// SQL of objections (数据异议) and ratings (好差评). Plain parameterised SQL.

import type { Queryable } from '../db/db.js'

export const OBJECTION_STATUSES = ['raised', 'accepted', 'resolved', 'closed'] as const
export type ObjectionStatus = (typeof OBJECTION_STATUSES)[number]
/** Statuses in which the owning department still owes an answer; disputed records are flagged. */
export const OPEN_STATUSES: readonly ObjectionStatus[] = ['raised', 'accepted']
export type Outcome = 'corrected' | 'rejected'

export interface ObjectionRow {
  id: string
  dataset_id: string
  provider_id: string
  raiser_org_id: string
  raised_by: string | null
  record_key: string | null
  description: string
  proposed_value: unknown
  status: ObjectionStatus
  deadline: Date
  created_at: Date
  accepted_at: Date | null
  accepted_by: string | null
  outcome: Outcome | null
  resolution_note: string | null
  correction_ingest_id: string | null
  resolved_at: Date | null
  resolved_by: string | null
  closed_at: Date | null
  closed_by: string | null
  reopened_at: Date | null
  reopened_by: string | null
  reopen_reason: string | null
}

export type SubjectKind = 'objection' | 'access_request'

export interface RatingRow {
  id: string
  subject_kind: SubjectKind
  subject_id: string
  provider_id: string
  rater_org_id: string
  rated_by: string | null
  score: number
  comment: string | null
  created_at: Date
}

const objectionColumns = `id, dataset_id, provider_id, raiser_org_id, raised_by, record_key, description, proposed_value, status,
  deadline, created_at, accepted_at, accepted_by, outcome, resolution_note, correction_ingest_id, resolved_at, resolved_by,
  closed_at, closed_by, reopened_at, reopened_by, reopen_reason`

const ratingColumns = 'id, subject_kind, subject_id, provider_id, rater_org_id, rated_by, score, comment, created_at'

export async function insertObjection(q: Queryable, row: ObjectionRow): Promise<void> {
  await q.query(
    `INSERT INTO objections (${objectionColumns})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
    [
      row.id,
      row.dataset_id,
      row.provider_id,
      row.raiser_org_id,
      row.raised_by,
      row.record_key,
      row.description,
      row.proposed_value === null || row.proposed_value === undefined ? null : JSON.stringify(row.proposed_value),
      row.status,
      row.deadline,
      row.created_at,
      row.accepted_at,
      row.accepted_by,
      row.outcome,
      row.resolution_note,
      row.correction_ingest_id,
      row.resolved_at,
      row.resolved_by,
      row.closed_at,
      row.closed_by,
      row.reopened_at,
      row.reopened_by,
      row.reopen_reason,
    ],
  )
}

export async function findObjection(q: Queryable, id: string): Promise<ObjectionRow | undefined> {
  const { rows } = await q.query<ObjectionRow>(`SELECT ${objectionColumns} FROM objections WHERE id = $1`, [id])
  return rows[0]
}

export async function lockObjection(q: Queryable, id: string): Promise<ObjectionRow | undefined> {
  const { rows } = await q.query<ObjectionRow>(`SELECT ${objectionColumns} FROM objections WHERE id = $1 FOR UPDATE`, [id])
  return rows[0]
}

/** Writes every column a transition may change; the service computes the new row. */
export async function updateObjection(q: Queryable, row: ObjectionRow): Promise<void> {
  await q.query(
    `UPDATE objections SET status = $2, deadline = $3, accepted_at = $4, accepted_by = $5, outcome = $6, resolution_note = $7,
       correction_ingest_id = $8, resolved_at = $9, resolved_by = $10, closed_at = $11, closed_by = $12,
       reopened_at = $13, reopened_by = $14, reopen_reason = $15
     WHERE id = $1`,
    [
      row.id,
      row.status,
      row.deadline,
      row.accepted_at,
      row.accepted_by,
      row.outcome,
      row.resolution_note,
      row.correction_ingest_id,
      row.resolved_at,
      row.resolved_by,
      row.closed_at,
      row.closed_by,
      row.reopened_at,
      row.reopened_by,
      row.reopen_reason,
    ],
  )
}

export interface ObjectionFilter {
  /** raised: objections the organisation raised; incoming: objections about its datasets; all: every one (the platform). */
  view: 'raised' | 'incoming' | 'all'
  orgId: string
  status?: ObjectionStatus
  /** Only those still awaiting the owner (raised or accepted). */
  open?: boolean
  datasetId?: string
  after?: { createdAt: Date; id: string }
  limit: number
}

export async function listObjections(q: Queryable, filter: ObjectionFilter): Promise<ObjectionRow[]> {
  const scope = { raised: 'raiser_org_id = $1', incoming: 'provider_id = $1', all: '$1::text IS NOT NULL' }[filter.view]
  const { rows } = await q.query<ObjectionRow>(
    `SELECT ${objectionColumns} FROM objections
     WHERE ${scope} AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR dataset_id = $3)
       AND ($4::boolean IS NOT TRUE OR status IN ('raised', 'accepted'))
       AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::text))
     ORDER BY created_at DESC, id DESC LIMIT $7`,
    [filter.orgId, filter.status ?? null, filter.datasetId ?? null, filter.open ?? null, filter.after?.createdAt ?? null, filter.after?.id ?? null, filter.limit],
  )
  return rows
}

/** What resolving as corrected checks about the ingest it names. */
export interface IngestFacts {
  id: string
  dataset_id: string
  outcome: 'stored' | 'refused' | null
  started_at: Date
}

export async function findIngest(q: Queryable, id: string): Promise<IngestFacts | undefined> {
  const { rows } = await q.query<IngestFacts>('SELECT id, dataset_id, outcome, started_at FROM ingests WHERE id = $1', [id])
  return rows[0]
}

/** Whether the ingest wrote a version of the record (the current one or one superseded since). */
export async function ingestWroteRecord(q: Queryable, datasetId: string, key: string, ingestId: string): Promise<boolean> {
  const { rows } = await q.query<{ wrote: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM records WHERE dataset_id = $1 AND key = $2 AND ingest_id = $3)
         OR EXISTS (SELECT 1 FROM record_versions WHERE dataset_id = $1 AND key = $2 AND ingest_id = $3) AS wrote`,
    [datasetId, key, ingestId],
  )
  return rows[0]?.wrote === true
}

/** When the record was deleted (its tombstone's time), or null when it is live or was never stored. */
export async function recordDeletedAt(q: Queryable, datasetId: string, key: string): Promise<Date | null> {
  const { rows } = await q.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM records WHERE dataset_id = $1 AND key = $2', [datasetId, key])
  return rows[0]?.deleted_at ?? null
}

// ---- ratings ---------------------------------------------------------------------------------

/** Inserts a rating; false when the subject already has one (the unique index decides, under concurrency too). */
export async function insertRating(q: Queryable, row: RatingRow): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO ratings (${ratingColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (subject_kind, subject_id) DO NOTHING`,
    [row.id, row.subject_kind, row.subject_id, row.provider_id, row.rater_org_id, row.rated_by, row.score, row.comment, row.created_at],
  )
  return rowCount === 1
}

export async function findRating(q: Queryable, kind: SubjectKind, subjectId: string): Promise<RatingRow | undefined> {
  const { rows } = await q.query<RatingRow>(`SELECT ${ratingColumns} FROM ratings WHERE subject_kind = $1 AND subject_id = $2`, [kind, subjectId])
  return rows[0]
}

/** The ratings of these subjects, by subject id (objection lists show each one's rating). */
export async function ratingsOf(q: Queryable, kind: SubjectKind, subjectIds: readonly string[]): Promise<Map<string, RatingRow>> {
  if (subjectIds.length === 0) return new Map()
  const { rows } = await q.query<RatingRow>(`SELECT ${ratingColumns} FROM ratings WHERE subject_kind = $1 AND subject_id = ANY($2::text[])`, [kind, subjectIds])
  return new Map(rows.map((r) => [r.subject_id, r]))
}

/**
 * Open objections past their deadline not yet announced for that deadline: marked announced (the
 * deadline moves on with each step, so the announced deadline is kept, not a time), and answered.
 */
export async function markObjectionsOverdue(q: Queryable, at: Date): Promise<ObjectionRow[]> {
  const { rows } = await q.query<ObjectionRow>(
    `UPDATE objections SET overdue_notified_deadline = deadline
     WHERE status IN ('raised', 'accepted') AND deadline < $1 AND overdue_notified_deadline IS DISTINCT FROM deadline
     RETURNING ${objectionColumns}`,
    [at],
  )
  return rows
}
