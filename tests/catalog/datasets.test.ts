import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import {
  populationDataset,
  publishServicePointStandard,
  registerDataset,
  SERVICE_POINT_STANDARD,
  servicePointDataset,
} from '../support/catalog.js'
import { call, createActor, createCast, expectStandardSecurity, tokenFor, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  await publishServicePointStandard(world, cast.admin)
})
afterAll(() => world.close())

const SENTENCE = '姓名、身份证号和手机号在共享时一律按默认规则脱敏，剩余信息项不足以识别个人。'

async function auditEntries(action: string, datasetId: string) {
  const res = await call(world, 'GET', `/v1/audit?action=${action}&dataset=${datasetId}`, { token: cast.admin.token })
  expect(res.status, res.text).toBe(200)
  return res.body.items.map((e: { content: Record<string, unknown> }) => e.content) as Array<Record<string, any>>
}

describe('POST /v1/datasets', () => {
  it('registers a dataset of the caller’s department with its catalogue metadata, tier and information items', async () => {
    const body = populationDataset({ related_codes: ['330100/GA-00012'], published_on: '2026-11-01' })
    const res = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body })
    expect(res.status, res.text).toBe(201)
    expect(res.headers.get('location')).toBe(`/v1/datasets/${res.body.id}`)
    expect(res.body).toMatchObject({
      code: body.code,
      name: '户籍人口基本信息',
      provider_id: cast.deptA.orgId,
      standard: { name: 'population', version: '1.0.0' },
      key_field: 'citizen_id',
      format: 'database',
      sharing: 'unconditional',
      legal_basis: null,
      open: 'none',
      update_cycle: 'daily',
      published_on: '2026-11-01',
      related_codes: ['330100/GA-00012'],
      tier: 'L4',
      computed_tier: 'L4',
      tier_override: null,
      status: 'active',
      quality: { records: 0, ingests: 0, refused_ingests: 0, rows_received: 0, rows_rejected: 0, conformance: null, last_ingest_at: null },
    })
    expect(res.body.id).toMatch(/^ds_/)
    expect(res.body.provider_name).toMatch(/民政局/)
    const items = res.body.information_items as Array<{ name: string; sensitivity: string; types: string[] }>
    expect(items.map((i) => i.name)).toContain('household_region_code')
    expect(items.find((i) => i.name === 'citizen_id')).toMatchObject({ sensitivity: 'L4', types: ['string'], format: 'cn-citizen-id', required: true })

    const [entry] = await auditEntries('dataset.registered', res.body.id)
    expect(entry).toMatchObject({ actor_client_id: cast.deptA.publisher.clientId, details: { tier: 'L4', code: body.code } })
  })

  it('computes the tier as the highest x-sensitivity of the standard’s fields (就高从严)', async () => {
    const grid = await registerDataset(world, cast.deptA.publisher, populationDataset({ standard: { name: 'grid-event', version: 'latest' } }))
    expect(grid).toMatchObject({ tier: 'L3', computed_tier: 'L3', key_field: 'event_id', standard: { name: 'grid-event', version: '1.0.0' } })
    const open = await registerDataset(world, cast.deptA.publisher, servicePointDataset())
    expect(open).toMatchObject({ tier: 'L1', computed_tier: 'L1' })
  })

  it('defaults the publication date to the registration date in China time', async () => {
    world.clock.set(new Date('2026-11-23T17:30:00Z')) // 01:30 on the 24th in Beijing
    try {
      const { clientId, secret } = cast.deptA.publisher
      const res = await registerDataset(world, { ...cast.deptA.publisher, token: await tokenFor(world, clientId, secret) })
      expect(res.published_on).toBe('2026-11-24')
    } finally {
      world.clock.set(new Date())
    }
  })

  it('applies the sharing and opening rules, naming each field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ sharing: 'conditional' }, 'body.sharing_conditions', 'conditions_required'],
      [{ sharing: 'conditional', sharing_conditions: '用于救助核查' }, 'body.legal_basis', 'legal_basis_required'],
      [{ sharing: 'unconditional', sharing_conditions: '仅限公安机关' }, 'body.sharing_conditions', 'conditions_not_allowed'],
      [{ sharing: 'none' }, 'body.legal_basis', 'legal_basis_required'],
      [{ sharing: 'none', legal_basis: '《保守国家秘密法》', open: 'conditional', open_conditions: '申请' }, 'body.open', 'open_without_sharing'],
      [{ open: 'conditional' }, 'body.open_conditions', 'conditions_required'],
      [{ open: 'none', open_conditions: '申请' }, 'body.open_conditions', 'conditions_not_allowed'],
      [{ key_field: 'nickname' }, 'body.key_field', 'unknown_field'],
      [{ key_field: 'mobile' }, 'body.key_field', 'not_a_key'],
      [{ standard: { name: 'no-such-standard', version: '1.0.0' } }, 'body.standard', 'unknown_standard'],
      [{ standard: { name: 'base', version: '1.0.0' } }, 'body.standard', 'not_a_record_standard'],
    ]
    for (const [overrides, path, code] of cases) {
      const res = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: populationDataset(overrides) })
      expect(res.status, `${JSON.stringify(overrides)}: ${res.text}`).toBe(400)
      expect(res.body.errors, `${JSON.stringify(overrides)}: ${res.text}`).toContainEqual(expect.objectContaining({ path, code }))
    }
    const self = populationDataset({ code: 'SELF-1', related_codes: ['SELF-1'] })
    const res = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: self })
    expect(res.body.errors, res.text).toContainEqual(expect.objectContaining({ path: 'body.related_codes.0', code: 'self_reference' }))
  })

  it('accepts conditional sharing with its conditions and legal basis, and another key field', async () => {
    const res = await registerDataset(
      world,
      cast.deptA.publisher,
      populationDataset({ sharing: 'conditional', sharing_conditions: '用于社会救助资格核查', legal_basis: '《社会救助暂行办法》第十条', key_field: 'citizen_id' }),
    )
    expect(res).toMatchObject({ sharing: 'conditional', sharing_conditions: '用于社会救助资格核查', legal_basis: '《社会救助暂行办法》第十条' })
  })

  it('refuses important, core and classified data with a clear error: Qiao never exchanges them', async () => {
    for (const overrides of [{ data_grade: 'important' }, { data_grade: 'core' }, { classified: true }]) {
      const res = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: populationDataset(overrides) })
      expect(res.status, res.text).toBe(422)
      expect(res.body.detail).toMatch(/never exchanges/)
      expect(res.body.errors[0].code).toBe('never_exchanged')
    }
  })

  it('refuses a taken resource code, unknown members and malformed codes', async () => {
    const first = await registerDataset(world, cast.deptA.publisher)
    const taken = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: populationDataset({ code: first.code }) })
    expect(taken.status, taken.text).toBe(409)
    const unknown = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: populationDataset({ provider_id: cast.deptB.orgId }) })
    expect(unknown.status, unknown.text).toBe(400)
    const malformed = await call(world, 'POST', '/v1/datasets', { token: cast.deptA.publisher.token, body: populationDataset({ code: ' has space' }) })
    expect(malformed.status, malformed.text).toBe(400)
    expect(malformed.body.errors[0].path).toBe('body.code')
  })

  it('is for department publishers', async () => {
    const socialPublisher = await createActor(world, cast.admin, cast.social.orgId, ['publisher'])
    const res = await call(world, 'POST', '/v1/datasets', { token: socialPublisher.token, body: populationDataset() })
    expect(res.status, res.text).toBe(403)
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/datasets', body: populationDataset(), role: 'publisher', orgId: cast.deptA.orgId })
  })
})

