// A streaming RFC 4180 CSV splitter: quoted fields, doubled quotes, line breaks inside quotes,
// CRLF or LF line ends, the first row as header. It keeps only the current row in memory,
// and any chunk boundary (inside a quoted field, between CR and LF) is handled.
//
// Lenient where real exports are sloppy and it is unambiguous: a quote inside an unquoted
// field is kept as a character, blank lines are skipped. Strict where data would shift: a
// row whose field count differs from the header's is an error.

import { DEFAULT_MAX_RECORD_CHARS, recordTooLarge } from './splitter'
import type { ParseError, ParsedRow, RecordSplitter, SplitterOptions } from './splitter'

const QUOTE = 0x22
const COMMA = 0x2c
const LF = 0x0a
const CR = 0x0d

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote seen inside a quoted field: either an escaped quote or the closing one. */
  QuoteInQuoted,
}

const TEXT_AFTER_CLOSING_QUOTE: ParseError = {
  code: 'parse.csv.quote',
  message: 'text follows the closing quote of a field; quote the whole field and double inner quotes',
}

export class CsvSplitter implements RecordSplitter {
  #finished = false
  #header: readonly string[] | undefined
  #rowNumber = 0
  #state = State.FieldStart
  #fields: string[] = []
  #field = ''
  #rowChars = 0
  #rowQuoted = false
  #rowError: ParseError | undefined
  /** A row ended with CR at the end of a chunk: an LF opening the next chunk belongs to it. */
  #pendingCr = false
  readonly #maxRecordChars: number

  constructor(options: SplitterOptions = {}) {
    this.#maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS
  }

  get finished(): boolean {
    return this.#finished
  }

  push(chunk: string): ParsedRow[] {
    const rows: ParsedRow[] = []
    if (this.#finished || chunk.length === 0) return rows
    let i = 0
    if (this.#pendingCr) {
      this.#pendingCr = false
      if (chunk.charCodeAt(0) === LF) i = 1
    }
    const n = chunk.length
    let start = i
    while (i < n && !this.#finished) {
      switch (this.#state) {
        case State.FieldStart:
          if (chunk.charCodeAt(i) === QUOTE) {
            this.#state = State.Quoted
            this.#rowQuoted = true
            i++
          } else {
            this.#state = State.Unquoted
          }
          start = i
          break
        case State.Unquoted: {
          while (i < n) {
            const c = chunk.charCodeAt(i)
            if (c === COMMA || c === LF || c === CR) break
            i++
          }
          this.#field += chunk.slice(start, i)
          if (i < n) i = this.#endField(chunk, i, rows)
          break
        }
        case State.Quoted: {
          const quote = chunk.indexOf('"', i)
          const end = quote < 0 ? n : quote
          this.#field += chunk.slice(start, end)
          i = end
          if (quote >= 0) {
            this.#state = State.QuoteInQuoted
            i++
          }
          break
        }
        case State.QuoteInQuoted: {
          const c = chunk.charCodeAt(i)
          if (c === QUOTE) {
            this.#field += '"'
            this.#state = State.Quoted
            start = ++i
          } else if (c === COMMA || c === LF || c === CR) {
            i = this.#endField(chunk, i, rows)
          } else {
            this.#rowError ??= TEXT_AFTER_CLOSING_QUOTE
            this.#state = State.Unquoted
            start = i
          }
          break
        }
      }
    }
    this.#guardRowSize(rows)
    return rows
  }

  end(): ParsedRow[] {
    const rows: ParsedRow[] = []
    if (this.#finished) return rows
    if (this.#state === State.Quoted) {
      rows.push(
        this.#errorRow({
          code: 'parse.csv.unterminated_quote',
          message: 'the input ends inside a quoted field: a closing quote is missing',
        }),
      )
    } else if (this.#state !== State.FieldStart || this.#fields.length > 0) {
      this.#fields.push(this.#field)
      this.#emitRow(rows)
    }
    this.#finished = true
    return rows
  }

  // Ends the field at the delimiter at `i` (comma, CR or LF); returns where parsing resumes.
  #endField(chunk: string, i: number, rows: ParsedRow[]): number {
    this.#rowChars += this.#field.length
    this.#fields.push(this.#field)
    this.#field = ''
    this.#state = State.FieldStart
    const c = chunk.charCodeAt(i)
    if (c === COMMA) return i + 1
    this.#emitRow(rows)
    if (c === CR) {
      if (i + 1 === chunk.length) this.#pendingCr = true
      else if (chunk.charCodeAt(i + 1) === LF) return i + 2
    }
    return i + 1
  }

  #emitRow(rows: ParsedRow[]): void {
    const fields = this.#fields
    const blank = fields.length === 1 && fields[0] === '' && !this.#rowQuoted
    const error = this.#rowError
    this.#fields = []
    this.#rowChars = 0
    this.#rowQuoted = false
    this.#rowError = undefined
    if (blank) return
    if (this.#header === undefined) {
      this.#acceptHeader(fields, rows)
      return
    }
    rows.push(dataRow(++this.#rowNumber, this.#header, fields, error))
  }

  #acceptHeader(names: readonly string[], rows: ParsedRow[]): void {
    const problem = headerProblem(names)
    if (problem === undefined) {
      this.#header = names
      return
    }
    rows.push({ row: 0, error: { code: 'parse.csv.header', message: problem } })
    this.#finished = true
  }

  #errorRow(error: ParseError): ParsedRow {
    if (this.#header === undefined) {
      return { row: 0, error: { code: 'parse.csv.header', message: error.message } }
    }
    return { row: ++this.#rowNumber, error }
  }

  // The rest of a runaway row can't be told apart from the rows after it, so this is fatal.
  #guardRowSize(rows: ParsedRow[]): void {
    if (this.#finished || this.#rowChars + this.#field.length <= this.#maxRecordChars) return
    rows.push(this.#errorRow(recordTooLarge(this.#maxRecordChars)))
    this.#finished = true
  }
}

function dataRow(
  row: number,
  header: readonly string[],
  fields: readonly string[],
  error: ParseError | undefined,
): ParsedRow {
  if (error !== undefined) return { row, error }
  if (fields.length !== header.length) {
    const message = `the row has ${fields.length} fields but the header has ${header.length}`
    return { row, error: { code: 'parse.csv.field_count', message } }
  }
  return { row, record: recordOf(header, fields) }
}

function headerProblem(names: readonly string[]): string | undefined {
  const seen = new Set<string>()
  for (const name of names) {
    if (name !== '' && seen.has(name)) return `the header names the column "${name}" twice`
    // Assigning __proto__ would change the record's prototype instead of adding a field.
    if (name === '__proto__') return 'the header may not name a column __proto__'
    seen.add(name)
  }
  return undefined
}

// Columns without a name are trailing separators in spreadsheet exports: an empty cell
// under one is dropped; a value under one still reaches the record, as an unknown field ''.
function recordOf(header: readonly string[], fields: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  for (let i = 0; i < header.length; i++) {
    const name = header[i] ?? ''
    const value = fields[i] ?? ''
    if (name !== '' || value !== '') record[name] = value
  }
  return record
}
