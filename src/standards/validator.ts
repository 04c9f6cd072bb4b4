// A JSON Schema 2020-12 validator for the subset Qiao's standards use. A schema is compiled
// once into a tree of closures and then validates many records without re-reading the
// schema. No eval or new Function: it has to run on Cloudflare Workers. A keyword outside
// the subset is a compile error, so a published standard can't rely on a rule we ignore.

import { FORMAT_CHECKS, isFormatName } from './formats'
import type { Clock } from './formats'
import { IssueCollector } from './issues'
import type { SchemaIssueCode, ValidationResult } from './issues'
import {
  DRAFT_2020_12,
  documentUri,
  isPlainObject,
  isSchemaObject,
  jsonEqual,
  pointerSegment,
  resolveRef,
  withDocument,
} from './json-schema'
import type { JsonSchema, JsonSchemaObject, SchemaStore } from './json-schema'

export interface CompiledSchema {
  validate(value: unknown): ValidationResult
}

export interface CompileOptions {
  /** Documents that `$ref`s may point into, by `$id`. */
  readonly documents?: SchemaStore
  /** Used by checks that depend on today's date (a birth date can't be in the future). */
  readonly clock?: Clock
}

export class SchemaCompileError extends Error {
  override name = 'SchemaCompileError'
  constructor(
    /** Where in which document: `<$id>#<JSON Pointer>`. */
    readonly location: string,
    readonly keyword: string,
    detail: string,
  ) {
    super(`${detail} (keyword "${keyword}" at ${location})`)
  }
}

export function compileSchema(schema: JsonSchema, options: CompileOptions = {}): CompiledSchema {
  const document = isSchemaObject(schema) ? schema : {}
  const context: CompileContext = {
    documents: withDocument(options.documents ?? new Map(), document),
    clock: options.clock ?? Date.now,
    cells: new Map(),
  }
  const check = compileAt(schema, { base: documentUri(document), pointer: '' }, context)
  return {
    validate(value) {
      const issues = new IssueCollector()
      check(value, '', issues)
      return issues
    },
  }
}

/** Validates `value` found at JSON Pointer `path`, adding what is wrong to `issues`. */
type Check = (value: unknown, path: string, issues: IssueCollector) => void

interface CompileContext {
  readonly documents: SchemaStore
  readonly clock: Clock
  /** Compiled checks by location; a cell is empty while its schema is being compiled. */
  readonly cells: Map<string, { check: Check | undefined }>
}

interface Location {
  readonly base: string
  readonly pointer: string
}

function describe(location: Location): string {
  return `${location.base}#${location.pointer}`
}

function child(location: Location, ...tokens: (string | number)[]): Location {
  return { base: location.base, pointer: location.pointer + tokens.map(pointerSegment).join('') }
}

const ACCEPT: Check = () => {}

// Memoised by location so a schema reached through several `$ref`s compiles once, and a
// recursive `$ref` gets a late-bound check instead of recursing forever.
function compileAt(schema: JsonSchema, location: Location, context: CompileContext): Check {
  const key = describe(location)
  const existing = context.cells.get(key)
  if (existing !== undefined) {
    return existing.check ?? ((value, path, issues) => existing.check?.(value, path, issues))
  }
  const cell: { check: Check | undefined } = { check: undefined }
  context.cells.set(key, cell)
  cell.check = compileSchemaNode(schema, location, context)
  return cell.check
}

function compileSchemaNode(schema: JsonSchema, location: Location, context: CompileContext): Check {
  if (schema === true) return ACCEPT
  if (schema === false) return forbiddenCheck
  if (!isSchemaObject(schema)) {
    throw new SchemaCompileError(describe(location), '', 'a schema must be an object or a boolean')
  }
  assertSupportedKeywords(schema, location)
  compileDefinitions(schema, location, context)
  return sequence([
    ...refChecks(schema, location, context),
    ...typeChecks(schema, location),
    ...valueChecks(schema, location),
    ...stringChecks(schema, location, context),
    ...numberChecks(schema, location),
    ...objectChecks(schema, location, context),
    ...arrayChecks(schema, location, context),
  ])
}

