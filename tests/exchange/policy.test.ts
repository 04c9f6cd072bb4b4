import { describe, expect, it } from 'vitest'
import {
  ACCESS_MODES,
  CONSUMER_KINDS,
  DEFAULT_TIER_MATRIX,
  TIER_CEILINGS,
  TIERS,
  changedCells,
  clampToCeilings,
  isPermitted,
  isWider,
  narrowest,
  sameRegion,
  tierMatrixSchema,
  type TierMatrix,
} from '../../src/exchange/policy.js'

const withCell = (matrix: TierMatrix, tier: keyof TierMatrix, kind: keyof TierMatrix['L1'], mode: string) =>
  ({ ...matrix, [tier]: { ...matrix[tier], [kind]: mode } }) as TierMatrix

describe('the default matrix', () => {
  it("is DESIGN.md's table", () => {
    expect(DEFAULT_TIER_MATRIX).toEqual({
      L1: { same_region_department: 'direct', other_department: 'direct', social_org: 'direct', anonymous: 'direct' },
      L2: { same_region_department: 'direct', other_department: 'direct', social_org: 'approval_masked', anonymous: 'none' },
      L3: { same_region_department: 'approval', other_department: 'approval', social_org: 'approval_masked', anonymous: 'none' },
      L4: { same_region_department: 'approval_masked', other_department: 'approval_masked', social_org: 'aggregate_only', anonymous: 'none' },
    })
  })

  it('passes its own schema, as do the ceilings', () => {
    expect(tierMatrixSchema.safeParse(DEFAULT_TIER_MATRIX).success).toBe(true)
    expect(tierMatrixSchema.safeParse(TIER_CEILINGS).success).toBe(true)
  })
})

describe('modes', () => {
  it('are ordered widest first', () => {
    expect(isWider('direct', 'approval')).toBe(true)
    expect(isWider('approval_masked', 'aggregate_only')).toBe(true)
    expect(isWider('none', 'aggregate_only')).toBe(false)
    expect(narrowest('direct', 'approval')).toBe('approval')
    expect(narrowest('aggregate_only', 'approval')).toBe('aggregate_only')
  })

  it('keep anonymous callers to direct or none, within the ceilings', () => {
    expect(ACCESS_MODES.filter((m) => isPermitted('L1', 'anonymous', m))).toEqual(['direct', 'none'])
    expect(ACCESS_MODES.filter((m) => isPermitted('L2', 'anonymous', m))).toEqual(['none'])
    expect(ACCESS_MODES.filter((m) => isPermitted('L4', 'social_org', m))).toEqual(['aggregate_only', 'none'])
    expect(ACCESS_MODES.filter((m) => isPermitted('L4', 'other_department', m))).toEqual(['approval', 'approval_masked', 'aggregate_only', 'none'])
  })
})

describe('tierMatrixSchema', () => {
  it('accepts narrowing below the defaults', () => {
    const stricter = withCell(withCell(DEFAULT_TIER_MATRIX, 'L1', 'anonymous', 'none'), 'L2', 'other_department', 'approval')
    expect(tierMatrixSchema.parse(stricter)).toEqual(stricter)
  })

  it('names every bad cell at its own path: unknown mode, missing, above the ceiling, anonymous grant', () => {
    const bad = {
      ...withCell(withCell(withCell(DEFAULT_TIER_MATRIX, 'L4', 'social_org', 'approval_masked'), 'L3', 'other_department', 'directly'), 'L1', 'anonymous', 'approval'),
      L2: { same_region_department: 'direct', other_department: 'direct', social_org: 'approval_masked' },
      L5: {},
    }
    const result = tierMatrixSchema.safeParse(bad)
    expect(result.success).toBe(false)
    const issues = result.error!.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }))
    expect(issues.map((i) => i.path).sort()).toEqual(['', 'L1.anonymous', 'L2.anonymous', 'L3.other_department', 'L4.social_org'])
    expect(issues.find((i) => i.path === 'L4.social_org')!.message).toBe('approval_masked is wider than the ceiling for L4 social_org, which is aggregate_only')
    expect(issues.find((i) => i.path === 'L1.anonymous')!.message).toMatch(/anonymous callers cannot apply for a grant/)
    expect(issues.find((i) => i.path === '')!.code).toBe('unrecognized_keys')
  })

  it('refuses raw L4 data for society and L3 without approval for departments', () => {
    expect(tierMatrixSchema.safeParse(withCell(DEFAULT_TIER_MATRIX, 'L3', 'same_region_department', 'direct')).success).toBe(false)
    expect(tierMatrixSchema.safeParse(withCell(DEFAULT_TIER_MATRIX, 'L2', 'social_org', 'approval')).success).toBe(false)
    expect(tierMatrixSchema.safeParse(withCell(DEFAULT_TIER_MATRIX, 'L4', 'other_department', 'approval')).success).toBe(true)
  })
})

describe('clampToCeilings', () => {
  it('narrows each cell to the widest permitted mode no wider than it', () => {
    const wide = Object.fromEntries(TIERS.map((t) => [t, Object.fromEntries(CONSUMER_KINDS.map((k) => [k, 'direct']))])) as unknown as TierMatrix
    expect(clampToCeilings(wide)).toEqual(TIER_CEILINGS)
    expect(clampToCeilings(withCell(DEFAULT_TIER_MATRIX, 'L1', 'anonymous', 'approval')).L1.anonymous).toBe('none')
    expect(clampToCeilings(DEFAULT_TIER_MATRIX)).toEqual(DEFAULT_TIER_MATRIX)
  })
})

describe('changedCells', () => {
  it('lists the cells that differ, in matrix order', () => {
    const after = withCell(withCell(DEFAULT_TIER_MATRIX, 'L3', 'social_org', 'none'), 'L1', 'anonymous', 'none')
    expect(changedCells(DEFAULT_TIER_MATRIX, after)).toEqual([
      { tier: 'L1', consumer_kind: 'anonymous', before: 'direct', after: 'none' },
      { tier: 'L3', consumer_kind: 'social_org', before: 'approval_masked', after: 'none' },
    ])
  })
})

describe('sameRegion', () => {
  it('is the same prefecture-level division (the first four digits)', () => {
    expect(sameRegion('330102', '330100')).toBe(true)
    expect(sameRegion('110105', '110108')).toBe(true)
    expect(sameRegion('330200', '330100')).toBe(false)
    expect(sameRegion('330000', '330100')).toBe(false)
    expect(sameRegion('330000', '330000')).toBe(true)
  })

  it('is never true for a missing or malformed code', () => {
    expect(sameRegion(null, '330100')).toBe(false)
    expect(sameRegion('330100', null)).toBe(false)
    expect(sameRegion('3301', '3301')).toBe(false)
    expect(sameRegion('33010x', '330100')).toBe(false)
  })
})
