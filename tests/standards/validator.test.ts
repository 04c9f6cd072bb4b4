import { describe, expect, it } from 'vitest'
import { citizenIdCheckChar } from '../../src/standards/formats'
import type { Issue } from '../../src/standards/issues'
import { createSchemaStore } from '../../src/standards/json-schema'
import type { JsonSchema } from '../../src/standards/json-schema'
import { SchemaCompileError, compileSchema } from '../../src/standards/validator'
import type { CompileOptions } from '../../src/standards/validator'

function errorsOf(schema: JsonSchema, value: unknown, options?: CompileOptions): readonly Issue[] {
  return compileSchema(schema, options).validate(value).errors
}

function codesOf(schema: JsonSchema, value: unknown, options?: CompileOptions): string[] {
  return errorsOf(schema, value, options).map((issue) => `${issue.path} ${issue.code}`)
}

function compileError(schema: JsonSchema, options?: CompileOptions): SchemaCompileError {
  try {
    compileSchema(schema, options)
  } catch (error) {
    if (error instanceof SchemaCompileError) return error
    throw error
  }
  throw new Error('expected the schema to be refused at compile time')
}

describe('type', () => {
  it.each([
    ['string', 'x', true],
    ['string', 1, false],
    ['number', 1.5, true],
    ['number', '1', false],
    ['integer', 2, true],
    ['integer', 2.5, false],
    ['boolean', false, true],
    ['null', null, true],
    ['object', {}, true],
    ['object', [], false],
    ['array', [], true],
  ])('%s accepts %j: %s', (type, value, valid) => {
    expect(codesOf({ type }, value), `type ${type} on ${JSON.stringify(value)}`).toEqual(
      valid ? [] : [' type'],
    )
  })

  it('accepts any of an array of types and names them in the message', () => {
    const schema = { type: ['string', 'null'] }
    expect(codesOf(schema, null)).toEqual([])
    expect(errorsOf(schema, 3)[0]?.message).toBe('expected string or null, got number')
  })

  it('does not take NaN or Infinity for numbers', () => {
    expect(codesOf({ type: 'number' }, Number.NaN)).toEqual([' type'])
  })
})

describe('enum and const', () => {
  it('checks membership, including non-scalar members by value', () => {
    expect(codesOf({ enum: ['a', 1, null] }, 1)).toEqual([])
    expect(codesOf({ enum: ['a', 1, null] }, '1')).toEqual([' enum'])
    expect(codesOf({ enum: [{ a: [1] }] }, { a: [1] })).toEqual([])
    expect(codesOf({ const: 'x' }, 'y')).toEqual([' const'])
  })
})

describe('string keywords', () => {
  it('counts code points for minLength and maxLength', () => {
    expect(
      codesOf({ type: 'string', maxLength: 2 }, '𠀀𠀀'),
      'two astral characters are two characters',
    ).toEqual([])
    expect(codesOf({ type: 'string', maxLength: 2 }, '𠀀𠀀𠀀')).toEqual([' max_length'])
    expect(codesOf({ type: 'string', minLength: 2 }, '𠀀')).toEqual([' min_length'])
    expect(codesOf({ type: 'string', minLength: 1 }, '')).toEqual([' min_length'])
  })

  it('matches patterns unanchored, with Unicode semantics', () => {
    expect(codesOf({ pattern: '^5' }, '52440300MJL123454Y')).toEqual([])
    expect(codesOf({ pattern: '^5' }, '91350100M000100Y43')).toEqual([' pattern'])
    expect(codesOf({ pattern: '^\\p{Script=Han}+$' }, '张三')).toEqual([])
  })

  it('applies string keywords to strings only', () => {
    expect(codesOf({ maxLength: 1, pattern: '^a', format: 'date' }, 12345)).toEqual([])
  })

  it('checks formats with their specific codes', () => {
    expect(codesOf({ format: 'date' }, '2024-02-31')).toEqual([' format.date.invalid'])
    expect(codesOf({ format: 'cn-citizen-id' }, '110105194912310021')).toEqual([
      ' format.cn-citizen-id.checksum',
    ])
  })

  it('reports a format warning without failing validation', () => {
    const result = compileSchema({ format: 'cn-uscc' }).validate('91350100M0001TGQXM')
    expect(result.valid).toBe(true)
    expect(result.warnings.map((issue) => issue.code)).toEqual(['format.cn-uscc.checksum'])
  })

  it('uses the injected clock for the future-birth-date rule', () => {
    const id = `11010520240602001${citizenIdCheckChar('11010520240602001')}` // born 2024-06-02
    expect(
      codesOf({ format: 'cn-citizen-id' }, id, { clock: () => Date.parse('2024-06-01T12:00:00+08:00') }),
    ).toEqual([' format.cn-citizen-id.birth_date'])
    expect(
      codesOf({ format: 'cn-citizen-id' }, id, { clock: () => Date.parse('2024-06-02T00:00:00+08:00') }),
    ).toEqual([])
  })
})

