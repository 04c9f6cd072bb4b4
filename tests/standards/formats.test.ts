import { describe, expect, it } from 'vitest'
import {
  adminDivisionProblem,
  chinaDateNumber,
  citizenIdCheckChar,
  citizenIdProblem,
  dateProblem,
  dateTimeProblem,
  isCalendarDate,
  mobileProblem,
  orgCodeCheckChar,
  orgCodeProblem,
  upgradeLegacyCitizenId,
  usccCheckChar,
  usccProblem,
} from '../../src/standards/formats'

// A fixed "now" so that the future-birth-date rule doesn't depend on when tests run.
const NOW = Date.parse('2024-06-01T00:00:00+08:00')
const clock = () => NOW

describe('cn-citizen-id (GB 11643)', () => {
  it.each(['11010519491231002X', '440524188001010014', '110105199003071239', '310115198511020046'])(
    'accepts %s from DOMAIN.md',
    (id) => {
      expect(citizenIdProblem(id, clock), `${id} is a valid citizen id`).toBeUndefined()
      expect(citizenIdCheckChar(id.slice(0, 17)), `check character of ${id}`).toBe(id[17])
    },
  )

  it('upgrades a 15-digit legacy id by inserting 19 and computing the check character', () => {
    expect(upgradeLegacyCitizenId('110105491231002')).toBe('11010519491231002X')
  })

  it('accepts the 830000 address code of Taiwan residents’ residence permits', () => {
    const first17 = '83000019900101001'
    expect(citizenIdProblem(first17 + citizenIdCheckChar(first17), clock)).toBeUndefined()
  })

  it.each([
    ['wrong check character', '110105194912310021', 'format.cn-citizen-id.checksum'],
    ['lower-case x (normalisation upper-cases it)', '11010519491231002x', 'format.cn-citizen-id.syntax'],
    ['17 characters', '11010519491231002', 'format.cn-citizen-id.syntax'],
    ['15 digits (must be normalised first)', '110105491231002', 'format.cn-citizen-id.syntax'],
    ['a letter inside', '1101051949A231002X', 'format.cn-citizen-id.syntax'],
    ['no such province', '990105194912310023', 'format.cn-citizen-id.address_code'],
    ['31 February', '110105199002310012', 'format.cn-citizen-id.birth_date'],
    ['month 13', '110105199013010012', 'format.cn-citizen-id.birth_date'],
    ['born before 1800', '110105179912310012', 'format.cn-citizen-id.birth_date'],
  ])('rejects %s', (_case, id, code) => {
    expect(citizenIdProblem(id, clock)?.code, `code for ${id}`).toBe(code)
  })

  it('rejects a birth date after today (in China)', () => {
    const first17 = '11010520240602001' // born the day after NOW
    const id = first17 + citizenIdCheckChar(first17)
    expect(citizenIdProblem(id, clock)?.code).toBe('format.cn-citizen-id.birth_date')
    expect(citizenIdProblem(id, () => Date.parse('2024-06-02T00:00:00+08:00'))).toBeUndefined()
  })

  it('check-character calculators refuse malformed input', () => {
    expect(() => citizenIdCheckChar('1234')).toThrow(RangeError)
    expect(() => upgradeLegacyCitizenId('11010519491231002X')).toThrow(RangeError)
  })
})

describe('cn-uscc (GB 32100)', () => {
  it.each(['91350100M000100Y43', '911101051234567883', '12310115MA01ABCD5H', '52440300MJL123454Y'])(
    'accepts %s from DOMAIN.md',
    (code) => {
      expect(usccProblem(code), `${code} is a valid credit code`).toBeUndefined()
      expect(usccCheckChar(code.slice(0, 17)), `check character of ${code}`).toBe(code[17])
    },
  )

  it('flags an early pilot code that fails MOD 31 as a warning to review, not an error', () => {
    const problem = usccProblem('91350100M0001TGQXM')
    expect(problem?.code).toBe('format.cn-uscc.checksum')
    expect(problem?.severity).toBe('warning')
  })

  it.each([
    ['I, O, Z, S or V', '91350100M0001O0Y43', 'format.cn-uscc.syntax'],
    ['lower case', '91350100m000100y43', 'format.cn-uscc.syntax'],
    ['17 characters', '91350100M000100Y4', 'format.cn-uscc.syntax'],
    ['unknown registering authority', 'B1350100M000100Y43', 'format.cn-uscc.authority'],
    ['letters in the division code', '913501A0M000100Y43', 'format.cn-uscc.division'],
  ])('rejects %s', (_case, code, expected) => {
    const problem = usccProblem(code)
    expect(problem?.code, `code for ${code}`).toBe(expected)
    expect(problem?.severity).toBe('error')
  })

  it('computes check characters, including 0 when 31 − (S mod 31) is 31', () => {
    expect(usccCheckChar('91350100M000100Y4')).toBe('3')
    expect(usccCheckChar('00000000000000000')).toBe('0')
    expect(() => usccCheckChar('9135010OM000100Y4')).toThrow(RangeError)
  })
})

