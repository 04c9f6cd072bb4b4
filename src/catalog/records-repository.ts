import type { Queryable } from '../db/db.js'

export interface ChunkCounts {
  /** New keys, and tombstoned keys written again. */
  inserted: number
  /** Live records whose data changed. */
  updated: number
}

/**
 * Upserts one chunk of standard records in ONE statement: the records arrive as one JSON array
 * (`records` is its text) and are keyed by `keyField`. A record whose data is unchanged is left
 * alone; a changed (or tombstoned) one has its current version copied to record_versions by the
 * same statement, which is possible because every part of a statement reads the same snapshot.
 * Inserted and updated rows are told apart by `xmax = 0` (a fresh tuple has no deleting
 * transaction; one written by ON CONFLICT DO UPDATE has this transaction's id). The keys of one
 * chunk must be distinct: one statement may not change a row twice.
 *
 * The same statement keeps record_index for `indexedFields` (the dataset's complete fields and those
 * being built, src/catalog/record-index.ts): a row per written record and field with a value, and
 * the row of a value the record no longer holds deleted (found from the superseded version, so by
 * its primary key). A new key has no rows yet (records are never removed, only tombstoned), so its
 * rows are inserted without a conflict check.
 */
export async function upsertChunk(
  q: Queryable,
  chunk: { datasetId: string; keyField: string; records: string; ingestId: string; at: Date; indexedFields: readonly string[] },
): Promise<ChunkCounts> {
  const { rows } = await q.query<{ inserted: number; rewritten: number; revived: number }>(
    `WITH incoming AS (
       SELECT e ->> $2 AS key, e AS data FROM jsonb_array_elements($3::jsonb) AS e
     ),
     superseded AS (
       INSERT INTO record_versions (dataset_id, key, version, data, written_at, deleted_at, ingest_id, superseded_at)
       SELECT r.dataset_id, r.key, r.version, r.data, r.updated_at, r.deleted_at, r.ingest_id, $4
       FROM records r JOIN incoming i ON r.key = i.key
       WHERE r.dataset_id = $1 AND (r.data IS DISTINCT FROM i.data OR r.deleted_at IS NOT NULL)
       RETURNING key, data, deleted_at IS NOT NULL AS revived
     ),
     written AS (
       INSERT INTO records AS r (dataset_id, key, data, version, created_at, updated_at, ingest_id)
       SELECT $1, key, data, 1, $4, $4, $5 FROM incoming
       ON CONFLICT (dataset_id, key) DO UPDATE
         SET data = excluded.data, version = r.version + 1, updated_at = excluded.updated_at,
             deleted_at = NULL, ingest_id = excluded.ingest_id
         WHERE r.data IS DISTINCT FROM excluded.data OR r.deleted_at IS NOT NULL
       RETURNING key, data, xmax = 0 AS fresh
     ),
     unindexed AS (
       DELETE FROM record_index x USING superseded s JOIN written w ON w.key = s.key, unnest($6::text[]) AS f(field)
       WHERE x.dataset_id = $1 AND x.field = f.field AND x.value = s.data ->> f.field AND x.key = s.key
         AND (w.data ->> f.field) IS DISTINCT FROM (s.data ->> f.field)
     ),
     indexed AS (
       INSERT INTO record_index (dataset_id, field, value, key)
       SELECT $1, f.field, w.data ->> f.field, w.key FROM written w, unnest($6::text[]) AS f(field)
       WHERE w.fresh AND w.data ->> f.field IS NOT NULL
     ),
     reindexed AS (
       INSERT INTO record_index (dataset_id, field, value, key)
       SELECT $1, f.field, w.data ->> f.field, w.key FROM written w, unnest($6::text[]) AS f(field)
       WHERE NOT w.fresh AND w.data ->> f.field IS NOT NULL
       ON CONFLICT DO NOTHING
     )
     SELECT (SELECT count(*) FROM written WHERE fresh) AS inserted,
            (SELECT count(*) FROM written WHERE NOT fresh) AS rewritten,
            (SELECT count(*) FROM superseded WHERE revived) AS revived`,
    [chunk.datasetId, chunk.keyField, chunk.records, chunk.at, chunk.ingestId, chunk.indexedFields],
  )
  const counts = rows[0]!
  return { inserted: counts.inserted + counts.revived, updated: counts.rewritten - counts.revived }
}

/**
 * Where a dataset's record_index stands (migration 0016), all field lists sorted: `indexed` are
 * complete (filtered pages read only these); `building` are kept by writers and filled in chunks
 * of records in key order, complete up to `builtTo`; `dropping` are having their rows deleted.
 */
export interface IndexState {
  indexed: string[]
  building: string[]
  builtTo: string | null
  dropping: string[]
}

const indexStateColumns = 'indexed_fields AS indexed, index_building AS building, index_built_to AS "builtTo", index_dropping AS dropping'

