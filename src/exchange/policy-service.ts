// Reading and changing the tier policy matrix. Reads never fail open: a stored matrix is brought
// within today's ceilings, and one that is not a matrix at all is an error, not the defaults.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Db, Queryable } from '../db/db.js'
import { ApiError } from '../http/errors.js'
import {
  DEFAULT_TIER_MATRIX,
  changedCells,
  clampToCeilings,
  sameMatrix,
  tierMatrixSchema,
  tierMatrixShapeSchema,
  type TierMatrix,
} from './policy.js'
import * as repo from './policy-repository.js'
import type { TierPolicyRow } from './policy-repository.js'

export interface TierPolicy {
  /** The matrix in force. */
  matrix: TierMatrix
  /** `default`: nothing stored, the built-in defaults apply; `configured`: set by an admin. */
  source: 'default' | 'configured'
  updatedAt: Date | null
  updatedBy: string | null
}

/** The matrix decisions use. One indexed single-row read: cheap enough for every request. */
export async function loadTierPolicy(q: Queryable): Promise<TierPolicy> {
  return policyOf(await repo.findTierPolicy(q))
}

export { tierPolicyVersion } from './policy-repository.js'

/**
 * Replaces the whole matrix and records the change (before, after, the cells that changed and
 * the admin's reason) in the same transaction. Setting the matrix already in force changes
 * nothing and records nothing; setting the defaults explicitly does record, since it pins them
 * against a later release's different defaults. `basedOnVersion` (tierPolicyVersion when the
 * edit began) refuses, with 409 `policy_changed`, an edit that would silently undo a change saved
 * since: it is compared under the row lock, so of two saves from one version only the first passes.
 */
export async function replaceTierPolicy(db: Db, ctx: ActionContext, input: { matrix: TierMatrix; reason?: string; basedOnVersion?: number }): Promise<TierPolicy> {
  const matrix = checkedMatrix(input.matrix)
  return db.transaction(async (tx) => {
    const before = policyOf(await repo.lockTierPolicy(tx))
    if (input.basedOnVersion !== undefined && (await repo.tierPolicyVersion(tx)) !== input.basedOnVersion) {
      throw new ApiError('conflict', 'the tier policy was changed after this edit began', { reason: 'policy_changed' })
    }
    if (before.source === 'configured' && sameMatrix(before.matrix, matrix)) return before
    const row = await repo.writeTierPolicy(tx, { matrix, updated_at: ctx.at, updated_by: ctx.actor?.clientId ?? null })
    await recordEvent(tx, ctx, {
      action: 'tier_policy.updated',
      resourceType: 'tier_policy',
      resourceId: 'tiers',
      details: {
        before: before.matrix,
        before_source: before.source,
        after: matrix,
        changes: changedCells(before.matrix, matrix),
        reason: input.reason ?? null,
      },
    })
    return policyOf(row)
  })
}

/** The route has validated already; callers outside HTTP (the CLI, tests) get the same checks. */
function checkedMatrix(matrix: TierMatrix): TierMatrix {
  const parsed = tierMatrixSchema.safeParse(matrix)
  if (parsed.success) return parsed.data
  const errors = parsed.error.issues.map((issue) => ({ path: ['tiers', ...issue.path.map(String)].join('.'), message: issue.message, code: issue.code }))
  throw new ApiError('validation_failed', `${errors.length} invalid cell${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.path).join(', ')}`, { errors })
}

/** The matrix in force for a stored matrix (null: none stored), exactly as loadTierPolicy gives it. */
export function matrixOfStored(matrix: unknown): TierMatrix {
  return policyOf({ matrix, updated_at: null, updated_by: null }).matrix
}

function policyOf(row: TierPolicyRow | undefined): TierPolicy {
  const updatedAt = row?.updated_at ?? null
  const updatedBy = row?.updated_by ?? null
  if (row === undefined || row.matrix === null) return { matrix: DEFAULT_TIER_MATRIX, source: 'default', updatedAt, updatedBy }
  const parsed = tierMatrixShapeSchema.safeParse(row.matrix)
  if (!parsed.success) throw new Error(`the stored tier policy is not a complete matrix (${parsed.error.issues[0]?.path.join('.')}): refusing to guess one`)
  return { matrix: clampToCeilings(parsed.data), source: 'configured', updatedAt, updatedBy }
}
