// Reads served, from the audit log, without scanning it per report (migration 0010 explains the
// watermark). refreshReadSums folds new audit entries into the sums (the refresh-supervision
// job); readSums answers the sums plus the entries after the watermark, in one statement, so one
// snapshot sees both and every read counts exactly once whenever the job last ran.

import type { Db } from '../db/db.js'

/** Audit entries folded per transaction, so the first refresh of a large log is not one huge one. */
const REFRESH_BATCH = 200_000

// The reads an audit range holds, grouped as the sums are. The day is China's (UTC+08:00).
const readsOf = (range: string) => `
  SELECT ((a.at AT TIME ZONE 'UTC') + interval '8 hours')::date AS day,
    d.provider_id,
    COALESCE(a.actor_org_id, 'anonymous') AS consumer_org_id,
    COALESCE(o.kind, 'anonymous') AS consumer_kind,
    COALESCE(a.content->>'purpose', '') AS purpose,
    count(*)::bigint AS reads,
    COALESCE(sum(CASE WHEN a.content->'details'->>'aggregate' = 'true' THEN 0 ELSE (a.content->>'row_count')::bigint END), 0)::bigint AS records
  FROM audit_log a
  JOIN datasets d ON d.id = a.dataset_id
  LEFT JOIN organisations o ON o.id = a.actor_org_id
  WHERE ${range} AND a.action = 'dataset.read' AND a.decision = 'allowed'
    AND a.actor_org_id IS DISTINCT FROM d.provider_id
  GROUP BY 1, 2, 3, 4, 5`

export interface RefreshSummary {
  folded: number
  throughSeq: number
}

/** Folds every audit entry after the watermark into the sums. Concurrent refreshes queue on the state row. */
export async function refreshReadSums(db: Db, at: Date): Promise<RefreshSummary> {
  let folded = 0
  for (;;) {
    const step = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ reads_through_seq: number }>('SELECT reads_through_seq FROM supervision_state FOR UPDATE')
      const from = rows[0]?.reads_through_seq ?? 0
      const head = (await tx.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit_log')).rows[0]?.seq ?? 0
      const to = Math.min(head, from + REFRESH_BATCH)
      if (to <= from) return { from, to: from, more: false }
      await tx.query(
        `WITH delta AS (${readsOf('a.seq > $1 AND a.seq <= $2')}),
         daily AS (
           INSERT INTO supervision_reads_daily (day, provider_id, consumer_org_id, consumer_kind, purpose, reads, records)
           SELECT day, provider_id, consumer_org_id, consumer_kind, purpose, reads, records FROM delta
           ON CONFLICT (day, provider_id, consumer_org_id, purpose)
           DO UPDATE SET reads = supervision_reads_daily.reads + EXCLUDED.reads, records = supervision_reads_daily.records + EXCLUDED.records
         )
         INSERT INTO supervision_reads_total (provider_id, consumer_org_id, consumer_kind, purpose, reads, records)
         SELECT provider_id, consumer_org_id, consumer_kind, purpose, sum(reads), sum(records) FROM delta
         GROUP BY provider_id, consumer_org_id, consumer_kind, purpose
         ON CONFLICT (provider_id, consumer_org_id, purpose)
         DO UPDATE SET reads = supervision_reads_total.reads + EXCLUDED.reads, records = supervision_reads_total.records + EXCLUDED.records`,
        [from, to],
      )
      await tx.query('UPDATE supervision_state SET reads_through_seq = $1, refreshed_at = $2', [to, at])
      return { from, to, more: to < head }
    })
    folded += step.to - step.from
    if (!step.more) return { folded, throughSeq: step.to }
  }
}

export interface ReadSum {
  provider_id: string
  consumer_org_id: string
  consumer_kind: 'department' | 'social_org' | 'platform' | 'anonymous'
  purpose: string
  reads: number
  records: number
}

export interface ReadScope {
  /** China days, inclusive; both or neither. */
  period?: { from: string; to: string }
  providerId?: string
  consumerOrgId?: string
}

/**
 * The reads served up to now (or within the period): the sums, plus the audit entries after the
 * watermark. One REPEATABLE READ snapshot sees the watermark and both, so a refresh committing
 * meanwhile cannot make a read count twice or not at all; and with the watermark a parameter the
 * planner knows that few entries follow it (a subquery would leave it guessing a third of the log).
 */
export async function readSums(db: Db, scope: ReadScope): Promise<ReadSum[]> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
    const { rows: state } = await tx.query<{ reads_through_seq: number }>('SELECT reads_through_seq FROM supervision_state')
    const watermark = state[0]?.reads_through_seq ?? 0
    const params = [scope.period?.from ?? null, scope.period?.to ?? null, scope.providerId ?? null, scope.consumerOrgId ?? null, watermark]
    const scoped = `($3::text IS NULL OR provider_id = $3) AND ($4::text IS NULL OR consumer_org_id = $4)`
    const stored = scope.period
      ? `SELECT provider_id, consumer_org_id, consumer_kind, purpose, reads, records FROM supervision_reads_daily
         WHERE day BETWEEN $1::date AND $2::date AND ${scoped}`
      : `SELECT provider_id, consumer_org_id, consumer_kind, purpose, reads, records FROM supervision_reads_total
         WHERE ${scoped}`
    const { rows } = await tx.query<ReadSum>(
      `WITH recent AS (${readsOf('a.seq > $5::bigint')}),
       combined AS (
         ${stored}
         UNION ALL
         SELECT provider_id, consumer_org_id, consumer_kind, purpose, reads, records FROM recent
         WHERE ${scoped} AND ($1::date IS NULL OR day BETWEEN $1::date AND $2::date)
       )
       SELECT provider_id, consumer_org_id, consumer_kind, purpose, sum(reads)::bigint AS reads, sum(records)::bigint AS records
       FROM combined GROUP BY provider_id, consumer_org_id, consumer_kind, purpose`,
      params,
    )
    return rows
  })
}
