import { describe, expect, it } from 'vitest'
import { checkNewVersion, diffStandards, requiredBump } from '../../src/standards/diff'
import type { ChangeKind, StandardChange } from '../../src/standards/diff'
import { describeTest } from './helpers'

const BASE = '../base/1.0.0#/$defs'

const text = (extra: Record<string, unknown> = {}) => ({
  title: '文本 / Text',
  type: 'string',
  'x-sensitivity': 'L1',
  ...extra,
})

function changes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  overrides: { before?: Record<string, unknown>; after?: Record<string, unknown>; reviewed?: boolean } = {},
): StandardChange[] {
  const prev = describeTest(before, overrides.before)
  const next = describeTest(after, { version: '1.1.0', ...overrides.after })
  return diffStandards(prev, next, { sensitivityReviewed: overrides.reviewed ?? false })
}

function kinds(list: readonly StandardChange[]): [ChangeKind, boolean][] {
  return list.map((change) => [change.kind, change.breaking])
}

describe('diffStandards: breaking changes', () => {
  it('a removed field', () => {
    const list = changes({ a: text() }, {})
    expect(kinds(list)).toEqual([['field_removed', true]])
    expect(list[0]?.path).toBe('/properties/a')
  })

  it('a renamed field, recognised by the old name among the new aliases', () => {
    const list = changes({ phone: text() }, { contact: text({ 'x-aliases': ['phone', '电话'] }) })
    expect(kinds(list)).toEqual([['field_renamed', true]])
    expect(list[0]?.message).toBe('the field phone was renamed to contact')
  })

  it('a renamed field, recognised by the same format and type', () => {
    expect(
      kinds(changes({ born: { $ref: `${BASE}/birth_date` } }, { birthday: { $ref: `${BASE}/birth_date` } })),
    ).toEqual([['field_renamed', true]])
  })

  it('a new required field', () => {
    expect(kinds(changes({}, { b: text() }, { after: { required: ['id', 'b'] } }))).toEqual([
      ['field_added_required', true],
    ])
  })

  it('an optional field becoming required', () => {
    expect(kinds(changes({ a: text() }, { a: text() }, { after: { required: ['id', 'a'] } }))).toEqual([
      ['became_required', true],
    ])
  })

  it.each([
    ['number → integer', { type: 'number' }, { type: 'integer' }],
    ['string or null → string', { type: ['string', 'null'] }, { type: 'string' }],
    ['string → number', { type: 'string' }, { type: 'number' }],
  ])('a narrowed type: %s', (_case, before, after) => {
    expect(kinds(changes({ a: text(before) }, { a: text(after) }))).toEqual([['type_narrowed', true]])
  })

  it.each([
    ['a new format', {}, { format: 'date' }],
    ['a changed format', { format: 'date' }, { format: 'date-time' }],
    ['a new pattern', {}, { pattern: '^a' }],
    ['a changed pattern', { pattern: '^a' }, { pattern: '^ab' }],
    ['a lower maxLength', { maxLength: 20 }, { maxLength: 10 }],
    ['a new maxLength', {}, { maxLength: 10 }],
    ['a higher minLength', { minLength: 1 }, { minLength: 2 }],
  ])('a tightened constraint: %s', (_case, before, after) => {
    expect(kinds(changes({ a: text(before) }, { a: text(after) }))).toEqual([['constraint_tightened', true]])
  })

  it.each([
    ['a lower maximum', { maximum: 10 }, { maximum: 5 }],
    ['a higher exclusiveMinimum', { exclusiveMinimum: 0 }, { exclusiveMinimum: 1 }],
    ['a coarser multipleOf', { multipleOf: 0.01 }, { multipleOf: 0.1 }],
  ])('a tightened numeric constraint: %s', (_case, before, after) => {
    const number = (extra: Record<string, unknown>) => text({ type: 'number', ...extra })
    expect(kinds(changes({ n: number(before) }, { n: number(after) }))).toEqual([
      ['constraint_tightened', true],
    ])
  })

  it('a narrowed enum, naming the values no longer accepted', () => {
    const list = changes({ e: text({ enum: ['a', 'b', 'c'] }) }, { e: text({ enum: ['a', 'b'] }) })
    expect(kinds(list)).toEqual([['enum_narrowed', true]])
    expect(list[0]?.message).toBe('e no longer accepts "c"')
  })

  it('a field newly limited to a list of values', () => {
    expect(kinds(changes({ e: text() }, { e: text({ enum: ['a'] }) }))).toEqual([['enum_narrowed', true]])
  })

  it('a removed alias, and a removed spelling of an enum value', () => {
    const before = text({ enum: ['1'], 'x-aliases': ['甲', '乙'], 'x-enum-aliases': { '1': ['男', 'M'] } })
    const after = text({ enum: ['1'], 'x-aliases': ['甲'], 'x-enum-aliases': { '1': ['男'] } })
    const list = changes({ e: before }, { e: after })
    expect(kinds(list)).toEqual([
      ['alias_removed', true],
      ['alias_removed', true],
    ])
    expect(list.map((change) => change.path)).toEqual([
      '/properties/e/x-aliases',
      '/properties/e/x-enum-aliases/1',
    ])
  })

  it('a raised sensitivity, unless it was reviewed', () => {
    const before = {
      s: text({ 'x-sensitivity': 'L2', 'x-masked-sensitivity': 'L1', 'x-mask': { type: 'redact' } }),
    }
    const after = {
      s: text({ 'x-sensitivity': 'L3', 'x-masked-sensitivity': 'L2', 'x-mask': { type: 'redact' } }),
    }
    expect(kinds(changes(before, after))).toEqual([
      ['sensitivity_raised', true],
      ['sensitivity_raised', true],
    ])
    expect(kinds(changes(before, after, { reviewed: true }))).toEqual([
      ['sensitivity_raised', false],
      ['sensitivity_raised', false],
    ])
  })

  it('a changed key', () => {
    const list = changes(
      { code: text() },
      { code: text() },
      { before: { required: ['id', 'code'] }, after: { 'x-key': 'code', required: ['id', 'code'] } },
    )
    expect(kinds(list)).toEqual([['key_changed', true]])
  })
})

