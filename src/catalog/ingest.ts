// Ingestion: a department's upload (JSON array, NDJSON or CSV) streamed through the standards
// pipeline into its dataset's records, in one transaction, written set-based chunk by chunk. The
// body is never held whole: rows are parsed as bytes arrive, and while one chunk is being written
// the next one is parsed and standardised.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Queryable } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { newId } from '../ids.js'
import { mediaTypeOf, parseRecords, UnsupportedMediaTypeError, type RecordSource } from '../standards/parse-records.js'
import { createReportBuilder, type CheckReport, type ReportRow } from '../standards/report.js'
import { compiledStandard } from '../standards/service.js'
import { standardiseRecord, type CompiledStandard, type StandardRecord } from '../standards/standardise.js'
import type { ParsedRow } from '../standards/splitter.js'
import type { DatasetRow } from './repository.js'
import { advanceIndex, indexedFieldNames, maintainedFields } from './record-index.js'
import * as records from './records-repository.js'
import type { IngestCounts, IngestRow, IngestStart } from './records-repository.js'
import { activeLocked, datasetNotFound, ownedRow, visibleRow, type Deps } from './service.js'
import * as repo from './repository.js'

export type IngestMode = 'atomic' | 'partial'

/** Who pushes the records: a publisher client, or the operator at the command line (`qiao ingest`). */
export type Ingester = Principal | 'operator'

export interface Upload {
  body: RecordSource | null
  contentType: string | undefined
}

export interface IngestOptions {
  /** atomic (default): any invalid row refuses the whole batch; partial: the valid rows are stored. */
  mode: IngestMode
  /** A column that matches no field: an error (reject) or ignored (drop). */
  unknown: 'reject' | 'drop'
  /** The same key on a retry answers the first attempt's report and stores nothing again. */
  idempotencyKey?: string
  /** Called as rows are read (every PROGRESS_EVERY rows and at the end). */
  onProgress?: (rows: number) => void
}

export interface IngestReport extends IngestCounts {
  id: string
  dataset_id: string
  mode: IngestMode
  /** Rows with errors, in input order (at most 1000). */
  errors: ReportRow[]
  /** Stored rows with warnings to review (e.g. a pilot credit code). */
  warnings: ReportRow[]
  /** More rows had problems than `errors` and `warnings` hold. */
  truncated: boolean
}

