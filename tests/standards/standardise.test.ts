import { describe, expect, it } from 'vitest'
import { citizenIdCheckChar } from '../../src/standards/formats'
import { compileStandard, standardiseRecord } from '../../src/standards/standardise'
import type { CompiledStandard, StandardiseResult } from '../../src/standards/standardise'
import { shipped, testStandard } from './helpers'

function compiled(name: string): CompiledStandard {
  const standard = shipped.compiled(name, '1.0.0')
  if (standard === undefined) throw new Error(`${name} 1.0.0 is not shipped`)
  return standard
}

const population = compiled('population')
const legalPerson = compiled('legal-person')
const service = compiled('social-org-service')
const gridEvent = compiled('grid-event')

const PERSON = {
  citizen_id: '11010519491231002X',
  name: '张三',
  sex: '1',
  birth_date: '1949-12-31',
  household_region_code: '110105',
  status: 'normal',
}

function recordOf(result: StandardiseResult): Record<string, unknown> {
  if (!result.ok) throw new Error(`expected a valid record, got ${JSON.stringify(result.errors)}`)
  return result.record
}

function issuesOf(result: StandardiseResult): string[] {
  if (result.ok) throw new Error(`expected an invalid record, got ${JSON.stringify(result.record)}`)
  return result.errors.map((issue) => `${issue.path} ${issue.code}`)
}

describe('mapping column names to fields', () => {
  it('accepts the standard names as they are', () => {
    expect(recordOf(standardiseRecord(population, PERSON))).toEqual(PERSON)
  })

  it('maps Chinese and pinyin aliases, ignoring case, width and surrounding spaces', () => {
    const raw = {
      ' 身份证号 ': '11010519491231002X',
      XM: '张三',
      性别: '1',
      ＣＳＲＱ: '1949-12-31',
      户籍地: '110105',
      rkzt: 'normal',
    }
    expect(recordOf(standardiseRecord(population, raw))).toEqual(PERSON)
  })

  it('maps an alias declared on the base element when the standard keeps it', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, 手机号码: '13800138000' })).mobile).toBe(
      '13800138000',
    )
  })

  it('reports unknown columns by default, at the column’s own name', () => {
    expect(issuesOf(standardiseRecord(population, { ...PERSON, 备注: '无', 'a/b': 1 }))).toEqual([
      '/备注 unknown_field',
      '/a~1b unknown_field',
    ])
  })

  it('drops unknown columns when asked to', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, 备注: '无' }, { unknown: 'drop' }))).toEqual(
      PERSON,
    )
  })

  it('refuses two columns that give the same field a value', () => {
    expect(issuesOf(standardiseRecord(population, { ...PERSON, sfzh: '11010519491231002X' }))).toEqual([
      '/citizen_id duplicate_field',
    ])
  })

  it('lets an empty duplicate column pass: it gives no second value', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, sfzh: '' }))).toEqual(PERSON)
  })

  it('orders the fields of the record as the standard does', () => {
    const reversed = Object.fromEntries(Object.entries(PERSON).reverse())
    expect(Object.keys(recordOf(standardiseRecord(population, reversed)))).toEqual(Object.keys(PERSON))
  })

  it('refuses a record that is not an object', () => {
    expect(issuesOf(standardiseRecord(population, ['x']))).toEqual([' type'])
  })
})

