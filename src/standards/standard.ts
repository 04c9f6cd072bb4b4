// Reads a standard's JSON Schema into a description of its data elements, following `$ref`s
// into element libraries, and checks what the schema subset can't: that a standard is a flat
// record of annotated scalar fields with a key, consistent masks and unambiguous aliases.

import {
  AGGREGATIONS,
  SENSITIVITY_LEVELS,
  isAggregation,
  isSensitivity,
  maskSpecSchema,
  sensitivityRank,
} from './annotations'
import type { Aggregation, MaskSpec, Sensitivity } from './annotations'
import { isFormatName } from './formats'
import type { FormatName } from './formats'
import { isSchemaObject, jsonEqual, pointerSegment, resolveRef, withDocument } from './json-schema'
import type { JsonSchemaObject, SchemaStore } from './json-schema'
import { columnKey } from './normalise'
import { isVersion } from './semver'
import { isAssertionKeyword, schemaTypes } from './validator'
import type { JsonType } from './validator'

export type ScalarType = Exclude<JsonType, 'object' | 'array'>
export type ScalarValue = string | number | boolean | null

/** Assertions a field may carry besides type, format and enum; compared by `diffStandards`. */
export const CONSTRAINT_KEYWORDS = [
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
] as const
export type ConstraintKeyword = (typeof CONSTRAINT_KEYWORDS)[number]

/** One field of a standard (a data element), with `$ref`s resolved and annotations read. */
export interface FieldSpec {
  readonly name: string
  readonly title: string
  readonly description?: string
  readonly types: readonly ScalarType[]
  readonly format?: FormatName
  readonly enum?: readonly ScalarValue[]
  /** Local spellings accepted for enum values, by canonical value (e.g. "1" ← 男). */
  readonly enumAliases: Readonly<Record<string, readonly string[]>>
  readonly constraints: Readonly<Partial<Record<ConstraintKeyword, string | number>>>
  readonly required: boolean
  readonly sensitivity: Sensitivity
  /** Level once the default mask is applied; equals `sensitivity` for unmasked L1 fields. */
  readonly maskedSensitivity: Sensitivity
  readonly mask?: MaskSpec
  readonly aliases: readonly string[]
  readonly aggregatable?: Aggregation
  /** Aggregates may sum and average it (x-summable): only on integer and number fields. */
  readonly summable?: true
  /**
   * Consumers may filter records on it (x-indexed): Qiao keeps an index of its values per dataset.
   * Only on string fields whose values are bounded (an enum, a format, or maxLength ≤ 256).
   */
  readonly indexed?: true
}

export interface StandardDescription {
  readonly id: string
  readonly name: string
  readonly version: string
  readonly title: string
  readonly description?: string
  readonly key: string
  readonly fields: readonly FieldSpec[]
  readonly schema: JsonSchemaObject
}

export class InvalidStandardError extends Error {
  override name = 'InvalidStandardError'
  constructor(readonly problems: readonly string[]) {
    super(`invalid standard:\n- ${problems.join('\n- ')}`)
  }
}

export interface StandardRef {
  readonly name: string
  readonly version: string
}

/** A standard's name: kebab-case, e.g. `social-org-service`. */
export const STANDARD_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
const FIELD_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

/** The `x-standard` name and version of a schema document, if it declares valid ones. */
export function standardRefOf(schema: JsonSchemaObject): StandardRef | undefined {
  const ref = schema['x-standard']
  if (!isSchemaObject(ref)) return undefined
  const { name, version } = ref
  if (typeof name !== 'string' || !STANDARD_NAME.test(name)) return undefined
  if (typeof version !== 'string' || !isVersion(version)) return undefined
  return { name, version }
}

/** True for a document of reusable data elements (`$defs` only), not a record standard. */
export function isElementLibrary(schema: JsonSchemaObject): boolean {
  return schema.properties === undefined && schema.$defs !== undefined
}

