// Streaming splitters for JSON input: NDJSON (one object per line) and a top-level JSON array
// of objects, each object parsed on its own as soon as it is complete.

import { isPlainObject } from './json-schema'
import { DEFAULT_MAX_RECORD_CHARS, recordTooLarge } from './splitter'
import type { ParseError, ParsedRow, RecordSplitter, SplitterOptions } from './splitter'

const NOT_AN_OBJECT: ParseError = { code: 'parse.json.not_object', message: 'a record must be a JSON object' }

// Engine messages for bad JSON may quote the input; only the position is passed on.
function syntaxError(error: unknown): ParseError {
  const position = /position (\d+)/.exec(String(error))?.[1]
  const where = position === undefined ? '' : ` (at character ${position})`
  return { code: 'parse.json.syntax', message: `the record is not valid JSON${where}` }
}

function parsedRow(row: number, text: string): ParsedRow {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { row, error: syntaxError(error) }
  }
  return isPlainObject(value) ? { row, record: value } : { row, error: NOT_AN_OBJECT }
}

export class NdjsonSplitter implements RecordSplitter {
  #partial = ''
  #rowNumber = 0
  /** Skipping to the end of a line that was too long. */
  #skipping = false
  readonly #maxRecordChars: number

  constructor(options: SplitterOptions = {}) {
    this.#maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS
  }

  // A bad line never hides the next one, so NDJSON input is never given up on.
  get finished(): boolean {
    return false
  }

  push(chunk: string): ParsedRow[] {
    const rows: ParsedRow[] = []
    let start = 0
    for (let newline = chunk.indexOf('\n'); newline >= 0; newline = chunk.indexOf('\n', start)) {
      if (!this.#skipping) this.#emitLine(this.#partial + chunk.slice(start, newline), rows)
      this.#skipping = false
      this.#partial = ''
      start = newline + 1
    }
    if (this.#skipping) return rows
    this.#partial += chunk.slice(start)
    if (this.#partial.length > this.#maxRecordChars) {
      rows.push({ row: ++this.#rowNumber, error: recordTooLarge(this.#maxRecordChars) })
      this.#partial = ''
      this.#skipping = true
    }
    return rows
  }

  end(): ParsedRow[] {
    const rows: ParsedRow[] = []
    if (!this.#skipping) this.#emitLine(this.#partial, rows)
    this.#partial = ''
    return rows
  }

  #emitLine(line: string, rows: ParsedRow[]): void {
    if (line.trim() === '') return
    rows.push(parsedRow(++this.#rowNumber, line))
  }
}

const enum State {
  BeforeArray,
  BeforeFirstElement,
  BeforeElement,
  InElement,
  AfterElement,
  AfterArray,
  Failed,
}

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

/**
 * Splits `[ {...}, {...} ]` into its elements by tracking nesting and strings, and hands
 * each element to JSON.parse. A malformed element is reported and skipped; a broken array
 * structure (missing comma, trailing comma, unclosed array) ends the input.
 */
export class JsonArraySplitter implements RecordSplitter {
  #state = State.BeforeArray
  #rowNumber = 0
  #element = ''
  #depth = 0
  #inString = false
  #escaped = false
  readonly #maxRecordChars: number

  constructor(options: SplitterOptions = {}) {
    this.#maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS
  }

  get finished(): boolean {
    return this.#state === State.Failed
  }

  push(chunk: string): ParsedRow[] {
    const rows: ParsedRow[] = []
    const n = chunk.length
    let i = 0
    let elementStart = 0
    while (i < n && this.#state !== State.Failed) {
      const c = chunk.charCodeAt(i)
      switch (this.#state) {
        case State.InElement: {
          const end = this.#scanElement(chunk, i)
          if (end < 0) {
            i = n
            break
          }
          this.#element += chunk.slice(elementStart, end)
          rows.push(parsedRow(++this.#rowNumber, this.#element))
          this.#element = ''
          this.#state = State.AfterElement
          i = end
          break
        }
        case State.AfterArray:
          if (!isJsonWhitespace(c)) this.#fail(rows, 'text follows the closing ] of the array')
          i++
          break
        default:
          if (isJsonWhitespace(c)) {
            i++
            break
          }
          elementStart = i
          i = this.#punctuation(c, i, rows)
      }
    }
    if (this.#state === State.InElement) {
      this.#element += chunk.slice(elementStart)
      if (this.#element.length > this.#maxRecordChars) {
        rows.push({ row: this.#rowNumber + 1, error: recordTooLarge(this.#maxRecordChars) })
        this.#state = State.Failed
      }
    }
    return rows
  }

  end(): ParsedRow[] {
    const rows: ParsedRow[] = []
    if (this.#state === State.BeforeArray) {
      rows.push({
        row: 0,
        error: { code: 'parse.json.not_array', message: 'the body is empty: expected a JSON array' },
      })
    } else if (this.#state !== State.AfterArray && this.#state !== State.Failed) {
      this.#fail(rows, 'the input ends before the array is closed with ]')
    }
    return rows
  }

  // Handles a non-space character outside any element; returns where parsing resumes.
  #punctuation(c: number, i: number, rows: ParsedRow[]): number {
    switch (this.#state) {
      case State.BeforeArray:
        if (c === OPEN_BRACKET) this.#state = State.BeforeFirstElement
        else {
          rows.push({
            row: 0,
            error: { code: 'parse.json.not_array', message: 'expected a JSON array of records' },
          })
          this.#state = State.Failed
        }
        return i + 1
      case State.AfterElement:
        if (c === COMMA) this.#state = State.BeforeElement
        else if (c === CLOSE_BRACKET) this.#state = State.AfterArray
        else this.#fail(rows, 'expected , or ] after an array element')
        return i + 1
      default:
        if (c === CLOSE_BRACKET) {
          if (this.#state === State.BeforeFirstElement) this.#state = State.AfterArray
          else this.#fail(rows, 'a comma is followed by ]: trailing commas are not JSON')
          return i + 1
        }
        this.#state = State.InElement
        this.#depth = 0
        return i
    }
  }

  // Scans an element from `i`; returns the index just past its end, or -1 if the chunk ends
  // first. Nested brackets and strings are tracked only well enough to find the end:
  // JSON.parse judges the element itself.
  #scanElement(chunk: string, i: number): number {
    for (; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false
        else if (c === BACKSLASH) this.#escaped = true
        else if (c === QUOTE) this.#inString = false
        continue
      }
      if (c === QUOTE) this.#inString = true
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.#depth++
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.#depth === 0) return i
        if (--this.#depth === 0) return i + 1
      } else if (this.#depth === 0 && (c === COMMA || isJsonWhitespace(c))) {
        return i
      }
    }
    return -1
  }

  #fail(rows: ParsedRow[], message: string): void {
    rows.push({ row: this.#rowNumber + 1, error: { code: 'parse.json.syntax', message } })
    this.#state = State.Failed
  }
}
