import { describe, expect, it } from 'vitest'
import { checkRecords, createReportBuilder } from '../../src/standards/report'
import type { ParsedRow } from '../../src/standards/splitter'
import { parseRecords } from '../../src/standards/parse-records'
import { standardiseRecord } from '../../src/standards/standardise'
import { shipped } from './helpers'

const population = shipped.compiled('population', '1.0.0')
if (population === undefined) throw new Error('population 1.0.0 is not shipped')

const CSV = [
  '身份证号,姓名,性别,出生日期,户籍地,人口状态,手机号',
  '11010519491231002X,张三,男,1949/12/31,110105,正常,138 0013 8000',
  '110105194912310021,李四,女,1949-12-31,110105,正常,',
  '440524188001010014,王五,男,1880-01-01,440524,死亡,12345',
  '110105199003071239,赵六,男,1990-03-07,110105',
  '310115198511020046,钱七,女,19851102,310115,正常,13912345678',
].join('\n')

describe('checkRecords', () => {
  it('counts valid and invalid rows, lists problems per row with the key, and errors per field', async () => {
    const report = await checkRecords(population, parseRecords([CSV], 'text/csv'))
    expect(report).toEqual({
      total: 5,
      valid: 2,
      invalid: 3,
      warned: 0,
      truncated: false,
      rows: [
        {
          row: 2,
          key: '110105194912310021',
          errors: [expect.objectContaining({ path: '/citizen_id', code: 'format.cn-citizen-id.checksum' })],
        },
        {
          row: 3,
          key: '440524188001010014',
          errors: [expect.objectContaining({ path: '/mobile', code: 'format.cn-mobile.syntax' })],
        },
        { row: 4, errors: [expect.objectContaining({ path: '', code: 'parse.csv.field_count' })] },
      ],
      fields: { citizen_id: 1, mobile: 1 },
    })
  })

  it('accepts a plain iterable of parsed rows and applies standardise options', async () => {
    const rows: ParsedRow[] = [
      {
        row: 1,
        record: {
          citizen_id: '11010519491231002X',
          name: '张三',
          sex: '1',
          birth_date: '1949-12-31',
          household_region_code: '110105',
          status: 'normal',
          备注: 'x',
        },
      },
    ]
    expect((await checkRecords(population, rows)).invalid).toBe(1)
    expect((await checkRecords(population, rows, { unknown: 'drop' })).valid).toBe(1)
  })
})

describe('createReportBuilder', () => {
  it('keeps at most maxRows problem rows, says so, and still counts everything', () => {
    const builder = createReportBuilder('citizen_id', { maxRows: 2 })
    for (let row = 1; row <= 5; row++) {
      builder.addResult(row, standardiseRecord(population, { citizen_id: 'bad' }))
    }
    const report = builder.report()
    expect(report.rows.map((entry) => entry.row)).toEqual([1, 2])
    expect(report.truncated).toBe(true)
    expect(report.invalid).toBe(5)
    expect(report.fields).toMatchObject({ citizen_id: 5, name: 5 })
  })

  it('lists valid rows that carry warnings, with empty errors, and counts them as warned', () => {
    const legalPerson = shipped.compiled('legal-person', '1.0.0')
    if (legalPerson === undefined) throw new Error('legal-person 1.0.0 is not shipped')
    const builder = createReportBuilder('uscc')
    const raw = {
      uscc: '91350100M0001TGQXM',
      name: '福州某某有限公司',
      entity_type: 'limited_company',
      legal_representative: '王五',
      establishment_date: '2014-01-01',
      region_code: '350100',
      status: 'active',
    }
    builder.addResult(7, standardiseRecord(legalPerson, raw))
    expect(builder.report()).toMatchObject({
      total: 1,
      valid: 1,
      warned: 1,
      rows: [
        {
          row: 7,
          key: '91350100M0001TGQXM',
          errors: [],
          warnings: [expect.objectContaining({ code: 'format.cn-uscc.checksum' })],
        },
      ],
    })
  })

  it('counts unknown columns under their own name, safely even for __proto__', () => {
    const builder = createReportBuilder('citizen_id')
    builder.addResult(1, standardiseRecord(population, JSON.parse('{"__proto__": "x"}')))
    const fields = builder.report().fields
    expect(Object.hasOwn(fields, '__proto__'), JSON.stringify(fields)).toBe(true)
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype)
  })
})
