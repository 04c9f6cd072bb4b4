import { describe, expect, it } from 'vitest'
import {
  decideAccess,
  type AccessDecision,
  type AccessSubject,
  type AttributeValue,
  type DatasetAccessFacts,
  type GrantFacts,
} from '../../src/exchange/decide.js'
import { DEFAULT_TIER_MATRIX, TIERS, type AccessMode, type Tier, type TierMatrix } from '../../src/exchange/policy.js'

const NOW = new Date('2026-11-23T08:00:00.000Z')
const PROVIDER = 'org_provider'
const ATTRIBUTES: AttributeValue[] = ['unconditional', 'conditional', 'none']

function dataset(tier: Tier, sharing: AttributeValue, open: AttributeValue, extra: Partial<DatasetAccessFacts> = {}): DatasetAccessFacts {
  return { id: 'ds_x', providerId: PROVIDER, providerRegionCode: '330100', tier, sharing, open, status: 'active', ...extra }
}

function subject(orgId: string, orgKind: AccessSubject['orgKind'], regionCode: string | null, roles: AccessSubject['roles'] = ['consumer']): AccessSubject {
  return { clientId: `cli_${orgId}`, orgId, orgKind, roles, regionCode }
}

const callers = {
  sameRegion: subject('org_same', 'department', '330102'),
  otherDepartment: subject('org_other', 'department', '310115'),
  social: subject('org_social', 'social_org', null),
  anonymous: undefined,
} satisfies Record<string, AccessSubject | undefined>
type Caller = keyof typeof callers

const GRANT_STATES = ['none', 'active', 'expired', 'revoked', 'other_org'] as const
type GrantState = (typeof GRANT_STATES)[number]

function grantFor(state: GrantState, caller: AccessSubject | undefined): GrantFacts | undefined {
  const base: GrantFacts = { id: 'grt_x', datasetId: 'ds_x', consumerOrgId: caller?.orgId ?? 'org_nobody', status: 'active', expiresAt: new Date(NOW.getTime() + 86_400_000) }
  switch (state) {
    case 'none':
      return undefined
    case 'active':
      return base
    case 'expired':
      return { ...base, expiresAt: new Date(NOW.getTime() - 1) }
    case 'revoked':
      return { ...base, status: 'revoked' }
    case 'other_org':
      return { ...base, consumerOrgId: 'org_someone_else' }
  }
}

interface Expected {
  decision: AccessDecision['decision']
  mode: AccessMode
  reason: AccessDecision['reason']
}

function pick(d: AccessDecision) {
  return { decision: d.decision, mode: d.mode, reason: d.reason }
}