const forbiddenCheck: Check = (_value, path, issues) => {
  issues.error(path, 'forbidden', 'is not allowed here')
}

// ---------------------------------------------------------------------------------------
// Keywords

const ASSERTION_KEYWORDS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'required',
  'properties',
  'additionalProperties',
  'items',
])

// Keywords that carry no assertion. `x-` extensions (Qiao's annotations) are also accepted.
const ANNOTATION_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$defs',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
])

/** Keywords the validator understands; anything else (except `x-…`) fails compilation. */
const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([...ASSERTION_KEYWORDS, ...ANNOTATION_KEYWORDS])

export function isAssertionKeyword(keyword: string): boolean {
  return ASSERTION_KEYWORDS.has(keyword)
}

function assertSupportedKeywords(schema: JsonSchemaObject, location: Location): void {
  for (const keyword of Object.keys(schema)) {
    if (!SUPPORTED_KEYWORDS.has(keyword) && !keyword.startsWith('x-')) {
      throw new SchemaCompileError(
        describe(location),
        keyword,
        `unsupported keyword "${keyword}": Qiao's validator would ignore it, so it may not be used`,
      )
    }
  }
  const atRoot = location.pointer === ''
  if (!atRoot && schema.$id !== undefined) {
    throw new SchemaCompileError(describe(location), '$id', '$id is only supported at the document root')
  }
  if (schema.$schema !== undefined && (!atRoot || schema.$schema !== DRAFT_2020_12)) {
    throw new SchemaCompileError(
      describe(location),
      '$schema',
      `$schema must be "${DRAFT_2020_12}" and only at the document root`,
    )
  }
}

// Definitions compile eagerly so a library of data elements is checked even where unused.
function compileDefinitions(schema: JsonSchemaObject, location: Location, context: CompileContext): void {
  if (schema.$defs === undefined) return
  const defs = schemaMap(schema, '$defs', location)
  for (const [name, definition] of Object.entries(defs)) {
    compileAt(definition, child(location, '$defs', name), context)
  }
}

function refChecks(schema: JsonSchemaObject, location: Location, context: CompileContext): Check[] {
  if (schema.$ref === undefined) return []
  const ref = schema.$ref
  if (typeof ref !== 'string') throw invalidValue(location, '$ref', 'a URI reference string')
  let target
  try {
    target = resolveRef(ref, location.base, context.documents)
  } catch (error) {
    throw new SchemaCompileError(describe(location), '$ref', (error as Error).message)
  }
  return [compileAt(target.schema, { base: target.documentUri, pointer: target.pointer }, context)]
}

// ---------------------------------------------------------------------------------------
// type, enum, const

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const
export type JsonType = (typeof JSON_TYPES)[number]

function isJsonType(name: unknown): name is JsonType {
  return (JSON_TYPES as readonly unknown[]).includes(name)
}

