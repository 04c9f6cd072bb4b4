import type { Queryable } from '../db/db.js'
import type { Sensitivity } from '../standards/annotations.js'
import type { Attribute, CatalogueView } from './visibility.js'

export const FORMATS = ['database', 'spreadsheet', 'document', 'image', 'stream', 'structured_file', 'api'] as const
export type ResourceFormat = (typeof FORMATS)[number]

export const UPDATE_CYCLES = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'half_yearly', 'yearly', 'irregular'] as const
export type UpdateCycle = (typeof UPDATE_CYCLES)[number]

/** The catalogue metadata a publisher writes (and may later change, except code and key field). */
export interface DatasetMetadata {
  name: string
  title: string
  abstract: string
  format: ResourceFormat
  sharing: Attribute
  sharing_conditions: string | null
  legal_basis: string | null
  open: Attribute
  open_conditions: string | null
  update_cycle: UpdateCycle
  /** YYYY-MM-DD */
  published_on: string
  related_codes: string[]
}

export interface DatasetRow extends DatasetMetadata {
  id: string
  code: string
  provider_id: string
  provider_name: string
  standard_name: string
  standard_version: string
  key_field: string
  computed_tier: Sensitivity
  tier: Sensitivity
  tier_override_reason: string | null
  tier_overridden_by: string | null
  tier_overridden_at: Date | null
  status: 'active' | 'retired'
  created_by: string | null
  created_at: Date
  updated_at: Date
  retired_at: Date | null
  record_count: number
  ingests_stored: number
  ingests_refused: number
  rows_received: number
  rows_rejected: number
  last_ingest_at: Date | null
  /** The fields whose filter index is complete, and those being built (src/catalog/record-index.ts). */
  indexed_fields: string[]
  index_building: string[]
}

// `published_on` as text: a date has no time zone, and both drivers would otherwise make it a
// Date at local midnight.
const columns = `d.id, d.code, d.name, d.title, d.abstract, d.provider_id, o.name AS provider_name,
  d.standard_name, d.standard_version, d.key_field, d.format, d.sharing, d.sharing_conditions, d.legal_basis,
  d.open, d.open_conditions, d.update_cycle, d.published_on::text AS published_on, d.related_codes,
  d.computed_tier, d.tier, d.tier_override_reason, d.tier_overridden_by, d.tier_overridden_at,
  d.status, d.created_by, d.created_at, d.updated_at, d.retired_at,
  d.record_count, d.ingests_stored, d.ingests_refused, d.rows_received, d.rows_rejected, d.last_ingest_at,
  d.indexed_fields, d.index_building`

const fromDatasets = 'FROM datasets d JOIN organisations o ON o.id = d.provider_id'

/**
 * The visibility condition over `d` (and `o`, its provider), with its six parameters from
 * $`first`. "Same region" is src/exchange/policy.ts's sameRegion: the provider's GB/T 2260 code
 * shares the caller's prefecture-level prefix (region codes are checked six-digit codes).
 */
function visibleTo(first: number): string {
  const [everything, own, sameRegionTiers, otherTiers, sharing, open] = [0, 1, 2, 3, 4, 5].map((i) => `$${first + i}`)
  return `(${everything}::boolean OR d.provider_id = ${own}::text
    OR (d.status = 'active' AND d.sharing = ANY(${sharing}::text[]) AND d.open = ANY(${open}::text[])
        AND d.tier = ANY(CASE WHEN left(o.region_code, 4) = (SELECT left(c.region_code, 4) FROM organisations c WHERE c.id = ${own}::text)
                              THEN ${sameRegionTiers}::text[] ELSE ${otherTiers}::text[] END)))`
}

function viewParams(view: CatalogueView): unknown[] {
  return [view.everything, view.ownOrgId, [...view.tiers.sameRegion], [...view.tiers.otherwise], [...view.sharing], [...view.open]]
}

