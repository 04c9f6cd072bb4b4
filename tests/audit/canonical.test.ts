import { describe, expect, it } from 'vitest'
import { CanonicalJsonError, canonicalJson, canonicalJsonFor } from '../../src/audit/canonical'

describe('canonicalJson', () => {
  it('reproduces the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    )
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  it('sorts keys by UTF-16 code units, as in RFC 8785 §3.2.3', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'] as const
    const members = order.map((key) => `${JSON.stringify(key)}:${JSON.stringify(input[key])}`)
    expect(canonicalJson(input)).toBe(`{${members.join(',')}}`)
  })

  it('does not depend on insertion order, at any depth, and has no whitespace', () => {
    const a = { b: 1, a: { y: [3, { q: 1, p: 2 }], x: null }, c: 'z' }
    const b = { c: 'z', a: { x: null, y: [3, { p: 2, q: 1 }] }, b: 1 }
    expect(canonicalJson(a)).toBe('{"a":{"x":null,"y":[3,{"p":2,"q":1}]},"b":1,"c":"z"}')
    expect(canonicalJson(b)).toBe(canonicalJson(a))
  })

  it('orders integer-like keys as strings, not numbers', () => {
    expect(canonicalJson({ 10: 'ten', 9: 'nine', 1: 'one', a: 'a' })).toBe('{"1":"one","10":"ten","9":"nine","a":"a"}')
  })

  it('writes numbers in shortest ECMAScript form', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1, '1'],
      [-1.5, '-1.5'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1e21, '1e+21'],
      [1e20, '100000000000000000000'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [9007199254740993, '9007199254740992'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [-123.456e-10, '-1.23456e-8'],
    ]
    for (const [value, json] of cases) expect(canonicalJson(value), String(value)).toBe(json)
  })

  it('escapes strings exactly as JSON.stringify and leaves other characters alone', () => {
    const strings = [
      '',
      'plain',
      '"quoted"',
      'back\\slash',
      '\b\f\n\r\t',
      '\u0000\u0001\u001f',
      '\u007f',
      '/',
      '社会救助资格核验',
      'emoji 😀',
      '\u2028\u2029',
    ]
    for (const text of strings) expect(canonicalJson(text), JSON.stringify(text)).toBe(JSON.stringify(text))
    expect(canonicalJson('\u0000')).toBe('"\\u0000"')
    expect(canonicalJson('社会')).toBe('"社会"')
  })

  it('rejects strings with lone surrogates, which do not survive UTF-8', () => {
    for (const text of ['\ud800', 'a\udc00', '\ude00\ud83d', 'x\ud83d']) {
      expect(() => canonicalJson({ text }), JSON.stringify(text)).toThrow(CanonicalJsonError)
    }
    expect(() => canonicalJson({ ['\ud800']: 1 })).toThrow(CanonicalJsonError)
  })

  it('omits undefined members and writes undefined array elements as null, like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: [undefined, 2] })).toBe('{"b":1,"c":[null,2]}')
    expect(canonicalJson({ a: undefined })).toBe('{}')
    expect(canonicalJson([])).toBe('[]')
    // Sparse arrays read holes as undefined.
    expect(canonicalJson([1, , 3])).toBe('[1,null,3]')
  })

  it('survives a round trip through JSON, so hashes computed before storage verify after', () => {
    const values = [
      { z: [1.5, -0, 1e21, 'x\n', { b: null, a: true }], a: { undefinedMember: undefined, n: 1e-7 } },
      { nested: { deeper: { deepest: ['😀', '\u0000', 123456789.123456789] } } },
      Object.assign(Object.create(null) as object, { b: 2, a: 1 }),
    ]
    for (const value of values) {
      const json = canonicalJson(value)
      expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(json)
      expect(canonicalJson(JSON.parse(json))).toBe(json)
    }
  })

  it('refuses what is not JSON data, naming where it is', () => {
    const cases: [unknown, RegExp][] = [
      [Number.NaN, /non-finite number NaN at \$$/],
      [{ a: [1, Number.POSITIVE_INFINITY] }, /non-finite number Infinity at \$\.a\[1\]$/],
      [{ details: { when: new Date(0) } }, /Date is not a plain object at \$\.details\.when$/],
      [{ m: new Map() }, /Map is not a plain object at \$\.m$/],
      [{ 'odd key': 1n }, /bigint is not JSON data at \$\["odd key"\]$/],
      [{ f: () => 1 }, /function is not JSON data at \$\.f$/],
      [{ s: Symbol('s') }, /symbol is not JSON data at \$\.s$/],
      [undefined, /undefined is not JSON data at \$$/],
    ]
    for (const [value, message] of cases) expect(() => canonicalJson(value)).toThrow(message)
  })

  it('refuses cycles but accepts shared references', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    expect(() => canonicalJson(cyclic)).toThrow(/cycle at \$\.self\.back$/)
    const shared = { x: 1 }
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}')
  })
})

describe('canonicalJsonFor', () => {
  const recordJson = canonicalJsonFor(['id', 'name', 'tags', 'meta'])

  it('equals canonicalJson on records with exactly its members', () => {
    const records = [
      { id: 1, name: 'a', tags: ['x'], meta: { b: 1, a: 2 } },
      { meta: null, tags: [], name: 'quote " and \\', id: -0 },
      { id: 1e21, name: '😀', tags: null, meta: { nested: [1, { z: 0, y: 1 }] } },
    ]
    for (const record of records) expect(recordJson(record)).toBe(canonicalJson(record))
  })

  it('falls back to canonicalJson for anything else', () => {
    const others: unknown[] = [
      { id: 1, name: 'a', tags: [] },
      { id: 1, name: 'a', tags: [], meta: null, extra: true },
      { id: 1, name: 'a', tags: [], meta: undefined },
      { id: 1, name: 'a', tags: [], metaa: null },
      Object.assign(Object.create(null) as object, { id: 1, name: 'a', tags: [], meta: 0 }),
      [1, 2],
      'text',
      null,
    ]
    for (const value of others) expect(recordJson(value), JSON.stringify(value)).toBe(canonicalJson(value))
  })

  it('fails the same way canonicalJson does', () => {
    const inherited = Object.assign(Object.create({ meta: 'inherited' }) as object, { id: 1, name: 'a', tags: [] })
    expect(() => recordJson(inherited)).toThrow(/Object is not a plain object at \$$/)
    expect(() => recordJson({ id: Number.NaN, name: 'a', tags: [], meta: null })).toThrow(/non-finite number NaN at \$\.id$/)
    expect(() => recordJson({ id: 1, name: 'a', tags: [], meta: { at: new Date() } })).toThrow(/at \$\.meta\.at$/)
    const cyclic: Record<string, unknown> = { id: 1, name: 'a', tags: [] }
    cyclic.meta = { back: cyclic }
    expect(() => recordJson(cyclic)).toThrow(/cycle at \$\.meta\.back$/)
  })

  it('handles a record type with no members', () => {
    expect(canonicalJsonFor([])({})).toBe('{}')
  })
})
