// The index consumers' filters read (record_index, migrations 0015 and 0016): which fields of a
// dataset it covers, and building it, in chunks, when the dataset's standard marks fields it does
// not cover yet (or no longer marks fields it covers).

import type { Queryable } from '../db/db.js'
import type { Services } from '../services.js'
import type { StandardDescription } from '../standards/standard.js'
import { getStandard } from '../standards/service.js'
import * as records from './records-repository.js'
import type { IndexState } from './records-repository.js'
import * as repo from './repository.js'

/** The fields a standard marks x-indexed, sorted: what a dataset's index should cover. */
export function indexedFieldNames(description: StandardDescription): string[] {
  return description.fields
    .filter((field) => field.indexed === true)
    .map((field) => field.name)
    .sort()
}

/** Records per chunk of a build, and index rows per chunk of a drop: each chunk is one statement. */
export const INDEX_CHUNK = 10_000

/**
 * The state an index moves to when its dataset's standard indexes `wanted` (sorted). Complete
 * fields no longer wanted, and fields being built no longer wanted, are dropped; wanted fields
 * neither complete nor being dropped are built. A build goes on from where it was when its fields
 * did not grow (every record up to `builtTo` has the rows of those fields); otherwise it restarts.
 * A field wanted again while its rows are being dropped is built once they are gone.
 */
export function nextIndexState(state: IndexState, wanted: readonly string[]): IndexState {
  const isWanted = (field: string) => wanted.includes(field)
  const dropping = sorted([...state.dropping, ...[...state.indexed, ...state.building].filter((f) => !isWanted(f))])
  const indexed = state.indexed.filter(isWanted)
  const building = wanted.filter((f) => !indexed.includes(f) && !dropping.includes(f))
  const goesOn = building.length > 0 && building.every((f) => state.building.includes(f))
  return { indexed, building, builtTo: goesOn ? state.builtTo : null, dropping }
}

/** The fields whose rows writers keep: the complete ones and those being built. */
export function maintainedFields(state: IndexState): string[] {
  return sorted([...state.indexed, ...state.building])
}

/**
 * Moves the dataset's index towards `wanted` by up to `chunks` chunks, under the dataset's lock,
 * which the caller holds (every writer of its records takes it), and saves where it got. Drops
 * come first, then the build, in key order; when the build reads fewer records than a chunk, its
 * fields are complete. Answers the state and the index rows written or deleted.
 */
export async function advanceIndex(tx: Queryable, datasetId: string, wanted: readonly string[], chunks: number, chunkSize = INDEX_CHUNK): Promise<{ state: IndexState; rows: number }> {
  const stored = await records.indexState(tx, datasetId)
  if (!stored) throw new Error(`dataset ${datasetId} is missing`)
  let state = nextIndexState(stored, wanted)
  let rows = 0
  for (let done = 0; done < chunks && !isComplete(state); done++) {
    if (state.dropping.length > 0) {
      const deleted = await records.dropIndexRows(tx, datasetId, state.dropping, chunkSize)
      rows += deleted
      if (deleted < chunkSize) state = nextIndexState({ ...state, dropping: [] }, wanted)
    } else {
      const chunk = await records.indexChunk(tx, datasetId, state.building, state.builtTo, chunkSize)
      rows += chunk.written
      state =
        chunk.records < chunkSize
          ? { indexed: sorted([...state.indexed, ...state.building]), building: [], builtTo: null, dropping: [] }
          : { ...state, builtTo: chunk.lastKey }
    }
  }
  if (!sameState(stored, state)) await records.saveIndexState(tx, datasetId, state)
  return { state, rows }
}

/** Chunks the index-records job runs per run, each its own transaction: 300,000 records a minute. */
const CHUNKS_PER_RUN = 30

/**
 * Builds (and drops) the index of datasets whose standard marks fields it does not cover, or no
 * longer marks fields it covers: records stored before the standard marked them, before
 * record_index existed, or more than an ingest's first chunk. Each chunk is one short transaction
 * under the dataset's lock, so ingests of the dataset go on between chunks. Until a field is
 * complete, its filters read the records themselves: slower, never different.
 */
export async function indexStaleDatasets(
  services: Pick<Services, 'db' | 'clock'>,
  budget: { chunks?: number; chunkSize?: number } = {},
): Promise<{ datasets: number; rows: number; waiting: number }> {
  const wantedBy = new Map<string, string[]>()
  const stale: string[] = []
  for (const state of await records.datasetIndexStates(services.db)) {
    const standard = `${state.standard_name}@${state.standard_version}`
    let wanted = wantedBy.get(standard)
    if (!wanted) {
      wanted = await wantedFields(services, state.standard_name, state.standard_version)
      wantedBy.set(standard, wanted)
    }
    if (!isComplete(state) || !sameFields(state.indexed, wanted)) stale.push(state.id)
  }
  let chunks = budget.chunks ?? CHUNKS_PER_RUN
  let rows = 0
  let completed = 0
  for (const id of stale) {
    let complete = false
    while (!complete && chunks > 0) {
      chunks--
      complete = await services.db.transaction(async (tx) => {
        const row = await repo.lockDataset(tx, id)
        if (!row || row.status !== 'active') return true
        const advanced = await advanceIndex(tx, id, await wantedFields(services, row.standard_name, row.standard_version, tx), 1, budget.chunkSize)
        rows += advanced.rows
        return isComplete(advanced.state)
      })
    }
    if (!complete) break
    completed++
  }
  return { datasets: completed, rows, waiting: stale.length - completed }
}

async function wantedFields(services: Pick<Services, 'db' | 'clock'>, name: string, version: string, q: Queryable = services.db): Promise<string[]> {
  const entry = await getStandard(services, name, version, q)
  return entry.compiled ? indexedFieldNames(entry.compiled.description) : []
}

function isComplete(state: IndexState): boolean {
  return state.building.length === 0 && state.dropping.length === 0
}

function sameState(a: IndexState, b: IndexState): boolean {
  return sameFields(a.indexed, b.indexed) && sameFields(a.building, b.building) && a.builtTo === b.builtTo && sameFields(a.dropping, b.dropping)
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i])
}

function sorted(fields: readonly string[]): string[] {
  return [...new Set(fields)].sort()
}