describe('diffStandards: compatible changes', () => {
  it.each([
    ['an added optional field', {}, { b: text() }, 'field_added'],
    ['a widened enum', { e: text({ enum: ['a'] }) }, { e: text({ enum: ['a', 'b'] }) }, 'enum_widened'],
    ['a dropped enum', { e: text({ enum: ['a'] }) }, { e: text() }, 'enum_widened'],
    ['an added alias', { a: text() }, { a: text({ 'x-aliases': ['甲'] }) }, 'alias_added'],
    [
      'a widened type',
      { a: text({ type: 'integer' }) },
      { a: text({ type: ['number', 'null'] }) },
      'type_widened',
    ],
    [
      'a higher maxLength',
      { a: text({ maxLength: 10 }) },
      { a: text({ maxLength: 20 }) },
      'constraint_relaxed',
    ],
    ['a dropped pattern', { a: text({ pattern: '^a' }) }, { a: text() }, 'constraint_relaxed'],
    ['a dropped format', { a: text({ format: 'date' }) }, { a: text() }, 'constraint_relaxed'],
    [
      'a finer multipleOf',
      { a: text({ type: 'number', multipleOf: 0.1 }) },
      { a: text({ type: 'number', multipleOf: 0.01 }) },
      'constraint_relaxed',
    ],
    [
      'a lowered sensitivity',
      { s: text({ 'x-sensitivity': 'L2', 'x-masked-sensitivity': 'L1', 'x-mask': { type: 'redact' } }) },
      { s: text() },
      'sensitivity_lowered',
    ],
  ])('%s', (_case, before, after, kind) => {
    expect(kinds(changes(before, after))).toEqual([[kind, false]])
  })

  it('a field no longer required', () => {
    expect(kinds(changes({ a: text() }, { a: text() }, { before: { required: ['id', 'a'] } }))).toEqual([
      ['no_longer_required', false],
    ])
  })

  it('nothing, when only titles changed', () => {
    expect(changes({ a: text() }, { a: text({ title: '新标题 / New title' }) })).toEqual([])
  })
})

describe('version checks', () => {
  it('requires a major bump for a breaking change, a minor one for a compatible change, a patch otherwise', () => {
    expect(requiredBump(changes({ a: text() }, {}))).toBe('major')
    expect(requiredBump(changes({}, { a: text() }))).toBe('minor')
    expect(requiredBump([])).toBe('patch')
  })

  it('refuses a breaking change published as a minor version, and accepts it as a major one', () => {
    const prev = describeTest({ a: text() })
    const minor = checkNewVersion(prev, describeTest({}, { version: '1.1.0' }))
    expect(minor).toMatchObject({ ok: false, required: 'major', actual: 'minor' })
    expect(checkNewVersion(prev, describeTest({}, { version: '2.0.0' })).ok).toBe(true)
  })

  it('refuses a version that does not grow', () => {
    const prev = describeTest({}, { version: '1.2.0' })
    expect(checkNewVersion(prev, describeTest({}, { version: '1.2.0' }))).toMatchObject({
      ok: false,
      actual: undefined,
    })
  })
})
