import { describe, expect, it } from 'vitest'
import { CsvSplitter } from '../../src/standards/csv'
import type { ParsedRow, SplitterOptions } from '../../src/standards/splitter'

/** Parses `chunks` fed one after another, as a stream would. */
function parse(chunks: readonly string[], options?: SplitterOptions): ParsedRow[] {
  const splitter = new CsvSplitter(options)
  const rows = chunks.flatMap((chunk) => splitter.push(chunk))
  return [...rows, ...splitter.end()]
}

function records(text: string): unknown[] {
  return parse([text]).map((row) => row.record ?? row.error)
}

/** Every way of cutting `text` into two chunks, and into single characters. */
function splits(text: string): string[][] {
  const cuts = Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)])
  return [...cuts, [...text]]
}

describe('CsvSplitter', () => {
  it('turns the header and rows into records numbered from 1', () => {
    expect(parse(['姓名,性别\n张三,男\n李四,女\n'])).toEqual([
      { row: 1, record: { 姓名: '张三', 性别: '男' } },
      { row: 2, record: { 姓名: '李四', 性别: '女' } },
    ])
  })

  it('reads quoted fields with commas, doubled quotes and line breaks inside', () => {
    const text = 'a,b,c\n"1,5","say ""hi""","line one\nline two\r\nline three"\n'
    expect(records(text)).toEqual([{ a: '1,5', b: 'say "hi"', c: 'line one\nline two\r\nline three' }])
  })

  it('accepts CRLF, LF and a missing final line break', () => {
    expect(records('a,b\r\n1,2\r\n3,4')).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ])
    expect(records('a\r1\r2\r')).toEqual([{ a: '1' }, { a: '2' }])
  })

  it('keeps empty fields, quoted or not, as empty strings', () => {
    expect(records('a,b,c\n,"",\n')).toEqual([{ a: '', b: '', c: '' }])
  })

  it('skips blank lines but keeps a row that is one quoted empty field', () => {
    expect(records('a\n\n1\r\n\r\n""\n\n')).toEqual([{ a: '1' }, { a: '' }])
  })

  it('gives the same result wherever the chunks are cut', () => {
    const text = 'id,note\r\n1,"a ""quoted"", multi-line\r\nnote"\r\n2,plain\r\n"3",""\r\n'
    const expected = parse([text])
    expect(expected).toHaveLength(3)
    for (const chunks of splits(text)) {
      expect(parse(chunks), `chunks ${JSON.stringify(chunks)}`).toEqual(expected)
    }
  })

  it('reports a row with the wrong number of fields and goes on with the next', () => {
    expect(parse(['a,b\n1\n1,2,3\n4,5\n'])).toEqual([
      {
        row: 1,
        error: { code: 'parse.csv.field_count', message: 'the row has 1 fields but the header has 2' },
      },
      {
        row: 2,
        error: { code: 'parse.csv.field_count', message: 'the row has 3 fields but the header has 2' },
      },
      { row: 3, record: { a: '4', b: '5' } },
    ])
  })

  it('reports text after a closing quote for that row only', () => {
    const rows = parse(['a,b\n"x"y,1\n2,3\n'])
    expect(rows.map((row) => row.error?.code ?? row.record)).toEqual(['parse.csv.quote', { a: '2', b: '3' }])
  })

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(records('size\n5" screen\n')).toEqual([{ size: '5" screen' }])
  })

  it('reports a quoted field left open at the end of the input', () => {
    expect(parse(['a,b\n1,"open\n2,3\n'])).toEqual([
      {
        row: 1,
        error: { code: 'parse.csv.unterminated_quote', message: expect.stringContaining('closing quote') },
      },
    ])
  })

  it('refuses a header that names a column twice, as row 0, and reads no further', () => {
    const splitter = new CsvSplitter()
    expect(splitter.push('a,b,a\n1,2,3\n')).toEqual([
      { row: 0, error: { code: 'parse.csv.header', message: 'the header names the column "a" twice' } },
    ])
    expect(splitter.finished).toBe(true)
    expect(splitter.push('4,5,6\n')).toEqual([])
  })

  it('refuses a column named __proto__', () => {
    expect(parse(['__proto__\n1\n'])[0]?.error?.code).toBe('parse.csv.header')
  })

  it('drops empty cells under unnamed columns (trailing separators of spreadsheet exports)', () => {
    expect(records('a,b,,\n1,2,,\n3,4,x,\n')).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4', '': 'x' },
    ])
  })

  it('answers nothing for an empty input or a header alone', () => {
    expect(parse([''])).toEqual([])
    expect(parse(['a,b\r\n'])).toEqual([])
  })

  it('stops with an error when a row outgrows the limit (a runaway quote would swallow the file)', () => {
    const splitter = new CsvSplitter({ maxRecordChars: 20 })
    const rows = [
      ...splitter.push('a,b\n1,"'),
      ...splitter.push('x'.repeat(30)),
      ...splitter.push('"\n2,3\n'),
    ]
    expect(rows).toEqual([
      { row: 1, error: { code: 'parse.too_large', message: 'the record is longer than 20 characters' } },
    ])
    expect(splitter.finished).toBe(true)
  })
})
