// ReadHints.viewAndKey: a caller's catalogue view and the key of its kept read context, made once
// per principal, matrix and dataset. The key must stay what it depends on: the dataset, the
// caller's organisation and the view's content, whatever objects carry them.
import { describe, expect, it } from 'vitest'
import { catalogueView } from '../../src/catalog/visibility.js'
import { ReadHints } from '../../src/exchange/read-hints.js'
import { DEFAULT_TIER_MATRIX, type TierMatrix } from '../../src/exchange/policy.js'
import type { Principal } from '../../src/http/env.js'

const department = (orgId: string): Principal => ({ clientId: `cli_${orgId}`, orgId, orgKind: 'department', roles: ['consumer'] })

describe('ReadHints.viewAndKey', () => {
  it('answers the view catalogueView builds, and the same key for the same principal, matrix and dataset', () => {
    const hints = new ReadHints()
    const caller = department('org_a')
    const first = hints.viewAndKey(caller, DEFAULT_TIER_MATRIX, 'ds_1')
    expect(first.view).toEqual(catalogueView(caller, DEFAULT_TIER_MATRIX))
    expect(hints.viewAndKey(caller, DEFAULT_TIER_MATRIX, 'ds_1')).toEqual(first)
    expect(hints.viewAndKey(caller, DEFAULT_TIER_MATRIX, 'ds_2').key).not.toBe(first.key)
  })

  it('keys by what the context depends on, not by the objects that carry it', () => {
    const hints = new ReadHints()
    const key = (principal: Principal | undefined, matrix: TierMatrix = DEFAULT_TIER_MATRIX) => hints.viewAndKey(principal, matrix, 'ds_1').key
    // Another token of the same organisation, and an equal matrix read again: the same key.
    expect(key(department('org_a'))).toBe(key(department('org_a')))
    expect(key(department('org_a'), structuredClone(DEFAULT_TIER_MATRIX))).toBe(key(department('org_a')))
    // Another organisation, another kind of caller, the anonymous public: other keys.
    const keys = [key(department('org_a')), key(department('org_b')), key({ ...department('org_a'), orgKind: 'social_org' }), key(undefined)]
    expect(new Set(keys).size).toBe(4)
  })

  it('follows the matrix: a policy that changes the view changes the key, for a principal it has already seen', () => {
    const hints = new ReadHints()
    const caller = department('org_a')
    const before = hints.viewAndKey(caller, DEFAULT_TIER_MATRIX, 'ds_1')
    const narrowed: TierMatrix = { ...DEFAULT_TIER_MATRIX, L2: { ...DEFAULT_TIER_MATRIX.L2, other_department: 'none' } }
    const after = hints.viewAndKey(caller, narrowed, 'ds_1')
    expect(after.view).toEqual(catalogueView(caller, narrowed))
    expect(after.key).not.toBe(before.key)
    expect(hints.viewAndKey(undefined, narrowed, 'ds_1').view).toEqual(catalogueView(undefined, narrowed))
  })
})
