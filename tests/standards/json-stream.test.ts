import { describe, expect, it } from 'vitest'
import { JsonArraySplitter, NdjsonSplitter } from '../../src/standards/json-stream'
import type { ParsedRow, RecordSplitter } from '../../src/standards/splitter'

function parse(splitter: RecordSplitter, chunks: readonly string[]): ParsedRow[] {
  const rows: ParsedRow[] = []
  for (const chunk of chunks) {
    rows.push(...splitter.push(chunk))
    if (splitter.finished) return rows
  }
  return [...rows, ...splitter.end()]
}

function outcomes(rows: readonly ParsedRow[]): unknown[] {
  return rows.map((row) => (row.error === undefined ? [row.row, row.record] : [row.row, row.error.code]))
}

function splits(text: string): string[][] {
  return [...Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]), [...text]]
}

describe('NdjsonSplitter', () => {
  it('parses one object per line, skipping blank lines and tolerating CRLF', () => {
    const rows = parse(new NdjsonSplitter(), ['{"a":1}\r\n\n  \n{"a":2}\n{"a":3}'])
    expect(outcomes(rows)).toEqual([
      [1, { a: 1 }],
      [2, { a: 2 }],
      [3, { a: 3 }],
    ])
  })

  it('reports a bad line without echoing it, and goes on', () => {
    const rows = parse(new NdjsonSplitter(), ['{"id":"110105194912310021",}\n[1]\n"x"\n{"a":2}\n'])
    expect(outcomes(rows)).toEqual([
      [1, 'parse.json.syntax'],
      [2, 'parse.json.not_object'],
      [3, 'parse.json.not_object'],
      [4, { a: 2 }],
    ])
    expect(rows[0]?.error?.message, 'the message must not quote the record').not.toContain('110105')
  })

  it('skips a line that outgrows the limit and resumes at the next one', () => {
    const splitter = new NdjsonSplitter({ maxRecordChars: 10 })
    const rows = parse(splitter, ['{"a":"', 'x'.repeat(20), '"}\n{"b":1}\n'])
    expect(outcomes(rows)).toEqual([
      [1, 'parse.too_large'],
      [2, { b: 1 }],
    ])
  })

  it('gives the same result wherever the chunks are cut', () => {
    const text = '{"a":"x\\ny"}\r\n\n{"b":[1,2]}\n'
    const expected = parse(new NdjsonSplitter(), [text])
    for (const chunks of splits(text)) {
      expect(parse(new NdjsonSplitter(), chunks), `chunks ${JSON.stringify(chunks)}`).toEqual(expected)
    }
  })
})

describe('JsonArraySplitter', () => {
  it('streams the objects of a top-level array one by one', () => {
    const splitter = new JsonArraySplitter()
    expect(outcomes(splitter.push('[{"a":1},'))).toEqual([[1, { a: 1 }]])
    expect(outcomes(splitter.push(' {"a":2}'))).toEqual([[2, { a: 2 }]])
    expect(outcomes([...splitter.push(']'), ...splitter.end()])).toEqual([])
  })

  it('is not fooled by brackets, braces, commas and escaped quotes inside strings', () => {
    const text = '[{"s":"]},{[\\"","n":{"m":[1,{"k":"}"}]}}]'
    expect(outcomes(parse(new JsonArraySplitter(), [text]))).toEqual([
      [1, { s: ']},{["', n: { m: [1, { k: '}' }] } }],
    ])
  })

  it('reports elements that are not objects, and malformed ones, and goes on', () => {
    const text = '[1, "x", null, [1,2], {"a":}, {"b":true}]'
    expect(outcomes(parse(new JsonArraySplitter(), [text]))).toEqual([
      [1, 'parse.json.not_object'],
      [2, 'parse.json.not_object'],
      [3, 'parse.json.not_object'],
      [4, 'parse.json.not_object'],
      [5, 'parse.json.syntax'],
      [6, { b: true }],
    ])
  })

  it('accepts an empty array and surrounding whitespace', () => {
    expect(parse(new JsonArraySplitter(), ['  \n[ \n ]\n '])).toEqual([])
  })

  it.each([
    ['an object instead of an array', '{"a":1}', [[0, 'parse.json.not_array']]],
    ['an empty body', '', [[0, 'parse.json.not_array']]],
    [
      'a trailing comma',
      '[{"a":1},]',
      [
        [1, { a: 1 }],
        [2, 'parse.json.syntax'],
      ],
    ],
    [
      'a missing comma',
      '[{"a":1} {"a":2}]',
      [
        [1, { a: 1 }],
        [2, 'parse.json.syntax'],
      ],
    ],
    [
      'an unclosed array',
      '[{"a":1}',
      [
        [1, { a: 1 }],
        [2, 'parse.json.syntax'],
      ],
    ],
    [
      'text after the array',
      '[{"a":1}] x',
      [
        [1, { a: 1 }],
        [2, 'parse.json.syntax'],
      ],
    ],
  ])('reports %s and stops', (_case, text, expected) => {
    const splitter = new JsonArraySplitter()
    expect(outcomes(parse(splitter, [text]))).toEqual(expected)
  })

  it('stops with an error when an element outgrows the limit', () => {
    const rows = parse(new JsonArraySplitter({ maxRecordChars: 10 }), [
      '[{"a":1},{"b":"',
      'x'.repeat(20),
      '"}]',
    ])
    expect(outcomes(rows)).toEqual([
      [1, { a: 1 }],
      [2, 'parse.too_large'],
    ])
  })

  it('gives the same result wherever the chunks are cut', () => {
    const text = '[ {"a":"\\"]"}, 7 ,{"b":[{}]} ]'
    const expected = parse(new JsonArraySplitter(), [text])
    expect(expected).toHaveLength(3)
    for (const chunks of splits(text)) {
      expect(parse(new JsonArraySplitter(), chunks), `chunks ${JSON.stringify(chunks)}`).toEqual(expected)
    }
  })
})
