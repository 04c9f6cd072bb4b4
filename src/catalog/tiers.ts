// A dataset's tier: computed from its standard version (the highest x-sensitivity of its
// fields, 就高从严, as src/standards computes it), and the rules for an admin's override.

import { ApiError } from '../http/errors.js'
import { sensitivityRank, type Sensitivity } from '../standards/annotations.js'

/** Grades of GB/T 43697-2024 above general data. Qiao never exchanges such data. */
export const NEVER_EXCHANGED_GRADES = ['important', 'core'] as const
export type NeverExchangedGrade = (typeof NEVER_EXCHANGED_GRADES)[number]

export interface TierState {
  readonly computed: Sensitivity
  /** The tier in force. */
  readonly tier: Sensitivity
  readonly overridden: boolean
}

export type OverrideDirection = 'raised' | 'lowered'

/** Raised or lowered relative to the computed tier; lowered ones are flagged on supervision. */
export function overrideDirection(state: Pick<TierState, 'computed' | 'tier'>): OverrideDirection | undefined {
  const difference = sensitivityRank(state.tier) - sensitivityRank(state.computed)
  return difference > 0 ? 'raised' : difference < 0 ? 'lowered' : undefined
}

export interface OverridePlan {
  readonly tier: Sensitivity
  /** False when the new tier is the computed one: the override is cleared. */
  readonly overridden: boolean
  readonly changed: boolean
}

/**
 * What an override to `target` does, or throws why it is refused. Raising needs a reason; any
 * lowering (below the tier in force, or below the computed tier) needs a justification of at
 * least a sentence. important/core are refused: such data has no place in Qiao at any tier.
 */
export function planOverride(state: TierState, target: Sensitivity | NeverExchangedGrade, reason: string | undefined): OverridePlan {
  if (target === 'important' || target === 'core') throw neverExchanged('body.tier', target)
  const text = reason?.trim() ?? ''
  if (target === state.tier) return { tier: target, overridden: state.overridden, changed: false }
  const lowers = sensitivityRank(target) < sensitivityRank(state.tier) || sensitivityRank(target) < sensitivityRank(state.computed)
  if (lowers && !isSentence(text)) {
    throw new ApiError('validation_failed', `lowering the tier to ${target} needs a justification of at least a sentence`, {
      errors: [
        {
          path: 'body.reason',
          code: 'justification_required',
          message: 'say in at least a sentence (six words, or twelve Chinese characters) why the lower tier is safe',
        },
      ],
    })
  }
  if (!lowers && text === '') {
    throw new ApiError('validation_failed', `raising the tier to ${target} needs a reason`, {
      errors: [{ path: 'body.reason', code: 'reason_required', message: 'say why the tier is raised' }],
    })
  }
  return { tier: target, overridden: target !== state.computed, changed: true }
}

/**
 * The tier after the dataset moves to a standard version whose computed tier is `computed`.
 * A lowering override is dropped (its justification was about the previous fields), and so is a
 * raise the new computed tier has caught up with: take the higher grade when in doubt.
 */
export function tierAfterStandardChange(state: TierState, computed: Sensitivity): TierState {
  const keep = state.overridden && overrideDirection(state) === 'raised' && sensitivityRank(state.tier) > sensitivityRank(computed)
  return keep ? { computed, tier: state.tier, overridden: true } : { computed, tier: computed, overridden: false }
}

/**
 * "At least a sentence": six words, or twelve Chinese characters (about six words' worth), enough
 * to say what makes the lower tier safe (which fields are masked or dropped, and why).
 */
export function isSentence(text: string): boolean {
  const han = text.match(/\p{Script=Han}/gu)?.length ?? 0
  const words = text.replace(/\p{Script=Han}/gu, ' ').match(/[\p{L}\p{N}]+/gu)?.length ?? 0
  return words + han / 2 >= 6
}

export function neverExchanged(path: string, grade: NeverExchangedGrade | 'classified'): ApiError {
  const what = grade === 'classified' ? 'classified (涉密) data' : `${grade} data (${grade === 'core' ? '核心数据' : '重要数据'}, GB/T 43697-2024)`
  return new ApiError('unprocessable', `Qiao never exchanges ${what}: keep it out of the catalogue and use the channels the law sets for it`, {
    errors: [{ path, code: 'never_exchanged', message: `${what} is never exchanged through Qiao` }],
  })
}
