// The index consumers' filters read (record_index, migration 0015): which fields of a dataset it
// covers, and completing it when the dataset's standard marks fields it does not cover yet.

import type { Queryable } from '../db/db.js'
import type { Services } from '../services.js'
import type { StandardDescription } from '../standards/standard.js'
import { getStandard } from '../standards/service.js'
import * as records from './records-repository.js'
import * as repo from './repository.js'

/** The fields a standard marks x-indexed, sorted: what a dataset's index should cover. */
export function indexedFieldNames(description: StandardDescription): string[] {
  return description.fields
    .filter((field) => field.indexed === true)
    .map((field) => field.name)
    .sort()
}

/**
 * Completes the dataset's index for `fields` when it covers others, under the dataset's lock,
 * which the caller holds (every writer of its records takes it). Answers the index rows written.
 */
export async function ensureIndexed(tx: Queryable, datasetId: string, fields: readonly string[]): Promise<number> {
  const covered = await records.indexedFields(tx, datasetId)
  if (sameFields(covered, fields)) return 0
  return records.completeIndex(tx, datasetId, fields)
}

/** Datasets the index-records job completes per run: each is one statement over its records. */
const DATASETS_PER_RUN = 20

/**
 * Completes the index of datasets whose standard marks fields it does not cover (records stored
 * before the standard marked them, or before record_index existed), a few datasets per run. Until
 * then their filters read the records themselves: slower, never different.
 */
export async function indexStaleDatasets(services: Pick<Services, 'db' | 'clock'>, limit = DATASETS_PER_RUN): Promise<{ datasets: number; rows: number; waiting: number }> {
  const wantedBy = new Map<string, string[]>()
  const stale: string[] = []
  for (const state of await records.datasetIndexStates(services.db)) {
    const standard = `${state.standard_name}@${state.standard_version}`
    let wanted = wantedBy.get(standard)
    if (!wanted) {
      wanted = await wantedFields(services, state.standard_name, state.standard_version)
      wantedBy.set(standard, wanted)
    }
    if (!sameFields(state.indexed_fields, wanted)) stale.push(state.id)
  }
  let rows = 0
  for (const id of stale.slice(0, limit)) {
    rows += await services.db.transaction(async (tx) => {
      const row = await repo.lockDataset(tx, id)
      if (!row || row.status !== 'active') return 0
      return ensureIndexed(tx, id, await wantedFields(services, row.standard_name, row.standard_version, tx))
    })
  }
  return { datasets: Math.min(stale.length, limit), rows, waiting: Math.max(0, stale.length - limit) }
}

async function wantedFields(services: Pick<Services, 'db' | 'clock'>, name: string, version: string, q: Queryable = services.db): Promise<string[]> {
  const entry = await getStandard(services, name, version, q)
  return entry.compiled ? indexedFieldNames(entry.compiled.description) : []
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((field, i) => field === b[i])
}
