// What every record splitter (CSV, NDJSON, JSON array) produces, and the interface the
// streaming driver in parse-records.ts feeds them through.

import type { ParseIssueCode } from './issues'

export interface ParseError {
  readonly code: ParseIssueCode
  readonly message: string
}

/**
 * One record of the input, numbered from 1 in input order (CSV: data rows after the header;
 * NDJSON: non-blank lines; JSON: array elements). Row 0 is the input as a whole: a bad CSV
 * header, a body that is not a JSON array.
 */
export type ParsedRow =
  | { readonly row: number; readonly record: Record<string, unknown>; readonly error?: undefined }
  | { readonly row: number; readonly error: ParseError; readonly record?: undefined }

/** Splits text, fed chunk by chunk, into records. Never throws on malformed input. */
export interface RecordSplitter {
  /** Consumes the next chunk; returns the rows it completed. */
  push(chunk: string): ParsedRow[]
  /** Ends the input; returns what was pending, or an error for an unfinished record. */
  end(): ParsedRow[]
  /** True once the input can't be parsed any further (a fatal error was reported). */
  readonly finished: boolean
}

export interface SplitterOptions {
  /** Longest record accepted, in UTF-16 code units, so one runaway record can't exhaust memory. */
  readonly maxRecordChars?: number
}

export const DEFAULT_MAX_RECORD_CHARS = 1 << 20

export function recordTooLarge(limit: number): ParseError {
  return { code: 'parse.too_large', message: `the record is longer than ${limit} characters` }
}
