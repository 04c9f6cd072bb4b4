import { describe, expect, it } from 'vitest'
import {
  booleanFromText,
  columnKey,
  foldWidth,
  normaliseAdminDivision,
  normaliseCitizenId,
  normaliseDate,
  normaliseDateTime,
  normaliseMobile,
  normaliseOrgCode,
  normaliseUscc,
  numberFromText,
} from '../../src/standards/normalise'

describe('foldWidth', () => {
  it('turns full-width digits, letters, punctuation and the ideographic space into ASCII', () => {
    expect(foldWidth('１１０１０５　ＡＢｃ－＋')).toBe('110105 ABc-+')
  })

  it('returns the very same string when there is nothing to fold', () => {
    const text = '张三 110105'
    expect(foldWidth(text)).toBe(text)
  })
})

describe('columnKey', () => {
  it('ignores width, case and surrounding spaces', () => {
    expect(columnKey(' ＳＦＺＨ ')).toBe('sfzh')
    expect(columnKey('ID_Card')).toBe('id_card')
  })
})

describe('normaliseCitizenId', () => {
  it.each([
    ['11010519491231002X', '11010519491231002X'],
    ['11010519491231002x', '11010519491231002X'],
    ['１１０１０５１９４９１２３１００２ｘ', '11010519491231002X'],
    ['110105 19491231 002X', '11010519491231002X'],
    ['110105491231002', '11010519491231002X'],
  ])('%s → %s', (input, expected) => expect(normaliseCitizenId(input)).toBe(expected))

  it('leaves what it does not recognise for validation to report', () => {
    expect(normaliseCitizenId('1101051949')).toBe('1101051949')
  })
})

describe('normaliseUscc and normaliseOrgCode', () => {
  it('upper-cases and folds credit codes', () => {
    expect(normaliseUscc('91350100m000100y43')).toBe('91350100M000100Y43')
    expect(normaliseUscc('９１３５０１００Ｍ０００１００Ｙ４３')).toBe('91350100M000100Y43')
  })

  it('inserts the hyphen of an organisation code and upper-cases it', () => {
    expect(normaliseOrgCode('m000100y4')).toBe('M000100Y-4')
    expect(normaliseOrgCode('00251809-x')).toBe('00251809-X')
    expect(normaliseOrgCode('00251809－X')).toBe('00251809-X')
  })
})

describe('normaliseAdminDivision', () => {
  it('folds width and removes spaces', () => {
    expect(normaliseAdminDivision('１１０ １０５')).toBe('110105')
  })
})

describe('normaliseMobile', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['+86-13800138000', '13800138000'],
    ['008613800138000', '13800138000'],
    ['１３８００１３８０００', '13800138000'],
  ])('%s → %s', (input, expected) => expect(normaliseMobile(input)).toBe(expected))
})

describe('normaliseDate', () => {
  it.each([
    ['2024-03-05', '2024-03-05'],
    ['2024-3-5', '2024-03-05'],
    ['2024/3/5', '2024-03-05'],
    ['2024.3.5', '2024-03-05'],
    ['2024.03.05', '2024-03-05'],
    ['20240305', '2024-03-05'],
    ['2024年3月5日', '2024-03-05'],
    ['2024 年 03 月 05 日', '2024-03-05'],
    ['２０２４／３／５', '2024-03-05'],
  ])('%s → %s', (input, expected) => expect(normaliseDate(input)).toBe(expected))

  it('does not guess at mixed separators or other orders', () => {
    expect(normaliseDate('2024-3/5')).toBe('2024-3/5')
    expect(normaliseDate('05/03/2024')).toBe('05/03/2024')
  })

  it('does not check the calendar (validation does)', () => {
    expect(normaliseDate('2024/2/31')).toBe('2024-02-31')
  })
})

describe('normaliseDateTime', () => {
  it.each([
    ['2024-03-05T08:30:00+08:00', '2024-03-05T08:30:00+08:00'],
    ['2024-03-05 08:30:00', '2024-03-05T08:30:00+08:00'],
    ['2024-03-05 08:30', '2024-03-05T08:30:00+08:00'],
    ['2024/3/5 8:30:15', '2024-03-05T08:30:15+08:00'],
    ['2024年3月5日 08:30', '2024-03-05T08:30:00+08:00'],
    ['2024-03-05 08:30:00.250', '2024-03-05T08:30:00.250+08:00'],
    ['2024-03-05T00:30:00z', '2024-03-05T00:30:00Z'],
    ['2024-03-05 08:30:00 +0800', '2024-03-05T08:30:00+08:00'],
    ['2024-03-05T08:30:00-05', '2024-03-05T08:30:00-05:00'],
    ['20240305083000', '2024-03-05T08:30:00+08:00'],
  ])('%s → %s', (input, expected) => expect(normaliseDateTime(input)).toBe(expected))

  it('leaves a date without a time alone: midnight is not an obvious reading', () => {
    expect(normaliseDateTime('2024-03-05')).toBe('2024-03-05')
  })
})

describe('numberFromText', () => {
  it.each([
    ['12', 12],
    ['-12.50', -12.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['１２３', 123],
    ['1,234.50', 1234.5],
    ['1,234,567', 1234567],
  ])('%s → %d', (input, expected) => expect(numberFromText(input)).toBe(expected))

  it.each(['abc', '12abc', '1,23', '', '0x10', 'Infinity', '1 000'])('refuses %j', (input) => {
    expect(numberFromText(input)).toBeUndefined()
  })
})

describe('booleanFromText', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['false', false],
    ['是', true],
    ['否', false],
  ])('%s → %s', (input, expected) => expect(booleanFromText(input)).toBe(expected))

  it('refuses anything else', () => {
    expect(booleanFromText('yes')).toBeUndefined()
    expect(booleanFromText('1')).toBeUndefined()
  })
})
