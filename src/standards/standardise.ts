// The one pipeline from a department's raw record to a standard record, shared by ingest,
// the dry-run check endpoint and the CLI: map column names to fields, coerce and normalise
// values, validate. Everything that depends only on the standard is prepared once by
// compileStandard; standardiseRecord does per-record work only.

import type { Clock } from './formats'
import { NO_ISSUES } from './issues'
import type { Issue } from './issues'
import { isPlainObject, pointerSegment } from './json-schema'
import type { JsonSchemaObject, SchemaStore } from './json-schema'
import { FORMAT_NORMALISERS, booleanFromText, columnKey, numberFromText } from './normalise'
import { describeStandard } from './standard'
import type { FieldSpec, StandardDescription } from './standard'
import { compileSchema } from './validator'
import type { CompiledSchema } from './validator'

/** A record in standard form: field names of the standard, canonical values. */
export type StandardRecord = Record<string, unknown>

export interface FieldPlan {
  readonly name: string
  /** Position in the standard's field order. */
  readonly index: number
  /** The raw value in standard form, or undefined when it counts as absent. */
  readonly standardValue: (raw: unknown) => unknown
}

export interface CompiledStandard {
  readonly description: StandardDescription
  readonly validator: CompiledSchema
  readonly fields: readonly FieldPlan[]
  /** The field a column name maps to (by name or alias), if any. */
  readonly fieldForColumn: (column: string) => FieldPlan | undefined
}

export interface CompileStandardOptions {
  readonly clock?: Clock
}

/** Compiles a record standard; throws InvalidStandardError or SchemaCompileError if it is not one. */
export function compileStandard(
  schema: JsonSchemaObject,
  documents: SchemaStore,
  options: CompileStandardOptions = {},
): CompiledStandard {
  const description = describeStandard(schema, documents)
  const validator = compileSchema(schema, { documents, clock: options.clock })
  const fields = description.fields.map((field, index) => ({
    name: field.name,
    index,
    standardValue: standardValueOf(field),
  }))
  return { description, validator, fields, fieldForColumn: columnResolver(description.fields, fields) }
}

// Column names repeat on every record (a CSV header, JSON keys), so resolutions are cached.
// The cache is bounded because JSON records may carry arbitrary keys.
const MAX_CACHED_COLUMNS = 4096

function columnResolver(
  specs: readonly FieldSpec[],
  plans: readonly FieldPlan[],
): (column: string) => FieldPlan | undefined {
  const bySpelling = new Map<string, FieldPlan>()
  specs.forEach((spec, i) => {
    const plan = plans[i]
    if (plan === undefined) return
    for (const spelling of [spec.name, ...spec.aliases]) bySpelling.set(columnKey(spelling), plan)
  })
  const cache = new Map<string, FieldPlan | null>()
  return (column) => {
    const cached = cache.get(column)
    if (cached !== undefined) return cached ?? undefined
    const plan = bySpelling.get(columnKey(column))
    if (cache.size < MAX_CACHED_COLUMNS) cache.set(column, plan ?? null)
    return plan
  }
}

// Builds the per-field value conversion: text is trimmed (empty means absent), then
// converted by what the field holds; numbers from JSON become text for text fields.
function standardValueOf(field: FieldSpec): (raw: unknown) => unknown {
  const acceptsNull = field.types.includes('null')
  const fromText = textConverter(field)
  const numberToText = field.types.includes('string') && !isNumeric(field)
  return (raw) => {
    if (typeof raw === 'string') {
      const text = raw.trim()
      return text === '' ? undefined : fromText(text)
    }
    if (raw === null) return acceptsNull ? null : undefined
    // An integer beyond 2^53 has already lost digits (an 18-digit id sent as a number):
    // keep it a number so validation reports the type instead of a wrong identifier.
    if (typeof raw === 'number' && numberToText && (Number.isSafeInteger(raw) || !Number.isInteger(raw))) {
      return fromText(String(raw))
    }
    return raw
  }
}

function isNumeric(field: FieldSpec): boolean {
  return field.types.includes('number') || field.types.includes('integer')
}

function textConverter(field: FieldSpec): (text: string) => unknown {
  if (field.types.includes('string')) {
    if (field.format !== undefined) return FORMAT_NORMALISERS[field.format]
    if (field.enum !== undefined) return enumNormaliser(field)
    return (text) => text
  }
  if (isNumeric(field)) return (text) => numberFromText(text) ?? text
  if (field.types.includes('boolean')) return (text) => booleanFromText(text) ?? text
  return (text) => text
}

/**
 * Local spellings (x-enum-aliases) and differently cased or full-width values become the
 * canonical value. Exact spellings are looked up before folding, which is the slow part.
 */
function enumNormaliser(field: FieldSpec): (text: string) => unknown {
  const exact = new Map<string, string>()
  const folded = new Map<string, string>()
  const add = (spelling: string, value: string) => {
    exact.set(spelling, value)
    folded.set(columnKey(spelling), value)
  }
  for (const value of field.enum ?? []) if (typeof value === 'string') add(value, value)
  for (const [value, spellings] of Object.entries(field.enumAliases)) {
    for (const spelling of spellings) add(spelling, value)
  }
  return (text) => exact.get(text) ?? folded.get(columnKey(text)) ?? text
}

export interface StandardiseOptions {
  /** What to do with a column that is neither a field nor an alias: report it (default) or drop it. */
  readonly unknown?: 'reject' | 'drop'
}

export type StandardiseResult =
  | { readonly ok: true; readonly record: StandardRecord; readonly warnings: readonly Issue[] }
  | {
      readonly ok: false
      readonly errors: readonly Issue[]
      readonly warnings: readonly Issue[]
      /** What could be standardised, for showing the publisher; never store it. */
      readonly partial: StandardRecord
    }

const NOT_A_RECORD: Issue = {
  path: '',
  code: 'type',
  message: 'expected a record (object), got something else',
}

export function standardiseRecord(
  standard: CompiledStandard,
  raw: unknown,
  options: StandardiseOptions = {},
): StandardiseResult {
  if (!isPlainObject(raw)) return { ok: false, errors: [NOT_A_RECORD], warnings: NO_ISSUES, partial: {} }
  const values: unknown[] = new Array(standard.fields.length)
  let mappingErrors: Issue[] | undefined
  for (const column of Object.keys(raw)) {
    const field = standard.fieldForColumn(column)
    if (field === undefined) {
      if (options.unknown !== 'drop') (mappingErrors ??= []).push(unknownColumn(column))
      continue
    }
    const value = field.standardValue(raw[column])
    if (value === undefined) continue
    if (values[field.index] !== undefined) (mappingErrors ??= []).push(duplicateColumn(field.name, column))
    else values[field.index] = value
  }
  const record: StandardRecord = {}
  for (const field of standard.fields) {
    const value = values[field.index]
    if (value !== undefined) record[field.name] = value
  }
  const validation = standard.validator.validate(record)
  if (mappingErrors === undefined && validation.valid) {
    return { ok: true, record, warnings: validation.warnings }
  }
  const errors = mappingErrors === undefined ? validation.errors : [...mappingErrors, ...validation.errors]
  return { ok: false, errors, warnings: validation.warnings, partial: record }
}

function unknownColumn(column: string): Issue {
  return {
    path: pointerSegment(column),
    code: 'unknown_field',
    message: 'is neither a field of the standard nor one of its aliases',
  }
}

function duplicateColumn(field: string, column: string): Issue {
  return {
    path: pointerSegment(field),
    code: 'duplicate_field',
    message: `the column "${column}" gives a second value for this field`,
  }
}