describe('number keywords', () => {
  it('checks inclusive and exclusive bounds', () => {
    expect(codesOf({ minimum: 0, maximum: 24 }, 24)).toEqual([])
    expect(codesOf({ minimum: 0, maximum: 24 }, -1)).toEqual([' minimum'])
    expect(codesOf({ minimum: 0, maximum: 24 }, 24.5)).toEqual([' maximum'])
    expect(codesOf({ exclusiveMinimum: 0 }, 0)).toEqual([' exclusive_minimum'])
    expect(codesOf({ exclusiveMaximum: 10 }, 10)).toEqual([' exclusive_maximum'])
  })

  it('accepts decimal multiples despite binary floating point', () => {
    const money = { type: 'number', multipleOf: 0.01 }
    for (const amount of [12.34, 0.1 + 0.2, 99_999_999.99, 1e10 + 0.01, -5.5, 0]) {
      expect(codesOf(money, amount), `${amount} is a whole number of fen`).toEqual([])
    }
    for (const amount of [12.345, 0.001, 99_999_999.995]) {
      expect(codesOf(money, amount), `${amount} is not a whole number of fen`).toEqual([' multiple_of'])
    }
  })
})

describe('objects and arrays', () => {
  const person = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' } },
    required: ['name', 'id'],
    additionalProperties: false,
  }

  it('reports missing, mistyped and unknown properties at their JSON Pointer', () => {
    expect(codesOf(person, { age: 1.5, 'a/b': 1 })).toEqual([
      '/name required',
      '/age type',
      '/id required',
      '/a~1b unknown_field',
    ])
  })

  it('treats names found on Object.prototype as missing unless they are own properties', () => {
    const schema = { type: 'object', required: ['constructor', 'toString'] }
    expect(codesOf(schema, {})).toEqual(['/constructor required', '/toString required'])
    expect(codesOf(schema, JSON.parse('{"constructor": 1, "toString": 2}'))).toEqual([])
  })

  it('validates additional properties against a schema', () => {
    const schema = { type: 'object', additionalProperties: { type: 'number' } }
    expect(codesOf(schema, { a: 1, b: 'x' })).toEqual(['/b type'])
  })

  it('validates every array item with its index in the path', () => {
    expect(codesOf({ type: 'array', items: { type: 'string' } }, ['a', 1, 'b', null])).toEqual([
      '/1 type',
      '/3 type',
    ])
  })

  it('refuses any value where the schema is false', () => {
    expect(codesOf({ properties: { secret: false } }, { secret: 1 })).toEqual(['/secret forbidden'])
  })

  it('keeps records independent: a compiled schema holds no state between validations', () => {
    const validator = compileSchema({ type: 'object', required: ['name'] })
    expect(validator.validate({}).errors).toHaveLength(1)
    expect(validator.validate({ name: 'x' }).valid).toBe(true)
    expect(validator.validate({}).errors).toHaveLength(1)
  })
})

