// SQL of the web console: its sessions, and the two read views the API has no list for (grants
// expiring soon, and who read a department's data). Plain parameterised SQL.

import type { Queryable } from '../db/db.js'
import type { GrantRow } from '../exchange/repository.js'
import type { OrgKind, Role } from '../identity/repository.js'

export interface SessionRow {
  id_hash: string
  client_id: string
  org_id: string
  org_kind: OrgKind
  roles: Role[]
  csrf_token: string
  created_at: Date
  last_seen_at: Date
  idle_expires_at: Date
  expires_at: Date
  revoked_at: Date | null
}

/** A session with the current state of its client and organisation. */
export interface LiveSessionRow extends SessionRow {
  client_status: 'active' | 'revoked'
  org_status: 'active' | 'suspended'
  org_name: string
  client_name: string
}

const sessionColumns = 's.id_hash, s.client_id, s.org_id, s.org_kind, s.roles, s.csrf_token, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at, s.revoked_at'

export async function insertSession(q: Queryable, row: Omit<SessionRow, 'revoked_at'>): Promise<void> {
  await q.query(
    `INSERT INTO console_sessions (id_hash, client_id, org_id, org_kind, roles, csrf_token, created_at, last_seen_at, idle_expires_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [row.id_hash, row.client_id, row.org_id, row.org_kind, row.roles, row.csrf_token, row.created_at, row.last_seen_at, row.idle_expires_at, row.expires_at],
  )
}

export async function findSession(q: Queryable, idHash: string): Promise<LiveSessionRow | undefined> {
  const { rows } = await q.query<LiveSessionRow>(
    `SELECT ${sessionColumns}, c.status AS client_status, c.name AS client_name, o.status AS org_status, o.name AS org_name
     FROM console_sessions s JOIN clients c ON c.id = s.client_id JOIN organisations o ON o.id = s.org_id
     WHERE s.id_hash = $1`,
    [idHash],
  )
  return rows[0]
}

export async function touchSession(q: Queryable, idHash: string, at: Date, idleUntil: Date): Promise<void> {
  await q.query('UPDATE console_sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE id_hash = $1 AND revoked_at IS NULL', [idHash, at, idleUntil])
}

/** Revokes a live session; answers whether there was one to revoke. */
export async function revokeSession(q: Queryable, idHash: string, at: Date): Promise<SessionRow | undefined> {
  const { rows } = await q.query<SessionRow>(
    `UPDATE console_sessions s SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL RETURNING ${sessionColumns}`,
    [idHash, at],
  )
  return rows[0]
}

/** Forgets sessions that ended more than a day ago: they can no longer sign anyone in. */
export async function purgeEndedSessions(q: Queryable, now: Date): Promise<void> {
  await q.query(
    `DELETE FROM console_sessions WHERE least(expires_at, idle_expires_at, coalesce(revoked_at, 'infinity')) < $1::timestamptz - interval '1 day'`,
    [now],
  )
}

const grantColumns = `id, dataset_id, provider_id, consumer_org_id, request_id, purpose, mode, fields, masks, row_filter,
  daily_quota, expires_at, status, hash_key, created_at, created_by, revoked_at, revoked_by, revoke_reason`

/**
 * Active grants ending within [now, until), soonest first: the organisation's (held or given, the
 * same scoping as src/exchange/repository.ts listGrants), or every grant for the platform (null).
 */
export async function grantsExpiring(
  q: Queryable,
  filter: { orgId: string | null; now: Date; until: Date; after?: { expiresAt: Date; id: string }; limit: number },
): Promise<GrantRow[]> {
  const { rows } = await q.query<GrantRow>(
    `SELECT ${grantColumns} FROM grants
     WHERE ($1::text IS NULL OR consumer_org_id = $1 OR provider_id = $1)
       AND status = 'active' AND expires_at >= $2 AND expires_at < $3
       AND ($4::timestamptz IS NULL OR (expires_at, id) > ($4::timestamptz, $5::text))
     ORDER BY expires_at, id LIMIT $6`,
    [filter.orgId, filter.now, filter.until, filter.after?.expiresAt ?? null, filter.after?.id ?? null, filter.limit],
  )
  return rows
}

export interface ReaderRow {
  actor_org_id: string | null
  org_name: string | null
  dataset_id: string
  dataset_title: string
  purpose: string | null
  decision: string | null
  reads: number
  rows_returned: number
  last_at: Date
}

/**
 * "Who read my data": the reads (allowed and refused) of the datasets an organisation provides,
 * by reading organisation, dataset, purpose and decision; the same entries GET /v1/audit shows a
 * department (entries about its own datasets).
 */
export async function readersOf(q: Queryable, providerId: string, range: { from?: Date; to?: Date }): Promise<ReaderRow[]> {
  const { rows } = await q.query<ReaderRow>(
    `SELECT a.actor_org_id, o.name AS org_name, a.dataset_id, d.title AS dataset_title, a.content->>'purpose' AS purpose, a.decision,
            count(*)::bigint AS reads, coalesce(sum((a.content->>'row_count')::bigint), 0)::bigint AS rows_returned, max(a.at) AS last_at
     FROM audit_log a JOIN datasets d ON d.id = a.dataset_id LEFT JOIN organisations o ON o.id = a.actor_org_id
     WHERE a.action = 'dataset.read' AND d.provider_id = $1
       AND ($2::timestamptz IS NULL OR a.at >= $2) AND ($3::timestamptz IS NULL OR a.at < $3)
     GROUP BY a.actor_org_id, o.name, a.dataset_id, d.title, a.content->>'purpose', a.decision
     ORDER BY max(a.at) DESC
     LIMIT 500`,
    [providerId, range.from ?? null, range.to ?? null],
  )
  return rows
}

export interface NameRow {
  id: string
  name: string
}

/** Display names of organisations and datasets by id, for tables that only hold ids. */
export async function namesOf(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter(Boolean))]
  if (unique.length === 0) return new Map()
  const { rows } = await q.query<NameRow>(
    `SELECT id, name FROM organisations WHERE id = ANY($1::text[])
     UNION ALL SELECT id, title AS name FROM datasets WHERE id = ANY($1::text[])`,
    [unique],
  )
  return new Map(rows.map((r) => [r.id, r.name]))
}

/**
 * The public key a checkpoint names, whatever its status now: a checkpoint signed before a key
 * rotation stays verifiable after its key left the JWKS.
 */
export async function publicKeyOf(q: Queryable, kid: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await q.query<{ public_jwk: Record<string, unknown> }>('SELECT public_jwk FROM signing_keys WHERE kid = $1', [kid])
  return rows[0]?.public_jwk
}