describe('cn-org-code (GB 11714)', () => {
  it.each(['00251805-7', '00251809-X', 'M000100Y-4'])('accepts %s from DOMAIN.md', (code) => {
    expect(orgCodeProblem(code), `${code} is a valid organisation code`).toBeUndefined()
    expect(orgCodeCheckChar(code.slice(0, 8))).toBe(code[9])
  })

  it('maps a remainder of 11 to 0 and 10 to X', () => {
    expect(orgCodeCheckChar('00000000')).toBe('0')
    expect(orgCodeCheckChar('00251809')).toBe('X')
  })

  it.each([
    ['wrong check character', '00251805-8', 'format.cn-org-code.checksum'],
    ['no hyphen (normalisation inserts it)', '002518057', 'format.cn-org-code.syntax'],
    ['lower case', 'm000100y-4', 'format.cn-org-code.syntax'],
    ['check character not 0-9 or X', '00251805-A', 'format.cn-org-code.syntax'],
  ])('rejects %s', (_case, code, expected) => {
    expect(orgCodeProblem(code)?.code, `code for ${code}`).toBe(expected)
  })
})

describe('cn-admin-division (GB/T 2260 structure)', () => {
  it.each(['110105', '110000', '110100', '429004', '440300', '650000', '710000', '810000', '820000'])(
    'accepts %s',
    (code) => expect(adminDivisionProblem(code), `${code} is well formed`).toBeUndefined(),
  )

  it('accepts a well-formed code that is not in the current list (retired codes stay valid)', () => {
    expect(adminDivisionProblem('110199')).toBeUndefined()
  })

  it.each([
    ['five digits', '11010', 'format.cn-admin-division.syntax'],
    ['seven digits', '1101050', 'format.cn-admin-division.syntax'],
    ['letters', '11010A', 'format.cn-admin-division.syntax'],
    ['no such province 99', '990105', 'format.cn-admin-division.province'],
    ['no such province 10', '100000', 'format.cn-admin-division.province'],
    ['county without prefecture', '110001', 'format.cn-admin-division.structure'],
  ])('rejects %s', (_case, code, expected) => {
    expect(adminDivisionProblem(code)?.code, `code for ${code}`).toBe(expected)
  })
})

describe('cn-mobile', () => {
  it.each(['13800138000', '19912345678', '16612345678'])('accepts %s', (mobile) => {
    expect(mobileProblem(mobile)).toBeUndefined()
  })

  it.each(['12345678901', '1380013800', '138001380000', '+8613800138000', '138-0013-8000'])(
    'rejects %s',
    (mobile) => {
      expect(mobileProblem(mobile)?.code).toBe('format.cn-mobile.syntax')
    },
  )
})

describe('date (ISO 8601 YYYY-MM-DD)', () => {
  it.each(['2024-02-29', '2000-02-29', '1949-10-01', '2024-12-31'])('accepts %s', (date) => {
    expect(dateProblem(date)).toBeUndefined()
  })

  it.each([
    ['31 February', '2024-02-31', 'format.date.invalid'],
    ['29 February of a common year', '2023-02-29', 'format.date.invalid'],
    ['29 February 1900 (not a leap year)', '1900-02-29', 'format.date.invalid'],
    ['month 13', '2024-13-01', 'format.date.invalid'],
    ['day 0', '2024-01-00', 'format.date.invalid'],
    ['unpadded', '2024-3-5', 'format.date.syntax'],
    ['basic format (normalised first)', '20240305', 'format.date.syntax'],
    ['with a time', '2024-03-05T00:00:00', 'format.date.syntax'],
  ])('rejects %s', (_case, date, expected) => {
    expect(dateProblem(date)?.code, `code for ${date}`).toBe(expected)
  })

  it('isCalendarDate follows the Gregorian leap-year rule', () => {
    expect(isCalendarDate(2000, 2, 29)).toBe(true)
    expect(isCalendarDate(2100, 2, 29)).toBe(false)
    expect(isCalendarDate(2024, 4, 31)).toBe(false)
  })
})

describe('date-time (RFC 3339 with offset)', () => {
  it.each([
    '2024-03-05T08:30:00+08:00',
    '2024-03-05T00:30:00Z',
    '2024-03-05T08:30:00.123456+08:00',
    '2024-03-05t08:30:00z',
    '2024-03-05T23:59:59-05:30',
  ])('accepts %s', (value) => {
    expect(dateTimeProblem(value)).toBeUndefined()
  })

  it.each([
    ['no offset', '2024-03-05T08:30:00', 'format.date-time.syntax'],
    ['space separator (normalised first)', '2024-03-05 08:30:00+08:00', 'format.date-time.syntax'],
    ['offset without colon', '2024-03-05T08:30:00+0800', 'format.date-time.syntax'],
    ['hour 24', '2024-03-05T24:00:00+08:00', 'format.date-time.invalid'],
    ['leap second', '2024-03-05T23:59:60Z', 'format.date-time.invalid'],
    ['30 February', '2024-02-30T08:30:00+08:00', 'format.date-time.invalid'],
    ['offset hour 24', '2024-03-05T08:30:00+24:00', 'format.date-time.invalid'],
  ])('rejects %s', (_case, value, expected) => {
    expect(dateTimeProblem(value)?.code, `code for ${value}`).toBe(expected)
  })
})

describe('chinaDateNumber', () => {
  it('uses UTC+08:00: 16:30 UTC is already the next day in China', () => {
    expect(chinaDateNumber(Date.parse('2024-03-04T16:30:00Z'))).toBe(20240305)
    expect(chinaDateNumber(Date.parse('2024-03-04T15:59:59Z'))).toBe(20240304)
  })
})
