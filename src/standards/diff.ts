// Compares two versions of a standard and classifies each change. A change is breaking when
// records or mappings valid under the previous version may be refused by the next one, or
// when a field's meaning or exposure moves: those need a new major version.

import { sensitivityRank } from './annotations'
import { pointerSegment } from './json-schema'
import { columnKey } from './normalise'
import { bumpBetween, isBumpEnough } from './semver'
import type { Bump } from './semver'
import type { ConstraintKeyword, FieldSpec, ScalarType, ScalarValue, StandardDescription } from './standard'

export type ChangeKind =
  | 'key_changed'
  | 'field_removed'
  | 'field_renamed'
  | 'field_added'
  | 'field_added_required'
  | 'became_required'
  | 'no_longer_required'
  | 'type_narrowed'
  | 'type_widened'
  | 'constraint_tightened'
  | 'constraint_relaxed'
  | 'enum_narrowed'
  | 'enum_widened'
  | 'alias_removed'
  | 'alias_added'
  | 'sensitivity_raised'
  | 'sensitivity_lowered'

export interface StandardChange {
  readonly kind: ChangeKind
  /** JSON Pointer into the standard's schema. */
  readonly path: string
  readonly message: string
  readonly breaking: boolean
}

export interface DiffOptions {
  /** A raised sensitivity was reviewed (grants and tier re-assessed): don't count it as breaking. */
  readonly sensitivityReviewed?: boolean
}

const ALWAYS_BREAKING: ReadonlySet<ChangeKind> = new Set([
  'key_changed',
  'field_removed',
  'field_renamed',
  'field_added_required',
  'became_required',
  'type_narrowed',
  'constraint_tightened',
  'enum_narrowed',
  'alias_removed',
])

export function diffStandards(
  prev: StandardDescription,
  next: StandardDescription,
  options: DiffOptions = {},
): StandardChange[] {
  const changes: Omit<StandardChange, 'breaking'>[] = []
  if (prev.key !== next.key) {
    changes.push({
      kind: 'key_changed',
      path: '/x-key',
      message: `the key field changed from ${prev.key} to ${next.key}`,
    })
  }
  const nextByName = new Map(next.fields.map((field) => [field.name, field]))
  const prevNames = new Set(prev.fields.map((field) => field.name))
  const removed = prev.fields.filter((field) => !nextByName.has(field.name))
  const added = next.fields.filter((field) => !prevNames.has(field.name))
  const renames = pairRenames(removed, added)
  for (const field of removed) {
    const renamedTo = renames.get(field)
    changes.push(
      renamedTo === undefined
        ? { kind: 'field_removed', path: fieldPath(field), message: `the field ${field.name} was removed` }
        : {
            kind: 'field_renamed',
            path: fieldPath(field),
            message: `the field ${field.name} was renamed to ${renamedTo.name}`,
          },
    )
  }
  const renamedTargets = new Set(renames.values())
  for (const field of added) {
    if (renamedTargets.has(field)) continue
    changes.push(
      field.required
        ? {
            kind: 'field_added_required',
            path: fieldPath(field),
            message: `a required field ${field.name} was added`,
          }
        : {
            kind: 'field_added',
            path: fieldPath(field),
            message: `an optional field ${field.name} was added`,
          },
    )
  }
  for (const before of prev.fields) {
    const after = nextByName.get(before.name)
    if (after !== undefined) changes.push(...fieldChanges(before, after))
  }
  return changes.map((change) => ({ ...change, breaking: isBreaking(change.kind, options) }))
}

function isBreaking(kind: ChangeKind, options: DiffOptions): boolean {
  if (kind === 'sensitivity_raised') return options.sensitivityReviewed !== true
  return ALWAYS_BREAKING.has(kind)
}

/** The version part that must grow for these changes: major if any breaks, else minor if any. */
export function requiredBump(changes: readonly StandardChange[]): Bump {
  if (changes.some((change) => change.breaking)) return 'major'
  return changes.length > 0 ? 'minor' : 'patch'
}

export interface VersionCheck {
  readonly changes: readonly StandardChange[]
  readonly required: Bump
  /** undefined when the next version is not greater than the previous one. */
  readonly actual: Bump | undefined
  readonly ok: boolean
}

/** Whether `next` may be published after `prev`: its version must grow enough for its changes. */
export function checkNewVersion(
  prev: StandardDescription,
  next: StandardDescription,
  options: DiffOptions = {},
): VersionCheck {
  const changes = diffStandards(prev, next, options)
  const required = requiredBump(changes)
  const actual = bumpBetween(prev.version, next.version)
  return { changes, required, actual, ok: actual !== undefined && isBumpEnough(actual, required) }
}