describe('decideAccess: pinned rows (the semantics, written out by hand)', () => {
  type Row = [string, Caller, Tier, AttributeValue, AttributeValue, GrantState, AccessDecision['decision'], AccessMode, AccessDecision['reason']]
  const rows: Row[] = [
    ['L1 is direct for departments', 'otherDepartment', 'L1', 'unconditional', 'none', 'none', 'allow', 'direct', 'policy_direct'],
    ['conditional sharing narrows even L1 to approval', 'otherDepartment', 'L1', 'conditional', 'none', 'none', 'deny', 'approval', 'no_grant'],
    ['… which a grant then allows, raw', 'otherDepartment', 'L1', 'conditional', 'none', 'active', 'allow', 'approval', 'grant_active'],
    ['L2 shared unconditionally is direct', 'otherDepartment', 'L2', 'unconditional', 'none', 'none', 'allow', 'direct', 'policy_direct'],
    ['L2 shared on conditions needs approval', 'sameRegion', 'L2', 'conditional', 'none', 'none', 'deny', 'approval', 'no_grant'],
    ['L2 on conditions with a grant', 'otherDepartment', 'L2', 'conditional', 'none', 'active', 'allow', 'approval', 'grant_active'],
    ['not shared: nobody but the owner, grant or not', 'otherDepartment', 'L2', 'none', 'none', 'active', 'deny', 'none', 'sharing_none'],
    ['L3 needs approval even when shared unconditionally', 'otherDepartment', 'L3', 'unconditional', 'none', 'none', 'deny', 'approval', 'no_grant'],
    ['L3 with a grant', 'otherDepartment', 'L3', 'unconditional', 'none', 'active', 'allow', 'approval', 'grant_active'],
    ['L3 with an expired grant', 'otherDepartment', 'L3', 'unconditional', 'none', 'expired', 'deny', 'approval', 'grant_expired'],
    ['L3 with a revoked grant', 'sameRegion', 'L3', 'unconditional', 'none', 'revoked', 'deny', 'approval', 'grant_revoked'],
    ["L3 with another organisation's grant", 'otherDepartment', 'L3', 'unconditional', 'none', 'other_org', 'deny', 'approval', 'wrong_consumer'],
    ['L4 for departments is approval, masked', 'otherDepartment', 'L4', 'unconditional', 'none', 'active', 'allow', 'approval_masked', 'grant_active'],
    ['conditional sharing never widens a narrower cell', 'sameRegion', 'L4', 'conditional', 'none', 'active', 'allow', 'approval_masked', 'grant_active'],
    ['L1 opened unconditionally: social organisations read directly', 'social', 'L1', 'unconditional', 'unconditional', 'none', 'allow', 'direct', 'policy_direct'],
    ['L1 opened on conditions: social organisations apply', 'social', 'L1', 'unconditional', 'conditional', 'none', 'deny', 'approval', 'no_grant'],
    ['… and read raw once granted', 'social', 'L1', 'unconditional', 'conditional', 'active', 'allow', 'approval', 'grant_active'],
    ['not opened: no social access at any tier', 'social', 'L1', 'unconditional', 'none', 'active', 'deny', 'none', 'open_none'],
    ['L2 for society is approval, masked', 'social', 'L2', 'unconditional', 'unconditional', 'none', 'deny', 'approval_masked', 'no_grant'],
    ['L2 for society with a grant', 'social', 'L2', 'unconditional', 'unconditional', 'active', 'allow', 'approval_masked', 'grant_active'],
    ['sharing does not narrow society: the open attribute does', 'social', 'L3', 'conditional', 'conditional', 'active', 'allow', 'approval_masked', 'grant_active'],
    ['L3 for society with an expired grant', 'social', 'L3', 'unconditional', 'unconditional', 'expired', 'deny', 'approval_masked', 'grant_expired'],
    ['L4 for society: aggregates, on a grant', 'social', 'L4', 'unconditional', 'unconditional', 'active', 'allow', 'aggregate_only', 'grant_active'],
    ['L4 aggregates without a grant are refused', 'social', 'L4', 'unconditional', 'unconditional', 'none', 'deny', 'aggregate_only', 'no_grant'],
    ['L4 not opened: not even aggregates', 'social', 'L4', 'unconditional', 'none', 'active', 'deny', 'none', 'open_none'],
    ['not shared means not opened either', 'social', 'L2', 'none', 'unconditional', 'active', 'deny', 'none', 'sharing_none'],
    ['anonymous: L1 openly published', 'anonymous', 'L1', 'unconditional', 'unconditional', 'none', 'allow', 'direct', 'policy_direct'],
    ['anonymous: opened on conditions means apply, which anonymous cannot', 'anonymous', 'L1', 'unconditional', 'conditional', 'none', 'deny', 'none', 'open_conditional'],
    ['anonymous: not opened', 'anonymous', 'L1', 'unconditional', 'none', 'none', 'deny', 'none', 'open_none'],
    ['anonymous: nothing above L1', 'anonymous', 'L2', 'unconditional', 'unconditional', 'none', 'deny', 'none', 'tier_forbidden'],
    ['anonymous: nothing at L4', 'anonymous', 'L4', 'unconditional', 'unconditional', 'none', 'deny', 'none', 'tier_forbidden'],
    ['anonymous: not shared', 'anonymous', 'L1', 'none', 'none', 'none', 'deny', 'none', 'sharing_none'],
  ]

  it.each(rows)('%s', (_why, caller, tier, sharing, open, grant, decision, mode, reason) => {
    const who = callers[caller]
    const result = decideAccess(who, dataset(tier, sharing, open), DEFAULT_TIER_MATRIX, grantFor(grant, who), NOW)
    expect(pick(result), result.detail).toEqual({ decision, mode, reason })
  })

  it('marks masked and aggregate-only modes, and whether a grant is needed', () => {
    const masked = decideAccess(callers.social, dataset('L2', 'unconditional', 'unconditional'), DEFAULT_TIER_MATRIX, grantFor('active', callers.social), NOW)
    expect(masked).toMatchObject({ decision: 'allow', masked: true, aggregateOnly: false, needsGrant: true, consumerKind: 'social_org' })
    const aggregate = decideAccess(callers.social, dataset('L4', 'unconditional', 'unconditional'), DEFAULT_TIER_MATRIX, grantFor('active', callers.social), NOW)
    expect(aggregate).toMatchObject({ decision: 'allow', masked: false, aggregateOnly: true, needsGrant: true })
    const direct = decideAccess(callers.otherDepartment, dataset('L1', 'unconditional', 'none'), DEFAULT_TIER_MATRIX, undefined, NOW)
    expect(direct).toMatchObject({ decision: 'allow', masked: false, aggregateOnly: false, needsGrant: false, consumerKind: 'other_department' })
    const apply = decideAccess(callers.otherDepartment, dataset('L3', 'unconditional', 'none'), DEFAULT_TIER_MATRIX, undefined, NOW)
    expect(apply).toMatchObject({ decision: 'deny', needsGrant: true, reason: 'no_grant' })
    expect(apply.detail).toMatch(/L3/)
  })
})