const TYPE_TESTS: Readonly<Record<JsonType, (value: unknown) => boolean>> = {
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === 'boolean',
  null: (value) => value === null,
  object: isPlainObject,
  array: Array.isArray,
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

export function schemaTypes(schema: JsonSchemaObject, where: string): readonly JsonType[] | undefined {
  const type = schema.type
  if (type === undefined) return undefined
  const types = Array.isArray(type) ? type : [type]
  if (types.length === 0 || !types.every(isJsonType) || new Set(types).size !== types.length) {
    throw new SchemaCompileError(
      where,
      'type',
      'type must be a JSON type name or a non-empty array of distinct ones',
    )
  }
  return types
}

function typeChecks(schema: JsonSchemaObject, location: Location): Check[] {
  const types = schemaTypes(schema, describe(location))
  if (types === undefined) return []
  const tests = types.map((type) => TYPE_TESTS[type])
  const expected = `expected ${types.join(' or ')}`
  const [onlyTest] = tests
  const matches =
    tests.length === 1 && onlyTest !== undefined
      ? onlyTest
      : (value: unknown) => tests.some((test) => test(value))
  return [
    (value, path, issues) => {
      if (!matches(value)) issues.error(path, 'type', `${expected}, got ${jsonTypeOf(value)}`)
    },
  ]
}

function valueChecks(schema: JsonSchemaObject, location: Location): Check[] {
  const checks: Check[] = []
  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum) || schema.enum.length === 0) {
      throw invalidValue(location, 'enum', 'a non-empty array')
    }
    const isMember = membershipTest(schema.enum)
    const message = `must be one of ${listForMessage(schema.enum)}`
    checks.push((value, path, issues) => {
      if (!isMember(value)) issues.error(path, 'enum', message)
    })
  }
  if (schema.const !== undefined) {
    const isConst = membershipTest([schema.const])
    const message = `must be ${JSON.stringify(schema.const)}`
    checks.push((value, path, issues) => {
      if (!isConst(value)) issues.error(path, 'const', message)
    })
  }
  return checks
}

function membershipTest(allowed: readonly unknown[]): (value: unknown) => boolean {
  if (allowed.every((member) => member === null || typeof member !== 'object')) {
    const members = new Set(allowed)
    return (value) => members.has(value)
  }
  return (value) => allowed.some((member) => jsonEqual(member, value))
}

const MAX_LISTED_VALUES = 12

function listForMessage(values: readonly unknown[]): string {
  const shown = values.slice(0, MAX_LISTED_VALUES).map((value) => JSON.stringify(value))
  const more = values.length - shown.length
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '')
}

// ---------------------------------------------------------------------------------------
// Strings

function stringChecks(schema: JsonSchemaObject, location: Location, context: CompileContext): Check[] {
  const checks: Check[] = []
  const minLength = optionalCount(schema, 'minLength', location)
  if (minLength !== undefined) {
    const message = `must have at least ${minLength} characters`
    checks.push((value, path, issues) => {
      if (codePointsBelow(value as string, minLength)) issues.error(path, 'min_length', message)
    })
  }
  const maxLength = optionalCount(schema, 'maxLength', location)
  if (maxLength !== undefined) {
    const message = `must have at most ${maxLength} characters`
    checks.push((value, path, issues) => {
      if (codePointsAbove(value as string, maxLength)) issues.error(path, 'max_length', message)
    })
  }
  if (schema.pattern !== undefined) checks.push(patternCheck(schema.pattern, location))
  if (schema.format !== undefined) checks.push(formatCheck(schema.format, location, context))
  return onlyFor('string', checks)
}

// Lengths count code points (JSON Schema's rule), so 𠀀 counts once; UTF-16 length bounds
// the count from both sides, which settles most strings without counting.
function codePointsBelow(value: string, min: number): boolean {
  if (value.length < min) return true
  if (value.length >= 2 * min) return false
  return countCodePoints(value) < min
}

function codePointsAbove(value: string, max: number): boolean {
  if (value.length <= max) return false
  if (value.length > 2 * max) return true
  return countCodePoints(value) > max
}

function countCodePoints(value: string): number {
  let count = 0
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}

function patternCheck(pattern: unknown, location: Location): Check {
  if (typeof pattern !== 'string') throw invalidValue(location, 'pattern', 'a regular expression string')
  let regex: RegExp
  try {
    regex = new RegExp(pattern, 'u')
  } catch (error) {
    throw new SchemaCompileError(
      describe(location),
      'pattern',
      `invalid pattern: ${(error as Error).message}`,
    )
  }
  const message = `must match the pattern ${pattern}`
  return (value, path, issues) => {
    if (!regex.test(value as string)) issues.error(path, 'pattern', message)
  }
}

