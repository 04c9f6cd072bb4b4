// The standards registry: the shipped standards (schemas/, part of the code) plus the versions
// admins publish (the `standards` table), behind one set of functions. Both kinds compile
// through the same compileStandard, into closures (no eval: Workers forbid it), once per
// process: a version is immutable, so a compiled validator never goes stale.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Db, Queryable } from '../db/db.js'
import { ApiError, type FieldProblem } from '../http/errors.js'
import type { Clock, Services } from '../services.js'
import type { Sensitivity } from './annotations.js'
import { checkNewVersion, type StandardChange } from './diff.js'
import { DRAFT_2020_12, jsonEqual, pointerTokens, type JsonSchemaObject } from './json-schema.js'
import { mediaTypeOf, parseRecords, UnsupportedMediaTypeError, type RecordSource } from './parse-records.js'
import { shippedCatalog, standardTier, type StandardCatalog } from './registry-core.js'
import { checkRecords, type CheckReport } from './report.js'
import * as repo from './repository.js'
import type { StandardRow, StandardSummaryRow } from './repository.js'
import { compareVersions, parseVersion, type Bump } from './semver.js'
import { describeStandard, InvalidStandardError } from './standard.js'
import { compileStandard, type CompiledStandard, type StandardiseOptions } from './standardise.js'
import { compileSchema, SchemaCompileError } from './validator.js'

export type StandardSource = 'shipped' | 'published'
export type StandardKind = 'record' | 'elements'

/** One version of a standard, shipped or published, as the API shows it. */
export interface StandardEntry {
  name: string
  version: string
  title: string
  kind: StandardKind
  source: StandardSource
  /** Undefined for an element library. */
  tier: Sensitivity | undefined
  schema: JsonSchemaObject
  /** Compiled once per process; undefined for an element library. */
  compiled: CompiledStandard | undefined
  publishedAt: Date | null
  publishedBy: string | null
  sensitivityReviewed: boolean
}

export interface StandardSummary {
  name: string
  version: string
  title: string
  kind: StandardKind
  source: StandardSource
  tier: Sensitivity | undefined
}

type Deps = Pick<Services, 'db' | 'clock'>

/** `$id` of every standard document: relative `$ref`s (`../base/1.0.0#/$defs/…`) resolve against it. */
export function standardId(name: string, version: string): string {
  return `https://qiao.example/schemas/${name}/${version}`
}

// ---------------------------------------------------------------------------------------
// Compiled standards, per process

interface CompiledStandards {
  readonly shipped: StandardCatalog
  /** Published versions by name@version, with the publication time as a guard against a reset database. */
  readonly published: Map<string, { publishedAt: number; standard: CompiledStandard }>
}

// A compiled validator captures its clock (a birth date may not be in the future), so the
// cache is per clock: one per process in production (the system clock), one per test world.
const compiledByClock = new WeakMap<Clock, CompiledStandards>()

function compiledFor(clock: Clock): CompiledStandards {
  let compiled = compiledByClock.get(clock)
  if (compiled === undefined) {
    compiled = { shipped: shippedCatalog({ clock: () => clock.now().getTime() }), published: new Map() }
    compiledByClock.set(clock, compiled)
  }
  return compiled
}

// The shipped documents are constants; a published standard may `$ref` them and nothing else,
// which keeps each published standard's compilation independent of later publications.
const shipped = shippedCatalog()

function compiledPublished(clock: Clock, row: StandardRow): CompiledStandard {
  const cache = compiledFor(clock).published
  const key = `${row.name}@${row.version}`
  const publishedAt = row.published_at.getTime()
  const hit = cache.get(key)
  if (hit?.publishedAt === publishedAt) return hit.standard
  const standard = compileStandard(row.schema, shipped.documents, { clock: () => clock.now().getTime() })
  cache.set(key, { publishedAt, standard })
  return standard
}

// ---------------------------------------------------------------------------------------
// Reading

export interface ListFilter {
  name?: string
  /** The last item of the previous page. */
  after?: { name: string; version: string }
  limit: number
}

