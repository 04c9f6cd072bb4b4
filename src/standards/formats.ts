// Checks for the `format` values Qiao's standards use. Each check takes an already
// normalised string and answers with the first problem found, or undefined when the value
// is valid. Problems are shared constants: messages never echo the value, because reports
// and logs must not leak the identifiers they are about.

export const FORMAT_NAMES = [
  'cn-citizen-id',
  'cn-uscc',
  'cn-org-code',
  'cn-admin-division',
  'cn-mobile',
  'date',
  'date-time',
] as const

export type FormatName = (typeof FORMAT_NAMES)[number]

const FORMAT_REASONS = {
  'cn-citizen-id': ['syntax', 'address_code', 'birth_date', 'checksum'],
  'cn-uscc': ['syntax', 'authority', 'division', 'checksum'],
  'cn-org-code': ['syntax', 'checksum'],
  'cn-admin-division': ['syntax', 'province', 'structure'],
  'cn-mobile': ['syntax'],
  date: ['syntax', 'invalid'],
  'date-time': ['syntax', 'invalid'],
} as const satisfies Record<FormatName, readonly string[]>

type FormatReasons = typeof FORMAT_REASONS

export type FormatIssueCode = {
  [F in FormatName]: `format.${F}.${FormatReasons[F][number]}`
}[FormatName]

export interface FormatProblem {
  readonly code: FormatIssueCode
  readonly message: string
  /** A warning lets the record through but flags it for review. */
  readonly severity: 'error' | 'warning'
}

/** Milliseconds since the epoch; injected so "not in the future" is testable. */
export type Clock = () => number

export type FormatCheck = (value: string, clock: Clock) => FormatProblem | undefined

export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name)
}

function problem<F extends FormatName>(
  format: F,
  reason: FormatReasons[F][number],
  message: string,
  severity: 'error' | 'warning' = 'error',
): FormatProblem {
  return Object.freeze({ code: `format.${format}.${reason}` as FormatIssueCode, message, severity })
}

// ---------------------------------------------------------------------------------------
// Calendar helpers

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const days = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0)
  return day <= days
}

const CHINA_OFFSET_MS = 8 * 3_600_000
const DAY_MS = 86_400_000

/** A date in China (UTC+08:00) as the number YYYYMMDD. */
export function chinaDateNumber(epochMs: number): number {
  const d = new Date(epochMs + CHINA_OFFSET_MS)
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
}

// Today is asked for on every citizen id checked; remember it until the day ends in China.
let today = { from: 0, until: 0, date: 0 }

function chinaToday(clock: Clock): number {
  const now = clock()
  if (now < today.from || now >= today.until) {
    const from = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS - CHINA_OFFSET_MS
    today = { from, until: from + DAY_MS, date: chinaDateNumber(now) }
  }
  return today.date
}

function digitsValue(value: string, start: number, end: number): number {
  let n = 0
  for (let i = start; i < end; i++) n = n * 10 + (value.charCodeAt(i) - 48)
  return n
}

// ---------------------------------------------------------------------------------------
// Administrative division (GB/T 2260)

// Province-level prefixes of GB/T 2260, including Taiwan (71), Hong Kong (81) and Macao (82).
const PROVINCE_PREFIXES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61,
  62, 63, 64, 65, 71, 81, 82,
])

const SIX_DIGITS = /^\d{6}$/

const DIVISION_SYNTAX = problem('cn-admin-division', 'syntax', 'must be a six-digit GB/T 2260 code')
const DIVISION_PROVINCE = problem(
  'cn-admin-division',
  'province',
  'the first two digits are not a GB/T 2260 province',
)
const DIVISION_STRUCTURE = problem(
  'cn-admin-division',
  'structure',
  'a county part needs a prefecture part: digits 3–4 are 00 but digits 5–6 are not',
)

/** Structure only: retired and newly created codes are accepted (GB/T 2260 never reuses a code). */
export function adminDivisionProblem(value: string): FormatProblem | undefined {
  if (!SIX_DIGITS.test(value)) return DIVISION_SYNTAX
  if (!PROVINCE_PREFIXES.has(digitsValue(value, 0, 2))) return DIVISION_PROVINCE
  if (value[2] === '0' && value[3] === '0' && !(value[4] === '0' && value[5] === '0')) {
    return DIVISION_STRUCTURE
  }
  return undefined
}

// ---------------------------------------------------------------------------------------
// Citizen id (GB 11643-1999)

const CITIZEN_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
const CITIZEN_ID_CHECK_CHARS = '10X98765432'
const SEVENTEEN_DIGITS = /^\d{17}$/
const CITIZEN_ID_SHAPE = /^\d{17}[\dX]$/
const LEGACY_CITIZEN_ID_SHAPE = /^\d{15}$/
// Residence permits of Taiwan residents use address code 830000 with the same algorithm.
const TAIWAN_RESIDENT_PREFIX = 83
// Nobody alive or on file was born before this; earlier years are typing errors.
const EARLIEST_BIRTH_YEAR = 1800