export type NewDatasetRow = Omit<
  DatasetRow,
  | 'provider_name'
  | 'status'
  | 'updated_at'
  | 'retired_at'
  | 'tier_override_reason'
  | 'tier_overridden_by'
  | 'tier_overridden_at'
  | 'record_count'
  | 'ingests_stored'
  | 'ingests_refused'
  | 'rows_received'
  | 'rows_rejected'
  | 'last_ingest_at'
  | 'indexed_fields'
  | 'index_building'
>

export async function insertDataset(q: Queryable, row: NewDatasetRow): Promise<void> {
  await q.query(
    `INSERT INTO datasets (id, code, name, title, abstract, provider_id, standard_name, standard_version, key_field, format,
       sharing, sharing_conditions, legal_basis, open, open_conditions, update_cycle, published_on, related_codes,
       computed_tier, tier, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)`,
    [
      row.id,
      row.code,
      row.name,
      row.title,
      row.abstract,
      row.provider_id,
      row.standard_name,
      row.standard_version,
      row.key_field,
      row.format,
      row.sharing,
      row.sharing_conditions,
      row.legal_basis,
      row.open,
      row.open_conditions,
      row.update_cycle,
      row.published_on,
      row.related_codes,
      row.computed_tier,
      row.tier,
      row.created_by,
      row.created_at,
    ],
  )
}

export async function findDataset(q: Queryable, id: string): Promise<DatasetRow | undefined> {
  const { rows } = await q.query<DatasetRow>(`SELECT ${columns} ${fromDatasets} WHERE d.id = $1`, [id])
  return rows[0]
}

/** The dataset, locked until the transaction ends: changes to one dataset (and its records) queue up. */
export async function lockDataset(q: Queryable, id: string): Promise<DatasetRow | undefined> {
  const { rows } = await q.query<DatasetRow>(`SELECT ${columns} ${fromDatasets} WHERE d.id = $1 FOR UPDATE OF d`, [id])
  return rows[0]
}

export async function findDatasetByCode(q: Queryable, code: string): Promise<DatasetRow | undefined> {
  const { rows } = await q.query<DatasetRow>(`SELECT ${columns} ${fromDatasets} WHERE d.code = $1`, [code])
  return rows[0]
}

export async function findVisibleDataset(q: Queryable, view: CatalogueView, id: string): Promise<DatasetRow | undefined> {
  const visible = visibleDatasetQuery(view, id)
  const { rows } = await q.query<DatasetRow>(visible.sql, visible.params, { prepare: true })
  return rows[0]
}

/**
 * The SELECT findVisibleDataset runs (parameters $1 to $7), for statements that fetch more along
 * with the dataset in the same round trip (src/exchange/repository.ts's readContext): the
 * visibility condition stays this one. `select` replaces the columns (over `d` and `o`).
 */
export function visibleDatasetQuery(view: CatalogueView, id: string, select: readonly string[] = [columns]): { sql: string; params: unknown[] } {
  return { sql: `SELECT ${select.join(', ')} ${fromDatasets} WHERE d.id = $7 AND ${visibleTo(1)}`, params: [...viewParams(view), id] }
}

export interface DatasetFilter {
  provider?: string
  tier?: Sensitivity
  standard?: string
  sharing?: Attribute
  open?: Attribute
  status?: DatasetRow['status']
  /** Free text, matched in the code, name, title and abstract. */
  text?: string
  /** The code of the last dataset of the previous page. */
  afterCode?: string
  limit: number
}

/** The datasets the view shows, by resource code. */
export async function listVisibleDatasets(q: Queryable, view: CatalogueView, filter: DatasetFilter): Promise<DatasetRow[]> {
  const { rows } = await q.query<DatasetRow>(
    `SELECT ${columns} ${fromDatasets}
     WHERE ${visibleTo(1)}
       AND ($7::text IS NULL OR d.provider_id = $7) AND ($8::text IS NULL OR d.tier = $8)
       AND ($9::text IS NULL OR d.standard_name = $9) AND ($10::text IS NULL OR d.sharing = $10)
       AND ($11::text IS NULL OR d.open = $11) AND d.status = $12
       AND ($13::text IS NULL OR strpos(lower(d.code || ' ' || d.name || ' ' || d.title || ' ' || d.abstract), lower($13)) > 0)
       AND ($14::text IS NULL OR d.code > $14)
     ORDER BY d.code LIMIT $15`,
    [
      ...viewParams(view),
      filter.provider ?? null,
      filter.tier ?? null,
      filter.standard ?? null,
      filter.sharing ?? null,
      filter.open ?? null,
      filter.status ?? 'active',
      filter.text ?? null,
      filter.afterCode ?? null,
      filter.limit,
    ],
  )
  return rows
}

