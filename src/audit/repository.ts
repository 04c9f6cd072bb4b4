import type { Queryable } from '../db/db.js'
import { GENESIS, type ChainHead, type StoredEntry } from './chain.js'

export async function chainHead(q: Queryable): Promise<ChainHead> {
  const { rows } = await q.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
  return rows[0] ?? GENESIS
}

/** Inserts a run of chained entries in one statement. */
export async function insertEntries(q: Queryable, entries: readonly StoredEntry[]): Promise<void> {
  if (entries.length === 0) return
  await q.query(
    `INSERT INTO audit_log (seq, at, action, actor_client_id, actor_org_id, resource_type, resource_id, dataset_id, decision, content, prev_hash, hash)
     SELECT (e->'content'->>'seq')::bigint, (e->'content'->>'at')::timestamptz, e->'content'->>'action',
            e->'content'->>'actor_client_id', e->'content'->>'actor_org_id', e->'content'->>'resource_type',
            e->'content'->>'resource_id', e->'content'->>'dataset_id', e->'content'->>'decision',
            e->'content', e->>'prev_hash', e->>'hash'
     FROM jsonb_array_elements($1::jsonb) AS e`,
    [JSON.stringify(entries)],
  )
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