/** The GB 11643 MOD 11-2 check character for the first 17 digits of a citizen id. */
export function citizenIdCheckChar(first17: string): string {
  if (!SEVENTEEN_DIGITS.test(first17)) throw new RangeError('expected 17 digits')
  return citizenIdCheckCharOf(first17)
}

// Reads the first 17 characters of `digits`, which the caller has checked are digits.
function citizenIdCheckCharOf(digits: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += (digits.charCodeAt(i) - 48) * (CITIZEN_ID_WEIGHTS[i] ?? 0)
  return CITIZEN_ID_CHECK_CHARS.charAt(sum % 11)
}

/** A 15-digit (pre-1999) id as 18 characters: century 19 inserted, check character added. */
export function upgradeLegacyCitizenId(id15: string): string {
  if (!LEGACY_CITIZEN_ID_SHAPE.test(id15)) throw new RangeError('expected 15 digits')
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`
  return first17 + citizenIdCheckChar(first17)
}

export function isLegacyCitizenId(value: string): boolean {
  return LEGACY_CITIZEN_ID_SHAPE.test(value)
}

const CITIZEN_ID_SYNTAX = problem(
  'cn-citizen-id',
  'syntax',
  'must be 18 characters: 17 digits then a digit or X',
)
const CITIZEN_ID_ADDRESS = problem(
  'cn-citizen-id',
  'address_code',
  'the address code does not start with a GB/T 2260 province',
)
const CITIZEN_ID_BIRTH_DATE = problem(
  'cn-citizen-id',
  'birth_date',
  'digits 7–14 are not a real birth date (YYYYMMDD, from 1800)',
)
const CITIZEN_ID_FUTURE_BIRTH = problem(
  'cn-citizen-id',
  'birth_date',
  'the birth date (digits 7–14) is in the future',
)
const CITIZEN_ID_CHECKSUM = problem(
  'cn-citizen-id',
  'checksum',
  'the check character (GB 11643 MOD 11-2) does not match',
)

export function citizenIdProblem(value: string, clock: Clock = Date.now): FormatProblem | undefined {
  if (!CITIZEN_ID_SHAPE.test(value)) return CITIZEN_ID_SYNTAX
  const province = digitsValue(value, 0, 2)
  if (!PROVINCE_PREFIXES.has(province) && province !== TAIWAN_RESIDENT_PREFIX) {
    return CITIZEN_ID_ADDRESS
  }
  const year = digitsValue(value, 6, 10)
  const month = digitsValue(value, 10, 12)
  const day = digitsValue(value, 12, 14)
  if (year < EARLIEST_BIRTH_YEAR || !isCalendarDate(year, month, day)) return CITIZEN_ID_BIRTH_DATE
  if (citizenIdCheckCharOf(value) !== value[17]) return CITIZEN_ID_CHECKSUM
  if (digitsValue(value, 6, 14) > chinaToday(clock)) return CITIZEN_ID_FUTURE_BIRTH
  return undefined
}

// ---------------------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015)

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const
const USCC_SHAPE = /^[0-9A-HJ-NP-RTUWXY]{18}$/
const USCC_BODY_SHAPE = /^[0-9A-HJ-NP-RTUWXY]{17}$/
// Registering authorities: 1 staffing, 2 foreign affairs, 3 justice, 4 culture, 5 civil
// affairs, 6 tourism, 7 religion, 8 trade unions, 9 market regulation, A military staffing,
// N agriculture, Y other.
const USCC_AUTHORITIES = new Set('123456789ANY')

function usccCharValue(char: string): number {
  return USCC_CHARSET.indexOf(char)
}

/** The GB 32100 MOD 31 check character for the first 17 characters of a credit code. */
export function usccCheckChar(first17: string): string {
  if (!USCC_BODY_SHAPE.test(first17)) throw new RangeError('expected 17 GB 32100 characters')
  let sum = 0
  for (let i = 0; i < 17; i++) sum += usccCharValue(first17.charAt(i)) * (USCC_WEIGHTS[i] ?? 0)
  return USCC_CHARSET.charAt((31 - (sum % 31)) % 31)
}

const USCC_SYNTAX = problem(
  'cn-uscc',
  'syntax',
  'must be 18 characters from 0-9 and A-Z without I, O, Z, S, V',
)
const USCC_AUTHORITY = problem(
  'cn-uscc',
  'authority',
  'the first character is not a registering authority (1-9, A, N, Y)',
)
const USCC_DIVISION = problem('cn-uscc', 'division', 'characters 3–8 must be a six-digit division code')
// Some early pilot codes were issued with check characters that fail MOD 31: flag for review.
const USCC_CHECKSUM = problem(
  'cn-uscc',
  'checksum',
  'the check character (GB 32100 MOD 31) does not match; some early pilot codes fail it, so verify with the registering authority',
  'warning',
)

export function usccProblem(value: string): FormatProblem | undefined {
  if (!USCC_SHAPE.test(value)) return USCC_SYNTAX
  if (!USCC_AUTHORITIES.has(value.charAt(0))) return USCC_AUTHORITY
  if (!SIX_DIGITS.test(value.slice(2, 8))) return USCC_DIVISION
  if (usccCheckChar(value.slice(0, 17)) !== value[17]) return USCC_CHECKSUM
  return undefined
}

// ---------------------------------------------------------------------------------------
// Organisation code (GB 11714-1997)

const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const
const ORG_CODE_BODY_SHAPE = /^[0-9A-Z]{8}$/
const ORG_CODE_SHAPE = /^[0-9A-Z]{8}-[0-9X]$/

function orgCodeCharValue(code: number): number {
  return code <= 57 ? code - 48 : code - 55 // '0'…'9' → 0…9, 'A'…'Z' → 10…35
}

/** The GB 11714 check character for the 8-character body of an organisation code. */
export function orgCodeCheckChar(body: string): string {
  if (!ORG_CODE_BODY_SHAPE.test(body)) throw new RangeError('expected 8 characters from 0-9 and A-Z')
  let sum = 0
  for (let i = 0; i < 8; i++) sum += orgCodeCharValue(body.charCodeAt(i)) * (ORG_CODE_WEIGHTS[i] ?? 0)
  const check = 11 - (sum % 11)
  return check === 10 ? 'X' : check === 11 ? '0' : String(check)
}

const ORG_CODE_SYNTAX = problem(
  'cn-org-code',
  'syntax',
  'must be written XXXXXXXX-C: 8 characters from 0-9 and A-Z, a hyphen and a check character',
)
const ORG_CODE_CHECKSUM = problem('cn-org-code', 'checksum', 'the check character (GB 11714) does not match')

export function orgCodeProblem(value: string): FormatProblem | undefined {
  if (!ORG_CODE_SHAPE.test(value)) return ORG_CODE_SYNTAX
  if (orgCodeCheckChar(value.slice(0, 8)) !== value[9]) return ORG_CODE_CHECKSUM
  return undefined
}

// ---------------------------------------------------------------------------------------
// Mobile number

const MOBILE_SHAPE = /^1[3-9]\d{9}$/
const MOBILE_SYNTAX = problem(
  'cn-mobile',
  'syntax',
  'must be an 11-digit mainland mobile number starting 13–19',
)

export function mobileProblem(value: string): FormatProblem | undefined {
  return MOBILE_SHAPE.test(value) ? undefined : MOBILE_SYNTAX
}

// ---------------------------------------------------------------------------------------
// Dates and times (ISO 8601 extended format / RFC 3339)

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/
const DATE_SYNTAX = problem('date', 'syntax', 'must be an ISO 8601 date YYYY-MM-DD')
const DATE_INVALID = problem('date', 'invalid', 'is not a calendar date')

export function dateProblem(value: string): FormatProblem | undefined {
  if (!DATE_SHAPE.test(value)) return DATE_SYNTAX
  return isDateAt(value, 0) ? undefined : DATE_INVALID
}

// A calendar date at value[start…start+10), already known to be shaped YYYY-MM-DD.
function isDateAt(value: string, start: number): boolean {
  return isCalendarDate(
    digitsValue(value, start, start + 4),
    digitsValue(value, start + 5, start + 7),
    digitsValue(value, start + 8, start + 10),
  )
}

const DATE_TIME_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/
const DATE_TIME_SYNTAX = problem(
  'date-time',
  'syntax',
  'must be an RFC 3339 date-time with an offset, e.g. 2024-03-05T08:30:00+08:00',
)
const DATE_TIME_INVALID = problem('date-time', 'invalid', 'is not a real date and time of day')

// Leap seconds (:60) are refused: neither JavaScript dates nor PostgreSQL keep them.
export function dateTimeProblem(value: string): FormatProblem | undefined {
  if (!DATE_TIME_SHAPE.test(value)) return DATE_TIME_SYNTAX
  const end = value.length
  const utc = value.charCodeAt(end - 1) > 57 // ends in Z or z rather than a digit of ±HH:MM
  const valid =
    isDateAt(value, 0) &&
    digitsValue(value, 11, 13) <= 23 &&
    digitsValue(value, 14, 16) <= 59 &&
    digitsValue(value, 17, 19) <= 59 &&
    (utc || (digitsValue(value, end - 5, end - 3) <= 23 && digitsValue(value, end - 2, end) <= 59))
  return valid ? undefined : DATE_TIME_INVALID
}

// ---------------------------------------------------------------------------------------

export const FORMAT_CHECKS: Readonly<Record<FormatName, FormatCheck>> = {
  'cn-citizen-id': citizenIdProblem,
  'cn-uscc': usccProblem,
  'cn-org-code': orgCodeProblem,
  'cn-admin-division': adminDivisionProblem,
  'cn-mobile': mobileProblem,
  date: dateProblem,
  'date-time': dateTimeProblem,
}
