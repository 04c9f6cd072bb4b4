// The one access decision of the exchange: may this caller read this dataset, and how? Pure: the
// caller loads the facts (dataset, tier policy, the consumer's grant) and records the outcome.

import type { Principal } from '../http/env.js'
import {
  TIER_CEILINGS,
  modeNeedsGrant,
  narrowest,
  sameRegion,
  type AccessMode,
  type ConsumerKind,
  type Tier,
  type TierMatrix,
} from './policy.js'

/** A sharing attribute (共享属性) or an open attribute (开放属性). */
export type AttributeValue = 'unconditional' | 'conditional' | 'none'

/** What a decision needs to know about a dataset; the catalogue's rows map onto it. */
export interface DatasetAccessFacts {
  id: string
  /** The owning department. */
  providerId: string
  /** The owning department's GB/T 2260 code: it tells same-region consumers apart. */
  providerRegionCode: string | null
  tier: Tier
  /** Towards other departments. */
  sharing: AttributeValue
  /** Towards society: social organisations and anonymous callers. */
  open: AttributeValue
  status: 'active' | 'retired'
}

/** What a decision needs to know about a grant; the grants table maps onto it. */
export interface GrantFacts {
  id: string
  datasetId: string
  consumerOrgId: string
  status: 'active' | 'revoked'
  /** Null: until revoked. */
  expiresAt: Date | null
}

/** An authenticated caller with its organisation's region code (departments; null otherwise). */
export interface AccessSubject extends Principal {
  regionCode: string | null
}

export const ACCESS_REASONS = [
  // allowed
  'owner',
  'policy_direct',
  'grant_active',
  // denied before the matrix is consulted
  'platform_org',
  'retired',
  'not_consumer',
  'sharing_none',
  'open_none',
  'open_conditional',
  // denied by the matrix
  'tier_forbidden',
  // denied for want of a valid grant
  'no_grant',
  'wrong_dataset',
  'wrong_consumer',
  'grant_revoked',
  'grant_expired',
] as const
/** A stable machine code for why access was allowed or denied; audit entries carry it. */
export type AccessReason = (typeof ACCESS_REASONS)[number]

export interface AccessDecision {
  decision: 'allow' | 'deny'
  /**
   * The mode in force for this caller after the dataset's attributes and the ceilings; `none`
   * when refused before the matrix applies. On a grant refusal it says what a grant would give.
   */
  mode: AccessMode
  /** Deliver each field masked: the grant's mask for it, or the standard's default `x-mask`. */
  masked: boolean
  /** Only counts grouped by aggregatable dimensions, small groups suppressed; never records. */
  aggregateOnly: boolean
  /** The mode requires a grant: on a denial, the caller may apply for access. */
  needsGrant: boolean
  reason: AccessReason
  /** One sentence for people: logs, problem details. */
  detail: string
  /** How the matrix classed the caller; null for the owner and for refusals made before classing it. */
  consumerKind: ConsumerKind | null
}

/**
 * Whether `subject` (undefined: anonymous) may read `dataset`, and in which mode. In order: the
 * platform organisation (admins, auditors) never reads data this way; the owner always reads its
 * own dataset directly; a retired dataset is closed to everyone else; a caller without the
 * consumer role is refused; the dataset's attributes narrow the matrix cell (which the ceilings
 * bound again, whatever matrix is passed); a mode other than direct needs an active grant of this
 * dataset to the caller's organisation. `now` decides expiry: pass the services clock.
 */
export function decideAccess(
  subject: AccessSubject | undefined,
  dataset: DatasetAccessFacts,
  policy: TierMatrix,
  grant?: GrantFacts,
  now: Date = new Date(),
): AccessDecision {
  if (subject?.orgKind === 'platform') {
    return refused('platform_org', 'the platform organisation (admins, auditors) does not read data through the exchange')
  }
  if (subject && subject.orgId === dataset.providerId) {
    return decided('allow', 'direct', 'owner', `the caller's organisation owns ${dataset.id}`, null)
  }
  if (dataset.status === 'retired') return refused('retired', `${dataset.id} is retired: only its owner reads it`)
  if (subject && !subject.roles.includes('consumer')) {
    return refused('not_consumer', "reading another organisation's data needs the consumer role")
  }
  const kind = consumerKindOf(subject, dataset)
  const narrowed = modeAfterAttributes(kind, dataset, policy)
  if (typeof narrowed !== 'string') return narrowed // refused by the dataset's attributes
  if (narrowed === 'none') return decided('deny', 'none', 'tier_forbidden', `the tier policy gives ${kind} no access to ${dataset.tier} data`, kind)
  if (narrowed === 'direct') return decided('allow', 'direct', 'policy_direct', `the tier policy gives ${kind} direct access to ${dataset.tier} data`, kind)
  return grantDecision(subject, dataset, narrowed, kind, grant, now)
}

