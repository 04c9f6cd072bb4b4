// What the last reads found, kept per process (per isolate on Workers) so that the next read can
// ask for everything it needs in one statement: the tier matrix its catalogue view is built from,
// the row filter of the grant each organisation reads each dataset under, and each read's whole
// context with the read_context_version it was read at (migration 0021). The matrix and the row
// filters are only guesses: a read that reads its context re-reads both in that statement and
// decides from what it read, and a wrong guess costs a second statement, never a wrong answer. A
// kept context is used only when the read's own statement finds the version unmoved, that is when
// nothing it was read from has changed since (repo.readIfCurrent).

import { catalogueView, type CatalogueView } from '../catalog/visibility.js'
import type { Principal } from '../http/env.js'
import type { Condition, ReadContext } from './repository.js'
import { DEFAULT_TIER_MATRIX, type TierMatrix } from './policy.js'
import { matrixOfStored } from './policy-service.js'

const MAX_ROW_FILTERS = 10_000
const MAX_CONTEXTS = 10_000
const MAX_KEYS_PER_VIEW = 1_000

/** A read's context as readContext answered it, and what it was read at and under. */
export interface KnownContext {
  /** read_context_version when it was read. */
  version: number
  /** undefined: the dataset was not visible to the caller. */
  context: ReadContext | undefined
  /** The policy in force then, which the catalogue view was built from. */
  matrix: TierMatrix
}

/** A caller's catalogue view under one matrix, its JSON, and the context keys (contextKey) built from it, by dataset. */
interface ViewKeys {
  matrix: TierMatrix
  view: CatalogueView
  text: string
  keys: Map<string, string>
}

export class ReadHints {
  private stored: string | null | undefined
  private parsed: TierMatrix = DEFAULT_TIER_MATRIX
  private rowFilters = new Map<string, readonly Condition[]>()
  private contexts = new Map<string, KnownContext>()
  /** By principal: a verified token's principal is one object for as long as the token is cached. */
  private viewKeys = new WeakMap<Principal, ViewKeys>()
  private anonymousViewKeys: ViewKeys | undefined

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

  /**
   * The caller's catalogue view under `matrix`, and the key its read context of the dataset is kept
   * under. Both are made once per principal, matrix and dataset rather than on every read: building
   * the view, writing its JSON and the key, and hashing that key took 2.7 µs a read.
   */
  viewAndKey(principal: Principal | undefined, matrix: TierMatrix, datasetId: string): { view: CatalogueView; key: string } {
    let kept = principal ? this.viewKeys.get(principal) : this.anonymousViewKeys
    if (kept?.matrix !== matrix) {
      const view = catalogueView(principal, matrix)
      kept = { matrix, view, text: JSON.stringify(view), keys: new Map() }
      if (principal) this.viewKeys.set(principal, kept)
      else this.anonymousViewKeys = kept
    }
    let key = kept.keys.get(datasetId)
    if (key === undefined) {
      if (kept.keys.size >= MAX_KEYS_PER_VIEW) kept.keys.clear()
      key = contextKey(datasetId, principal?.orgId ?? null, kept.text)
      kept.keys.set(datasetId, key)
    }
    return { view: kept.view, key }
  }

  /** The context last read for this key (viewAndKey), if any; the caller checks it is still current. */
  knownContext(key: string): KnownContext | undefined {
    return this.contexts.get(key)
  }

  /** Keeps the newer of two contexts read concurrently. */
  rememberContext(key: string, known: KnownContext) {
    const kept = this.contexts.get(key)
    if (kept !== undefined && kept.version > known.version) return
    if (kept === undefined && this.contexts.size >= MAX_CONTEXTS) this.contexts.clear()
    this.contexts.set(key, known)
  }
}

/** What a read's context depends on besides the database: the dataset, the caller's organisation and the catalogue view's text. */
const contextKey = (datasetId: string, orgId: string | null, viewText: string) => `${datasetId}\u0000${orgId ?? ''}\u0000${viewText}`

const rowFilterKey = (orgId: string | null, datasetId: string, purpose: string | undefined) => `${orgId ?? ''}\u0000${datasetId}\u0000${purpose ?? ''}`
