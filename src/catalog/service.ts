// The catalogue: registering datasets against a standard version, changing their metadata,
// retiring them, classifying them (computed tier, admin overrides) and showing each caller the
// part of the catalogue it may know exists. Knows nothing about HTTP; the CLI calls it too.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Queryable } from '../db/db.js'
import { loadTierPolicy } from '../exchange/policy-service.js'
import type { Principal } from '../http/env.js'
import { ApiError, type FieldProblem } from '../http/errors.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'
import type { Sensitivity } from '../standards/annotations.js'
import { getStandard, type StandardEntry } from '../standards/service.js'
import type { StandardDescription } from '../standards/standard.js'
import * as repo from './repository.js'
import type { DatasetFilter, DatasetMetadata, DatasetRow, ResourceFormat, UpdateCycle } from './repository.js'
import { attributeProblems, keyFieldProblem, relatedCodeProblems } from './rules.js'
import { neverExchanged, overrideDirection, planOverride, tierAfterStandardChange, type NeverExchangedGrade, type TierState } from './tiers.js'
import { catalogueView, type Attribute } from './visibility.js'

export type Deps = Pick<Services, 'db' | 'clock' | 'audit'>

/** One information item (信息项) of a dataset: a field of its standard, with its data type. */
export interface InformationItem {
  name: string
  title: string
  types: string[]
  format: string | null
  required: boolean
  sensitivity: Sensitivity
}

/** A catalogue entry: the stored row and the information items derived from its standard. */
export interface Dataset {
  row: DatasetRow
  items: InformationItem[]
}

export interface NewDataset {
  code: string
  name: string
  title: string
  abstract: string
  standard: { name: string; version: string }
  key_field?: string
  format: ResourceFormat
  sharing: Attribute
  sharing_conditions?: string | null
  legal_basis?: string | null
  open: Attribute
  open_conditions?: string | null
  update_cycle: UpdateCycle
  published_on?: string
  related_codes?: string[]
  /** GB/T 43697-2024 grade; only general data may be registered. */
  data_grade?: 'general' | NeverExchangedGrade
  classified?: boolean
}

export type DatasetPatch = Partial<Omit<DatasetMetadata, 'sharing_conditions' | 'legal_basis' | 'open_conditions'>> & {
  sharing_conditions?: string | null
  legal_basis?: string | null
  open_conditions?: string | null
  standard_version?: string
}

// ---------------------------------------------------------------------------------------
// Reading

/** The dataset if the caller (undefined: anonymous) may know it exists; 404 otherwise, as for a missing one. */
export async function getDataset(deps: Deps, viewer: Principal | undefined, id: string): Promise<Dataset> {
  const row = await visibleRow(deps, viewer, id)
  return (await withItems(deps, [row]))[0]!
}

export async function listDatasets(deps: Deps, viewer: Principal | undefined, filter: DatasetFilter): Promise<Dataset[]> {
  return withItems(deps, await repo.listVisibleDatasets(deps.db, await viewOf(deps, viewer), filter))
}

export async function visibleRow(deps: Pick<Deps, 'db'>, viewer: Principal | undefined, id: string): Promise<DatasetRow> {
  const row = await repo.findVisibleDataset(deps.db, await viewOf(deps, viewer), id)
  if (!row) throw datasetNotFound(id)
  return row
}

/** The caller's view under the tier policy in force (admins change it with PUT /v1/policy/tiers). */
async function viewOf(deps: Pick<Deps, 'db'>, viewer: Principal | undefined) {
  return catalogueView(viewer, (await loadTierPolicy(deps.db)).matrix)
}

export function datasetNotFound(id: string): ApiError {
  return new ApiError('not_found', `dataset ${id} not found`)
}

/** Information items come from the standard version; each version is looked up once per call. */
async function withItems(deps: Deps, rows: DatasetRow[]): Promise<Dataset[]> {
  const standards = new Map<string, Promise<StandardEntry>>()
  const itemsOf = async (row: DatasetRow) => {
    const key = `${row.standard_name}@${row.standard_version}`
    let entry = standards.get(key)
    if (entry === undefined) {
      entry = getStandard(deps, row.standard_name, row.standard_version)
      standards.set(key, entry)
    }
    return informationItems((await entry).compiled!.description)
  }
  return Promise.all(rows.map(async (row) => ({ row, items: await itemsOf(row) })))
}

