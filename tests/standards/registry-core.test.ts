import { describe, expect, it } from 'vitest'
import {
  CatalogError,
  SHIPPED_DOCUMENTS,
  createStandardCatalog,
  standardTier,
} from '../../src/standards/registry-core'
import { InvalidStandardError } from '../../src/standards/standard'
import { SchemaCompileError } from '../../src/standards/validator'
import { shipped, testStandard } from './helpers'

describe('the shipped catalogue', () => {
  it('lists the base library and four record standards with their tiers', () => {
    expect(shipped.list()).toEqual([
      { name: 'base', version: '1.0.0', title: '基础数据元 / Base data elements', kind: 'elements' },
      {
        name: 'grid-event',
        version: '1.0.0',
        title: '网格事件 / Grid governance event',
        kind: 'record',
        tier: 'L3',
      },
      {
        name: 'legal-person',
        version: '1.0.0',
        title: '法人基础信息 / Legal person basic information',
        kind: 'record',
        tier: 'L4',
      },
      {
        name: 'population',
        version: '1.0.0',
        title: '人口基础信息 / Population basic information',
        kind: 'record',
        tier: 'L4',
      },
      {
        name: 'social-org-service',
        version: '1.0.0',
        title: '社会组织服务记录 / Social organisation service record',
        kind: 'record',
        tier: 'L4',
      },
    ])
  })

  it('names each shipped document by an $id that follows the schemas/<name>/<version> layout', () => {
    for (const document of SHIPPED_DOCUMENTS) {
      const ref = document['x-standard'] as { name: string; version: string }
      expect(document.$id).toBe(`https://qiao.example/schemas/${ref.name}/${ref.version}`)
    }
  })

  it('indexes the fields consumers filter on (x-indexed): codes, dates and states, never free text or personal data', () => {
    const indexed = (name: string) => shipped.compiled(name, '1.0.0')!.description.fields.filter((f) => f.indexed).map((f) => f.name)
    expect(indexed('population')).toEqual(['household_region_code', 'status', 'updated_at'])
    expect(indexed('grid-event')).toEqual(['region_code', 'status', 'reported_at'])
    expect(indexed('legal-person')).toEqual(['region_code', 'status'])
    expect(indexed('social-org-service')).toEqual(['org_uscc', 'service_date', 'region_code'])
  })

  it('marks the service record’s counts summable (x-summable), and nothing else', () => {
    const summable = (name: string) => shipped.compiled(name, '1.0.0')!.description.fields.filter((f) => f.summable).map((f) => f.name)
    expect(summable('social-org-service')).toEqual(['people_served', 'service_hours'])
    expect(summable('population')).toEqual([])
  })

  it('compiles a standard once and answers the same compiled object afterwards', () => {
    const first = shipped.compiled('population', '1.0.0')
    expect(first?.description.key).toBe('citizen_id')
    expect(shipped.compiled('population', '1.0.0')).toBe(first)
  })

  it('does not compile an element library as a record standard, nor unknown versions', () => {
    expect(shipped.compiled('base', '1.0.0')).toBeUndefined()
    expect(shipped.compiled('population', '9.0.0')).toBeUndefined()
    expect(shipped.schema('base', '1.0.0')).toBe(SHIPPED_DOCUMENTS[0])
  })

  it('finds the latest version of a standard by semantic order', () => {
    const catalog = createStandardCatalog([
      ...SHIPPED_DOCUMENTS,
      testStandard({}, { version: '1.10.0' }),
      testStandard({}, { version: '1.9.0' }),
    ])
    expect(catalog.latestVersion('test')).toBe('1.10.0')
    expect(catalog.latestVersion('nothing')).toBeUndefined()
  })
})

describe('standardTier', () => {
  it('takes the highest raw sensitivity of the fields', () => {
    expect(standardTier([{ sensitivity: 'L1' }, { sensitivity: 'L3' }, { sensitivity: 'L2' }])).toBe('L3')
    expect(standardTier([])).toBe('L1')
  })
})

describe('createStandardCatalog', () => {
  it('refuses two documents with the same name and version', () => {
    const copy = { ...testStandard(), $id: 'https://qiao.example/schemas/test/copy' }
    expect(() => createStandardCatalog([...SHIPPED_DOCUMENTS, testStandard(), copy])).toThrow(CatalogError)
  })

  it('checks every standard up front', () => {
    const broken = testStandard({ a: { title: 't', type: 'string' } })
    expect(() => createStandardCatalog([...SHIPPED_DOCUMENTS, broken])).toThrow(InvalidStandardError)
  })

  it('compiles element libraries up front, so an unsupported keyword in one is caught', () => {
    const library = {
      $id: 'https://qiao.example/schemas/lib/1.0.0',
      'x-standard': { name: 'lib', version: '1.0.0' },
      $defs: { a: { oneOf: [] } },
    }
    expect(() => createStandardCatalog([library])).toThrow(SchemaCompileError)
  })
})
