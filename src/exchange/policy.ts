// The tier policy matrix (DESIGN.md, "Tiers and the policy matrix") as data: for each tier and
// each kind of consumer, how that consumer may reach a dataset. Admins edit it
// (PUT /v1/policy/tiers) inside hard ceilings that no configuration can widen.

import { z } from 'zod'
import { SENSITIVITY_LEVELS, type Sensitivity } from '../standards/annotations.js'

export const TIERS = SENSITIVITY_LEVELS
export type Tier = Sensitivity

/**
 * Who is asking, as the matrix tells them apart. A department is "same region" when its
 * GB/T 2260 code names the same prefecture-level division as the provider's (see `sameRegion`).
 */
export const CONSUMER_KINDS = ['same_region_department', 'other_department', 'social_org', 'anonymous'] as const
export type ConsumerKind = (typeof CONSUMER_KINDS)[number]

/**
 * How a consumer may reach a dataset, widest first: raw without asking; raw with a grant; masked
 * with a grant; aggregates (small groups suppressed) with a grant; not at all. The order is total,
 * so "narrowing" is always taking the later of two modes. `direct` is the only mode that needs no
 * grant: an aggregate is an exchange too, and the grant records its purpose.
 */
export const ACCESS_MODES = ['direct', 'approval', 'approval_masked', 'aggregate_only', 'none'] as const
export type AccessMode = (typeof ACCESS_MODES)[number]

export type TierRow = Readonly<Record<ConsumerKind, AccessMode>>
export type TierMatrix = Readonly<Record<Tier, TierRow>>

/**
 * The matrix for datasets shared and opened unconditionally. A dataset's own attributes narrow it
 * (src/exchange/decide.ts): conditional sharing or opening means at least approval. That is how
 * the L2 row's "direct if sharing is unconditional, else approval" is expressed: the cell says
 * `direct`, and conditional sharing narrows it to `approval` at every tier alike.
 */
export const DEFAULT_TIER_MATRIX: TierMatrix = {
  L1: { same_region_department: 'direct', other_department: 'direct', social_org: 'direct', anonymous: 'direct' },
  L2: { same_region_department: 'direct', other_department: 'direct', social_org: 'approval_masked', anonymous: 'none' },
  L3: { same_region_department: 'approval', other_department: 'approval', social_org: 'approval_masked', anonymous: 'none' },
  L4: { same_region_department: 'approval_masked', other_department: 'approval_masked', social_org: 'aggregate_only', anonymous: 'none' },
}

/**
 * The widest mode an admin may set in each cell, from the grading (DB33/T 2350-2021): L1 is open
 * inside and outside government; L2 and L3 reach society only on approval and masked; L3 reaches
 * departments only on approval; L4 is never opened, so society gets aggregates at most, while a
 * department with a legal basis may be approved for raw values (e.g. checking identities);
 * anonymous callers get openly published L1 data and nothing else.
 */
export const TIER_CEILINGS: TierMatrix = {
  L1: { same_region_department: 'direct', other_department: 'direct', social_org: 'direct', anonymous: 'direct' },
  L2: { same_region_department: 'direct', other_department: 'direct', social_org: 'approval_masked', anonymous: 'none' },
  L3: { same_region_department: 'approval', other_department: 'approval', social_org: 'approval_masked', anonymous: 'none' },
  L4: { same_region_department: 'approval', other_department: 'approval', social_org: 'aggregate_only', anonymous: 'none' },
}

function rank(mode: AccessMode): number {
  return ACCESS_MODES.indexOf(mode)
}

export function isWider(mode: AccessMode, than: AccessMode): boolean {
  return rank(mode) < rank(than)
}

/** The narrower of two modes. */
export function narrowest(a: AccessMode, b: AccessMode): AccessMode {
  return isWider(a, b) ? b : a
}

export function modeNeedsGrant(mode: AccessMode): boolean {
  return mode === 'approval' || mode === 'approval_masked' || mode === 'aggregate_only'
}

/**
 * Whether `mode` may be set for this cell: no wider than the ceiling, and for anonymous callers
 * only modes without a grant, since nobody anonymous can apply for one.
 */
export function isPermitted(tier: Tier, kind: ConsumerKind, mode: AccessMode): boolean {
  if (isWider(mode, TIER_CEILINGS[tier][kind])) return false
  return kind !== 'anonymous' || !modeNeedsGrant(mode)
}