/** Describes a record standard, or throws InvalidStandardError listing every problem. */
export function describeStandard(schema: JsonSchemaObject, documents: SchemaStore): StandardDescription {
  const problems = new Problems()
  const header = standardHeader(schema, problems)
  const properties = propertiesOf(schema, problems)
  const required = requiredFields(schema, properties, problems)
  const store = withDocument(documents, schema)
  const fields: FieldSpec[] = []
  for (const [name, property] of Object.entries(properties)) {
    const where = `/properties${pointerSegment(name)}`
    if (!FIELD_NAME.test(name)) {
      problems.add(where, 'field names are snake_case: lower-case letters, digits and _')
    }
    const keywords = flattenedKeywords(property, header.id ?? '', store, where, problems)
    const field = keywords && fieldSpec(name, keywords, required.has(name), where, problems)
    if (field !== undefined) fields.push(field)
  }
  checkKey(header.key, fields, required, problems)
  checkAliasesAreUnambiguous(fields, problems)
  if (problems.list.length > 0) throw new InvalidStandardError(problems.list)
  return {
    id: header.id ?? '',
    name: header.name,
    version: header.version,
    title: header.title,
    ...(header.description === undefined ? {} : { description: header.description }),
    key: header.key,
    fields,
    schema,
  }
}

class Problems {
  readonly list: string[] = []
  add(where: string, message: string): void {
    this.list.push(`${where || '/'}: ${message}`)
  }
}

interface StandardHeader {
  readonly id: string | undefined
  readonly name: string
  readonly version: string
  readonly title: string
  readonly description: string | undefined
  readonly key: string
}

function standardHeader(schema: JsonSchemaObject, problems: Problems): StandardHeader {
  const id = typeof schema.$id === 'string' && URL.canParse(schema.$id) ? schema.$id : undefined
  if (id === undefined) problems.add('/$id', 'a standard needs an absolute $id')
  const ref = standardRefOf(schema)
  if (ref === undefined) {
    problems.add('/x-standard', 'must be {"name": kebab-case name, "version": "MAJOR.MINOR.PATCH"}')
  }
  if (typeof schema.title !== 'string' || schema.title.trim() === '') {
    problems.add('/title', 'a standard needs a title')
  }
  if (schema.description !== undefined && typeof schema.description !== 'string') {
    problems.add('/description', 'must be a string')
  }
  if (schema.type !== 'object') problems.add('/type', 'a standard describes records: type must be "object"')
  if (schema.additionalProperties !== false) {
    problems.add('/additionalProperties', 'must be false: a standard lists every field it accepts')
  }
  if (typeof schema['x-key'] !== 'string') problems.add('/x-key', 'must name the key field')
  return {
    id,
    name: ref?.name ?? '',
    version: ref?.version ?? '',
    title: typeof schema.title === 'string' ? schema.title : '',
    description: typeof schema.description === 'string' ? schema.description : undefined,
    key: typeof schema['x-key'] === 'string' ? schema['x-key'] : '',
  }
}

function propertiesOf(schema: JsonSchemaObject, problems: Problems): Record<string, unknown> {
  const properties = schema.properties
  if (!isSchemaObject(properties) || Object.keys(properties).length === 0) {
    problems.add('/properties', 'a standard needs at least one field')
    return {}
  }
  return properties
}

function requiredFields(
  schema: JsonSchemaObject,
  properties: Record<string, unknown>,
  problems: Problems,
): Set<string> {
  const required = schema.required ?? []
  if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) {
    problems.add('/required', 'must be an array of field names')
    return new Set()
  }
  for (const name of required) {
    if (!Object.hasOwn(properties, name)) problems.add('/required', `"${name}" is required but not a field`)
  }
  return new Set(required)
}