function formatCheck(format: unknown, location: Location, context: CompileContext): Check {
  if (typeof format !== 'string' || !isFormatName(format)) {
    throw new SchemaCompileError(
      describe(location),
      'format',
      `unknown format ${JSON.stringify(format)}: Qiao checks ${Object.keys(FORMAT_CHECKS).join(', ')}`,
    )
  }
  const problemOf = FORMAT_CHECKS[format]
  const clock = context.clock
  return (value, path, issues) => {
    const problem = problemOf(value as string, clock)
    if (problem !== undefined) issues.formatProblem(path, problem)
  }
}

// ---------------------------------------------------------------------------------------
// Numbers

interface Bound {
  readonly keyword: string
  readonly code: SchemaIssueCode
  readonly words: string
  readonly fails: (value: number, limit: number) => boolean
}

const BOUNDS: readonly Bound[] = [
  { keyword: 'minimum', code: 'minimum', words: 'at least', fails: (value, limit) => value < limit },
  { keyword: 'maximum', code: 'maximum', words: 'at most', fails: (value, limit) => value > limit },
  {
    keyword: 'exclusiveMinimum',
    code: 'exclusive_minimum',
    words: 'greater than',
    fails: (value, limit) => value <= limit,
  },
  {
    keyword: 'exclusiveMaximum',
    code: 'exclusive_maximum',
    words: 'less than',
    fails: (value, limit) => value >= limit,
  },
]

function numberChecks(schema: JsonSchemaObject, location: Location): Check[] {
  const checks: Check[] = []
  for (const { keyword, code, words, fails } of BOUNDS) {
    const limit = optionalNumber(schema, keyword, location)
    if (limit === undefined) continue
    const message = `must be ${words} ${limit}`
    checks.push((value, path, issues) => {
      if (fails(value as number, limit)) issues.error(path, code, message)
    })
  }
  const multipleOf = optionalNumber(schema, 'multipleOf', location)
  if (multipleOf !== undefined) {
    if (multipleOf <= 0) throw invalidValue(location, 'multipleOf', 'a number greater than 0')
    const message = `must be a multiple of ${multipleOf}`
    checks.push((value, path, issues) => {
      if (!isMultipleOf(value as number, multipleOf)) issues.error(path, 'multiple_of', message)
    })
  }
  return onlyFor('number', checks)
}

// Binary floating point can't represent 0.01, so 12.34 / 0.01 is 1233.9999999999998: accept
// a quotient within a few units in the last place of an integer.
function isMultipleOf(value: number, divisor: number): boolean {
  const quotient = value / divisor
  return Math.abs(quotient - Math.round(quotient)) <= 16 * Number.EPSILON * Math.max(1, Math.abs(quotient))
}

// ---------------------------------------------------------------------------------------
// Objects and arrays

interface PropertyCheck {
  readonly key: string
  readonly segment: string
  readonly check: Check
  readonly required: boolean
  /** Names like `constructor` exist on every object's prototype: test them as own properties. */
  readonly inherited: boolean
}

function objectChecks(schema: JsonSchemaObject, location: Location, context: CompileContext): Check[] {
  const { properties, additionalProperties } = schema
  if (properties === undefined && additionalProperties === undefined && schema.required === undefined) {
    return []
  }
  const required = new Set(requiredNames(schema, location))
  const declared = properties === undefined ? {} : schemaMap(schema, 'properties', location)
  const known = new Set(Object.keys(declared))
  const checks: PropertyCheck[] = [
    ...Object.entries(declared).map(([key, propertySchema]) => ({
      key,
      segment: pointerSegment(key),
      check: compileAt(propertySchema, child(location, 'properties', key), context),
      required: required.has(key),
      inherited: key in Object.prototype,
    })),
    ...[...required]
      .filter((key) => !known.has(key))
      .map((key) => ({
        key,
        segment: pointerSegment(key),
        check: ACCEPT,
        required: true,
        inherited: key in Object.prototype,
      })),
  ]
  const extra = additionalCheck(additionalProperties, known, location, context)
  return [
    (value, path, issues) => {
      if (!isPlainObject(value)) return
      let declaredPresent = 0
      for (const property of checks) {
        const item =
          property.inherited && !Object.hasOwn(value, property.key) ? undefined : value[property.key]
        if (item !== undefined) {
          declaredPresent++
          property.check(item, path + property.segment, issues)
        } else if (property.required) {
          issues.error(path + property.segment, 'required', 'is required')
        }
      }
      // Only look for undeclared properties when there are more keys than declared ones seen.
      if (extra !== undefined && keyCount(value) > declaredPresent) extra(value, path, issues)
    },
  ]
}

