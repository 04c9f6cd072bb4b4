// Who may learn that a dataset exists. The catalogue, the DCAT export and every route that takes
// a dataset id apply the same view, so a dataset the caller may not see answers exactly like a
// missing one.

import { TIER_CEILINGS, TIERS, narrowest, type ConsumerKind, type TierMatrix } from '../exchange/policy.js'
import type { Principal } from '../http/env.js'
import type { Sensitivity } from '../standards/annotations.js'

export const ATTRIBUTES = ['unconditional', 'conditional', 'none'] as const
/** A sharing attribute (共享属性) or an open attribute (开放属性). */
export type Attribute = (typeof ATTRIBUTES)[number]

/** What one caller sees of the catalogue; repository.ts turns it into one SQL condition. */
export interface CatalogueView {
  /** Every dataset, retired ones included: the platform organisation (admins, auditors). */
  readonly everything: boolean
  /** Its own datasets in every state: the providing department. */
  readonly ownOrgId: string | null
  /**
   * Other organisations' active datasets are visible in these tiers: `sameRegion` when the
   * provider is in the caller's prefecture-level region (departments only), `otherwise` else.
   */
  readonly tiers: { readonly sameRegion: readonly Sensitivity[]; readonly otherwise: readonly Sensitivity[] }
  /** …and with one of these sharing and open attributes. */
  readonly sharing: readonly Attribute[]
  readonly open: readonly Attribute[]
}

/**
 * The view of a caller (undefined: anonymous) under the tier policy matrix: a caller may know a
 * dataset exists when the matrix (bounded by its ceilings) gives its kind of consumer some way in
 * at the dataset's tier (direct, on approval, masked or as aggregates), and the dataset's
 * attributes do not close it to that kind: sharing `none` is for the owner alone, departments see
 * the shared catalogue, social organisations what is open to society, anonymous callers what is
 * opened unconditionally. The same rules src/exchange/decide.ts applies to reads.
 */
export function catalogueView(principal: Principal | undefined, matrix: TierMatrix): CatalogueView {
  const shared: readonly Attribute[] = ['unconditional', 'conditional']
  const tiersFor = (kind: ConsumerKind) => TIERS.filter((tier) => narrowest(matrix[tier][kind], TIER_CEILINGS[tier][kind]) !== 'none')
  const uniform = (kind: ConsumerKind) => ({ sameRegion: tiersFor(kind), otherwise: tiersFor(kind) })
  if (principal === undefined) {
    return { everything: false, ownOrgId: null, tiers: uniform('anonymous'), sharing: shared, open: ['unconditional'] }
  }
  switch (principal.orgKind) {
    case 'platform':
      return { everything: true, ownOrgId: principal.orgId, tiers: { sameRegion: [], otherwise: [] }, sharing: [], open: [] }
    case 'department':
      return {
        everything: false,
        ownOrgId: principal.orgId,
        tiers: { sameRegion: tiersFor('same_region_department'), otherwise: tiersFor('other_department') },
        sharing: shared,
        open: ATTRIBUTES,
      }
    case 'social_org':
      return { everything: false, ownOrgId: principal.orgId, tiers: uniform('social_org'), sharing: shared, open: shared }
  }
}