// Follows the `$ref` chain of a field and overlays each level's own keywords on what it
// references: annotations (title, x-…) are overridden, assertions are added. Redefining an
// assertion the referenced element already makes would mean something different in JSON
// Schema (both apply) than in the merged view, so it is refused.
function flattenedKeywords(
  schema: unknown,
  baseUri: string,
  documents: SchemaStore,
  where: string,
  problems: Problems,
  depth = 0,
): Record<string, unknown> | undefined {
  if (!isSchemaObject(schema)) {
    problems.add(where, 'a field must be a schema object')
    return undefined
  }
  let merged: Record<string, unknown> = {}
  if (schema.$ref !== undefined) {
    if (typeof schema.$ref !== 'string' || depth > 8) {
      problems.add(where, 'a field $ref must be a string and not circular')
      return undefined
    }
    let target
    try {
      target = resolveRef(schema.$ref, baseUri, documents)
    } catch (error) {
      problems.add(where, (error as Error).message)
      return undefined
    }
    const referenced = flattenedKeywords(
      target.schema,
      target.documentUri,
      documents,
      where,
      problems,
      depth + 1,
    )
    if (referenced === undefined) return undefined
    merged = referenced
  }
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === '$ref') continue
    if (isAssertionKeyword(keyword) && keyword in merged && !jsonEqual(merged[keyword], value)) {
      problems.add(where, `redefines "${keyword}" of the element it references; define a new element instead`)
    }
    merged[keyword] = value
  }
  return merged
}

const SCALAR_TYPES: readonly string[] = ['string', 'number', 'integer', 'boolean', 'null']

function fieldSpec(
  name: string,
  keywords: Record<string, unknown>,
  required: boolean,
  where: string,
  problems: Problems,
): FieldSpec | undefined {
  const before = problems.list.length
  const types = fieldTypes(keywords, where, problems)
  const title = keywords.title
  if (typeof title !== 'string' || title.trim() === '') problems.add(where, 'a field needs a title')
  const format = fieldFormat(keywords, types, where, problems)
  const enumValues = fieldEnum(keywords, where, problems)
  const sensitivity = keywords['x-sensitivity']
  if (!isSensitivity(sensitivity)) {
    problems.add(`${where}/x-sensitivity`, `must be one of ${SENSITIVITY_LEVELS.join(', ')}`)
  }
  const masking = fieldMasking(
    keywords,
    isSensitivity(sensitivity) ? sensitivity : 'L1',
    format,
    where,
    problems,
  )
  const aliases = stringList(keywords['x-aliases'], `${where}/x-aliases`, problems)
  const enumAliases = fieldEnumAliases(keywords, enumValues, where, problems)
  const aggregatable = fieldAggregation(keywords, format, enumValues, types, where, problems)
  const summable = fieldSummable(keywords, types, where, problems)
  const indexed = fieldIndexed(keywords, types, format, enumValues, where, problems)
  if (problems.list.length > before || typeof title !== 'string' || !isSensitivity(sensitivity)) {
    return undefined
  }
  return {
    name,
    title,
    ...(typeof keywords.description === 'string' ? { description: keywords.description } : {}),
    types,
    ...(format === undefined ? {} : { format }),
    ...(enumValues === undefined ? {} : { enum: enumValues }),
    enumAliases,
    constraints: fieldConstraints(keywords),
    required,
    sensitivity,
    maskedSensitivity: masking.maskedSensitivity,
    ...(masking.mask === undefined ? {} : { mask: masking.mask }),
    aliases,
    ...(aggregatable === undefined ? {} : { aggregatable }),
    ...(summable ? { summable } : {}),
    ...(indexed ? { indexed } : {}),
  }
}

function fieldTypes(
  keywords: Record<string, unknown>,
  where: string,
  problems: Problems,
): readonly ScalarType[] {
  let types: readonly JsonType[] | undefined
  try {
    types = schemaTypes(keywords, where)
  } catch (error) {
    problems.add(`${where}/type`, (error as Error).message)
    return []
  }
  if (
    types === undefined ||
    !types.every((type) => SCALAR_TYPES.includes(type)) ||
    types.every((t) => t === 'null')
  ) {
    problems.add(
      `${where}/type`,
      'a field needs a scalar type: string, number, integer or boolean (optionally with null)',
    )
    return []
  }
  return types as readonly ScalarType[]
}