function fieldPath(field: FieldSpec, ...keywords: string[]): string {
  return `/properties${pointerSegment(field.name)}${keywords.map(pointerSegment).join('')}`
}

// A removed and an added field are one renamed field when the new one lists the old name or
// an old alias among its aliases, or failing that when both carry the same format and types.
function pairRenames(removed: readonly FieldSpec[], added: readonly FieldSpec[]): Map<FieldSpec, FieldSpec> {
  const pairs = new Map<FieldSpec, FieldSpec>()
  const taken = new Set<FieldSpec>()
  const pair = (matches: (old: FieldSpec, candidate: FieldSpec) => boolean) => {
    for (const old of removed) {
      if (pairs.has(old)) continue
      const match = added.find((candidate) => !taken.has(candidate) && matches(old, candidate))
      if (match === undefined) continue
      pairs.set(old, match)
      taken.add(match)
    }
  }
  pair(sharesSpelling)
  pair(
    (old, candidate) =>
      old.format !== undefined && old.format === candidate.format && sameTypes(old.types, candidate.types),
  )
  return pairs
}

function sharesSpelling(old: FieldSpec, candidate: FieldSpec): boolean {
  const spellings = new Set(candidate.aliases.map(columnKey))
  return [old.name, ...old.aliases].some((spelling) => spellings.has(columnKey(spelling)))
}

function sameTypes(a: readonly ScalarType[], b: readonly ScalarType[]): boolean {
  return a.length === b.length && a.every((type) => b.includes(type))
}

type Change = Omit<StandardChange, 'breaking'>

function fieldChanges(before: FieldSpec, after: FieldSpec): Change[] {
  return [
    ...requiredChanges(before, after),
    ...typeChanges(before, after),
    ...formatChanges(before, after),
    ...constraintChanges(before, after),
    ...enumChanges(before, after),
    ...aliasChanges(before, after),
    ...sensitivityChanges(before, after),
  ]
}

function requiredChanges(before: FieldSpec, after: FieldSpec): Change[] {
  if (before.required === after.required) return []
  return after.required
    ? [{ kind: 'became_required', path: fieldPath(after), message: `${after.name} became required` }]
    : [{ kind: 'no_longer_required', path: fieldPath(after), message: `${after.name} is no longer required` }]
}

// integer values are numbers, so integer → number widens and number → integer narrows.
function typeChanges(before: FieldSpec, after: FieldSpec): Change[] {
  if (sameTypes(before.types, after.types)) return []
  const covered = (type: ScalarType) =>
    after.types.includes(type) || (type === 'integer' && after.types.includes('number'))
  const from = before.types.join(' | ')
  const to = after.types.join(' | ')
  return before.types.every(covered)
    ? [
        {
          kind: 'type_widened',
          path: fieldPath(after, 'type'),
          message: `${after.name} widened from ${from} to ${to}`,
        },
      ]
    : [
        {
          kind: 'type_narrowed',
          path: fieldPath(after, 'type'),
          message: `${after.name} narrowed from ${from} to ${to}`,
        },
      ]
}

function formatChanges(before: FieldSpec, after: FieldSpec): Change[] {
  if (before.format === after.format) return []
  const path = fieldPath(after, 'format')
  if (after.format === undefined) {
    return [
      {
        kind: 'constraint_relaxed',
        path,
        message: `${after.name} no longer requires format ${before.format}`,
      },
    ]
  }
  const from = before.format === undefined ? 'no format' : `format ${before.format}`
  return [
    {
      kind: 'constraint_tightened',
      path,
      message: `${after.name} changed from ${from} to format ${after.format}`,
    },
  ]
}

type Direction = 'upper' | 'lower'

const BOUND_DIRECTIONS: Readonly<Partial<Record<ConstraintKeyword, Direction>>> = {
  maxLength: 'upper',
  maximum: 'upper',
  exclusiveMaximum: 'upper',
  minLength: 'lower',
  minimum: 'lower',
  exclusiveMinimum: 'lower',
}