describe('PUT /v1/datasets/{id}/tier', () => {
  it('raises with a reason, and audits the tier before and after', async () => {
    const grid = await registerDataset(world, cast.deptA.publisher, populationDataset({ standard: { name: 'grid-event', version: '1.0.0' } }))
    const path = `/v1/datasets/${grid.id}/tier`
    const bare = await call(world, 'PUT', path, { token: cast.admin.token, body: { tier: 'L4' } })
    expect(bare.status, bare.text).toBe(400)
    expect(bare.body.errors[0]).toMatchObject({ path: 'body.reason', code: 'reason_required' })

    const raised = await call(world, 'PUT', path, { token: cast.admin.token, body: { tier: 'L4', reason: '含未成年人信息' } })
    expect(raised.status, raised.text).toBe(200)
    expect(raised.body).toMatchObject({ tier: 'L4', computed_tier: 'L3', tier_override: { direction: 'raised', reason: '含未成年人信息' } })
    const [entry] = await auditEntries('dataset.tier_overridden', grid.id)
    expect(entry).toMatchObject({
      actor_client_id: cast.admin.clientId,
      reason: '含未成年人信息',
      details: { before: { tier: 'L3', overridden: false }, after: { tier: 'L4', overridden: true }, computed_tier: 'L3', below_computed: false },
    })
  })

  it('lowers only with a justification of at least a sentence, and flags it', async () => {
    const population = await registerDataset(world, cast.deptA.publisher)
    const path = `/v1/datasets/${population.id}/tier`
    for (const reason of [undefined, '已脱敏', 'masked anyway']) {
      const res = await call(world, 'PUT', path, { token: cast.admin.token, body: { tier: 'L3', reason } })
      expect(res.status, `${reason}: ${res.text}`).toBe(400)
      expect(res.body.errors[0]).toMatchObject({ path: 'body.reason', code: 'justification_required' })
    }
    const lowered = await call(world, 'PUT', path, { token: cast.admin.token, body: { tier: 'L3', reason: SENTENCE } })
    expect(lowered.status, lowered.text).toBe(200)
    expect(lowered.body).toMatchObject({ tier: 'L3', computed_tier: 'L4', tier_override: { direction: 'lowered', reason: SENTENCE } })
    const [entry] = await auditEntries('dataset.tier_overridden', population.id)
    expect(entry?.details).toMatchObject({ before: { tier: 'L4' }, after: { tier: 'L3' }, below_computed: true })

    const english = await call(world, 'PUT', path, {
      token: cast.admin.token,
      body: { tier: 'L2', reason: 'Every identifying field is masked before it leaves the provider.' },
    })
    expect(english.status, english.text).toBe(200)

    // Back to the computed tier: the override is cleared (a raise from L2, so a reason is enough).
    const cleared = await call(world, 'PUT', path, { token: cast.admin.token, body: { tier: 'L4', reason: 'masking not verified' } })
    expect(cleared.status, cleared.text).toBe(200)
    expect(cleared.body).toMatchObject({ tier: 'L4', tier_override: null })

    const history = await call(world, 'GET', path, { token: cast.deptA.consumer.token })
    expect(history.status, history.text).toBe(200)
    expect(history.body.changes.map((c: { cause: string; tier_after: string }) => `${c.cause}:${c.tier_after}`)).toEqual([
      'registered:L4',
      'override:L3',
      'override:L2',
      'override:L4',
    ])
    const notOwner = await call(world, 'GET', path, { token: cast.deptB.consumer.token })
    expect(notOwner.status, notOwner.text).toBe(403)
  })

  it('refuses important and core grades: such data leaves Qiao', async () => {
    const population = await registerDataset(world, cast.deptA.publisher)
    for (const tier of ['important', 'core']) {
      const res = await call(world, 'PUT', `/v1/datasets/${population.id}/tier`, { token: cast.admin.token, body: { tier, reason: SENTENCE } })
      expect(res.status, res.text).toBe(422)
      expect(res.body.errors[0].code).toBe('never_exchanged')
    }
  })

  it('answers 404 for a missing dataset, and is for admins', async () => {
    const missing = await call(world, 'PUT', '/v1/datasets/ds_missing/tier', { token: cast.admin.token, body: { tier: 'L4', reason: 'x' } })
    expect(missing.status, missing.text).toBe(404)
    const population = await registerDataset(world, cast.deptA.publisher)
    await expectStandardSecurity(world, cast, {
      method: 'PUT',
      path: `/v1/datasets/${population.id}/tier`,
      body: { tier: 'L4', reason: 'x' },
      role: 'admin',
      orgId: cast.admin.orgId,
    })
  })
})