export function consumerKindOf(subject: AccessSubject | undefined, dataset: Pick<DatasetAccessFacts, 'providerRegionCode'>): ConsumerKind {
  if (!subject) return 'anonymous'
  if (subject.orgKind === 'social_org') return 'social_org'
  return sameRegion(subject.regionCode, dataset.providerRegionCode) ? 'same_region_department' : 'other_department'
}

/**
 * The matrix cell, bounded by its ceiling, then narrowed by the dataset: sharing `none` closes it
 * to everyone but the owner; sharing governs departments and the open attribute society, where
 * `conditional` means on application (at least approval) and anonymous callers, who cannot apply,
 * get only what is opened unconditionally.
 */
function modeAfterAttributes(kind: ConsumerKind, dataset: DatasetAccessFacts, policy: TierMatrix): AccessMode | AccessDecision {
  if (dataset.sharing === 'none') return refused('sharing_none', `${dataset.id} is not shared (不予共享): only its owner reads it`, kind)
  const cell = narrowest(policy[dataset.tier][kind], TIER_CEILINGS[dataset.tier][kind])
  switch (kind) {
    case 'same_region_department':
    case 'other_department':
      return dataset.sharing === 'conditional' ? narrowest(cell, 'approval') : cell
    case 'social_org':
      if (dataset.open === 'none') return refused('open_none', `${dataset.id} is not open to society (不予开放)`, kind)
      return dataset.open === 'conditional' ? narrowest(cell, 'approval') : cell
    case 'anonymous':
      if (dataset.open === 'none') return refused('open_none', `${dataset.id} is not open to society (不予开放)`, kind)
      if (dataset.open === 'conditional') return refused('open_conditional', `${dataset.id} is open on application only (有条件开放): authenticate and apply`, kind)
      return cell
  }
}

function grantDecision(
  subject: AccessSubject | undefined,
  dataset: DatasetAccessFacts,
  mode: AccessMode,
  kind: ConsumerKind,
  grant: GrantFacts | undefined,
  now: Date,
): AccessDecision {
  const deny = (reason: AccessReason, detail: string) => decided('deny', mode, reason, detail, kind)
  if (!subject) return deny('no_grant', 'anonymous callers cannot hold a grant')
  if (!grant) return deny('no_grant', `${dataset.tier} data needs an approved access request (${mode}) for ${kind}`)
  if (grant.datasetId !== dataset.id) return deny('wrong_dataset', `grant ${grant.id} is for another dataset`)
  if (grant.consumerOrgId !== subject.orgId) return deny('wrong_consumer', `grant ${grant.id} is held by another organisation`)
  if (grant.status === 'revoked') return deny('grant_revoked', `grant ${grant.id} has been revoked`)
  if (grant.expiresAt !== null && now.getTime() >= grant.expiresAt.getTime()) {
    return deny('grant_expired', `grant ${grant.id} expired at ${grant.expiresAt.toISOString()}`)
  }
  return decided('allow', mode, 'grant_active', `grant ${grant.id} allows ${mode}`, kind)
}

function decided(decision: AccessDecision['decision'], mode: AccessMode, reason: AccessReason, detail: string, consumerKind: ConsumerKind | null): AccessDecision {
  return {
    decision,
    mode,
    masked: mode === 'approval_masked',
    aggregateOnly: mode === 'aggregate_only',
    needsGrant: modeNeedsGrant(mode),
    reason,
    detail,
    consumerKind,
  }
}

function refused(reason: AccessReason, detail: string, consumerKind: ConsumerKind | null = null): AccessDecision {
  return decided('deny', 'none', reason, detail, consumerKind)
}