/** Shipped and published versions in (name, semantic version) order, at most `limit`. */
export async function listStandards(db: Db, filter: ListFilter): Promise<StandardSummary[]> {
  const { after } = filter
  const afterVersion = after && parseVersion(after.version)
  const published = await repo.listStandards(db, {
    name: filter.name,
    after: after && afterVersion ? { name: after.name, ...afterVersion } : undefined,
    limit: filter.limit,
  })
  const fromShipped = shipped
    .list()
    .filter((s) => (filter.name === undefined || s.name === filter.name) && (after === undefined || compareEntries(s, after) > 0))
    .map((s): StandardSummary => ({ name: s.name, version: s.version, title: s.title, kind: s.kind, source: 'shipped', tier: s.tier }))
  return [...fromShipped, ...published.map(summaryOfRow)].sort(compareEntries).slice(0, filter.limit)
}

function summaryOfRow(row: StandardSummaryRow): StandardSummary {
  return { name: row.name, version: row.version, title: row.title, kind: 'record', source: 'published', tier: row.tier }
}

// Names compare by code point, like the table's COLLATE "C".
function compareEntries(a: { name: string; version: string }, b: { name: string; version: string }): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1
  return compareVersions(a.version, b.version)
}

/** One version of a standard; `version` may be `latest`. 404 when there is no such version. */
/** `q`: the transaction to read in, when the caller holds one (PGlite has a single connection). */
export async function getStandard(deps: Deps, name: string, version: string, q: Queryable = deps.db): Promise<StandardEntry> {
  const entry = version === 'latest' ? await latestEntry(deps, q, name) : await findEntry(deps, q, name, version)
  if (!entry) throw new ApiError('not_found', version === 'latest' ? `standard ${name} not found` : `standard ${name} ${version} not found`)
  return entry
}

/** The highest version of `name`, shipped or published, optionally within one major version. */
async function latestEntry(deps: Deps, q: Queryable, name: string, major?: number): Promise<StandardEntry | undefined> {
  const shippedVersion = shipped
    .list()
    .filter((s) => s.name === name && (major === undefined || parseVersion(s.version)?.major === major))
    .at(-1)?.version
  const row = await repo.findLatestStandard(q, name, major)
  if (row && (shippedVersion === undefined || compareVersions(row.version, shippedVersion) > 0)) {
    return publishedEntryOf(row, compiledPublished(deps.clock, row))
  }
  return shippedVersion === undefined ? undefined : shippedEntryOf(deps.clock, name, shippedVersion)
}

async function findEntry(deps: Deps, q: Queryable, name: string, version: string): Promise<StandardEntry | undefined> {
  const shippedEntry = shippedEntryOf(deps.clock, name, version)
  if (shippedEntry) return shippedEntry
  if (parseVersion(version) === undefined) return undefined
  const row = await repo.findStandard(q, name, version)
  return row && publishedEntryOf(row, compiledPublished(deps.clock, row))
}

function shippedEntryOf(clock: Clock, name: string, version: string): StandardEntry | undefined {
  const schema = shipped.schema(name, version)
  if (schema === undefined) return undefined
  const summary = shipped.list().find((s) => s.name === name && s.version === version)!
  return {
    name,
    version,
    title: summary.title,
    kind: summary.kind,
    source: 'shipped',
    tier: summary.tier,
    schema,
    compiled: summary.kind === 'record' ? compiledFor(clock).shipped.compiled(name, version) : undefined,
    publishedAt: null,
    publishedBy: null,
    sensitivityReviewed: false,
  }
}

function publishedEntryOf(row: StandardRow, compiled: CompiledStandard): StandardEntry {
  return {
    name: row.name,
    version: row.version,
    title: row.title,
    kind: 'record',
    source: 'published',
    tier: row.tier,
    schema: row.schema,
    compiled,
    publishedAt: row.published_at,
    publishedBy: row.published_by,
    sensitivityReviewed: row.sensitivity_reviewed,
  }
}

/** The compiled record standard records are checked against; `version` may be `latest`. */
export async function compiledStandard(deps: Deps, name: string, version: string): Promise<CompiledStandard> {
  const entry = await getStandard(deps, name, version)
  if (entry.compiled === undefined) {
    throw new ApiError('unprocessable', `${name} ${entry.version} is a library of data elements, not a record standard: records conform to record standards`)
  }
  return entry.compiled
}

// ---------------------------------------------------------------------------------------
// Publishing

export interface NewStandard {
  name: string
  version: string
  title: string
  schema: Record<string, unknown>
  sensitivity_reviewed?: boolean
}

// Serialises publications of one standard, so two versions of one major can't both be
// compared with the same predecessor. Two-key form: this constant and hashtext(name).
const PUBLISH_LOCK = 741_120