function informationItems(description: StandardDescription): InformationItem[] {
  return description.fields.map((field) => ({
    name: field.name,
    title: field.title,
    types: [...field.types],
    format: field.format ?? null,
    required: field.required,
    sensitivity: field.sensitivity,
  }))
}

/** The dataset and every change of its tier, oldest first: for its provider and the platform. */
export async function tierHistory(deps: Deps, viewer: Principal, id: string): Promise<{ dataset: Dataset; changes: repo.TierChangeRow[] }> {
  const dataset = await getDataset(deps, viewer, id)
  if (viewer.orgKind !== 'platform' && viewer.orgId !== dataset.row.provider_id) {
    throw new ApiError('forbidden', "a dataset's tier history is for its provider and the platform")
  }
  return { dataset, changes: await repo.listTierChanges(deps.db, id) }
}

// ---------------------------------------------------------------------------------------
// Registering and changing

/**
 * Registers a dataset of the caller's department against a record standard version. Its tier is
 * the standard version's (就高从严). Important, core and classified data are refused outright.
 */
export async function registerDataset(deps: Deps, ctx: ActionContext, input: NewDataset): Promise<Dataset> {
  const actor = actorOf(ctx)
  if (actor.orgKind !== 'department') throw new ApiError('forbidden', 'datasets are registered by the departments that provide them')
  if (input.classified === true) throw neverExchanged('body.classified', 'classified')
  if (input.data_grade === 'important' || input.data_grade === 'core') throw neverExchanged('body.data_grade', input.data_grade)

  const standard = await recordStandard(deps, input.standard.name, input.standard.version, 'body.standard')
  const description = standard.compiled!.description
  const keyField = input.key_field ?? description.key
  const metadata = metadataOf(input, ctx.at)
  const problems = [
    ...attributeProblems(metadata),
    ...relatedCodeProblems(input.code, metadata.related_codes),
    ...optional(keyFieldProblem(description, keyField, 'body.key_field')),
  ]
  if (problems.length > 0) throw invalid(problems)

  const tier = standard.tier!
  const id = newId('ds')
  await deps.db.transaction(async (tx) => {
    if (await repo.findDatasetByCode(tx, input.code)) throw codeTaken(input.code)
    try {
      await repo.insertDataset(tx, {
        id,
        code: input.code,
        provider_id: actor.orgId,
        standard_name: standard.name,
        standard_version: standard.version,
        key_field: keyField,
        computed_tier: tier,
        tier,
        created_by: actor.clientId,
        created_at: ctx.at,
        ...metadata,
      })
    } catch (error) {
      if (repo.isUniqueViolation(error)) throw codeTaken(input.code)
      throw error
    }
    await repo.insertTierChange(tx, {
      dataset_id: id,
      at: ctx.at,
      cause: 'registered',
      standard_version: standard.version,
      computed_tier: tier,
      tier_before: null,
      tier_after: tier,
      reason: null,
      actor_client_id: actor.clientId,
    })
    await recordEvent(tx, ctx, {
      action: 'dataset.registered',
      resourceType: 'dataset',
      resourceId: id,
      datasetId: id,
      details: { code: input.code, standard: `${standard.name}@${standard.version}`, key_field: keyField, tier, sharing: metadata.sharing, open: metadata.open },
    })
  })
  return getDataset(deps, actor, id)
}

/**
 * Changes the metadata of one of the caller's department's datasets. Moving to another version of
 * its standard recomputes the tier; the code, the key field and the provider never change.
 */
