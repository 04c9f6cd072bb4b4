import type { JWK } from 'jose'
import type { Queryable } from '../db/db.js'

export type OrgKind = 'department' | 'social_org' | 'platform'
export type AdminLevel = 'province' | 'city' | 'county' | 'township'
export type Role = 'publisher' | 'approver' | 'consumer' | 'admin' | 'auditor'

export interface OrgRow {
  id: string
  kind: OrgKind
  name: string
  level: AdminLevel | null
  region_code: string | null
  parent_id: string | null
  uscc: string | null
  uscc_reviewed: boolean
  status: 'active' | 'suspended'
  created_at: Date
  suspended_at: Date | null
}

export interface ClientRow {
  id: string
  org_id: string
  name: string
  roles: Role[]
  secret_hash: string
  status: 'active' | 'revoked'
  created_at: Date
  revoked_at: Date | null
}

/** A client joined with its organisation: what authentication needs. */
export interface ClientAuthRow {
  id: string
  roles: Role[]
  secret_hash: string
  client_status: 'active' | 'revoked'
  org_id: string
  org_kind: OrgKind
  org_status: 'active' | 'suspended'
}

export interface SigningKeyRow {
  kid: string
  alg: string
  public_jwk: JWK
  private_jwk: JWK | null
  status: 'active' | 'retiring' | 'retired'
}

const orgColumns = 'id, kind, name, level, region_code, parent_id, uscc, uscc_reviewed, status, created_at, suspended_at'

export async function insertOrg(
  q: Queryable,
  org: Pick<OrgRow, 'id' | 'kind' | 'name' | 'level' | 'region_code' | 'parent_id' | 'uscc' | 'uscc_reviewed' | 'created_at'>,
): Promise<OrgRow> {
  const { rows } = await q.query<OrgRow>(
    `INSERT INTO organisations (id, kind, name, level, region_code, parent_id, uscc, uscc_reviewed, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${orgColumns}`,
    [org.id, org.kind, org.name, org.level, org.region_code, org.parent_id, org.uscc, org.uscc_reviewed, org.created_at],
  )
  return rows[0]!
}

export async function findOrg(q: Queryable, id: string): Promise<OrgRow | undefined> {
  const { rows } = await q.query<OrgRow>(`SELECT ${orgColumns} FROM organisations WHERE id = $1`, [id])
  return rows[0]
}

export async function findOrgByUscc(q: Queryable, uscc: string): Promise<OrgRow | undefined> {
  const { rows } = await q.query<OrgRow>(`SELECT ${orgColumns} FROM organisations WHERE uscc = $1`, [uscc])
  return rows[0]
}

export async function findPlatformOrg(q: Queryable): Promise<OrgRow | undefined> {
  const { rows } = await q.query<OrgRow>(`SELECT ${orgColumns} FROM organisations WHERE kind = 'platform'`)
  return rows[0]
}

export interface OrgFilter {
  kind?: OrgKind
  status?: OrgRow['status']
  after?: string
  limit: number
}

export async function listOrgs(q: Queryable, filter: OrgFilter): Promise<OrgRow[]> {
  const { rows } = await q.query<OrgRow>(
    `SELECT ${orgColumns} FROM organisations
     WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR id > $3)
     ORDER BY id LIMIT $4`,
    [filter.kind ?? null, filter.status ?? null, filter.after ?? null, filter.limit],
  )
  return rows
}

export async function setOrgStatus(q: Queryable, id: string, status: OrgRow['status'], at: Date): Promise<OrgRow | undefined> {
  const { rows } = await q.query<OrgRow>(
    `UPDATE organisations SET status = $2, suspended_at = CASE WHEN $2 = 'suspended' THEN $3::timestamptz END
     WHERE id = $1 RETURNING ${orgColumns}`,
    [id, status, at],
  )
  return rows[0]
}

/** The new client; undefined when `idempotencyKey` already made one for the organisation (clientByIdempotencyKey says which). */
export async function insertClient(
  q: Queryable,
  client: Pick<ClientRow, 'id' | 'org_id' | 'name' | 'roles' | 'secret_hash' | 'created_at'> & { idempotency_key?: string },
): Promise<ClientRow | undefined> {
  const { rows } = await q.query<ClientRow>(
    `INSERT INTO clients (id, org_id, name, roles, secret_hash, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id, org_id, name, roles, secret_hash, status, created_at, revoked_at`,
    [client.id, client.org_id, client.name, client.roles, client.secret_hash, client.idempotency_key ?? null, client.created_at],
  )
  return rows[0]
}