export interface DatasetChanges extends DatasetMetadata {
  standard_version: string
  computed_tier: Sensitivity
  tier: Sensitivity
  /** Kept as they are unless the tier changed with the standard version. */
  clear_override: boolean
  updated_at: Date
}

export async function updateDataset(q: Queryable, id: string, changes: DatasetChanges): Promise<void> {
  await q.query(
    `UPDATE datasets SET name = $2, title = $3, abstract = $4, format = $5, sharing = $6, sharing_conditions = $7,
       legal_basis = $8, open = $9, open_conditions = $10, update_cycle = $11, published_on = $12, related_codes = $13,
       standard_version = $14, computed_tier = $15, tier = $16, updated_at = $17,
       tier_override_reason = CASE WHEN $18 THEN NULL ELSE tier_override_reason END,
       tier_overridden_by = CASE WHEN $18 THEN NULL ELSE tier_overridden_by END,
       tier_overridden_at = CASE WHEN $18 THEN NULL ELSE tier_overridden_at END
     WHERE id = $1`,
    [
      id,
      changes.name,
      changes.title,
      changes.abstract,
      changes.format,
      changes.sharing,
      changes.sharing_conditions,
      changes.legal_basis,
      changes.open,
      changes.open_conditions,
      changes.update_cycle,
      changes.published_on,
      changes.related_codes,
      changes.standard_version,
      changes.computed_tier,
      changes.tier,
      changes.updated_at,
      changes.clear_override,
    ],
  )
}

export interface TierOverride {
  tier: Sensitivity
  /** Null clears the override (the tier is the computed one again). */
  override: { reason: string; by: string | null; at: Date } | null
}

export async function setTier(q: Queryable, id: string, change: TierOverride, at: Date): Promise<void> {
  await q.query(
    `UPDATE datasets SET tier = $2, tier_override_reason = $3, tier_overridden_by = $4, tier_overridden_at = $5, updated_at = $6 WHERE id = $1`,
    [id, change.tier, change.override?.reason ?? null, change.override?.by ?? null, change.override?.at ?? null, at],
  )
}

export async function retireDataset(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query(`UPDATE datasets SET status = 'retired', retired_at = $2, updated_at = $2 WHERE id = $1`, [id, at])
}

export interface TierChange {
  dataset_id: string
  at: Date
  cause: 'registered' | 'standard_changed' | 'override'
  standard_version: string
  computed_tier: Sensitivity
  tier_before: Sensitivity | null
  tier_after: Sensitivity
  reason: string | null
  actor_client_id: string | null
}

export async function insertTierChange(q: Queryable, change: TierChange): Promise<void> {
  await q.query(
    `INSERT INTO dataset_tier_changes (dataset_id, at, cause, standard_version, computed_tier, tier_before, tier_after, reason, actor_client_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      change.dataset_id,
      change.at,
      change.cause,
      change.standard_version,
      change.computed_tier,
      change.tier_before,
      change.tier_after,
      change.reason,
      change.actor_client_id,
    ],
  )
}

export interface TierChangeRow extends TierChange {
  id: number
}

export async function listTierChanges(q: Queryable, datasetId: string): Promise<TierChangeRow[]> {
  const { rows } = await q.query<TierChangeRow>(
    `SELECT id, dataset_id, at, cause, standard_version, computed_tier, tier_before, tier_after, reason, actor_client_id
     FROM dataset_tier_changes WHERE dataset_id = $1 ORDER BY id`,
    [datasetId],
  )
  return rows
}

/** True for a unique-constraint violation (SQLSTATE 23505), whichever driver raised it. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'
}
