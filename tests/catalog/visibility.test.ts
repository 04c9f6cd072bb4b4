import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { populationDataset, publishServicePointStandard, registerDataset, servicePointDataset } from '../support/catalog.js'
import { DEFAULT_TIER_MATRIX } from '../../src/exchange/policy.js'
import { call, createActor, createCast, createOrg, department, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
/** Dataset ids by what makes each one visible or not. */
const ids: Record<string, string> = {}

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  await publishServicePointStandard(world, cast.admin)
  const publisher = cast.deptA.publisher
  const register = async (label: string, body: Record<string, unknown>) => {
    ids[label] = (await registerDataset(world, publisher, { ...body, code: `VIS-${label}` })).id
  }
  await register('sharedClosed', populationDataset({ sharing: 'unconditional', open: 'none' }))
  await register('conditional', populationDataset({ sharing: 'conditional', sharing_conditions: '依申请', legal_basis: '《政务数据共享条例》', open: 'conditional', open_conditions: '依申请' }))
  await register('notShared', populationDataset({ sharing: 'none', legal_basis: '《个人信息保护法》第十三条', open: 'none' }))
  await register('openL1', servicePointDataset({ open: 'unconditional' }))
  await register('openOnConditions', servicePointDataset({ open: 'conditional', open_conditions: '注册用户' }))
  await register('openL4', populationDataset({ open: 'unconditional' }))
  await register('retired', servicePointDataset({ open: 'unconditional' }))
  const retire = await call(world, 'POST', `/v1/datasets/${ids.retired}/retire`, { token: publisher.token })
  expect(retire.status, retire.text).toBe(200)
})
afterAll(() => world.close())

const everyLabel = ['sharedClosed', 'conditional', 'notShared', 'openL1', 'openOnConditions', 'openL4', 'retired']

/** Which datasets each kind of caller may know exist (the retired one shows with status=retired). */
const expected: Record<string, string[]> = {
  admin: ['sharedClosed', 'conditional', 'notShared', 'openL1', 'openOnConditions', 'openL4', 'retired'],
  provider: ['sharedClosed', 'conditional', 'notShared', 'openL1', 'openOnConditions', 'openL4', 'retired'],
  otherDepartment: ['sharedClosed', 'conditional', 'openL1', 'openOnConditions', 'openL4'],
  socialOrganisation: ['conditional', 'openL1', 'openOnConditions', 'openL4'],
  anonymous: ['openL1'],
}

function tokenOf(caller: string): string | undefined {
  return { admin: cast.admin.token, provider: cast.deptA.consumer.token, otherDepartment: cast.deptB.consumer.token, socialOrganisation: cast.social.consumer.token }[
    caller
  ]
}

async function catalogueOf(caller: string, query = ''): Promise<string[]> {
  const seen: string[] = []
  for (const status of ['active', 'retired']) {
    const res = await call(world, 'GET', `/v1/datasets?status=${status}&limit=200${query}`, { token: tokenOf(caller) })
    expect(res.status, res.text).toBe(200)
    seen.push(...res.body.items.map((d: { id: string }) => d.id))
  }
  return everyLabel.filter((label) => seen.includes(ids[label]!))
}

describe('GET /v1/datasets shows each caller what it may know exists', () => {
  for (const caller of Object.keys(expected)) {
    it(`for ${caller}`, async () => {
      expect(await catalogueOf(caller)).toEqual(expected[caller])
    })
  }
})

describe('GET /v1/datasets/{id}', () => {
  for (const caller of Object.keys(expected)) {
    it(`answers an invisible dataset exactly like a missing one, for ${caller}`, async () => {
      const missing = await call(world, 'GET', '/v1/datasets/ds_00000000000000000000000000', { token: tokenOf(caller) })
      expect(missing.status).toBe(404)
      for (const label of everyLabel) {
        const res = await call(world, 'GET', `/v1/datasets/${ids[label]}`, { token: tokenOf(caller) })
        if (expected[caller]!.includes(label)) {
          expect(res.status, `${label}: ${res.text}`).toBe(200)
          continue
        }
        expect(res.status, `${label}: ${res.text}`).toBe(404)
        expect(res.headers.get('content-type')).toBe(missing.headers.get('content-type'))
        const { instance: _a, ...hidden } = res.body
        const { instance: _b, ...absent } = missing.body
        expect({ ...hidden, detail: hidden.detail.replace(ids[label], '<id>') }).toEqual({ ...absent, detail: absent.detail.replace('ds_00000000000000000000000000', '<id>') })
      }
    })
  }

  it('refuses a bad token instead of treating the caller as anonymous', async () => {
    const res = await call(world, 'GET', `/v1/datasets/${ids.openL1}`, { token: 'not.a.jwt' })
    expect(res.status, res.text).toBe(401)
    expect((await call(world, 'GET', '/v1/datasets', { token: 'not.a.jwt' })).status).toBe(401)
  })
})