function permittedProblem(tier: Tier, kind: ConsumerKind, mode: AccessMode): string | undefined {
  const ceiling = TIER_CEILINGS[tier][kind]
  if (isWider(mode, ceiling)) return `${mode} is wider than the ceiling for ${tier} ${kind}, which is ${ceiling}`
  if (kind === 'anonymous' && modeNeedsGrant(mode)) return `anonymous callers cannot apply for a grant: ${tier} anonymous is direct or none`
  return undefined
}

/**
 * A stored matrix brought within today's ceilings, cell by cell, to the widest permitted mode no
 * wider than the stored one. Ceilings only ever tighten between releases, and a matrix saved under
 * older ones must not keep the wider access.
 */
export function clampToCeilings(matrix: TierMatrix): TierMatrix {
  return mapCells((tier, kind) => {
    const stored = matrix[tier][kind]
    return ACCESS_MODES.slice(rank(stored)).find((mode) => isPermitted(tier, kind, mode)) ?? 'none'
  })
}

export interface CellChange {
  tier: Tier
  consumer_kind: ConsumerKind
  before: AccessMode
  after: AccessMode
}

/** The cells that differ, in matrix order: what an audit entry of a policy change lists. */
export function changedCells(before: TierMatrix, after: TierMatrix): CellChange[] {
  return TIERS.flatMap((tier) =>
    CONSUMER_KINDS.filter((kind) => before[tier][kind] !== after[tier][kind]).map((kind) => ({
      tier,
      consumer_kind: kind,
      before: before[tier][kind],
      after: after[tier][kind],
    })),
  )
}

export function sameMatrix(a: TierMatrix, b: TierMatrix): boolean {
  return changedCells(a, b).length === 0
}

function mapCells(cell: (tier: Tier, kind: ConsumerKind) => AccessMode): TierMatrix {
  const row = (tier: Tier): TierRow => ({
    same_region_department: cell(tier, 'same_region_department'),
    other_department: cell(tier, 'other_department'),
    social_org: cell(tier, 'social_org'),
    anonymous: cell(tier, 'anonymous'),
  })
  return { L1: row('L1'), L2: row('L2'), L3: row('L3'), L4: row('L4') }
}

const PREFECTURE_DIGITS = 4

/**
 * Two departments are in the same region when their GB/T 2260 codes share the prefecture-level
 * prefix (the first four digits): a city's bureaus and its districts' and counties' bureaus are
 * one region (330100 and 330102), a neighbouring city is not (330200), and a province-level
 * department (330000) is the same region only as other province-level departments of that
 * province. A missing or malformed code is never the same region: the matrix may treat
 * other departments more strictly, so doubt goes that way.
 */
export function sameRegion(consumerRegionCode: string | null, providerRegionCode: string | null): boolean {
  if (!isRegionCode(consumerRegionCode) || !isRegionCode(providerRegionCode)) return false
  return consumerRegionCode.slice(0, PREFECTURE_DIGITS) === providerRegionCode.slice(0, PREFECTURE_DIGITS)
}

function isRegionCode(code: string | null): code is string {
  return code !== null && /^\d{6}$/.test(code)
}

// ---- validation ------------------------------------------------------------------------------

const modeSchema = z.enum(ACCESS_MODES)

function cellSchema(tier: Tier, kind: ConsumerKind) {
  return modeSchema.superRefine((mode, ctx) => {
    const problem = permittedProblem(tier, kind, mode)
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: mode })
  })
}

function rowSchema(tier: Tier) {
  return z.strictObject({
    same_region_department: cellSchema(tier, 'same_region_department'),
    other_department: cellSchema(tier, 'other_department'),
    social_org: cellSchema(tier, 'social_org'),
    anonymous: cellSchema(tier, 'anonymous'),
  })
}

/**
 * A complete matrix an admin may set: every tier and every consumer kind present, nothing else,
 * each cell a known mode within its ceiling. Each bad cell is its own issue, at its own path.
 */
export const tierMatrixSchema = z.strictObject({ L1: rowSchema('L1'), L2: rowSchema('L2'), L3: rowSchema('L3'), L4: rowSchema('L4') })

const shapeRow = z.strictObject({
  same_region_department: modeSchema,
  other_department: modeSchema,
  social_org: modeSchema,
  anonymous: modeSchema,
})

/** Every cell present with a known mode, ceilings not checked: for reading a stored matrix before clamping it. */
export const tierMatrixShapeSchema = z.strictObject({ L1: shapeRow, L2: shapeRow, L3: shapeRow, L4: shapeRow })
