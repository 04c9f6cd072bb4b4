import type { Queryable } from '../db/db.js'

/**
 * Claims a job for this run when its interval has passed since the last claim: one atomic
 * statement, so exactly one of several concurrent claimers wins.
 */
export async function claimJob(q: Queryable, name: string, everySeconds: number, by: string, now: Date): Promise<boolean> {
  await q.query('INSERT INTO job_runs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name])
  const { rowCount } = await q.query(
    `UPDATE job_runs SET claimed_at = $3, claimed_by = $4, runs = runs + 1
     WHERE name = $1 AND (claimed_at IS NULL OR claimed_at <= $3::timestamptz - make_interval(secs => $2))`,
    [name, everySeconds, now, by],
  )
  return rowCount === 1
}

export async function finishJob(q: Queryable, name: string, status: 'ok' | 'failed', detail: string, now: Date): Promise<void> {
  await q.query('UPDATE job_runs SET finished_at = $2, last_status = $3, last_detail = $4 WHERE name = $1', [name, now, status, detail.slice(0, 1000)])
}

export interface JobRunRow {
  name: string
  claimed_at: Date | null
  finished_at: Date | null
  last_status: 'ok' | 'failed' | null
  last_detail: string | null
  runs: number
}

export async function jobRuns(q: Queryable): Promise<JobRunRow[]> {
  const { rows } = await q.query<JobRunRow>('SELECT name, claimed_at, finished_at, last_status, last_detail, runs FROM job_runs ORDER BY name')
  return rows
}
