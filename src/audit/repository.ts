import type { Queryable } from '../db/db.js'
import { GENESIS, type ChainHead, type StoredEntry } from './chain.js'

export async function chainHead(q: Queryable): Promise<ChainHead> {
  const { rows } = await q.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
  return rows[0] ?? GENESIS
}

/** What audit_append answered: whether it stored the entries, and the head of the chain after it. */
export interface AppendResult {
  appended: boolean
  head: ChainHead
}

/**
 * Stores chained entries if the chain still ends at `expected`, in one statement: audit_append
 * (migration 0012) takes the chain lock, compares the head and either inserts the entries or
 * answers the head it found, storing nothing. `expected` null only takes the lock and reads the head.
 */
export async function appendIfHead(q: Queryable, entries: readonly StoredEntry[], expected: ChainHead | null): Promise<AppendResult> {
  const { rows } = await q.query<{ appended: boolean; head_seq: number; head_hash: string }>(
    'SELECT appended, head_seq, head_hash FROM audit_append($1::jsonb, $2::bigint, $3::text)',
    [JSON.stringify(entries), expected?.seq ?? null, expected?.hash ?? null],
    { prepare: true },
  )
  const row = rows[0]!
  return { appended: row.appended, head: { seq: row.head_seq, hash: row.head_hash } }
}

export interface AuditRow {
  seq: number
  content: StoredEntry['content']
  prev_hash: string
  hash: string
}

export async function entriesFrom(q: Queryable, afterSeq: number, limit: number): Promise<AuditRow[]> {
  const { rows } = await q.query<AuditRow>(
    'SELECT seq, content, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
    [afterSeq, limit],
  )
  return rows
}

export interface AuditFilter {
  from?: Date
  to?: Date
  actorClientId?: string
  actorOrgId?: string
  datasetId?: string
  action?: string
  decision?: 'allowed' | 'denied'
  beforeSeq?: number
  /** Only entries about datasets this organisation provides ("who read my data"). */
  aboutDatasetsOf?: string
  limit: number
}

/** Newest first; `beforeSeq` continues a page. */
export async function findEntries(q: Queryable, f: AuditFilter): Promise<AuditRow[]> {
  const { rows } = await q.query<AuditRow>(
    `SELECT seq, content, prev_hash, hash FROM audit_log
     WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
       AND ($3::text IS NULL OR actor_client_id = $3) AND ($4::text IS NULL OR actor_org_id = $4)
       AND ($5::text IS NULL OR dataset_id = $5) AND ($6::text IS NULL OR action = $6)
       AND ($7::text IS NULL OR decision = $7) AND ($8::bigint IS NULL OR seq < $8)
       AND ($10::text IS NULL OR dataset_id IN (SELECT id FROM datasets WHERE provider_id = $10))
     ORDER BY seq DESC LIMIT $9`,
    [f.from ?? null, f.to ?? null, f.actorClientId ?? null, f.actorOrgId ?? null, f.datasetId ?? null, f.action ?? null, f.decision ?? null, f.beforeSeq ?? null, f.limit, f.aboutDatasetsOf ?? null],
  )
  return rows
}

export async function findEntry(q: Queryable, seq: number): Promise<AuditRow | undefined> {
  const { rows } = await q.query<AuditRow>('SELECT seq, content, prev_hash, hash FROM audit_log WHERE seq = $1', [seq])
  return rows[0]
}

/** Up to `limit` entries' seq and hash after `afterSeq`, in seq order: a page of the Merkle tree's leaves. */
export async function entryHashesAfter(q: Queryable, afterSeq: number, limit: number): Promise<{ seq: number; hash: string }[]> {
  const { rows } = await q.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])
  return rows
}

export interface CheckpointRow {
  size: number
  root_hash: string
  chain_head: string
  at: Date
  kid: string
  jws: string
}

export async function insertCheckpoint(q: Queryable, c: CheckpointRow): Promise<void> {
  await q.query(
    'INSERT INTO audit_checkpoints (size, root_hash, chain_head, at, kid, jws) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (size) DO NOTHING',
    [c.size, c.root_hash, c.chain_head, c.at, c.kid, c.jws],
  )
}

export async function findCheckpoint(q: Queryable, size?: number): Promise<CheckpointRow | undefined> {
  const { rows } = await q.query<CheckpointRow>(
    `SELECT size, root_hash, chain_head, at, kid, jws FROM audit_checkpoints
     WHERE ($1::bigint IS NULL OR size = $1) ORDER BY size DESC LIMIT 1`,
    [size ?? null],
  )
  return rows[0]
}

export async function listCheckpoints(q: Queryable, beforeSize: number | undefined, limit: number): Promise<CheckpointRow[]> {
  const { rows } = await q.query<CheckpointRow>(
    `SELECT size, root_hash, chain_head, at, kid, jws FROM audit_checkpoints
     WHERE ($1::bigint IS NULL OR size < $1) ORDER BY size DESC LIMIT $2`,
    [beforeSize ?? null, limit],
  )
  return rows
}