/**
 * Publishes a new version: the schema must compile as a record standard; the version must be
 * new and, within its major, higher than every version so far; and the change from the latest
 * version of the same major must fit the version step (a breaking change needs a new major).
 * Audited as standard.published in the same transaction.
 */
export async function publishStandard(deps: Deps, ctx: ActionContext, input: NewStandard): Promise<StandardEntry> {
  const { name, version } = input
  const parts = parseVersion(version)
  if (parts === undefined) throw invalidField('body.version', 'version', 'version must be MAJOR.MINOR.PATCH')
  const document = standardDocument(input)
  const standard = compileForPublication(document, deps.clock)
  const reviewed = input.sensitivity_reviewed === true

  const row = await deps.db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PUBLISH_LOCK, name])
    if (shipped.list().some((s) => s.name === name && s.kind === 'elements')) {
      throw new ApiError('conflict', `${name} is a shipped library of data elements; publish record standards under another name`)
    }
    if (shipped.schema(name, version) !== undefined || (await repo.findStandard(tx, name, version))) {
      throw new ApiError('conflict', `${name} ${version} already exists; published versions are immutable, publish a new version`)
    }
    const previous = await latestEntry(deps, tx, name, parts.major)
    let changes: readonly StandardChange[] = []
    if (previous) {
      if (compareVersions(version, previous.version) < 0) {
        throw new ApiError('conflict', `${name} ${version} is lower than ${previous.version}, the latest of major version ${parts.major}`)
      }
      const check = checkNewVersion(previous.compiled!.description, standard.description, { sensitivityReviewed: reviewed })
      if (!check.ok) throw incompatibleVersion(name, version, previous.version, check.required, check.changes, check.actual)
      changes = check.changes
    }
    const raisedSensitivity = changes.some((c) => c.kind === 'sensitivity_raised')
    const inserted = await repo.insertStandard(tx, {
      name,
      version,
      ...parts,
      title: input.title,
      tier: standardTier(standard.description.fields),
      schema: document,
      published_at: ctx.at,
      published_by: ctx.actor?.clientId ?? null,
      // Like uscc_reviewed: true only when the review let something through.
      sensitivity_reviewed: reviewed && raisedSensitivity,
    })
    await recordEvent(tx, ctx, {
      action: 'standard.published',
      resourceType: 'standard',
      resourceId: `${name}@${version}`,
      details: {
        name,
        version,
        tier: inserted.tier,
        previous_version: previous?.version ?? null,
        changes: changes.map((c) => ({ kind: c.kind, path: c.path })),
        sensitivity_reviewed: inserted.sensitivity_reviewed,
      },
    })
    return inserted
  })
  compiledFor(deps.clock).published.set(`${name}@${version}`, { publishedAt: row.published_at.getTime(), standard })
  return publishedEntryOf(row, standard)
}

/**
 * The document to store: the submitted schema with its header (`$schema`, `$id`, `title`,
 * `x-standard`) filled in from the request. A header the schema states itself must agree.
 */
function standardDocument(input: NewStandard): JsonSchemaObject {
  const header = {
    $schema: DRAFT_2020_12,
    $id: standardId(input.name, input.version),
    title: input.title,
    'x-standard': { name: input.name, version: input.version },
  }
  const problems: FieldProblem[] = []
  for (const [keyword, expected] of Object.entries(header)) {
    const given = input.schema[keyword]
    if (given !== undefined && !jsonEqual(given, expected)) {
      problems.push({
        path: `body.schema.${keyword}`,
        code: 'header_mismatch',
        message: `must be ${JSON.stringify(expected)} (from the request's name, version and title), or be left out`,
      })
    }
  }
  if (problems.length > 0) {
    throw new ApiError('validation_failed', `the schema's header disagrees with the request: ${problems.map((p) => p.path).join(', ')}`, { errors: problems })
  }
  return { ...header, ...input.schema }
}

/** Compiles a submitted standard, or throws validation_failed listing every problem found. */
function compileForPublication(document: JsonSchemaObject, clock: Clock): CompiledStandard {
  const problems: FieldProblem[] = []
  try {
    compileSchema(document, { documents: shipped.documents })
  } catch (error) {
    if (!(error instanceof SchemaCompileError)) throw error
    problems.push(compileProblem(error, document))
  }
  try {
    describeStandard(document, shipped.documents)
  } catch (error) {
    if (!(error instanceof InvalidStandardError)) throw error
    problems.push(...error.problems.map(standardProblem))
  }
  if (problems.length > 0) {
    throw new ApiError(
      'validation_failed',
      `the schema is not a standard Qiao can enforce (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems[0]!.message}`,
      { errors: problems },
    )
  }
  return compileStandard(document, shipped.documents, { clock: () => clock.now().getTime() })
}