describe('a new standard version recomputes the tier', () => {
  beforeAll(async () => {
    const schema = SERVICE_POINT_STANDARD.schema
    const v110 = {
      ...SERVICE_POINT_STANDARD,
      version: '1.1.0',
      schema: { ...schema, properties: { ...schema.properties, contact_mobile: { $ref: '../base/1.0.0#/$defs/mobile' } } },
    }
    const v120 = {
      ...v110,
      version: '1.2.0',
      schema: { ...v110.schema, properties: { ...v110.schema.properties, manager_id: { $ref: '../base/1.0.0#/$defs/citizen_id' } } },
    }
    for (const body of [v110, v120]) {
      const res = await call(world, 'POST', '/v1/standards', { token: cast.admin.token, body })
      expect(res.status, res.text).toBe(201)
    }
  })

  it('takes the new computed tier', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher, servicePointDataset({ open: 'none' }))
    const moved = await call(world, 'PATCH', `/v1/datasets/${dataset.id}`, { token: cast.deptA.publisher.token, body: { standard_version: '1.1.0' } })
    expect(moved.status, moved.text).toBe(200)
    expect(moved.body).toMatchObject({ standard: { version: '1.1.0' }, tier: 'L3', computed_tier: 'L3' })
    expect(moved.body.information_items.map((i: { name: string }) => i.name)).toContain('contact_mobile')
    const history = await call(world, 'GET', `/v1/datasets/${dataset.id}/tier`, { token: cast.deptA.publisher.token })
    expect(history.body.changes.at(-1)).toMatchObject({ cause: 'standard_changed', tier_before: 'L1', tier_after: 'L3', standard_version: '1.1.0' })
  })

  it('drops a lowering override, and keeps a raise only while it is still higher', async () => {
    const lowered = await registerDataset(world, cast.deptA.publisher, servicePointDataset({ open: 'none', standard: { name: 'service-point', version: '1.1.0' } }))
    expect((await call(world, 'PUT', `/v1/datasets/${lowered.id}/tier`, { token: cast.admin.token, body: { tier: 'L1', reason: SENTENCE } })).status).toBe(200)
    const afterLowered = await call(world, 'PATCH', `/v1/datasets/${lowered.id}`, { token: cast.deptA.publisher.token, body: { standard_version: '1.2.0' } })
    expect(afterLowered.body, afterLowered.text).toMatchObject({ tier: 'L4', computed_tier: 'L4', tier_override: null })

    const raised = await registerDataset(world, cast.deptA.publisher, servicePointDataset({ open: 'none' }))
    expect((await call(world, 'PUT', `/v1/datasets/${raised.id}/tier`, { token: cast.admin.token, body: { tier: 'L4', reason: '涉及重点场所' } })).status).toBe(200)
    const kept = await call(world, 'PATCH', `/v1/datasets/${raised.id}`, { token: cast.deptA.publisher.token, body: { standard_version: '1.1.0' } })
    expect(kept.body, kept.text).toMatchObject({ tier: 'L4', computed_tier: 'L3', tier_override: { direction: 'raised' } })
    const caughtUp = await call(world, 'PATCH', `/v1/datasets/${raised.id}`, { token: cast.deptA.publisher.token, body: { standard_version: '1.2.0' } })
    expect(caughtUp.body, caughtUp.text).toMatchObject({ tier: 'L4', computed_tier: 'L4', tier_override: null })
  })

  it('refuses another standard’s version and a version that does not exist', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const res = await call(world, 'PATCH', `/v1/datasets/${dataset.id}`, { token: cast.deptA.publisher.token, body: { standard_version: '9.0.0' } })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors[0]).toMatchObject({ path: 'body.standard_version', code: 'unknown_standard' })
  })
})