export async function indexState(q: Queryable, datasetId: string): Promise<IndexState | undefined> {
  const { rows } = await q.query<IndexState>(`SELECT ${indexStateColumns} FROM datasets WHERE id = $1`, [datasetId])
  return rows[0]
}

export async function saveIndexState(q: Queryable, datasetId: string, state: IndexState): Promise<void> {
  await q.query('UPDATE datasets SET indexed_fields = $2, index_building = $3, index_built_to = $4, index_dropping = $5 WHERE id = $1', [
    datasetId,
    state.indexed,
    state.building,
    state.builtTo,
    state.dropping,
  ])
}

/**
 * Writes the index rows of `fields` for the next `limit` records after `afterKey` (from the first
 * when null) in key order, tombstoned ones too, as upsertChunk leaves them; rows a writer already
 * wrote stay. Run under the dataset's lock, which every writer of its records holds. Answers the
 * records read, the rows written and the last key read.
 */
export async function indexChunk(
  q: Queryable,
  datasetId: string,
  fields: readonly string[],
  afterKey: string | null,
  limit: number,
): Promise<{ records: number; written: number; lastKey: string | null }> {
  const { rows } = await q.query<{ records: number; written: number; last_key: string | null }>(
    `WITH chunk AS MATERIALIZED (
       SELECT r.key, r.data FROM records r
       WHERE r.dataset_id = $1 ${afterKey === null ? '' : 'AND r.key > $4::text'} ORDER BY r.key LIMIT $3
     ),
     filled AS (
       INSERT INTO record_index (dataset_id, field, value, key)
       SELECT $1, f.field, c.data ->> f.field, c.key FROM chunk c, unnest($2::text[]) AS f(field)
       WHERE c.data ->> f.field IS NOT NULL
       ON CONFLICT DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM chunk)::int AS records, (SELECT count(*) FROM filled)::int AS written,
            (SELECT key FROM chunk ORDER BY key DESC LIMIT 1) AS last_key`,
    [datasetId, fields, limit, ...(afterKey === null ? [] : [afterKey])],
  )
  const row = rows[0]!
  return { records: row.records, written: row.written, lastKey: row.last_key }
}

/** Deletes up to `limit` index rows of `fields` from the dataset's index; answers how many. */
export async function dropIndexRows(q: Queryable, datasetId: string, fields: readonly string[], limit: number): Promise<number> {
  const { rows } = await q.query<{ deleted: number }>(
    `WITH doomed AS (SELECT field, value, key FROM record_index WHERE dataset_id = $1 AND field = ANY($2::text[]) LIMIT $3),
     gone AS (
       DELETE FROM record_index x USING doomed d
       WHERE x.dataset_id = $1 AND x.field = d.field AND x.value = d.value AND x.key = d.key
       RETURNING 1
     )
     SELECT count(*)::int AS deleted FROM gone`,
    [datasetId, fields, limit],
  )
  return rows[0]?.deleted ?? 0
}

/** Active datasets and their index states: the index-records job compares them with their standards. */
export async function datasetIndexStates(q: Queryable): Promise<({ id: string; standard_name: string; standard_version: string } & IndexState)[]> {
  const { rows } = await q.query<{ id: string; standard_name: string; standard_version: string } & IndexState>(
    `SELECT id, standard_name, standard_version, ${indexStateColumns} FROM datasets WHERE status = 'active' ORDER BY id`,
  )
  return rows
}

export type TombstoneResult = 'deleted' | 'already_deleted' | 'missing'

/** Marks a record deleted; its data stays in the row, so writing the key again keeps the history. */
export async function tombstone(q: Queryable, datasetId: string, key: string, at: Date): Promise<TombstoneResult> {
  const { rows } = await q.query<{ was_deleted: boolean }>(
    `WITH target AS (SELECT deleted_at IS NOT NULL AS was_deleted FROM records WHERE dataset_id = $1 AND key = $2),
     marked AS (UPDATE records SET deleted_at = $3 WHERE dataset_id = $1 AND key = $2 AND deleted_at IS NULL RETURNING 1)
     SELECT was_deleted FROM target`,
    [datasetId, key, at],
  )
  const row = rows[0]
  return row === undefined ? 'missing' : row.was_deleted ? 'already_deleted' : 'deleted'
}

export interface IngestCounts {
  total: number
  inserted: number
  updated: number
  unchanged: number
  rejected: number
}

export interface IngestRow extends IngestCounts {
  id: string
  dataset_id: string
  idempotency_key: string | null
  fingerprint: string
  mode: 'atomic' | 'partial'
  outcome: 'stored' | 'refused'
  standard_version: string
  status_code: number
  response: Record<string, unknown>
  actor_client_id: string | null
  request_id: string | null
  started_at: Date
  finished_at: Date
}