export async function updateDataset(deps: Deps, ctx: ActionContext, id: string, patch: DatasetPatch): Promise<Dataset> {
  const actor = actorOf(ctx)
  const current = await ownedRow(deps, ctx, actor, id, 'dataset.update')
  const standard =
    patch.standard_version !== undefined && patch.standard_version !== current.standard_version
      ? await recordStandard(deps, current.standard_name, patch.standard_version, 'body.standard_version')
      : undefined

  await deps.db.transaction(async (tx) => {
    const before = await activeLocked(tx, id)
    const merged = mergedMetadata(before, patch)
    const problems = [...attributeProblems(merged), ...relatedCodeProblems(before.code, merged.related_codes)]
    if (standard) problems.push(...optional(keyFieldProblem(standard.compiled!.description, before.key_field, 'body.standard_version')))
    if (problems.length > 0) throw invalid(problems)

    const state: TierState = { computed: before.computed_tier, tier: before.tier, overridden: before.tier_overridden_at !== null }
    const tier = standard ? tierAfterStandardChange(state, standard.tier!) : state
    const after = { ...merged, standard_version: standard?.version ?? before.standard_version, computed_tier: tier.computed, tier: tier.tier }
    const changes = changedFields(before, after)
    if (Object.keys(changes).length === 0) return
    await repo.updateDataset(tx, id, {
      ...merged,
      standard_version: standard?.version ?? before.standard_version,
      computed_tier: tier.computed,
      tier: tier.tier,
      clear_override: state.overridden && !tier.overridden,
      updated_at: ctx.at,
    })
    if (standard) {
      await repo.insertTierChange(tx, {
        dataset_id: id,
        at: ctx.at,
        cause: 'standard_changed',
        standard_version: standard.version,
        computed_tier: tier.computed,
        tier_before: before.tier,
        tier_after: tier.tier,
        reason: state.overridden && !tier.overridden ? 'override dropped: the standard version changed' : null,
        actor_client_id: actor.clientId,
      })
    }
    await recordEvent(tx, ctx, { action: 'dataset.updated', resourceType: 'dataset', resourceId: id, datasetId: id, details: { changes } })
  })
  return getDataset(deps, actor, id)
}

/** Retires a dataset: it leaves the catalogue for everyone but its provider and the platform, reads stop, its records are kept. Idempotent. */
export async function retireDataset(deps: Deps, ctx: ActionContext, id: string): Promise<Dataset> {
  const actor = actorOf(ctx)
  if (actor.orgKind === 'platform' && actor.roles.includes('admin')) await visibleRow(deps, actor, id)
  else await ownedRow(deps, ctx, actor, id, 'dataset.retire')
  await deps.db.transaction(async (tx) => {
    const row = await repo.lockDataset(tx, id)
    if (!row) throw datasetNotFound(id)
    if (row.status === 'retired') return
    await repo.retireDataset(tx, id, ctx.at)
    await recordEvent(tx, ctx, {
      action: 'dataset.retired',
      resourceType: 'dataset',
      resourceId: id,
      datasetId: id,
      details: { code: row.code, records_kept: row.record_count },
    })
  })
  return getDataset(deps, actor, id)
}

/**
 * An admin sets the tier in force. Raising needs a reason; lowering needs a justification of at
 * least a sentence, and a tier below the computed one is flagged on supervision. Setting the
 * computed tier clears the override. Audited with the tier before and after.
 */
export async function overrideTier(
  deps: Deps,
  ctx: ActionContext,
  id: string,
  input: { tier: Sensitivity | NeverExchangedGrade; reason?: string },
): Promise<Dataset> {
  const actor = actorOf(ctx)
  await deps.db.transaction(async (tx) => {
    const row = await activeLocked(tx, id)
    const state: TierState = { computed: row.computed_tier, tier: row.tier, overridden: row.tier_overridden_at !== null }
    const plan = planOverride(state, input.tier, input.reason)
    if (!plan.changed) return
    const reason = (input.reason ?? '').trim()
    await repo.setTier(tx, id, { tier: plan.tier, override: plan.overridden ? { reason, by: actor.clientId, at: ctx.at } : null }, ctx.at)
    await repo.insertTierChange(tx, {
      dataset_id: id,
      at: ctx.at,
      cause: 'override',
      standard_version: row.standard_version,
      computed_tier: row.computed_tier,
      tier_before: row.tier,
      tier_after: plan.tier,
      reason,
      actor_client_id: actor.clientId,
    })
    await recordEvent(tx, ctx, {
      action: 'dataset.tier_overridden',
      resourceType: 'dataset',
      resourceId: id,
      datasetId: id,
      reason,
      details: {
        before: { tier: row.tier, overridden: state.overridden },
        after: { tier: plan.tier, overridden: plan.overridden },
        computed_tier: row.computed_tier,
        below_computed: overrideDirection({ computed: row.computed_tier, tier: plan.tier }) === 'lowered',
      },
    })
  })
  return getDataset(deps, actor, id)
}