describe('PATCH /v1/datasets/{id}', () => {
  it('changes metadata under the registration rules and audits what changed', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const path = `/v1/datasets/${dataset.id}`
    const token = cast.deptA.publisher.token
    const incomplete = await call(world, 'PATCH', path, { token, body: { sharing: 'conditional' } })
    expect(incomplete.status, incomplete.text).toBe(400)
    expect(incomplete.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.legal_basis', 'body.sharing_conditions'])

    const res = await call(world, 'PATCH', path, {
      token,
      body: { title: '户籍人口（全量）', sharing: 'conditional', sharing_conditions: '用于资格核查', legal_basis: '《户口登记条例》', update_cycle: 'weekly' },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ title: '户籍人口（全量）', sharing: 'conditional', update_cycle: 'weekly', code: dataset.code })
    const [entry] = await auditEntries('dataset.updated', dataset.id)
    expect(entry?.details.changes).toEqual({
      title: { before: '户籍人口', after: '户籍人口（全量）' },
      sharing: { before: 'unconditional', after: 'conditional' },
      sharing_conditions: { before: null, after: '用于资格核查' },
      legal_basis: { before: null, after: '《户口登记条例》' },
      update_cycle: { before: 'daily', after: 'weekly' },
    })

    const back = await call(world, 'PATCH', path, { token, body: { sharing: 'unconditional', sharing_conditions: null } })
    expect(back.status, back.text).toBe(200)
    expect(back.body).toMatchObject({ sharing: 'unconditional', sharing_conditions: null })
  })

  it('never changes the code, the key field or the provider', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    for (const body of [{ code: 'NEW-CODE' }, { key_field: 'name' }, { provider_id: cast.deptB.orgId }]) {
      const res = await call(world, 'PATCH', `/v1/datasets/${dataset.id}`, { token: cast.deptA.publisher.token, body })
      expect(res.status, res.text).toBe(400)
    }
  })

  it('is for the provider’s publishers: 403 for a visible dataset of another department, 404 for an invisible one', async () => {
    const shared = await registerDataset(world, cast.deptA.publisher)
    const hidden = await registerDataset(world, cast.deptA.publisher, populationDataset({ sharing: 'none', legal_basis: '《个人信息保护法》第十三条' }))
    const otherPublisher = await createActor(world, cast.admin, cast.deptB.orgId, ['publisher'])
    const forbidden = await call(world, 'PATCH', `/v1/datasets/${shared.id}`, { token: otherPublisher.token, body: { title: 'x' } })
    expect(forbidden.status, forbidden.text).toBe(403)
    const [denial] = await auditEntries('dataset.update', shared.id)
    expect(denial).toMatchObject({ decision: 'denied', actor_client_id: otherPublisher.clientId })
    const invisible = await call(world, 'PATCH', `/v1/datasets/${hidden.id}`, { token: otherPublisher.token, body: { title: 'x' } })
    expect(invisible.status, invisible.text).toBe(404)
    await expectStandardSecurity(world, cast, { method: 'PATCH', path: `/v1/datasets/${shared.id}`, body: { title: '户籍人口' }, role: 'publisher', orgId: cast.deptA.orgId })
  })
})