describe('the tier policy matrix decides what each kind of caller may know exists', () => {
  async function setMatrix(tiers: unknown) {
    const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers, reason: 'catalogue visibility test' } })
    expect(res.status, res.text).toBe(200)
  }

  it('hides a tier from a kind of consumer the matrix gives no way in', async () => {
    await setMatrix({ ...DEFAULT_TIER_MATRIX, L4: { ...DEFAULT_TIER_MATRIX.L4, social_org: 'none' } })
    try {
      expect(await catalogueOf('socialOrganisation')).toEqual(['openL1', 'openOnConditions'])
      expect((await call(world, 'GET', `/v1/datasets/${ids.openL4}`, { token: cast.social.consumer.token })).status).toBe(404)
      expect(await catalogueOf('otherDepartment')).toEqual(expected.otherDepartment)
    } finally {
      await setMatrix(DEFAULT_TIER_MATRIX)
    }
    expect(await catalogueOf('socialOrganisation')).toEqual(expected.socialOrganisation)
  })

  it('tells departments of the provider’s region from the others', async () => {
    // deptA (the provider) is in 330100; a county bureau in 330106 is the same prefecture, deptB (310115) is not.
    const neighbourId = await createOrg(world, cast.admin, department('某区民政局', '330106'))
    const neighbour = await createActor(world, cast.admin, neighbourId, ['consumer'])
    await setMatrix({ ...DEFAULT_TIER_MATRIX, L4: { ...DEFAULT_TIER_MATRIX.L4, other_department: 'none' } })
    try {
      const res = await call(world, 'GET', '/v1/datasets?limit=200', { token: neighbour.token })
      expect(everyLabel.filter((label) => res.body.items.some((d: { id: string }) => d.id === ids[label]))).toEqual(expected.otherDepartment)
      expect(await catalogueOf('otherDepartment')).toEqual(['openL1', 'openOnConditions'])
    } finally {
      await setMatrix(DEFAULT_TIER_MATRIX)
    }
  })
})

describe('catalogue filters and pages', () => {
  it('filters by provider, tier, standard, sharing, open attribute and free text', async () => {
    const admin = (query: string) => catalogueOf('admin', query)
    expect(await admin(`&provider=${cast.deptA.orgId}`)).toEqual(expected.admin)
    expect(await admin(`&provider=${cast.deptB.orgId}`)).toEqual([])
    expect(await admin('&tier=L1')).toEqual(['openL1', 'openOnConditions', 'retired'])
    expect(await admin('&standard=population')).toEqual(['sharedClosed', 'conditional', 'notShared', 'openL4'])
    expect(await admin('&sharing=conditional')).toEqual(['conditional'])
    expect(await admin('&open=conditional')).toEqual(['conditional', 'openOnConditions'])
    expect(await admin(`&q=${encodeURIComponent('便民')}`)).toEqual(['openL1', 'openOnConditions', 'retired'])
    expect(await admin(`&q=vis-NOTSHARED`)).toEqual(['notShared'])
    // Filters narrow the caller's view; they never widen it.
    expect(await catalogueOf('anonymous', '&standard=population')).toEqual([])
  })

  it('pages with a cursor, in resource code order', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(world, 'GET', `/v1/datasets?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: cast.deptB.consumer.token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((d: { code: string }) => d.code))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...seen].sort())
    expect(seen).toHaveLength(expected.otherDepartment!.length)
    const bad = await call(world, 'GET', '/v1/datasets?cursor=garbage', { token: cast.deptB.consumer.token })
    expect(bad.status, bad.text).toBe(400)
  })
})

describe('GET /v1/catalog.jsonld', () => {
  it('renders what an anonymous caller may see as a DCAT catalogue', async () => {
    const res = await world.app.request('/v1/catalog.jsonld')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/ld+json')
    const document = (await res.json()) as { '@context': Record<string, string>; '@graph': Array<Record<string, any>> }
    expect(document['@context']).toMatchObject({ dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/' })
    const catalogue = document['@graph'].find((node) => node['@type'] === 'dcat:Catalog')!
    const datasets = document['@graph'].filter((node) => node['@type'] === 'dcat:Dataset')
    expect(datasets).toHaveLength(1)
    expect(catalogue['dcat:dataset']).toEqual([{ '@id': datasets[0]!['@id'] }])
    const base = world.services.config.QIAO_ISSUER.replace(/\/$/, '')
    expect(datasets[0]).toMatchObject({
      '@id': `${base}/v1/datasets/${ids.openL1}`,
      'dct:identifier': 'VIS-openL1',
      'dct:title': '便民服务点目录',
      'dct:publisher': { '@type': 'foaf:Organization', '@id': `${base}/v1/orgs/${cast.deptA.orgId}` },
      'dct:accrualPeriodicity': { '@id': 'http://purl.org/cld/freq/monthly' },
      'dct:accessRights': { '@id': 'http://publications.europa.eu/resource/authority/access-right/PUBLIC' },
      'dct:conformsTo': { '@id': 'https://qiao.example/schemas/service-point/1.0.0' },
    })
    expect(datasets[0]!['dct:issued']['@type']).toBe('xsd:date')
    expect(datasets[0]!['dcat:distribution'][0]).toMatchObject({ '@type': 'dcat:Distribution', 'dcat:accessURL': { '@id': `${base}/v1/datasets/${ids.openL1}/records` } })
  })

  it('shows a department its view, paged with hydra:next as ckanext-dcat follows it', async () => {
    const codes: string[] = []
    let path: string | null = '/v1/catalog.jsonld?limit=2'
    while (path) {
      const res = await call(world, 'GET', path, { token: cast.deptB.consumer.token })
      expect(res.status, res.text).toBe(200)
      const graph = res.body['@graph'] as Array<Record<string, any>>
      codes.push(...graph.filter((n) => n['@type'] === 'dcat:Dataset').map((n) => n['dct:identifier'] as string))
      const paging = graph.find((n) => n['@type'] === 'hydra:PagedCollection')!
      const next = paging['hydra:next']?.['@id'] as string | undefined
      path = next ? new URL(next).pathname + new URL(next).search : null
    }
    expect(codes).toEqual(expected.otherDepartment!.map((label) => `VIS-${label}`).sort())
  })
})