// ---------------------------------------------------------------------------------------
// Helpers shared with ingest

export function actorOf(ctx: ActionContext): Principal {
  if (!ctx.actor) throw new ApiError('unauthorized', 'a bearer access token is required')
  return ctx.actor
}

/**
 * The dataset, if the caller's organisation provides it. A dataset the caller can see but does not
 * own is a 403 (and the attempt is audited); one it cannot see is the same 404 as a missing one.
 */
export async function ownedRow(deps: Deps, ctx: ActionContext, actor: Principal, id: string, action: string): Promise<DatasetRow> {
  const row = await visibleRow(deps, actor, id)
  if (row.provider_id !== actor.orgId) {
    const reason = 'only the providing department may change a dataset or its records'
    await deps.audit.append(ctx, { action, resourceType: 'dataset', resourceId: id, datasetId: id, decision: 'denied', reason })
    throw new ApiError('forbidden', reason)
  }
  return row
}

/** The dataset locked for a change in this transaction; 409 once retired. */
export async function activeLocked(tx: Queryable, id: string): Promise<DatasetRow> {
  const row = await repo.lockDataset(tx, id)
  if (!row) throw datasetNotFound(id)
  if (row.status === 'retired') throw new ApiError('conflict', `dataset ${id} is retired`)
  return row
}

/** A record standard version, or a validation problem at `path` naming what is wrong with the reference. */
async function recordStandard(deps: Deps, name: string, version: string, path: string): Promise<StandardEntry> {
  let entry: StandardEntry
  try {
    entry = await getStandard(deps, name, version)
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') {
      throw invalid([{ path, code: 'unknown_standard', message: `there is no standard ${name} ${version}` }])
    }
    throw error
  }
  if (entry.compiled === undefined || entry.tier === undefined) {
    throw invalid([{ path, code: 'not_a_record_standard', message: `${name} ${entry.version} is a library of data elements; datasets follow record standards` }])
  }
  return entry
}

function metadataOf(input: NewDataset, at: Date): DatasetMetadata {
  return {
    name: input.name,
    title: input.title,
    abstract: input.abstract,
    format: input.format,
    sharing: input.sharing,
    sharing_conditions: input.sharing_conditions ?? null,
    legal_basis: input.legal_basis ?? null,
    open: input.open,
    open_conditions: input.open_conditions ?? null,
    update_cycle: input.update_cycle,
    published_on: input.published_on ?? chinaDate(at),
    related_codes: input.related_codes ?? [],
  }
}

function mergedMetadata(row: DatasetRow, patch: DatasetPatch): DatasetMetadata {
  const pick = <K extends keyof DatasetMetadata>(key: K): DatasetMetadata[K] => (patch[key] === undefined ? row[key] : (patch[key] as DatasetMetadata[K]))
  return {
    name: pick('name'),
    title: pick('title'),
    abstract: pick('abstract'),
    format: pick('format'),
    sharing: pick('sharing'),
    sharing_conditions: pick('sharing_conditions'),
    legal_basis: pick('legal_basis'),
    open: pick('open'),
    open_conditions: pick('open_conditions'),
    update_cycle: pick('update_cycle'),
    published_on: pick('published_on'),
    related_codes: pick('related_codes'),
  }
}

function changedFields(before: DatasetRow, after: Record<string, unknown>): Record<string, { before: unknown; after: unknown }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {}
  for (const [field, value] of Object.entries(after)) {
    const previous = before[field as keyof DatasetRow]
    if (JSON.stringify(previous) !== JSON.stringify(value)) changes[field] = { before: previous, after: value }
  }
  return changes
}

/** The calendar date in China Standard Time (UTC+8, no daylight saving). */
function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10)
}

function codeTaken(code: string): ApiError {
  return new ApiError('conflict', `a dataset with resource code ${code} is already registered`)
}

function invalid(problems: FieldProblem[]): ApiError {
  return new ApiError('validation_failed', problems.map((p) => `${p.path}: ${p.message}`).join('; '), { errors: problems })
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value]
}