describe('POST /v1/datasets/{id}/retire', () => {
  it('takes the dataset out of the catalogue for others, keeps it for its provider, and stops changes', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const path = `/v1/datasets/${dataset.id}`
    const retired = await call(world, 'POST', `${path}/retire`, { token: cast.deptA.publisher.token })
    expect(retired.status, retired.text).toBe(200)
    expect(retired.body).toMatchObject({ status: 'retired' })
    expect(retired.body.retired_at).toBeTruthy()
    expect((await call(world, 'POST', `${path}/retire`, { token: cast.deptA.publisher.token })).status).toBe(200)

    expect((await call(world, 'GET', path, { token: cast.deptB.consumer.token })).status).toBe(404)
    expect((await call(world, 'GET', path, { token: cast.deptA.consumer.token })).body.status).toBe('retired')
    const active = await call(world, 'GET', `/v1/datasets?provider=${cast.deptA.orgId}&limit=200`, { token: cast.deptA.consumer.token })
    expect(active.body.items.map((d: { id: string }) => d.id)).not.toContain(dataset.id)
    const retiredList = await call(world, 'GET', `/v1/datasets?status=retired`, { token: cast.deptA.consumer.token })
    expect(retiredList.body.items.map((d: { id: string }) => d.id)).toContain(dataset.id)

    const patch = await call(world, 'PATCH', path, { token: cast.deptA.publisher.token, body: { title: 'x' } })
    expect(patch.status, patch.text).toBe(409)
    const tier = await call(world, 'PUT', `${path}/tier`, { token: cast.admin.token, body: { tier: 'L4', reason: 'x' } })
    expect(tier.status, tier.text).toBe(409)
    const [entry] = await auditEntries('dataset.retired', dataset.id)
    expect(entry).toMatchObject({ actor_client_id: cast.deptA.publisher.clientId })
  })

  it('may be done by an admin, not by another department', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const otherPublisher = await createActor(world, cast.admin, cast.deptB.orgId, ['publisher'])
    expect((await call(world, 'POST', `/v1/datasets/${dataset.id}/retire`, { token: otherPublisher.token })).status).toBe(403)
    const byAdmin = await call(world, 'POST', `/v1/datasets/${dataset.id}/retire`, { token: cast.admin.token })
    expect(byAdmin.status, byAdmin.text).toBe(200)
    expect(byAdmin.body.status).toBe('retired')
    const another = await registerDataset(world, cast.deptA.publisher)
    await expectStandardSecurity(world, cast, { method: 'POST', path: `/v1/datasets/${another.id}/retire`, role: 'publisher', orgId: cast.deptA.orgId })
  })
})
