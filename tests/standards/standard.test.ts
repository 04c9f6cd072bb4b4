import { describe, expect, it } from 'vitest'
import { InvalidStandardError, describeStandard } from '../../src/standards/standard'
import type { JsonSchemaObject } from '../../src/standards/json-schema'
import { describeTest, shipped, testStandard } from './helpers'

function problemsOf(schema: JsonSchemaObject): readonly string[] {
  try {
    describeStandard(schema, shipped.documents)
  } catch (error) {
    if (error instanceof InvalidStandardError) return error.problems
    throw error
  }
  throw new Error('expected the standard to be refused')
}

const BASE = '../base/1.0.0#/$defs'

describe('describeStandard', () => {
  it('resolves $refs into the base library and overlays local annotations', () => {
    const population = shipped.describe('population', '1.0.0')
    const citizenId = population?.fields.find((field) => field.name === 'citizen_id')
    expect(citizenId).toMatchObject({
      title: '公民身份号码 / Citizen ID',
      types: ['string'],
      format: 'cn-citizen-id',
      sensitivity: 'L4',
      maskedSensitivity: 'L2',
      mask: { type: 'show-first-n', n: 6, last: 4 },
      required: true,
    })
    expect(
      population?.fields.find((field) => field.name === 'mobile')?.mask,
      'mobile shows 138****5678',
    ).toEqual({
      type: 'show-first-n',
      n: 3,
      last: 4,
    })
    const household = population?.fields.find((field) => field.name === 'household_region_code')
    expect(household?.title, 'the local title overrides the element’s').toBe(
      '户籍地行政区划 / Division of household registration',
    )
    expect(household?.aliases, 'local aliases replace the element’s').toEqual([
      '户籍地行政区划',
      '户籍地区划代码',
      '户籍地',
      'hjdqh',
    ])
    expect(household?.format, 'assertions come from the element').toBe('cn-admin-division')
  })

  it('adds local assertions to a referenced element', () => {
    const service = shipped.describe('social-org-service', '1.0.0')
    expect(service?.fields.find((field) => field.name === 'org_uscc')?.constraints).toEqual({ pattern: '^5' })
  })

  it('gives an unmasked L1 field its raw level as masked level', () => {
    const field = describeTest({}).fields[0]
    expect(field).toMatchObject({
      name: 'id',
      sensitivity: 'L1',
      maskedSensitivity: 'L1',
      aliases: [],
      enumAliases: {},
    })
    expect(field?.mask).toBeUndefined()
  })

  it('lists every problem of a broken standard at once, each with its location', () => {
    const problems = problemsOf(
      testStandard(
        {
          BadName: { title: 't', type: 'string', 'x-sensitivity': 'L1' },
          no_title: { type: 'string', 'x-sensitivity': 'L1' },
          no_level: { title: 't', type: 'string' },
        },
        { 'x-key': 'missing', additionalProperties: true },
      ),
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        '/additionalProperties: must be false: a standard lists every field it accepts',
        '/properties/BadName: field names are snake_case: lower-case letters, digits and _',
        '/properties/no_title: a field needs a title',
        '/properties/no_level/x-sensitivity: must be one of L1, L2, L3, L4',
        '/x-key: "missing" is not a field',
      ]),
    )
  })

  it.each([
    ['no $id', testStandard({}, { $id: undefined }), '/$id'],
    [
      'a bad x-standard version',
      testStandard({}, { 'x-standard': { name: 'test', version: '1.0' } }),
      '/x-standard',
    ],
    [
      'a key that is not required',
      testStandard({}, { required: [] }),
      '/x-key: the key field must be required',
    ],
    [
      'a required name that is not a field',
      testStandard({}, { required: ['id', 'ghost'] }),
      '"ghost" is required but not a field',
    ],
    [
      'a number key',
      testStandard({ id: { title: 't', type: 'number', 'x-sensitivity': 'L1' } }),
      'string or an integer',
    ],
    [
      'an object field',
      testStandard({ nested: { title: 't', type: 'object', 'x-sensitivity': 'L1' } }),
      'scalar type',
    ],
    [
      'a null-only field',
      testStandard({ nothing: { title: 't', type: 'null', 'x-sensitivity': 'L1' } }),
      'scalar type',
    ],
    [
      'an L3 field without a mask',
      testStandard({ secret: { title: 't', type: 'string', 'x-sensitivity': 'L3' } }),
      'needs x-mask',
    ],
    [
      'a masked level above the raw one',
      testStandard({
        s: {
          title: 't',
          type: 'string',
          'x-sensitivity': 'L2',
          'x-masked-sensitivity': 'L3',
          'x-mask': { type: 'redact' },
        },
      }),
      'no higher than x-sensitivity',
    ],
    [
      'an unknown mask type',
      testStandard({
        s: {
          title: 't',
          type: 'string',
          'x-sensitivity': 'L2',
          'x-masked-sensitivity': 'L1',
          'x-mask': { type: 'scramble' },
        },
      }),
      '/properties/s/x-mask: invalid mask',
    ],
    [
      'a mask with a stray parameter',
      testStandard({
        s: {
          title: 't',
          type: 'string',
          'x-sensitivity': 'L2',
          'x-masked-sensitivity': 'L1',
          'x-mask': { type: 'redact', n: 1 },
        },
      }),
      'invalid mask',
    ],
    [
      'date-year on a field that is not a date',
      testStandard({
        s: {
          title: 't',
          type: 'string',
          'x-sensitivity': 'L2',
          'x-masked-sensitivity': 'L1',
          'x-mask': { type: 'date-year' },
        },
      }),
      'date-year masks need format date',
    ],
    [
      'region-prefix-n with n = 3',
      testStandard({
        r: {
          $ref: `${BASE}/region_code`,
          'x-sensitivity': 'L2',
          'x-masked-sensitivity': 'L1',
          'x-mask': { type: 'region-prefix-n', n: 3 },
        },
      }),
      'invalid mask',
    ],
    [
      'value aggregation without an enum',
      testStandard({ a: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-aggregatable': 'value' } }),
      'does not fit',
    ],
    [
      'age-band on a date-time',
      testStandard({
        a: { $ref: `${BASE}/date_time`, title: 't', 'x-sensitivity': 'L1', 'x-aggregatable': 'age-band' },
      }),
      'does not fit',
    ],
    [
      'an unknown aggregation',
      testStandard({ a: { title: 't', type: 'boolean', 'x-sensitivity': 'L1', 'x-aggregatable': 'sum' } }),
      'must be one of value',
    ],
    [
      'a summable text field',
      testStandard({ a: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-summable': true } }),
      '/properties/a/x-summable: only an integer or number field can be summed',
    ],
    [
      'x-summable that is not a boolean',
      testStandard({ a: { title: 't', type: 'integer', 'x-sensitivity': 'L1', 'x-summable': 'yes' } }),
      'x-summable: must be true or false',
    ],
    [
      'an indexed integer field',
      testStandard({ a: { title: 't', type: 'integer', 'x-sensitivity': 'L1', 'x-indexed': true } }),
      '/properties/a/x-indexed: only a string field can be indexed',
    ],
    [
      'an indexed field without bounded values',
      testStandard({ a: { title: 't', type: 'string', maxLength: 4000, 'x-sensitivity': 'L1', 'x-indexed': true } }),
      'x-indexed: an indexed field needs bounded values',
    ],
    [
      'x-indexed that is not a boolean',
      testStandard({ a: { title: 't', type: 'string', enum: ['x'], 'x-sensitivity': 'L1', 'x-indexed': 'yes' } }),
      'x-indexed: must be true or false',
    ],
    [
      'enum aliases for a value not in the enum',
      testStandard({
        e: {
          title: 't',
          type: 'string',
          enum: ['a'],
          'x-enum-aliases': { b: ['乙'] },
          'x-sensitivity': 'L1',
        },
      }),
      'is not one of the enum values',
    ],
    [
      'duplicate aliases in a list',
      testStandard({ a: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['x', 'x'] } }),
      'distinct',
    ],
    [
      'an alias shared by two fields (ignoring case and width)',
      testStandard({
        a: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['编号A'] },
        b: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['编号ａ'] },
      }),
      '"编号a" also names the field a',
    ],
    [
      'an alias that is another field’s name',
      testStandard({ a: { title: 't', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['ID'] } }),
      'also names the field id',
    ],
    [
      'redefining an assertion of the referenced element',
      testStandard({ m: { $ref: `${BASE}/money`, title: 't', 'x-sensitivity': 'L1', multipleOf: 1 } }),
      'redefines "multipleOf"',
    ],
    [
      'a $ref to a missing element',
      testStandard({ m: { $ref: `${BASE}/nope`, title: 't', 'x-sensitivity': 'L1' } }),
      'no schema at',
    ],
    [
      'an unknown format',
      testStandard({ f: { title: 't', type: 'string', format: 'email', 'x-sensitivity': 'L1' } }),
      'unknown format',
    ],
    [
      'a format on a number',
      testStandard({ f: { title: 't', type: 'number', format: 'date', 'x-sensitivity': 'L1' } }),
      'a format needs type string',
    ],
  ])('refuses %s', (_case, schema, expected) => {
    const problems = problemsOf(schema)
    expect(
      problems.some((problem) => problem.includes(expected)),
      `problems: ${problems.join(' | ')}`,
    ).toBe(true)
  })
})