describe('decideAccess: who is asking', () => {
  const l3 = dataset('L3', 'unconditional', 'unconditional')

  it('lets the owner read its own dataset directly, whatever the tier, attributes, status or role', () => {
    for (const tier of TIERS)
      for (const sharing of ATTRIBUTES)
        for (const open of ATTRIBUTES)
          for (const status of ['active', 'retired'] as const)
            for (const roles of [['publisher'], ['approver'], ['consumer']] as const) {
              const owner = subject(PROVIDER, 'department', '330100', roles)
              const result = decideAccess(owner, dataset(tier, sharing, open, { status }), DEFAULT_TIER_MATRIX, undefined, NOW)
              expect(result).toMatchObject({ decision: 'allow', mode: 'direct', reason: 'owner', masked: false, needsGrant: false, consumerKind: null })
            }
  })

  it('refuses admins and auditors: the platform does not read data through the exchange', () => {
    for (const roles of [['admin'], ['auditor'], ['admin', 'auditor']] as const) {
      const platform = subject('org_platform', 'platform', null, roles)
      expect(pick(decideAccess(platform, dataset('L1', 'unconditional', 'unconditional'), DEFAULT_TIER_MATRIX, undefined, NOW))).toEqual({
        decision: 'deny',
        mode: 'none',
        reason: 'platform_org',
      })
    }
  })

  it("refuses another organisation's client that lacks the consumer role", () => {
    const publisher = subject('org_other', 'department', '310115', ['publisher', 'approver'])
    expect(decideAccess(publisher, dataset('L1', 'unconditional', 'unconditional'), DEFAULT_TIER_MATRIX, undefined, NOW).reason).toBe('not_consumer')
  })

  it('closes a retired dataset to everyone but its owner', () => {
    const retired = dataset('L1', 'unconditional', 'unconditional', { status: 'retired' })
    for (const caller of Object.values(callers)) {
      expect(pick(decideAccess(caller, retired, DEFAULT_TIER_MATRIX, grantFor('active', caller), NOW))).toEqual({ decision: 'deny', mode: 'none', reason: 'retired' })
    }
  })

  it('refuses a grant of another dataset', () => {
    const grant = { ...grantFor('active', callers.otherDepartment)!, datasetId: 'ds_other' }
    expect(decideAccess(callers.otherDepartment, l3, DEFAULT_TIER_MATRIX, grant, NOW).reason).toBe('wrong_dataset')
  })

  it('expires a grant at its expiry instant, not a millisecond before', () => {
    const grant = { ...grantFor('active', callers.otherDepartment)!, expiresAt: NOW }
    expect(decideAccess(callers.otherDepartment, l3, DEFAULT_TIER_MATRIX, grant, NOW).reason).toBe('grant_expired')
    expect(decideAccess(callers.otherDepartment, l3, DEFAULT_TIER_MATRIX, grant, new Date(NOW.getTime() - 1)).reason).toBe('grant_active')
  })

  it('honours a grant without expiry until it is revoked, and reports revocation before expiry', () => {
    const open = { ...grantFor('active', callers.otherDepartment)!, expiresAt: null }
    expect(decideAccess(callers.otherDepartment, l3, DEFAULT_TIER_MATRIX, open, new Date('2099-01-01')).reason).toBe('grant_active')
    const both = { ...grantFor('expired', callers.otherDepartment)!, status: 'revoked' as const }
    expect(decideAccess(callers.otherDepartment, l3, DEFAULT_TIER_MATRIX, both, NOW).reason).toBe('grant_revoked')
  })
})

