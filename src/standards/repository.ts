import type { Queryable } from '../db/db.js'
import type { Sensitivity } from './annotations.js'
import type { JsonSchemaObject } from './json-schema.js'

/** A published standard version. Rows are inserted, never updated or deleted. */
export interface StandardRow {
  name: string
  version: string
  major: number
  minor: number
  patch: number
  title: string
  tier: Sensitivity
  schema: JsonSchemaObject
  published_at: Date
  published_by: string | null
  sensitivity_reviewed: boolean
}

/** A row without its schema: what lists need. */
export type StandardSummaryRow = Pick<StandardRow, 'name' | 'version' | 'title' | 'tier'>

const columns = 'name, version, major, minor, patch, title, tier, schema, published_at, published_by, sensitivity_reviewed'
const semverOrder = 'major, minor, patch'
const semverOrderDesc = 'major DESC, minor DESC, patch DESC'

export async function insertStandard(q: Queryable, row: StandardRow): Promise<StandardRow> {
  const { rows } = await q.query<StandardRow>(
    `INSERT INTO standards (name, version, major, minor, patch, title, tier, schema, published_at, published_by, sensitivity_reviewed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${columns}`,
    [
      row.name,
      row.version,
      row.major,
      row.minor,
      row.patch,
      row.title,
      row.tier,
      JSON.stringify(row.schema),
      row.published_at,
      row.published_by,
      row.sensitivity_reviewed,
    ],
  )
  return rows[0]!
}

export async function findStandard(q: Queryable, name: string, version: string): Promise<StandardRow | undefined> {
  const { rows } = await q.query<StandardRow>(`SELECT ${columns} FROM standards WHERE name = $1 AND version = $2`, [name, version])
  return rows[0]
}

/** The highest published version of `name`, optionally within one major version. */
export async function findLatestStandard(q: Queryable, name: string, major?: number): Promise<StandardRow | undefined> {
  const { rows } = await q.query<StandardRow>(
    `SELECT ${columns} FROM standards WHERE name = $1 AND ($2::int IS NULL OR major = $2)
     ORDER BY ${semverOrderDesc} LIMIT 1`,
    [name, major ?? null],
  )
  return rows[0]
}

export interface StandardFilter {
  name?: string
  /** Only versions after this one, in (name, semantic version) order. */
  after?: { name: string; major: number; minor: number; patch: number }
  limit: number
}

/** Published versions in (name, semantic version) order; names compare by code point (COLLATE "C"). */
export async function listStandards(q: Queryable, filter: StandardFilter): Promise<StandardSummaryRow[]> {
  const after = filter.after
  const { rows } = await q.query<StandardSummaryRow>(
    `SELECT name, version, title, tier FROM standards
     WHERE ($1::text IS NULL OR name = $1)
       AND ($2::text IS NULL OR (name, major, minor, patch) > ($2::text COLLATE "C", $3::int, $4::int, $5::int))
     ORDER BY name, ${semverOrder} LIMIT $6`,
    [filter.name ?? null, after?.name ?? null, after?.major ?? null, after?.minor ?? null, after?.patch ?? null, filter.limit],
  )
  return rows
}