function compileProblem(error: SchemaCompileError, document: JsonSchemaObject): FieldProblem {
  const hash = error.location.indexOf('#')
  const base = error.location.slice(0, hash)
  const pointer = error.location.slice(hash + 1)
  const inDocument = base === document.$id
  const keyword = error.keyword === '' ? [] : [error.keyword]
  return {
    path: inDocument ? schemaPath(pointer, ...keyword) : 'body.schema',
    code: error.message.startsWith('unsupported keyword') ? 'unsupported_keyword' : 'invalid_schema',
    message: error.message,
  }
}

// InvalidStandardError lists "<JSON Pointer>: <message>".
function standardProblem(problem: string): FieldProblem {
  const split = problem.indexOf(': ')
  const pointer = split < 0 ? '' : problem.slice(0, split)
  const message = split < 0 ? problem : problem.slice(split + 2)
  return { path: schemaPath(pointer === '/' ? '' : pointer), code: 'invalid_standard', message }
}

/** `body.schema.properties.mobile.type` for the JSON Pointer `/properties/mobile/type`. */
function schemaPath(pointer: string, ...more: string[]): string {
  let tokens: string[]
  try {
    tokens = pointerTokens(pointer)
  } catch {
    tokens = []
  }
  return ['body.schema', ...tokens, ...more].join('.')
}

const NEXT_VERSION_HINT: Record<Bump, (prev: { major: number; minor: number; patch: number }) => string> = {
  major: (v) => `${v.major + 1}.0.0`,
  minor: (v) => `${v.major}.${v.minor + 1}.0`,
  patch: (v) => `${v.major}.${v.minor}.${v.patch + 1}`,
}

function incompatibleVersion(
  name: string,
  version: string,
  previous: string,
  required: Bump,
  changes: readonly StandardChange[],
  actual: Bump | undefined,
): ApiError {
  const blocking = required === 'major' ? changes.filter((c) => c.breaking) : changes
  const hint = NEXT_VERSION_HINT[required](parseVersion(previous)!)
  const onlySensitivity = blocking.every((c) => c.kind === 'sensitivity_raised')
  const detail =
    required === 'major'
      ? `${name} ${version} breaks compatibility with ${previous} (${blocking.length} breaking change${blocking.length === 1 ? '' : 's'}): publish it as a new major version, ${hint}` +
        (onlySensitivity ? ', or send sensitivity_reviewed: true once grants and tiers have been re-assessed' : '')
      : `${name} ${version} changes fields of ${previous}, which needs at least a minor version: publish it as ${hint}`
  return new ApiError('unprocessable', detail, {
    errors: blocking.map((c) => ({ path: schemaPath(c.path), code: c.kind, message: c.message })),
    previous_version: previous,
    required_bump: required,
    ...(actual === undefined ? {} : { actual_bump: actual }),
  })
}

function invalidField(path: string, code: string, message: string): ApiError {
  return new ApiError('validation_failed', message, { errors: [{ path, code, message }] })
}

// ---------------------------------------------------------------------------------------
// Checking

export interface Upload {
  body: RecordSource | null
  contentType: string | undefined
}

/**
 * The dry run: standardises and validates every record of the upload, streamed, against a
 * standard, and answers the conformance report. Stores nothing.
 */
export async function checkUpload(
  deps: Deps,
  name: string,
  version: string,
  upload: Upload,
  options: StandardiseOptions = {},
): Promise<CheckReport> {
  const contentType = upload.contentType ?? ''
  if (mediaTypeOf(contentType) === undefined) {
    throw new ApiError('unsupported_media_type', `send records as application/json (an array), application/x-ndjson or text/csv, not ${contentType || 'no content type'}`)
  }
  const standard = await compiledStandard(deps, name, version)
  if (upload.body === null) throw new ApiError('bad_request', 'send the records to check in the request body')
  let rows
  try {
    rows = parseRecords(upload.body, contentType)
  } catch (error) {
    if (error instanceof UnsupportedMediaTypeError) throw new ApiError('unsupported_media_type', error.message)
    throw error
  }
  return checkRecords(standard, rows, options)
}
