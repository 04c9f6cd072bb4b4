import type { Queryable } from '../db/db.js'
import type { TierMatrix } from './policy.js'

/** The one row of tier_policy. `matrix` is whatever JSON is stored: the service validates it. */
export interface TierPolicyRow {
  matrix: unknown
  updated_at: Date | null
  updated_by: string | null
}

const columns = 'matrix, updated_at, updated_by'

export async function findTierPolicy(q: Queryable): Promise<TierPolicyRow | undefined> {
  const { rows } = await q.query<TierPolicyRow>(`SELECT ${columns} FROM tier_policy WHERE singleton`, [], { prepare: true })
  return rows[0]
}

/** The row, locked until the transaction ends, so concurrent changes apply one after the other. */
export async function lockTierPolicy(q: Queryable): Promise<TierPolicyRow | undefined> {
  const { rows } = await q.query<TierPolicyRow>(`SELECT ${columns} FROM tier_policy WHERE singleton FOR UPDATE`)
  return rows[0]
}

export async function writeTierPolicy(q: Queryable, row: { matrix: TierMatrix; updated_at: Date; updated_by: string | null }): Promise<TierPolicyRow> {
  const { rows } = await q.query<TierPolicyRow>(
    `INSERT INTO tier_policy (singleton, matrix, updated_at, updated_by) VALUES (true, $1, $2, $3)
     ON CONFLICT (singleton) DO UPDATE SET matrix = EXCLUDED.matrix, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
     RETURNING ${columns}`,
    [JSON.stringify(row.matrix), row.updated_at, row.updated_by],
  )
  return rows[0]!
}

/** How many times the matrix has been set: its version, which every change bumps (the audit log counts them). */
export async function tierPolicyVersion(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string | number }>(`SELECT count(*) AS n FROM audit_log WHERE action = 'tier_policy.updated'`)
  return Number(rows[0]?.n ?? 0)
}