describe('$ref', () => {
  const library = {
    $id: 'https://qiao.example/schemas/base/1.0.0',
    $defs: { code: { type: 'string', pattern: '^[0-9]{6}$' }, alias: { $ref: '#/$defs/code' } },
  }
  const documents = createSchemaStore([library])

  it('follows references into $defs of the same document', () => {
    const schema = {
      $defs: { positive: { type: 'number', minimum: 1 } },
      items: { $ref: '#/$defs/positive' },
    }
    expect(codesOf(schema, [1, 0])).toEqual(['/1 minimum'])
  })

  it('resolves a relative reference against $id into another registered document', () => {
    const schema = {
      $id: 'https://qiao.example/schemas/population/1.0.0',
      properties: { region: { $ref: '../base/1.0.0#/$defs/alias' } },
    }
    expect(codesOf(schema, { region: '11010' }, { documents })).toEqual(['/region pattern'])
  })

  it('applies keywords next to $ref as well as the referenced schema', () => {
    const schema = {
      $id: 'https://qiao.example/schemas/x/1.0.0',
      $ref: '../base/1.0.0#/$defs/code',
      pattern: '^5',
    }
    expect(codesOf(schema, '110105', { documents })).toEqual([' pattern'])
    expect(codesOf(schema, '5101', { documents })).toEqual([' pattern'])
    expect(codesOf(schema, '510105', { documents })).toEqual([])
  })

  it('handles recursive references', () => {
    const tree = {
      $defs: {
        node: {
          type: 'object',
          properties: {
            value: { type: 'integer' },
            children: { type: 'array', items: { $ref: '#/$defs/node' } },
          },
        },
      },
      $ref: '#/$defs/node',
    }
    expect(codesOf(tree, { value: 1, children: [{ value: 2, children: [{ value: 'x' }] }] })).toEqual([
      '/children/0/children/0/value type',
    ])
  })

  it.each([
    ['an unknown document', { $ref: 'https://qiao.example/schemas/nope/1.0.0' }, /unknown schema document/],
    ['a missing definition', { $defs: {}, $ref: '#/$defs/missing' }, /no schema at/],
    ['an anchor', { $ref: '#thing' }, /not anchors/],
  ])('refuses a reference to %s at compile time', (_case, schema, message) => {
    expect(compileError(schema, { documents }).message).toMatch(message)
  })
})

describe('compile-time checks', () => {
  it.each([
    'oneOf',
    'anyOf',
    'allOf',
    'not',
    'if',
    'patternProperties',
    'prefixItems',
    'dependentRequired',
    'unevaluatedProperties',
  ])('refuses the unsupported keyword %s, naming it and where it is', (keyword) => {
    const error = compileError({ properties: { field: { [keyword]: [] } } })
    expect(error.keyword).toBe(keyword)
    expect(error.location).toMatch(/#\/properties\/field$/)
    expect(error.message).toContain(`unsupported keyword "${keyword}"`)
  })

  it('checks unused $defs too, so a library of elements cannot hide an unsupported keyword', () => {
    expect(compileError({ $defs: { unused: { oneOf: [] } } }).location).toMatch(/#\/\$defs\/unused$/)
  })

  it('accepts annotations and x- extensions', () => {
    expect(() =>
      compileSchema({
        title: 't',
        description: 'd',
        $comment: 'c',
        examples: [],
        'x-sensitivity': 'L4',
        'x-anything': {},
      }),
    ).not.toThrow()
  })

  it.each([
    ['an unknown format', { format: 'email' }, 'format'],
    ['an invalid pattern', { pattern: '(' }, 'pattern'],
    ['a negative maxLength', { maxLength: -1 }, 'maxLength'],
    ['a fractional minLength', { minLength: 1.5 }, 'minLength'],
    ['a non-numeric minimum', { minimum: '1' }, 'minimum'],
    ['a zero multipleOf', { multipleOf: 0 }, 'multipleOf'],
    ['an empty enum', { enum: [] }, 'enum'],
    ['an unknown type', { type: 'date' }, 'type'],
    ['required that is not a list', { required: 'name' }, 'required'],
    ['a nested $id', { properties: { a: { $id: 'https://x.example/a' } } }, '$id'],
    ['another draft', { $schema: 'http://json-schema.org/draft-07/schema#' }, '$schema'],
  ])('refuses %s', (_case, schema, keyword) => {
    expect(compileError(schema).keyword).toBe(keyword)
  })
})
