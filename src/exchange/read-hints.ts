// What the last reads found, kept per process (per isolate on Workers) so that the next read can
// ask for everything it needs in one statement (repo.readContext): the tier matrix its catalogue
// view is built from, and the row filter of the grant each organisation reads each dataset under.
// A hint is only ever a guess. Each read re-reads the policy and the grants in that statement and
// decides from what it read; a wrong guess costs a second statement, never a wrong answer.

import type { Condition } from './repository.js'
import { DEFAULT_TIER_MATRIX, type TierMatrix } from './policy.js'
import { matrixOfStored } from './policy-service.js'

const MAX_ROW_FILTERS = 10_000

export class ReadHints {
  private stored: string | null | undefined
  private parsed: TierMatrix = DEFAULT_TIER_MATRIX
  private rowFilters = new Map<string, readonly Condition[]>()

  /** The matrix the last read found in force (the defaults before any read). */
  get matrix(): TierMatrix {
    return this.parsed
  }

  /** The matrix in force for the stored text readContext answered; parsed once per distinct text. */
  matrixFor(stored: string | null): TierMatrix {
    if (stored !== this.stored) {
      this.parsed = matrixOfStored(stored === null ? null : JSON.parse(stored))
      this.stored = stored
    }
    return this.parsed
  }

  /** The row filter the last read of this dataset by this organisation for this purpose ran under; [] if none is known. */
  rowFilter(orgId: string | null, datasetId: string, purpose: string | undefined): readonly Condition[] {
    return this.rowFilters.get(rowFilterKey(orgId, datasetId, purpose)) ?? []
  }

  rememberRowFilter(orgId: string | null, datasetId: string, purpose: string | undefined, filter: readonly Condition[]) {
    const key = rowFilterKey(orgId, datasetId, purpose)
    if (filter.length === 0) {
      this.rowFilters.delete(key)
      return
    }
    if (this.rowFilters.size >= MAX_ROW_FILTERS) this.rowFilters.clear()
    this.rowFilters.set(key, filter)
  }
}

const rowFilterKey = (orgId: string | null, datasetId: string, purpose: string | undefined) => `${orgId ?? ''}\u0000${datasetId}\u0000${purpose ?? ''}`
