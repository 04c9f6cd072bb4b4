// The one shape every validation, standardisation and parse problem takes, and the closed
// list of codes. Codes are stable API: clients and reports key on them (schemas/README.md).

import type { FormatIssueCode, FormatProblem } from './formats'

export type SchemaIssueCode =
  | 'type'
  | 'enum'
  | 'const'
  | 'required'
  | 'unknown_field'
  | 'forbidden'
  | 'pattern'
  | 'min_length'
  | 'max_length'
  | 'minimum'
  | 'maximum'
  | 'exclusive_minimum'
  | 'exclusive_maximum'
  | 'multiple_of'
  | FormatIssueCode

export type ParseIssueCode =
  | 'parse.csv.header'
  | 'parse.csv.field_count'
  | 'parse.csv.quote'
  | 'parse.csv.unterminated_quote'
  | 'parse.json.syntax'
  | 'parse.json.not_object'
  | 'parse.json.not_array'
  | 'parse.encoding'
  | 'parse.too_large'

export type IssueCode = SchemaIssueCode | 'duplicate_field' | ParseIssueCode

export interface Issue {
  /** JSON Pointer into the record ('' for the record itself). */
  readonly path: string
  readonly code: IssueCode
  readonly message: string
}

export const NO_ISSUES: readonly Issue[] = Object.freeze([])

export interface ValidationResult {
  readonly valid: boolean
  readonly errors: readonly Issue[]
  /** Problems that need review but don't make the record invalid (e.g. a pilot credit code). */
  readonly warnings: readonly Issue[]
}

/** Collects the issues of one record; arrays are only allocated once something goes wrong. */
export class IssueCollector implements ValidationResult {
  #errors: Issue[] | undefined
  #warnings: Issue[] | undefined

  get valid(): boolean {
    return this.#errors === undefined
  }

  get errors(): readonly Issue[] {
    return this.#errors ?? NO_ISSUES
  }

  get warnings(): readonly Issue[] {
    return this.#warnings ?? NO_ISSUES
  }

  error(path: string, code: IssueCode, message: string): void {
    ;(this.#errors ??= []).push({ path, code, message })
  }

  formatProblem(path: string, problem: FormatProblem): void {
    const issue = { path, code: problem.code, message: problem.message }
    if (problem.severity === 'warning') (this.#warnings ??= []).push(issue)
    else (this.#errors ??= []).push(issue)
  }
}