describe('coercing values', () => {
  it('treats empty and blank strings as absent', () => {
    expect(issuesOf(standardiseRecord(population, { ...PERSON, name: '  ', mobile: '' }))).toEqual([
      '/name required',
    ])
  })

  it('treats null as absent for a field that does not admit null', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, mobile: null }))).toEqual(PERSON)
  })

  it('keeps null for a field whose type admits it', () => {
    const nullable = compileStandard(
      testStandard({ note: { title: 't', type: ['string', 'null'], 'x-sensitivity': 'L1' } }),
      shipped.documents,
    )
    expect(recordOf(standardiseRecord(nullable, { id: 'a', note: null }))).toEqual({ id: 'a', note: null })
  })

  it('turns numeric text into numbers for number and integer fields', () => {
    const record = recordOf(
      standardiseRecord(service, {
        record_id: 'SR-000001',
        org_uscc: '52440300MJL123454Y',
        org_name: '深圳市志愿者协会',
        service_type: 'volunteering',
        service_date: '2024-03-05',
        region_code: '440300',
        服务人次: '１２',
        服务时长: ' 2.5 ',
        服务资金: '1,234.50',
      }),
    )
    expect(record).toMatchObject({ people_served: 12, service_hours: 2.5, funding_amount: 1234.5 })
  })

  it('reports text that is not a number as a type error', () => {
    const raw = {
      record_id: 'SR-000001',
      org_uscc: '52440300MJL123454Y',
      org_name: 'x',
      service_type: 'other',
      service_date: '2024-03-05',
      region_code: '440300',
    }
    expect(issuesOf(standardiseRecord(service, { ...raw, service_hours: 'two' }))).toEqual([
      '/service_hours type',
    ])
    expect(issuesOf(standardiseRecord(service, { ...raw, people_served: '3.5' }))).toEqual([
      '/people_served type',
    ])
  })

  it.each([
    ['是', true],
    ['否', false],
    ['TRUE', true],
    ['false', false],
  ])('reads %s as the boolean %s', (text, expected) => {
    const raw = {
      record_id: 'SR-000001',
      org_uscc: '52440300MJL123454Y',
      org_name: 'x',
      service_type: 'other',
      service_date: '2024-03-05',
      region_code: '440300',
    }
    expect(recordOf(standardiseRecord(service, { ...raw, 是否志愿服务: text })).volunteer_service).toBe(
      expected,
    )
  })

  it('writes numbers sent for text fields as text', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, sex: 2, mobile: 13800138000 }))).toMatchObject(
      {
        sex: '2',
        mobile: '13800138000',
      },
    )
  })

  it('keeps an integer beyond 2^53 a number, so a mangled 18-digit id is a type error, not a wrong id', () => {
    expect(issuesOf(standardiseRecord(population, { ...PERSON, citizen_id: 110105194912310020 }))).toEqual([
      '/citizen_id type',
    ])
  })

  it('maps local spellings of enum values and ignores case', () => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, sex: '男', status: 'NORMAL' }))).toMatchObject(
      {
        sex: '1',
        status: 'normal',
      },
    )
    expect(recordOf(standardiseRecord(population, { ...PERSON, sex: 'f', status: '迁出' }))).toMatchObject({
      sex: '2',
      status: 'moved_out',
    })
  })
})

describe('normalising formats', () => {
  it('upgrades a 15-digit id, upper-cases x and folds full-width digits', () => {
    expect(
      recordOf(standardiseRecord(population, { ...PERSON, citizen_id: '110105491231002' })).citizen_id,
    ).toBe('11010519491231002X')
    expect(
      recordOf(
        standardiseRecord(population, { ...PERSON, citizen_id: '１１０１０５１９４９１２３１００２ｘ' }),
      ).citizen_id,
    ).toBe('11010519491231002X')
  })

  it.each(['1949/12/31', '1949.12.31', '19491231', '1949年12月31日', '1949-12-31'])(
    'reads the date %s',
    (date) => {
      expect(recordOf(standardiseRecord(population, { ...PERSON, birth_date: date })).birth_date).toBe(
        '1949-12-31',
      )
    },
  )

  it.each(['+86 138 0013 8000', '0086-138-0013-8000', '138-0013-8000'])('reads the mobile %s', (mobile) => {
    expect(recordOf(standardiseRecord(population, { ...PERSON, mobile })).mobile).toBe('13800138000')
  })

  it('completes a date-time without an offset with +08:00', () => {
    expect(
      recordOf(standardiseRecord(population, { ...PERSON, updated_at: '2024-03-05 08:30' })).updated_at,
    ).toBe('2024-03-05T08:30:00+08:00')
  })

  it('normalises credit and organisation codes', () => {
    const raw = {
      tyshxydm: '91350100m000100y43',
      名称: '福州某某科技有限公司',
      主体类型: '有限责任公司',
      法定代表人: '李四',
      成立日期: '2015/6/1',
      区划代码: '350100',
      登记状态: '存续',
      组织机构代码: 'm000100y4',
    }
    expect(recordOf(standardiseRecord(legalPerson, raw))).toMatchObject({
      uscc: '91350100M000100Y43',
      entity_type: 'limited_company',
      establishment_date: '2015-06-01',
      status: 'active',
      org_code: 'M000100Y-4',
    })
  })
})