// Counts keys without allocating the array Object.keys would.
function keyCount(value: Record<string, unknown>): number {
  let count = 0
  for (const _key in value) count++
  return count
}

function requiredNames(schema: JsonSchemaObject, location: Location): string[] {
  const required = schema.required
  if (required === undefined) return []
  if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) {
    throw invalidValue(location, 'required', 'an array of property names')
  }
  return required
}

type ObjectCheck = (value: Record<string, unknown>, path: string, issues: IssueCollector) => void

function additionalCheck(
  additional: unknown,
  known: ReadonlySet<string>,
  location: Location,
  context: CompileContext,
): ObjectCheck | undefined {
  if (additional === undefined || additional === true) return undefined
  if (additional === false) {
    return (value, path, issues) => {
      for (const key of Object.keys(value)) {
        if (!known.has(key)) {
          issues.error(path + pointerSegment(key), 'unknown_field', 'is not a field of this schema')
        }
      }
    }
  }
  if (!isSchemaObject(additional)) throw invalidValue(location, 'additionalProperties', 'a schema')
  const check = compileAt(additional, child(location, 'additionalProperties'), context)
  return (value, path, issues) => {
    for (const key of Object.keys(value)) {
      if (!known.has(key)) check(value[key], path + pointerSegment(key), issues)
    }
  }
}

function arrayChecks(schema: JsonSchemaObject, location: Location, context: CompileContext): Check[] {
  if (schema.items === undefined) return []
  const items = schema.items
  if (typeof items !== 'boolean' && !isSchemaObject(items)) throw invalidValue(location, 'items', 'a schema')
  const check = compileAt(items, child(location, 'items'), context)
  return [
    (value, path, issues) => {
      if (!Array.isArray(value)) return
      for (let i = 0; i < value.length; i++) check(value[i], `${path}/${i}`, issues)
    },
  ]
}

// ---------------------------------------------------------------------------------------
// Helpers

function sequence(checks: readonly Check[]): Check {
  const [first] = checks
  if (first === undefined) return ACCEPT
  if (checks.length === 1) return first
  return (value, path, issues) => {
    for (const check of checks) check(value, path, issues)
  }
}

// String and number keywords only constrain values of their type (JSON Schema's rule).
function onlyFor(type: 'string' | 'number', checks: readonly Check[]): Check[] {
  if (checks.length === 0) return []
  const all = sequence(checks)
  return [
    (value, path, issues) => {
      if (typeof value === type) all(value, path, issues)
    },
  ]
}

function schemaMap(
  schema: JsonSchemaObject,
  keyword: string,
  location: Location,
): Record<string, JsonSchema> {
  const map = schema[keyword]
  if (!isSchemaObject(map) || !Object.values(map).every((s) => typeof s === 'boolean' || isSchemaObject(s))) {
    throw invalidValue(location, keyword, 'an object whose values are schemas')
  }
  return map as Record<string, JsonSchema>
}

function optionalCount(schema: JsonSchemaObject, keyword: string, location: Location): number | undefined {
  const value = schema[keyword]
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw invalidValue(location, keyword, 'a non-negative integer')
  }
  return value as number
}

function optionalNumber(schema: JsonSchemaObject, keyword: string, location: Location): number | undefined {
  const value = schema[keyword]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidValue(location, keyword, 'a number')
  return value
}

function invalidValue(location: Location, keyword: string, expected: string): SchemaCompileError {
  return new SchemaCompileError(describe(location), keyword, `the value of "${keyword}" must be ${expected}`)
}