function fieldFormat(
  keywords: Record<string, unknown>,
  types: readonly ScalarType[],
  where: string,
  problems: Problems,
): FormatName | undefined {
  const format = keywords.format
  if (format === undefined) return undefined
  if (typeof format !== 'string' || !isFormatName(format)) {
    problems.add(`${where}/format`, `unknown format ${JSON.stringify(format)}`)
    return undefined
  }
  if (!types.includes('string')) problems.add(`${where}/format`, 'a format needs type string')
  return format
}

function fieldEnum(
  keywords: Record<string, unknown>,
  where: string,
  problems: Problems,
): readonly ScalarValue[] | undefined {
  const values = keywords.enum ?? (keywords.const === undefined ? undefined : [keywords.const])
  if (values === undefined) return undefined
  if (!Array.isArray(values) || !values.every((value) => value === null || typeof value !== 'object')) {
    problems.add(`${where}/enum`, 'enum values of a field must be scalars')
    return undefined
  }
  return values as ScalarValue[]
}

interface Masking {
  readonly mask?: MaskSpec
  readonly maskedSensitivity: Sensitivity
}

function fieldMasking(
  keywords: Record<string, unknown>,
  sensitivity: Sensitivity,
  format: FormatName | undefined,
  where: string,
  problems: Problems,
): Masking {
  const rawMask = keywords['x-mask']
  const masked = keywords['x-masked-sensitivity']
  if (rawMask === undefined && masked === undefined) {
    if (sensitivity !== 'L1') problems.add(where, 'a field above L1 needs x-mask and x-masked-sensitivity')
    return { maskedSensitivity: sensitivity }
  }
  const parsed = maskSpecSchema.safeParse(rawMask)
  if (!parsed.success) {
    problems.add(
      `${where}/x-mask`,
      `invalid mask: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
    )
    return { maskedSensitivity: sensitivity }
  }
  const mask = parsed.data
  if (!isSensitivity(masked) || sensitivityRank(masked) > sensitivityRank(sensitivity)) {
    problems.add(
      `${where}/x-masked-sensitivity`,
      `must be a level no higher than x-sensitivity (${sensitivity})`,
    )
    return { mask, maskedSensitivity: sensitivity }
  }
  if (mask.type === 'date-year' && format !== 'date' && format !== 'date-time') {
    problems.add(`${where}/x-mask`, 'date-year masks need format date or date-time')
  }
  if (mask.type === 'region-prefix-n' && format !== 'cn-admin-division') {
    problems.add(`${where}/x-mask`, 'region-prefix-n masks need format cn-admin-division')
  }
  return { mask, maskedSensitivity: masked }
}

function stringList(value: unknown, where: string, problems: Problems): readonly string[] {
  if (value === undefined) return []
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === 'string' && item.trim() !== '') ||
    new Set(value).size !== value.length
  ) {
    problems.add(where, 'must be an array of distinct, non-empty strings')
    return []
  }
  return value as string[]
}

function fieldEnumAliases(
  keywords: Record<string, unknown>,
  enumValues: readonly ScalarValue[] | undefined,
  where: string,
  problems: Problems,
): Readonly<Record<string, readonly string[]>> {
  const raw = keywords['x-enum-aliases']
  if (raw === undefined) return {}
  const at = `${where}/x-enum-aliases`
  if (
    !isSchemaObject(raw) ||
    enumValues === undefined ||
    !enumValues.every((value) => typeof value === 'string')
  ) {
    problems.add(at, 'needs a string enum, and maps enum values to arrays of local spellings')
    return {}
  }
  const aliases: Record<string, readonly string[]> = {}
  for (const [value, spellings] of Object.entries(raw)) {
    if (!enumValues.includes(value)) {
      problems.add(`${at}${pointerSegment(value)}`, 'is not one of the enum values')
    }
    aliases[value] = stringList(spellings, `${at}${pointerSegment(value)}`, problems)
  }
  return aliases
}

function fieldAggregation(
  keywords: Record<string, unknown>,
  format: FormatName | undefined,
  enumValues: readonly ScalarValue[] | undefined,
  types: readonly ScalarType[],
  where: string,
  problems: Problems,
): Aggregation | undefined {
  const aggregation = keywords['x-aggregatable']
  if (aggregation === undefined) return undefined
  const at = `${where}/x-aggregatable`
  if (!isAggregation(aggregation)) {
    problems.add(at, `must be one of ${AGGREGATIONS.join(', ')}`)
    return undefined
  }
  const fits: Record<Aggregation, boolean> = {
    // Grouping by raw value only makes sense for a small, closed set of values.
    value: enumValues !== undefined || types.includes('boolean'),
    'region-prefix': format === 'cn-admin-division',
    'age-band': format === 'date',
    month: format === 'date' || format === 'date-time',
  }
  if (!fits[aggregation]) problems.add(at, `"${aggregation}" does not fit a field of this type and format`)
  return aggregation
}

function fieldSummable(keywords: Record<string, unknown>, types: readonly ScalarType[], where: string, problems: Problems): true | undefined {
  const at = `${where}/x-summable`
  if (!flagKeyword(keywords['x-summable'], at, problems)) return undefined
  if (!types.every((type) => type === 'integer' || type === 'number' || type === 'null') || !types.some((type) => type !== 'null')) {
    problems.add(at, 'only an integer or number field can be summed')
    return undefined
  }
  return true
}

/** Whether a true-or-false annotation is set; anything but a boolean is a problem at `at`. */
function flagKeyword(value: unknown, at: string, problems: Problems): boolean {
  if (value === undefined || value === false) return false
  if (value !== true) problems.add(at, 'must be true or false')
  return value === true
}

/** The longest string value an indexed field may hold: an index entry must stay well within a page. */
export const MAX_INDEXED_LENGTH = 256

function fieldIndexed(
  keywords: Record<string, unknown>,
  types: readonly ScalarType[],
  format: FormatName | undefined,
  enumValues: readonly ScalarValue[] | undefined,
  where: string,
  problems: Problems,
): true | undefined {
  const at = `${where}/x-indexed`
  if (!flagKeyword(keywords['x-indexed'], at, problems)) return undefined
  if (!types.every((type) => type === 'string' || type === 'null') || !types.includes('string')) {
    problems.add(at, 'only a string field can be indexed (filters compare values as text)')
    return undefined
  }
  const maxLength = keywords.maxLength
  const bounded = enumValues !== undefined || format !== undefined || (typeof maxLength === 'number' && maxLength <= MAX_INDEXED_LENGTH)
  if (!bounded) {
    problems.add(at, `an indexed field needs bounded values: an enum, a format, or maxLength of at most ${MAX_INDEXED_LENGTH}`)
    return undefined
  }
  return true
}

function fieldConstraints(keywords: Record<string, unknown>): FieldSpec['constraints'] {
  const constraints: Partial<Record<ConstraintKeyword, string | number>> = {}
  for (const keyword of CONSTRAINT_KEYWORDS) {
    const value = keywords[keyword]
    if (typeof value === 'string' || typeof value === 'number') constraints[keyword] = value
  }
  return constraints
}

function checkKey(
  key: string,
  fields: readonly FieldSpec[],
  required: ReadonlySet<string>,
  problems: Problems,
): void {
  if (key === '') return
  const field = fields.find((candidate) => candidate.name === key)
  if (field === undefined) {
    problems.add('/x-key', `"${key}" is not a field`)
    return
  }
  if (!required.has(key)) problems.add('/x-key', 'the key field must be required')
  if (field.types.some((type) => type !== 'string' && type !== 'integer')) {
    problems.add('/x-key', 'the key field must be a string or an integer')
  }
}

// Aliases are matched width- and case-insensitively, so two fields must not share one, and
// an alias must not be another field's name.
function checkAliasesAreUnambiguous(fields: readonly FieldSpec[], problems: Problems): void {
  const owners = new Map<string, string>()
  for (const field of fields) {
    for (const spelling of new Set([field.name, ...field.aliases].map(columnKey))) {
      const owner = owners.get(spelling)
      if (owner !== undefined && owner !== field.name) {
        problems.add(
          `/properties${pointerSegment(field.name)}/x-aliases`,
          `"${spelling}" also names the field ${owner}`,
        )
      }
      owners.set(spelling, field.name)
    }
  }
}