describe('validation after standardisation', () => {
  it('reports what is still wrong, with the standard record as partial', () => {
    const result = standardiseRecord(population, {
      ...PERSON,
      citizen_id: '110105194912310021',
      birth_date: '1990/2/31',
    })
    expect(issuesOf(result)).toEqual([
      '/citizen_id format.cn-citizen-id.checksum',
      '/birth_date format.date.invalid',
    ])
    expect(!result.ok && result.partial.birth_date).toBe('1990-02-31')
  })

  it('passes a record with only warnings, carrying them', () => {
    const raw = {
      uscc: '91350100M0001TGQXM',
      name: '福州某某有限公司',
      entity_type: 'limited_company',
      legal_representative: '王五',
      establishment_date: '2014-01-01',
      region_code: '350100',
      status: 'active',
    }
    const result = standardiseRecord(legalPerson, raw)
    expect(result.ok, JSON.stringify(result)).toBe(true)
    expect(result.warnings.map((issue) => `${issue.path} ${issue.code}`)).toEqual([
      '/uscc format.cn-uscc.checksum',
    ])
  })

  it('applies a standard’s own pattern on top of the referenced element (social organisations start with 5)', () => {
    const raw = {
      record_id: 'SR-000001',
      org_uscc: '911101051234567883',
      org_name: 'x',
      service_type: 'other',
      service_date: '2024-03-05',
      region_code: '440300',
    }
    expect(issuesOf(standardiseRecord(service, raw))).toEqual(['/org_uscc pattern'])
  })

  it('validates timestamps, enums and coordinates of a grid event', () => {
    const raw = {
      事件编号: 'EV-2024-000001',
      网格编码: '440305001001',
      行政区划代码: '440305',
      事件类别: '矛盾纠纷',
      事件标题: '邻里噪音纠纷',
      处置状态: '已办结',
      上报时间: '2024-03-05 09:00:00',
      办结时间: '2024-03-05 17:30',
      经度: '113.93',
      纬度: '22.53',
      上报人: '赵六',
      上报人电话: '13912345678',
    }
    expect(recordOf(standardiseRecord(gridEvent, raw))).toMatchObject({
      category: 'dispute',
      status: 'resolved',
      reported_at: '2024-03-05T09:00:00+08:00',
      resolved_at: '2024-03-05T17:30:00+08:00',
      longitude: 113.93,
    })
    expect(issuesOf(standardiseRecord(gridEvent, { ...raw, 处置状态: '搁置', 经度: '200' }))).toEqual([
      '/longitude maximum',
      '/status enum',
    ])
  })
})

describe('compileStandard', () => {
  it('uses the injected clock for future birth dates', () => {
    const first17 = '11010520300101001'
    const id = first17 + citizenIdCheckChar(first17)
    const late = compileStandard(shipped.schema('population', '1.0.0') ?? {}, shipped.documents, {
      clock: () => Date.parse('2031-01-01T00:00:00+08:00'),
    })
    expect(recordOf(standardiseRecord(late, { ...PERSON, citizen_id: id })).citizen_id).toBe(id)
    expect(issuesOf(standardiseRecord(population, { ...PERSON, citizen_id: id }))).toEqual([
      '/citizen_id format.cn-citizen-id.birth_date',
    ])
  })
})