export interface IngestOutcome {
  /** False for an atomic batch refused because of invalid rows: nothing was stored. */
  stored: boolean
  report: IngestReport
  /** The answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean
}

// Rows per statement: large enough that a statement's fixed cost is small, small enough that a
// chunk's JSON stays a few megabytes. Either limit ends a chunk.
const CHUNK_ROWS = 2000
const CHUNK_CHARS = 4 * 1024 * 1024
const PROGRESS_EVERY = 5000

/**
 * Streams an upload into a dataset of the caller's department. Every row goes through the
 * standards pipeline; all the batch's writes are one transaction, so a batch is stored whole or
 * not at all whatever happens to the process. Counts (inserted, updated, unchanged, rejected)
 * and conformance are kept per batch and on the dataset.
 */
export async function ingestRecords(
  deps: Deps,
  ctx: ActionContext,
  caller: Ingester,
  datasetRef: string,
  upload: Upload,
  options: IngestOptions,
): Promise<IngestOutcome> {
  const dataset = await datasetForIngest(deps, ctx, caller, datasetRef)
  const datasetId = dataset.id
  if (dataset.status === 'retired') throw new ApiError('conflict', `dataset ${datasetId} is retired: it takes no more records`)
  const fingerprint = fingerprintOf(upload, options)
  const key = options.idempotencyKey
  if (key !== undefined) {
    const previous = await records.findIngestByKey(deps.db, datasetId, key)
    if (previous) return replay(previous, fingerprint)
  }
  // Compiled before the transaction: on PGlite a transaction holds the only connection.
  const standard = await compiledStandard(deps, dataset.standard_name, dataset.standard_version)
  const rows = rowsOf(upload)

  const start: IngestStart = {
    id: newId('ing'),
    dataset_id: datasetId,
    idempotency_key: key ?? null,
    fingerprint,
    mode: options.mode,
    standard_version: dataset.standard_version,
    actor_client_id: ctx.actor?.clientId ?? null,
    request_id: ctx.requestId,
    started_at: ctx.at,
  }
  try {
    const report = await deps.db.transaction((tx) => storeBatch(tx, ctx, start, dataset, standard, rows, options))
    await refreshPlannerStatistics(deps.db, dataset.record_count, report.inserted)
    return { stored: true, report, replayed: false }
  } catch (error) {
    if (error instanceof BatchRefused) return recordRefusal(deps, ctx, start, error.report, fingerprint)
    if (key !== undefined && repo.isUniqueViolation(error)) {
      const previous = await records.findIngestByKey(deps.db, datasetId, key)
      if (previous) return replay(previous, fingerprint)
    }
    throw error
  }
}

/**
 * PostgreSQL's autovacuum re-analyzes a table once about a tenth of it has changed; PGlite has no
 * autovacuum. Without statistics that know a dataset's size the planner takes it for a few rows and
 * reads each page by fetching and sorting the whole dataset. So on PGlite an ingest that grows its
 * dataset by autovacuum's measure (50 rows plus a tenth) analyzes the records table after it commits.
 */
async function refreshPlannerStatistics(db: Deps['db'], recordsBefore: number, inserted: number): Promise<void> {
  if (db.driver !== 'pglite' || inserted < 50 + recordsBefore / 10) return
  await records.analyzeRecords(db)
}

/**
 * The dataset, if the caller may push records into it: a publisher, its own department's (by id);
 * the operator, any (by id or, handier at a prompt, by resource code).
 */
async function datasetForIngest(deps: Deps, ctx: ActionContext, caller: Ingester, ref: string): Promise<DatasetRow> {
  if (caller !== 'operator') return ownedRow(deps, ctx, caller, ref, 'records.ingest')
  const row = (await repo.findDataset(deps.db, ref)) ?? (await repo.findDatasetByCode(deps.db, ref))
  if (!row) throw datasetNotFound(ref)
  return row
}

/**
 * What a retry with the same Idempotency-Key must repeat: mode, unknown-column handling and media
 * type. (The body itself is not hashed: that would mean reading a replayed upload in full.)
 */
function fingerprintOf(upload: Upload, options: IngestOptions): string {
  const media = mediaTypeOf(upload.contentType ?? '')
  if (media === undefined) {
    throw new ApiError('unsupported_media_type', `send records as application/json (an array), application/x-ndjson or text/csv, not ${upload.contentType || 'no content type'}`)
  }
  return `${options.mode};unknown=${options.unknown};${media.format};charset=${media.charset.toLowerCase()}`
}

/** The upload's rows, parsed lazily as the body is read. */
function rowsOf(upload: Upload): AsyncIterable<ParsedRow> {
  if (upload.body === null) throw new ApiError('bad_request', 'send the records in the request body')
  try {
    return parseRecords(upload.body, upload.contentType ?? '')
  } catch (error) {
    if (error instanceof UnsupportedMediaTypeError) throw new ApiError('unsupported_media_type', error.message)
    throw error
  }
}

/** Thrown inside the transaction to roll an atomic batch back; carries the report. */
class BatchRefused extends Error {
  constructor(readonly report: IngestReport) {
    super('the batch has invalid rows')
  }
}

async function storeBatch(
  tx: Queryable,
  ctx: ActionContext,
  start: IngestStart,
  dataset: DatasetRow,
  standard: CompiledStandard,
  rows: AsyncIterable<ParsedRow>,
  options: IngestOptions,
): Promise<IngestReport> {
  const locked = await activeLocked(tx, dataset.id)
  if (locked.standard_version !== dataset.standard_version) {
    throw new ApiError('conflict', `dataset ${dataset.id} moved to ${locked.standard_name} ${locked.standard_version} meanwhile; send the batch again`)
  }
  await records.claimIngest(tx, start)
  // The chunks keep the index rows of the standard's indexed fields that are complete or being
  // built. A build takes one chunk of records here (a small dataset's index is complete after its
  // first ingest; the index-records job builds the rest of a large one's between ingests).
  const index = await advanceIndex(tx, dataset.id, indexedFieldNames(standard.description), 1)
  const indexedFields = maintainedFields(index.state)
  const writer = new ChunkWriter(tx, { datasetId: dataset.id, keyField: dataset.key_field, ingestId: start.id, at: ctx.at, indexedFields })
  const builder = createReportBuilder(dataset.key_field)
  let refusing = false
  let read = 0
  try {
    for await (const parsed of rows) {
      const record = standardised(standard, parsed, options, builder)
      if (record === undefined) refusing ||= options.mode === 'atomic'
      else if (!refusing) await writer.add(keyOf(record, dataset.key_field), record)
      if (++read % PROGRESS_EVERY === 0) options.onProgress?.(read)
    }
  } catch (error) {
    await writer.abandon()
    throw error
  }
  options.onProgress?.(read)
  const checked = builder.report()
  if (refusing) {
    await writer.abandon()
    throw new BatchRefused(reportOf(start, checked, { inserted: 0, updated: 0, unchanged: 0 }))
  }
  const written = await writer.finish()
  const report = reportOf(start, checked, { ...written, unchanged: checked.valid - written.inserted - written.updated })
  await records.finishIngest(tx, start.id, { ...countsOf(report), outcome: 'stored', status_code: 200, response: report, finished_at: ctx.at })
  await records.countIngest(tx, dataset.id, { stored: true, total: report.total, rejected: report.rejected, newRecords: report.inserted, at: ctx.at })
  await recordEvent(tx, ctx, {
    action: 'records.ingested',
    resourceType: 'dataset',
    resourceId: dataset.id,
    datasetId: dataset.id,
    rowCount: report.inserted + report.updated,
    details: { ingest_id: start.id, ...countsOf(report), mode: options.mode, via: ctx.actor ? 'api' : 'cli' },
  })
  return report
}

/** The record in standard form, or undefined (reported) when the row is invalid. */
function standardised(
  standard: CompiledStandard,
  parsed: ParsedRow,
  options: IngestOptions,
  builder: ReturnType<typeof createReportBuilder>,
): StandardRecord | undefined {
  if (parsed.error !== undefined) {
    builder.addParseError(parsed.row, parsed.error)
    return undefined
  }
  const result = standardiseRecord(standard, parsed.record, { unknown: options.unknown })
  builder.addResult(parsed.row, result)
  return result.ok ? result.record : undefined
}

function keyOf(record: StandardRecord, keyField: string): string {
  // The key field is a required string or integer field (src/catalog/rules.ts), so a valid record has one.
  return String(record[keyField])
}

/**
 * Writes standard records in chunks of one statement each, pipelined: a chunk's statement runs
 * while the caller parses the next one, and is awaited before the next statement is sent (a
 * transaction's connection runs one statement at a time).
 */
class ChunkWriter {
  private buffer: string[] = []
  private keys = new Set<string>()
  private chars = 0
  private inFlight: Promise<void> | undefined
  private readonly totals = { inserted: 0, updated: 0 }

