// Turns the ways departments actually write values into the canonical forms the formats
// check. Each normaliser is total: a value it doesn't recognise comes back (trimmed of
// noise) unchanged, and validation then says what is wrong with it. Canonical input takes a
// fast path, since it is the common case on the ingest hot path.

import { isLegacyCitizenId, upgradeLegacyCitizenId } from './formats'
import type { FormatName } from './formats'

/** Full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space become plain ASCII. */
export function foldWidth(text: string): string {
  let i = 0
  while (i < text.length && !isWideChar(text.charCodeAt(i))) i++
  if (i === text.length) return text
  let folded = text.slice(0, i)
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i)
    folded += isWideChar(code) ? String.fromCharCode(code === 0x3000 ? 0x20 : code - 0xfee0) : text.charAt(i)
  }
  return folded
}

function isWideChar(code: number): boolean {
  return code === 0x3000 || (code >= 0xff01 && code <= 0xff5e)
}

/** How column names and aliases are compared: width-, case- and edge-space-insensitive. */
export function columnKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase()
}

const WHITESPACE = /\s+/g

function withoutSpaces(text: string): string {
  return text.replace(WHITESPACE, '')
}

const CANONICAL_CITIZEN_ID = /^\d{17}[\dX]$/

/** Width-folded, spaces removed, `x` upper-cased; a 15-digit legacy id upgraded to 18. */
export function normaliseCitizenId(text: string): string {
  if (CANONICAL_CITIZEN_ID.test(text)) return text
  const id = withoutSpaces(foldWidth(text)).toUpperCase()
  return isLegacyCitizenId(id) ? upgradeLegacyCitizenId(id) : id
}

const CANONICAL_CODE = /^[0-9A-Z]+$/

export function normaliseUscc(text: string): string {
  if (CANONICAL_CODE.test(text)) return text
  return withoutSpaces(foldWidth(text)).toUpperCase()
}

const CANONICAL_ORG_CODE = /^[0-9A-Z]{8}-[0-9X]$/
const UNHYPHENATED_ORG_CODE = /^[0-9A-Z]{9}$/

/** Upper-cased; the hyphen before the check character is inserted when missing. */
export function normaliseOrgCode(text: string): string {
  if (CANONICAL_ORG_CODE.test(text)) return text
  const code = withoutSpaces(foldWidth(text)).toUpperCase()
  return UNHYPHENATED_ORG_CODE.test(code) ? `${code.slice(0, 8)}-${code.slice(8)}` : code
}

export function normaliseAdminDivision(text: string): string {
  return withoutSpaces(foldWidth(text))
}

const CANONICAL_MOBILE = /^1\d{10}$/
const MOBILE_SEPARATORS = /[\s-]+/g

/** Spaces and hyphens removed, the +86 / 0086 country prefix dropped. */
export function normaliseMobile(text: string): string {
  if (CANONICAL_MOBILE.test(text)) return text
  const digits = foldWidth(text).replace(MOBILE_SEPARATORS, '')
  if (digits.startsWith('+86')) return digits.slice(3)
  if (digits.startsWith('0086')) return digits.slice(4)
  return digits
}

const CANONICAL_DATE = /^\d{4}-\d{2}-\d{2}$/
const SEPARATED_DATE = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/
const BASIC_DATE = /^(\d{4})(\d{2})(\d{2})$/
const CHINESE_DATE = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$/

function twoDigits(text: string): string {
  return text.length === 1 ? `0${text}` : text
}

/** `2024/3/5`, `2024.3.5`, `2024-3-5`, `20240305` and `2024年3月5日` become `2024-03-05`. */
export function normaliseDate(text: string): string {
  if (CANONICAL_DATE.test(text)) return text
  const date = foldWidth(text).trim()
  const separated = SEPARATED_DATE.exec(date)
  if (separated !== null) {
    return `${separated[1]}-${twoDigits(separated[3] ?? '')}-${twoDigits(separated[4] ?? '')}`
  }
  const parts = BASIC_DATE.exec(date) ?? CHINESE_DATE.exec(date)
  if (parts !== null) return `${parts[1]}-${twoDigits(parts[2] ?? '')}-${twoDigits(parts[3] ?? '')}`
  return date
}

/** The offset assumed for a date-time written without one: China Standard Time. */
export const DEFAULT_OFFSET = '+08:00'

const CANONICAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/
// The common database export `2024-03-05 08:30:00`, taken without the general parse.
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/
const LOOSE_DATE_TIME =
  /^(.+?)(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(?:([Zz])|([+-]\d{2}):?(\d{2})?)?$/
const BASIC_DATE_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/

/**
 * A date-time as RFC 3339: the date part in any form `normaliseDate` accepts, a space or
 * `T`, `H:MM[:SS[.fff]]`, and an optional offset (`Z`, `+08:00`, `+0800`, `+08`); without an
 * offset, +08:00 is assumed. `yyyyMMddHHmmss`, common in Chinese systems, is also accepted.
 */
export function normaliseDateTime(text: string): string {
  if (CANONICAL_DATE_TIME.test(text)) return text
  if (LOCAL_DATE_TIME.test(text)) return `${text.slice(0, 10)}T${text.slice(11)}${DEFAULT_OFFSET}`
  const value = foldWidth(text).trim()
  const basic = BASIC_DATE_TIME.exec(value)
  if (basic !== null) {
    return `${basic[1]}-${basic[2]}-${basic[3]}T${basic[4]}:${basic[5]}:${basic[6]}${DEFAULT_OFFSET}`
  }
  const m = LOOSE_DATE_TIME.exec(value)
  if (m === null) return value
  const date = normaliseDate(m[1] ?? '')
  if (!CANONICAL_DATE.test(date)) return value
  const time = `${twoDigits(m[2] ?? '')}:${m[3]}:${m[4] ?? '00'}${m[5] ?? ''}`
  const offset = m[6] !== undefined ? 'Z' : m[7] !== undefined ? `${m[7]}:${m[8] ?? '00'}` : DEFAULT_OFFSET
  return `${date}T${time}${offset}`
}

/** The normaliser for values of each format. */
export const FORMAT_NORMALISERS: Readonly<Record<FormatName, (text: string) => string>> = {
  'cn-citizen-id': normaliseCitizenId,
  'cn-uscc': normaliseUscc,
  'cn-org-code': normaliseOrgCode,
  'cn-admin-division': normaliseAdminDivision,
  'cn-mobile': normaliseMobile,
  date: normaliseDate,
  'date-time': normaliseDateTime,
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const GROUPED_DECIMAL = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/

/** A number written as text (`12.5`, `１２`, `1,234.50`), or undefined if it isn't one. */
export function numberFromText(text: string): number | undefined {
  const value = foldWidth(text).trim()
  if (DECIMAL.test(value)) return Number(value)
  if (GROUPED_DECIMAL.test(value)) return Number(value.replaceAll(',', ''))
  return undefined
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['是', true],
  ['否', false],
])

/** `true`/`false` (any case) and `是`/`否` as booleans, or undefined for anything else. */
export function booleanFromText(text: string): boolean | undefined {
  return BOOLEAN_WORDS.get(foldWidth(text).trim().toLowerCase())
}