describe('decideAccess: the matrix is data', () => {
  const regional: TierMatrix = { ...DEFAULT_TIER_MATRIX, L3: { ...DEFAULT_TIER_MATRIX.L3, same_region_department: 'approval', other_department: 'none' } }
  const l3 = dataset('L3', 'unconditional', 'none')

  it('tells same-region departments (same prefecture) from others', () => {
    const sameCity = subject('org_district', 'department', '330106')
    const otherCity = subject('org_ningbo', 'department', '330200')
    const province = subject('org_province', 'department', '330000')
    const noRegion = subject('org_unknown', 'department', null)
    expect(decideAccess(sameCity, l3, regional, grantFor('active', sameCity), NOW)).toMatchObject({ decision: 'allow', consumerKind: 'same_region_department' })
    for (const other of [otherCity, province, noRegion]) {
      expect(decideAccess(other, l3, regional, grantFor('active', other), NOW)).toMatchObject({
        decision: 'deny',
        reason: 'tier_forbidden',
        consumerKind: 'other_department',
      })
    }
  })

  it('bounds any matrix passed to it by the ceilings', () => {
    const everythingDirect = Object.fromEntries(
      TIERS.map((t) => [t, { same_region_department: 'direct', other_department: 'direct', social_org: 'direct', anonymous: 'direct' }]),
    ) as unknown as TierMatrix
    const open = (tier: Tier) => dataset(tier, 'unconditional', 'unconditional')
    expect(pick(decideAccess(callers.social, open('L4'), everythingDirect, undefined, NOW))).toEqual({ decision: 'deny', mode: 'aggregate_only', reason: 'no_grant' })
    expect(pick(decideAccess(callers.otherDepartment, open('L3'), everythingDirect, undefined, NOW))).toEqual({ decision: 'deny', mode: 'approval', reason: 'no_grant' })
    expect(pick(decideAccess(callers.anonymous, open('L2'), everythingDirect, undefined, NOW))).toEqual({ decision: 'deny', mode: 'none', reason: 'tier_forbidden' })
  })

  it('never lets an anonymous caller through a mode that needs a grant', () => {
    const askAnonymous = { ...DEFAULT_TIER_MATRIX, L1: { ...DEFAULT_TIER_MATRIX.L1, anonymous: 'approval' as const } }
    expect(decideAccess(undefined, dataset('L1', 'unconditional', 'unconditional'), askAnonymous, undefined, NOW)).toMatchObject({ decision: 'deny', reason: 'no_grant' })
  })
})