function constraintChanges(before: FieldSpec, after: FieldSpec): Change[] {
  const changes: Change[] = []
  for (const keyword of new Set([
    ...Object.keys(before.constraints),
    ...Object.keys(after.constraints),
  ]) as Set<ConstraintKeyword>) {
    const old = before.constraints[keyword]
    const now = after.constraints[keyword]
    if (old === now) continue
    const path = fieldPath(after, keyword)
    const describe = (value: string | number | undefined) => (value === undefined ? 'none' : String(value))
    const message = `${after.name}: ${keyword} changed from ${describe(old)} to ${describe(now)}`
    changes.push({
      kind: isRelaxed(keyword, old, now) ? 'constraint_relaxed' : 'constraint_tightened',
      path,
      message,
    })
  }
  return changes
}

// Removing a constraint relaxes it; moving a bound outward relaxes it; a finer multipleOf
// that divides the old one relaxes it. Any other change (a new or different pattern) may
// refuse values that were valid, so it counts as tightening.
function isRelaxed(
  keyword: ConstraintKeyword,
  old: string | number | undefined,
  now: string | number | undefined,
): boolean {
  if (now === undefined) return true
  if (old === undefined || typeof old !== 'number' || typeof now !== 'number') return false
  const direction = BOUND_DIRECTIONS[keyword]
  if (direction === 'upper') return now > old
  if (direction === 'lower') return now < old
  if (keyword === 'multipleOf') return Number.isInteger(Number((old / now).toPrecision(12)))
  return false
}

function enumChanges(before: FieldSpec, after: FieldSpec): Change[] {
  const path = fieldPath(after, 'enum')
  if (before.enum === undefined && after.enum === undefined) return []
  if (after.enum === undefined) {
    return [{ kind: 'enum_widened', path, message: `${after.name} is no longer limited to a list of values` }]
  }
  if (before.enum === undefined) {
    return [{ kind: 'enum_narrowed', path, message: `${after.name} is now limited to a list of values` }]
  }
  const removed = difference(before.enum, after.enum)
  const added = difference(after.enum, before.enum)
  const changes: Change[] = []
  if (removed.length > 0) {
    changes.push({
      kind: 'enum_narrowed',
      path,
      message: `${after.name} no longer accepts ${listed(removed)}`,
    })
  }
  if (added.length > 0) {
    changes.push({ kind: 'enum_widened', path, message: `${after.name} now also accepts ${listed(added)}` })
  }
  return changes
}

function difference(a: readonly ScalarValue[], b: readonly ScalarValue[]): ScalarValue[] {
  return a.filter((value) => !b.includes(value))
}

function listed(values: readonly ScalarValue[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ')
}

// A removed alias breaks publishers whose files use it; a removed spelling of an enum value
// breaks the same way.
function aliasChanges(before: FieldSpec, after: FieldSpec): Change[] {
  const changes: Change[] = []
  const compare = (old: readonly string[], now: readonly string[], path: string, what: string) => {
    const removed = old.filter((alias) => !now.includes(alias))
    const added = now.filter((alias) => !old.includes(alias))
    if (removed.length > 0) {
      changes.push({
        kind: 'alias_removed',
        path,
        message: `${what} no longer accepts ${removed.join(', ')}`,
      })
    }
    if (added.length > 0) {
      changes.push({ kind: 'alias_added', path, message: `${what} now also accepts ${added.join(', ')}` })
    }
  }
  compare(before.aliases, after.aliases, fieldPath(after, 'x-aliases'), after.name)
  const values = new Set([...Object.keys(before.enumAliases), ...Object.keys(after.enumAliases)])
  for (const value of values) {
    compare(
      before.enumAliases[value] ?? [],
      after.enumAliases[value] ?? [],
      fieldPath(after, 'x-enum-aliases', value),
      `${after.name} value ${JSON.stringify(value)}`,
    )
  }
  return changes
}

function sensitivityChanges(before: FieldSpec, after: FieldSpec): Change[] {
  const changes: Change[] = []
  const compare = (
    old: FieldSpec['sensitivity'],
    now: FieldSpec['sensitivity'],
    keyword: string,
    what: string,
  ) => {
    const delta = sensitivityRank(now) - sensitivityRank(old)
    if (delta === 0) return
    changes.push({
      kind: delta > 0 ? 'sensitivity_raised' : 'sensitivity_lowered',
      path: fieldPath(after, keyword),
      message: `${after.name}: ${what} changed from ${old} to ${now}`,
    })
  }
  compare(before.sensitivity, after.sensitivity, 'x-sensitivity', 'sensitivity')
  compare(before.maskedSensitivity, after.maskedSensitivity, 'x-masked-sensitivity', 'masked sensitivity')
  return changes
}