  constructor(
    private readonly tx: Queryable,
    private readonly target: { datasetId: string; keyField: string; ingestId: string; at: Date; indexedFields: readonly string[] },
  ) {}

  async add(key: string, record: StandardRecord): Promise<void> {
    // A key seen again goes to the next statement, so rows apply in input order (the later one wins).
    if (this.keys.has(key)) await this.flush()
    const json = JSON.stringify(record)
    this.buffer.push(json)
    this.keys.add(key)
    this.chars += json.length
    if (this.buffer.length >= CHUNK_ROWS || this.chars >= CHUNK_CHARS) await this.flush()
  }

  async finish(): Promise<{ inserted: number; updated: number }> {
    await this.flush()
    await this.settle()
    return { ...this.totals }
  }

  /** Waits for the statement in flight, ignoring its outcome: the transaction is rolling back. */
  async abandon(): Promise<void> {
    this.buffer = []
    await this.inFlight?.catch(() => {})
    this.inFlight = undefined
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return
    const chunk = `[${this.buffer.join(',')}]`
    this.buffer = []
    this.keys = new Set()
    this.chars = 0
    await this.settle()
    const written = records.upsertChunk(this.tx, { ...this.target, records: chunk }).then((counts) => {
      this.totals.inserted += counts.inserted
      this.totals.updated += counts.updated
    })
    // Observed by settle(); this keeps a failure from surfacing as an unhandled rejection first.
    written.catch(() => {})
    this.inFlight = written
  }