// Every tier × consumer kind × sharing × open × grant state, against an oracle written from
// DESIGN.md's table in its own words (not from the matrix the implementation reads).
describe('decideAccess: every combination', () => {
  const designTable: Record<Tier, { department: string; social: string; anonymous: string }> = {
    L1: { department: 'direct', social: 'direct', anonymous: 'direct if openly published' },
    L2: { department: 'direct if sharing is unconditional, else approval', social: 'approval, masked', anonymous: 'none' },
    L3: { department: 'approval', social: 'approval, masked', anonymous: 'none' },
    L4: { department: 'approval, masked', social: 'aggregates only', anonymous: 'none' },
  }

  function designMode(phrase: string, sharing: AttributeValue, open: AttributeValue): AccessMode {
    switch (phrase) {
      case 'direct':
        return 'direct'
      case 'direct if sharing is unconditional, else approval':
        return sharing === 'unconditional' ? 'direct' : 'approval'
      case 'direct if openly published':
        return open === 'unconditional' ? 'direct' : 'none'
      case 'approval':
        return 'approval'
      case 'approval, masked':
        return 'approval_masked'
      case 'aggregates only':
        return 'aggregate_only'
      default:
        return 'none'
    }
  }

  function expected(caller: Caller, tier: Tier, sharing: AttributeValue, open: AttributeValue, grant: GrantState): Expected {
    const deny = (mode: AccessMode, reason: AccessDecision['reason']): Expected => ({ decision: 'deny', mode, reason })
    if (sharing === 'none') return deny('none', 'sharing_none')
    let mode: AccessMode
    if (caller === 'anonymous') {
      if (open === 'none') return deny('none', 'open_none')
      if (open === 'conditional') return deny('none', 'open_conditional')
      mode = designMode(designTable[tier].anonymous, sharing, open)
    } else if (caller === 'social') {
      if (open === 'none') return deny('none', 'open_none')
      mode = designMode(designTable[tier].social, sharing, open)
      if (open === 'conditional' && mode === 'direct') mode = 'approval'
    } else {
      mode = designMode(designTable[tier].department, sharing, open)
      if (sharing === 'conditional' && mode === 'direct') mode = 'approval'
    }
    if (mode === 'none') return deny('none', 'tier_forbidden')
    if (mode === 'direct') return { decision: 'allow', mode, reason: 'policy_direct' }
    const outcome: Record<GrantState, Expected> = {
      none: deny(mode, 'no_grant'),
      active: { decision: 'allow', mode, reason: 'grant_active' },
      expired: deny(mode, 'grant_expired'),
      revoked: deny(mode, 'grant_revoked'),
      other_org: deny(mode, 'wrong_consumer'),
    }
    return outcome[grant]
  }

  const rows: [string, Caller, Tier, AttributeValue, AttributeValue, GrantState][] = []
  for (const tier of TIERS)
    for (const caller of Object.keys(callers) as Caller[])
      for (const sharing of ATTRIBUTES)
        for (const open of ATTRIBUTES)
          for (const grant of GRANT_STATES) rows.push([`${tier} ${caller} sharing=${sharing} open=${open} grant=${grant}`, caller, tier, sharing, open, grant])

  it('covers 4 tiers × 4 kinds × 3 × 3 attributes × 5 grant states', () => {
    expect(rows).toHaveLength(720)
  })

  it.each(rows)('%s', (_name, caller, tier, sharing, open, grant) => {
    const who = callers[caller]
    const result = decideAccess(who, dataset(tier, sharing, open), DEFAULT_TIER_MATRIX, grantFor(grant, who), NOW)
    expect(pick(result), result.detail).toEqual(expected(caller, tier, sharing, open, grant))
    expect(result.masked).toBe(result.mode === 'approval_masked')
    expect(result.aggregateOnly).toBe(result.mode === 'aggregate_only')
    expect(result.needsGrant).toBe(['approval', 'approval_masked', 'aggregate_only'].includes(result.mode))
    if (result.decision === 'allow') expect(result.mode).not.toBe('none')
  })
})