export type IngestStart = Pick<
  IngestRow,
  'id' | 'dataset_id' | 'idempotency_key' | 'fingerprint' | 'mode' | 'standard_version' | 'actor_client_id' | 'request_id' | 'started_at'
>

const ingestColumns = `id, dataset_id, idempotency_key, fingerprint, mode, outcome, standard_version, total, inserted, updated,
  unchanged, rejected, status_code, response, actor_client_id, request_id, started_at, finished_at`

/**
 * Claims the idempotency key for a batch that is about to be stored, inside its transaction. A
 * concurrent batch with the same key waits here until this one ends, then fails on the unique
 * index and replays this one's answer; if this one rolls back, the key was never taken.
 */
export async function claimIngest(q: Queryable, start: IngestStart): Promise<void> {
  await q.query(
    `INSERT INTO ingests (id, dataset_id, idempotency_key, fingerprint, mode, standard_version, actor_client_id, request_id, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [start.id, start.dataset_id, start.idempotency_key, start.fingerprint, start.mode, start.standard_version, start.actor_client_id, start.request_id, start.started_at],
  )
}

export interface IngestEnd extends IngestCounts {
  outcome: 'stored' | 'refused'
  status_code: number
  response: object
  finished_at: Date
}

export async function finishIngest(q: Queryable, id: string, end: IngestEnd): Promise<void> {
  await q.query(
    `UPDATE ingests SET outcome = $2, total = $3, inserted = $4, updated = $5, unchanged = $6, rejected = $7,
       status_code = $8, response = $9, finished_at = $10 WHERE id = $1`,
    [id, end.outcome, end.total, end.inserted, end.updated, end.unchanged, end.rejected, end.status_code, JSON.stringify(end.response), end.finished_at],
  )
}

/** Records a refused batch after its rollback. False when its idempotency key was taken meanwhile. */
export async function insertRefusedIngest(q: Queryable, start: IngestStart, end: IngestEnd): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO ingests (id, dataset_id, idempotency_key, fingerprint, mode, standard_version, actor_client_id, request_id, started_at,
       outcome, total, inserted, updated, unchanged, rejected, status_code, response, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     ON CONFLICT (dataset_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
    [
      start.id,
      start.dataset_id,
      start.idempotency_key,
      start.fingerprint,
      start.mode,
      start.standard_version,
      start.actor_client_id,
      start.request_id,
      start.started_at,
      end.outcome,
      end.total,
      end.inserted,
      end.updated,
      end.unchanged,
      end.rejected,
      end.status_code,
      JSON.stringify(end.response),
      end.finished_at,
    ],
  )
  return rowCount > 0
}

export async function findIngestByKey(q: Queryable, datasetId: string, key: string): Promise<IngestRow | undefined> {
  const { rows } = await q.query<IngestRow>(
    `SELECT ${ingestColumns} FROM ingests WHERE dataset_id = $1 AND idempotency_key = $2 AND outcome IS NOT NULL`,
    [datasetId, key],
  )
  return rows[0]
}

export async function listIngests(q: Queryable, datasetId: string, filter: { beforeStartedAt?: { at: Date; id: string }; limit: number }): Promise<IngestRow[]> {
  const before = filter.beforeStartedAt
  const { rows } = await q.query<IngestRow>(
    `SELECT ${ingestColumns} FROM ingests
     WHERE dataset_id = $1 AND outcome IS NOT NULL
       AND ($2::timestamptz IS NULL OR (started_at, id) < ($2::timestamptz, $3::text))
     ORDER BY started_at DESC, id DESC LIMIT $4`,
    [datasetId, before?.at ?? null, before?.id ?? null, filter.limit],
  )
  return rows
}

/** Adds one batch to the dataset's conformance counters. */
export async function countIngest(
  q: Queryable,
  datasetId: string,
  batch: { stored: boolean; total: number; rejected: number; newRecords: number; at: Date },
): Promise<void> {
  await q.query(
    `UPDATE datasets SET record_count = record_count + $2,
       ingests_stored = ingests_stored + CASE WHEN $3 THEN 1 ELSE 0 END,
       ingests_refused = ingests_refused + CASE WHEN $3 THEN 0 ELSE 1 END,
       rows_received = rows_received + $4, rows_rejected = rows_rejected + $5, last_ingest_at = $6
     WHERE id = $1`,
    [datasetId, batch.newRecords, batch.stored, batch.total, batch.rejected, batch.at],
  )
}

export async function countTombstone(q: Queryable, datasetId: string): Promise<void> {
  await q.query('UPDATE datasets SET record_count = record_count - 1 WHERE id = $1', [datasetId])
}

/** Refreshes the planner's statistics of the records table (PGlite has no autovacuum to do it). */
export async function analyzeRecords(q: Queryable): Promise<void> {
  await q.exec('ANALYZE records')
}