export async function clientByIdempotencyKey(q: Queryable, orgId: string, key: string): Promise<ClientRow | undefined> {
  const { rows } = await q.query<ClientRow>(
    `SELECT id, org_id, name, roles, secret_hash, status, created_at, revoked_at FROM clients WHERE org_id = $1 AND idempotency_key = $2`,
    [orgId, key],
  )
  return rows[0]
}

export async function revokeClientRow(q: Queryable, id: string, at: Date): Promise<ClientRow | undefined> {
  const { rows } = await q.query<ClientRow>(
    `UPDATE clients SET status = 'revoked', revoked_at = $2 WHERE id = $1 AND status = 'active'
     RETURNING id, org_id, name, roles, secret_hash, status, created_at, revoked_at`,
    [id, at],
  )
  return rows[0]
}

export async function listClients(q: Queryable, orgId: string): Promise<ClientRow[]> {
  const { rows } = await q.query<ClientRow>(
    `SELECT id, org_id, name, roles, secret_hash, status, created_at, revoked_at FROM clients WHERE org_id = $1 ORDER BY created_at, id`,
    [orgId],
  )
  return rows
}

export async function findClientAuth(q: Queryable, clientId: string): Promise<ClientAuthRow | undefined> {
  const { rows } = await q.query<ClientAuthRow>(
    `SELECT c.id, c.roles, c.secret_hash, c.status AS client_status, o.id AS org_id, o.kind AS org_kind, o.status AS org_status
     FROM clients c JOIN organisations o ON o.id = c.org_id WHERE c.id = $1`,
    [clientId],
  )
  return rows[0]
}

/** Keys that sign or still verify: the active one and retiring ones whose tokens may be alive at `now`. */
export async function activeKeyRows(q: Queryable, now?: Date): Promise<SigningKeyRow[]> {
  const { rows } = await q.query<SigningKeyRow>(
    `SELECT kid, alg, public_jwk, private_jwk, status FROM signing_keys
     WHERE status = 'active' OR (status = 'retiring' AND ($1::timestamptz IS NULL OR retire_after > $1))
     ORDER BY created_at DESC`,
    [now ?? null],
  )
  return rows
}

export async function demoteActiveKeys(q: Queryable, retireAfter: Date): Promise<void> {
  await q.query(`UPDATE signing_keys SET status = 'retiring', retire_after = $1 WHERE status = 'active'`, [retireAfter])
}

export async function insertKey(
  q: Queryable,
  key: { kid: string; alg: string; publicJwk: JWK; privateJwk: JWK | null },
): Promise<void> {
  await q.query(
    `INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk, status) VALUES ($1, $2, $3, $4, 'active')
     ON CONFLICT (kid) DO UPDATE SET status = 'active', retire_after = NULL`,
    [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateJwk ? JSON.stringify(key.privateJwk) : null],
  )
}

// ---- failed authentications (src/identity/failure-limiter.ts) -------------------------------

/** The windows of `keys` that started after `since` (still open), with their failure counts. */
export async function recentAuthFailures(q: Queryable, keys: readonly string[], since: Date): Promise<{ window_start: Date; failures: number }[]> {
  const { rows } = await q.query<{ window_start: Date; failures: number }>(
    'SELECT window_start, failures FROM auth_failures WHERE key = ANY($1::text[]) AND window_start > $2',
    [keys, since],
  )
  return rows
}

/** One more failure for each key: in its window if it started after `since`, else in a new one from `now`. */
export async function countAuthFailures(q: Queryable, keys: readonly string[], now: Date, since: Date): Promise<void> {
  await q.query(
    `INSERT INTO auth_failures AS f (key, window_start, failures) SELECT k, $2::timestamptz, 1 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE
       SET failures = CASE WHEN f.window_start > $3::timestamptz THEN f.failures + 1 ELSE 1 END,
           window_start = CASE WHEN f.window_start > $3::timestamptz THEN f.window_start ELSE $2::timestamptz END`,
    [keys, now, since],
  )
}

/** Deletes the windows that started at or before `endedBy`; answers how many. */
export async function pruneAuthFailures(q: Queryable, endedBy: Date): Promise<number> {
  return (await q.query('DELETE FROM auth_failures WHERE window_start <= $1', [endedBy])).rowCount
}
