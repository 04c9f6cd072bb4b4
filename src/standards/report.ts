// The check report: what a dry run answers and what ingest builds alongside storing rows.

import type { Issue } from './issues'
import { pointerTokens } from './json-schema'
import type { ParsedRow, ParseError } from './splitter'
import { standardiseRecord } from './standardise'
import type { CompiledStandard, StandardiseOptions, StandardiseResult } from './standardise'

export interface ReportRow {
  readonly row: number
  /** The record's key value, when it could be read. */
  readonly key?: string
  readonly errors: readonly Issue[]
  readonly warnings?: readonly Issue[]
}

export interface CheckReport {
  readonly total: number
  readonly valid: number
  readonly invalid: number
  /** Valid records that carry warnings to review. */
  readonly warned: number
  /** Rows with errors or warnings, in input order, at most `maxRows` of them. */
  readonly rows: readonly ReportRow[]
  /** Errors per field (first path segment); record-level errors are not counted here. */
  readonly fields: Readonly<Record<string, number>>
  /** True when more rows had problems than `rows` holds. */
  readonly truncated: boolean
}

export interface ReportOptions {
  /** How many problem rows to keep (default 1000); counts always cover every row. */
  readonly maxRows?: number
}

export const DEFAULT_MAX_REPORT_ROWS = 1000

export interface ReportBuilder {
  addResult(row: number, result: StandardiseResult): void
  addParseError(row: number, error: ParseError): void
  report(): CheckReport
}

export function createReportBuilder(keyField: string, options: ReportOptions = {}): ReportBuilder {
  const maxRows = options.maxRows ?? DEFAULT_MAX_REPORT_ROWS
  const rows: ReportRow[] = []
  const fieldErrors = new Map<string, number>()
  let total = 0
  let invalid = 0
  let warned = 0
  let truncated = false

  const keep = (entry: ReportRow) => {
    if (rows.length < maxRows) rows.push(entry)
    else truncated = true
  }
  const countFields = (errors: readonly Issue[]) => {
    for (const { path } of errors) {
      const field = path === '' ? undefined : pointerTokens(path)[0]
      if (field !== undefined) fieldErrors.set(field, (fieldErrors.get(field) ?? 0) + 1)
    }
  }

  return {
    addResult(row, result) {
      total++
      const record = result.ok ? result.record : result.partial
      const key = record[keyField]
      const keyed = typeof key === 'string' || typeof key === 'number' ? { key: String(key) } : {}
      const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {}
      if (!result.ok) {
        invalid++
        countFields(result.errors)
        keep({ row, ...keyed, errors: result.errors, ...warnings })
      } else if (result.warnings.length > 0) {
        warned++
        keep({ row, ...keyed, errors: [], ...warnings })
      }
    },
    addParseError(row, error) {
      total++
      invalid++
      keep({ row, errors: [{ path: '', code: error.code, message: error.message }] })
    },
    report() {
      return {
        total,
        valid: total - invalid,
        invalid,
        warned,
        rows: [...rows],
        fields: Object.fromEntries(fieldErrors),
        truncated,
      }
    },
  }
}

/** Standardises and validates every row without storing anything: the dry run. */
export async function checkRecords(
  standard: CompiledStandard,
  rows: AsyncIterable<ParsedRow> | Iterable<ParsedRow>,
  options: StandardiseOptions & ReportOptions = {},
): Promise<CheckReport> {
  const builder = createReportBuilder(standard.description.key, options)
  for await (const parsed of rows) {
    if (parsed.error !== undefined) builder.addParseError(parsed.row, parsed.error)
    else builder.addResult(parsed.row, standardiseRecord(standard, parsed.record, options))
  }
  return builder.report()
}