  private async settle(): Promise<void> {
    const pending = this.inFlight
    this.inFlight = undefined
    await pending
  }
}

function reportOf(start: IngestStart, checked: CheckReport, written: { inserted: number; updated: number; unchanged: number }): IngestReport {
  return {
    id: start.id,
    dataset_id: start.dataset_id,
    mode: start.mode,
    total: checked.total,
    ...written,
    rejected: checked.invalid,
    errors: checked.rows.filter((row) => row.errors.length > 0),
    warnings: checked.rows.filter((row) => row.errors.length === 0),
    truncated: checked.truncated,
  }
}

function countsOf(report: IngestReport): IngestCounts {
  return { total: report.total, inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, rejected: report.rejected }
}

/** After the rollback of a refused batch: its counts still go into the dataset's conformance, and its key is taken. */
async function recordRefusal(deps: Deps, ctx: ActionContext, start: IngestStart, report: IngestReport, fingerprint: string): Promise<IngestOutcome> {
  const recorded = await deps.db.transaction(async (tx) => {
    const inserted = await records.insertRefusedIngest(tx, start, {
      ...countsOf(report),
      outcome: 'refused',
      status_code: 422,
      response: report,
      finished_at: ctx.at,
    })
    if (!inserted) return false
    await records.countIngest(tx, start.dataset_id, { stored: false, total: report.total, rejected: report.rejected, newRecords: 0, at: ctx.at })
    await recordEvent(tx, ctx, {
      action: 'records.refused',
      resourceType: 'dataset',
      resourceId: start.dataset_id,
      datasetId: start.dataset_id,
      rowCount: 0,
      reason: `${report.rejected} of ${report.total} rows are invalid`,
      details: { ingest_id: start.id, ...countsOf(report), mode: start.mode, via: ctx.actor ? 'api' : 'cli' },
    })
    return true
  })
  if (!recorded && start.idempotency_key !== null) {
    const previous = await records.findIngestByKey(deps.db, start.dataset_id, start.idempotency_key)
    if (previous) return replay(previous, fingerprint)
  }
  return { stored: false, report, replayed: false }
}

function replay(previous: IngestRow, fingerprint: string): IngestOutcome {
  if (previous.fingerprint !== fingerprint) {
    throw new ApiError('unprocessable', 'this Idempotency-Key was used for a different request (mode, unknown-column handling or media type); use a new key for a new batch', {
      errors: [{ path: 'header.idempotency-key', code: 'key_reused', message: `first used by ingest ${previous.id}` }],
    })
  }
  return { stored: previous.outcome === 'stored', report: previous.response as unknown as IngestReport, replayed: true }
}

/**
 * The problem an atomic batch refused for invalid rows answers with: 422 with the ingest report as
 * its `report` member (not spread: a problem's own `errors` lists request fields, not rows).
 */
export function refusal(report: IngestReport, replayed: boolean): ApiError {
  const detail = `${report.rejected} of ${report.total} rows are invalid; nothing was stored (send ?mode=partial to store the valid rows)`
  return new ApiError('unprocessable', detail, { report, ...(replayed ? { headers: { 'Idempotent-Replayed': 'true' } } : {}) })
}

// ---------------------------------------------------------------------------------------
// Tombstones

/** Marks the record with this key deleted (a tombstone); idempotent. 404 when the key was never stored. */
export async function deleteRecord(deps: Deps, ctx: ActionContext, caller: Principal, datasetId: string, key: string): Promise<void> {
  await ownedRow(deps, ctx, caller, datasetId, 'record.delete')
  await deps.db.transaction(async (tx) => {
    await activeLocked(tx, datasetId)
    const result = await records.tombstone(tx, datasetId, key, ctx.at)
    if (result === 'missing') throw new ApiError('not_found', `dataset ${datasetId} has no record with key ${key}`)
    if (result === 'already_deleted') return
    await records.countTombstone(tx, datasetId)
    await recordEvent(tx, ctx, { action: 'record.deleted', resourceType: 'record', resourceId: key, datasetId, rowCount: 1 })
  })
}

/** A dataset's batches, newest first: for its provider and the platform. */
export async function listIngests(
  deps: Deps,
  caller: Principal,
  datasetId: string,
  filter: Parameters<typeof records.listIngests>[2],
): Promise<IngestRow[]> {
  const row = await visibleRow(deps, caller, datasetId)
  if (caller.orgKind !== 'platform' && caller.orgId !== row.provider_id) {
    throw new ApiError('forbidden', "a dataset's ingests are for its provider and the platform")
  }
  return records.listIngests(deps.db, datasetId, filter)
}
