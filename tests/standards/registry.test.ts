import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, expectStandardSecurity, tokenFor, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

type Properties = Record<string, Record<string, unknown>>

// A record standard for publication tests: volunteers of a social organisation.
const volunteerFields: Properties = {
  volunteer_id: { title: '志愿者编号 / Volunteer ID', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['志愿者编号', 'zyzbh'] },
  citizen_id: { $ref: '../base/1.0.0#/$defs/citizen_id' },
  name: { $ref: '../base/1.0.0#/$defs/person_name' },
  hours: { title: '服务时长 / Service hours', type: 'number', minimum: 0, 'x-sensitivity': 'L1', 'x-aliases': ['服务时长'] },
  note: { title: '备注 / Note', type: 'string', maxLength: 200, 'x-sensitivity': 'L2', 'x-masked-sensitivity': 'L1', 'x-mask': { type: 'redact' }, 'x-aliases': ['备注'] },
}

function standardBody(name: string, version: string, properties: Properties, required = ['volunteer_id', 'citizen_id'], extra: Record<string, unknown> = {}) {
  return {
    name,
    version,
    title: '志愿者 / Volunteer',
    schema: { 'x-key': 'volunteer_id', type: 'object', properties, required, additionalProperties: false },
    ...extra,
  }
}

const publish = (body: unknown) => call(world, 'POST', '/v1/standards', { token: cast.admin.token, body })

/** Publishes `name` 1.0.0 with the volunteer fields, for a test of its own. */
async function publishFirst(name: string) {
  const res = await publish(standardBody(name, '1.0.0', volunteerFields))
  expect(res.status, res.text).toBe(201)
  return res.body
}

function without<T extends Record<string, unknown>>(object: T, key: string): T {
  const { [key]: _removed, ...rest } = object
  return rest as T
}

describe('GET /v1/standards', () => {
  it('lists the shipped standards with their tier, kind and source', async () => {
    const res = await call(world, 'GET', '/v1/standards', { token: cast.social.consumer.token })
    expect(res.status, res.text).toBe(200)
    const shipped = res.body.items.filter((s: { source: string }) => s.source === 'shipped')
    expect(shipped).toEqual([
      { name: 'base', version: '1.0.0', title: '基础数据元 / Base data elements', tier: null, kind: 'elements', source: 'shipped' },
      { name: 'grid-event', version: '1.0.0', title: '网格事件 / Grid governance event', tier: 'L3', kind: 'record', source: 'shipped' },
      { name: 'legal-person', version: '1.0.0', title: '法人基础信息 / Legal person basic information', tier: 'L4', kind: 'record', source: 'shipped' },
      { name: 'population', version: '1.0.0', title: '人口基础信息 / Population basic information', tier: 'L4', kind: 'record', source: 'shipped' },
      { name: 'social-org-service', version: '1.0.0', title: '社会组织服务记录 / Social organisation service record', tier: 'L4', kind: 'record', source: 'shipped' },
    ])
    expect(res.body).toHaveProperty('next_cursor')
  })

  it('filters by name', async () => {
    const res = await call(world, 'GET', '/v1/standards?name=population', { token: cast.deptA.consumer.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.length).toBeGreaterThan(0)
    expect(res.body.items.every((s: { name: string }) => s.name === 'population')).toBe(true)
  })

  it('pages through shipped and published versions in name and semantic-version order', async () => {
    await publishFirst('paging')
    for (const version of ['1.1.0', '1.2.0', '1.10.0']) {
      const res = await publish(standardBody('paging', version, volunteerFields))
      expect(res.status, res.text).toBe(201)
    }
    const full = await call(world, 'GET', '/v1/standards?limit=200', { token: cast.admin.token })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(world, 'GET', `/v1/standards?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: cast.admin.token })
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((s: { name: string; version: string }) => `${s.name}@${s.version}`))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toEqual(full.body.items.map((s: { name: string; version: string }) => `${s.name}@${s.version}`))
    const paging = seen.filter((s) => s.startsWith('paging@'))
    expect(paging).toEqual(['paging@1.0.0', 'paging@1.1.0', 'paging@1.2.0', 'paging@1.10.0'])
    expect(seen.indexOf('paging@1.0.0')).toBeGreaterThan(seen.indexOf('legal-person@1.0.0'))
    expect(seen.indexOf('paging@1.10.0')).toBeLessThan(seen.indexOf('population@1.0.0'))
  })

  it('refuses a cursor it did not issue', async () => {
    const res = await call(world, 'GET', '/v1/standards?cursor=bm9wZQ', { token: cast.admin.token })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors[0].path).toBe('query.cursor')
  })

  it('passes the standard security cases (any role)', async () => {
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/standards', role: 'consumer', orgId: cast.social.orgId, anyRole: true })
  })
})

describe('GET /v1/standards/{name}/{version}', () => {
  it('reads a shipped standard with its schema and described fields', async () => {
    const res = await call(world, 'GET', '/v1/standards/population/1.0.0', { token: cast.deptB.consumer.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ name: 'population', version: '1.0.0', tier: 'L4', kind: 'record', source: 'shipped', key: 'citizen_id', published_at: null })
    expect(res.body.schema.$id).toBe('https://qiao.example/schemas/population/1.0.0')
    const citizenId = res.body.fields.find((f: { name: string }) => f.name === 'citizen_id')
    expect(citizenId).toMatchObject({
      key: true,
      required: true,
      format: 'cn-citizen-id',
      sensitivity: 'L4',
      mask: { type: 'show-first-n', n: 6, last: 4 },
    })
    expect(citizenId.aliases).toContain('身份证号')
    const sex = res.body.fields.find((f: { name: string }) => f.name === 'sex')
    expect(sex.enum_aliases['1']).toContain('男')
    expect(res.body.fields.map((f: { name: string }) => f.name)).toEqual(Object.keys(res.body.schema.properties))
  })

  it('reads an element library, which has no fields and no tier', async () => {
    const res = await call(world, 'GET', '/v1/standards/base/1.0.0', { token: cast.admin.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ kind: 'elements', tier: null, key: null, fields: [] })
    expect(Object.keys(res.body.schema.$defs)).toContain('citizen_id')
  })

  it('answers `latest` with the highest version, shipped or published', async () => {
    const before = await call(world, 'GET', '/v1/standards/grid-event/latest', { token: cast.admin.token })
    expect(before.status, before.text).toBe(200)
    expect(before.body.version).toBe('1.0.0')
    await publishFirst('latest-test')
    for (const version of ['1.9.0', '1.10.0']) expect((await publish(standardBody('latest-test', version, volunteerFields))).status).toBe(201)
    const latest = await call(world, 'GET', '/v1/standards/latest-test/latest', { token: cast.admin.token })
    expect(latest.body.version, latest.text).toBe('1.10.0')
  })

  it('answers 404 for an unknown standard or version, and 400 for a malformed version', async () => {
    for (const path of ['/v1/standards/nothing/1.0.0', '/v1/standards/population/9.0.0', '/v1/standards/nothing/latest']) {
      const res = await call(world, 'GET', path, { token: cast.admin.token })
      expect(res.status, `${path}: ${res.text}`).toBe(404)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body.code).toBe('not_found')
    }
    const bad = await call(world, 'GET', '/v1/standards/population/v1', { token: cast.admin.token })
    expect(bad.status, bad.text).toBe(400)
    expect(bad.body.errors[0].path).toBe('path.version')
  })

  it('passes the standard security cases (any role)', async () => {
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/standards/population/latest', role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
  })
})

describe('POST /v1/standards', () => {
  it('publishes a new standard, filling in its header and keeping the field order', async () => {
    const res = await publish(standardBody('volunteer', '1.0.0', volunteerFields))
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({
      name: 'volunteer',
      version: '1.0.0',
      title: '志愿者 / Volunteer',
      kind: 'record',
      source: 'published',
      tier: 'L4',
      key: 'volunteer_id',
      published_by: cast.admin.clientId,
      sensitivity_reviewed: false,
    })
    expect(res.body.schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://qiao.example/schemas/volunteer/1.0.0',
      'x-standard': { name: 'volunteer', version: '1.0.0' },
    })
    const read = await call(world, 'GET', '/v1/standards/volunteer/1.0.0', { token: cast.social.consumer.token })
    expect(read.status, read.text).toBe(200)
    expect(read.body).toEqual(res.body)
    expect(read.body.fields.map((f: { name: string }) => f.name)).toEqual(['volunteer_id', 'citizen_id', 'name', 'hours', 'note'])
    expect(Object.keys(read.body.schema.properties)).toEqual(['volunteer_id', 'citizen_id', 'name', 'hours', 'note'])
    expect(read.body.fields.find((f: { name: string }) => f.name === 'citizen_id').aliases).toContain('身份证号')
    const listed = await call(world, 'GET', '/v1/standards?name=volunteer', { token: cast.admin.token })
    expect(listed.body.items).toEqual([{ name: 'volunteer', version: '1.0.0', title: '志愿者 / Volunteer', tier: 'L4', kind: 'record', source: 'published' }])
  })

  it('records the publication in the audit log in the same transaction', async () => {
    await publishFirst('audited')
    const { rows } = await world.services.db.query<{ action: string; actor_client_id: string; resource_type: string; content: { details: Record<string, unknown> } }>(
      'SELECT action, actor_client_id, resource_type, content FROM audit_log WHERE resource_id = $1',
      ['audited@1.0.0'],
    )
    expect(rows.map((r) => [r.action, r.actor_client_id, r.resource_type])).toEqual([['standard.published', cast.admin.clientId, 'standard']])
    expect(rows[0]!.content.details).toMatchObject({ name: 'audited', version: '1.0.0', tier: 'L4', previous_version: null })
  })

  it('publishes a compatible minor version: an optional field and an alias added, a bound relaxed', async () => {
    await publishFirst('minor')
    const next = {
      ...volunteerFields,
      volunteer_id: { ...volunteerFields.volunteer_id, 'x-aliases': ['志愿者编号', 'zyzbh', '编号'] },
      note: { ...volunteerFields.note, maxLength: 500 },
      team: { title: '服务队 / Team', type: 'string', 'x-sensitivity': 'L1', 'x-aliases': ['服务队'] },
    }
    const res = await publish(standardBody('minor', '1.1.0', next))
    expect(res.status, res.text).toBe(201)
    const { rows } = await world.services.db.query<{ content: { details: { previous_version: string; changes: { kind: string }[] } } }>(
      'SELECT content FROM audit_log WHERE resource_id = $1',
      ['minor@1.1.0'],
    )
    expect(rows[0]!.content.details.previous_version).toBe('1.0.0')
    expect(rows[0]!.content.details.changes.map((c) => c.kind).sort()).toEqual(['alias_added', 'constraint_relaxed', 'field_added'])
  })

  it('refuses a field change published as a patch (422, needs a minor version)', async () => {
    await publishFirst('patchy')
    const res = await publish(standardBody('patchy', '1.0.1', { ...volunteerFields, team: { title: '服务队 / Team', type: 'string', 'x-sensitivity': 'L1' } }))
    expect(res.status, res.text).toBe(422)
    expect(res.body).toMatchObject({ code: 'unprocessable', required_bump: 'minor', previous_version: '1.0.0' })
    expect(res.body.errors).toEqual([{ path: 'body.schema.properties.team', code: 'field_added', message: expect.any(String) }])
    expect(res.body.detail).toContain('1.1.0')
    const titleOnly = await publish(standardBody('patchy', '1.0.1', { ...volunteerFields, hours: { ...volunteerFields.hours, description: '小时' } }))
    expect(titleOnly.status, titleOnly.text).toBe(201)
  })

  describe('refuses each kind of breaking change within a major version (422), listing it', () => {
    const cases: Array<[string, Properties, string[] | undefined, { code: string; path: string }]> = [
      ['a removed field', without(volunteerFields, 'hours'), undefined, { code: 'field_removed', path: 'body.schema.properties.hours' }],
      [
        'a new required field',
        { ...volunteerFields, team: { title: '服务队 / Team', type: 'string', 'x-sensitivity': 'L1' } },
        ['volunteer_id', 'citizen_id', 'team'],
        { code: 'field_added_required', path: 'body.schema.properties.team' },
      ],
      ['a narrowed type', { ...volunteerFields, hours: { ...volunteerFields.hours, type: 'integer' } }, undefined, { code: 'type_narrowed', path: 'body.schema.properties.hours.type' }],
      ['an optional field made required', volunteerFields, ['volunteer_id', 'citizen_id', 'hours'], { code: 'became_required', path: 'body.schema.properties.hours' }],
      ['a tightened constraint', { ...volunteerFields, note: { ...volunteerFields.note, maxLength: 100 } }, undefined, { code: 'constraint_tightened', path: 'body.schema.properties.note.maxLength' }],
      [
        'a removed alias',
        { ...volunteerFields, volunteer_id: { ...volunteerFields.volunteer_id, 'x-aliases': ['志愿者编号'] } },
        undefined,
        { code: 'alias_removed', path: 'body.schema.properties.volunteer_id.x-aliases' },
      ],
    ]
    it.each(cases)('%s', async (_what, properties, required, expected) => {
      const name = `breaking-${expected.code.replaceAll('_', '-')}`
      await publishFirst(name)
      const res = await publish(standardBody(name, '1.1.0', properties, required))
      expect(res.status, res.text).toBe(422)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body).toMatchObject({ code: 'unprocessable', required_bump: 'major', previous_version: '1.0.0' })
      expect(res.body.errors).toEqual([{ ...expected, message: expect.any(String) }])
      expect(res.body.detail).toContain('2.0.0')
      const stored = await call(world, 'GET', `/v1/standards/${name}/1.1.0`, { token: cast.admin.token })
      expect(stored.status, 'nothing stored').toBe(404)
      const major = await publish(standardBody(name, '2.0.0', properties, required))
      expect(major.status, `as a new major: ${major.text}`).toBe(201)
    })
  })

  it('lists every breaking change of one version, and only the breaking ones', async () => {
    await publishFirst('many')
    const next = {
      ...without(volunteerFields, 'note'),
      hours: { ...volunteerFields.hours, type: 'integer' },
      team: { title: '服务队 / Team', type: 'string', 'x-sensitivity': 'L1' },
    }
    const res = await publish(standardBody('many', '1.1.0', next))
    expect(res.status, res.text).toBe(422)
    expect(res.body.errors.map((e: { code: string; path: string }) => `${e.code} ${e.path}`).sort()).toEqual([
      'field_removed body.schema.properties.note',
      'type_narrowed body.schema.properties.hours.type',
    ])
  })

  it('treats raised sensitivity as breaking unless reviewed', async () => {
    await publishFirst('sensitive')
    const raised = { ...volunteerFields, hours: { ...volunteerFields.hours, 'x-sensitivity': 'L2', 'x-masked-sensitivity': 'L1', 'x-mask': { type: 'nullify' } } }
    const refused = await publish(standardBody('sensitive', '1.1.0', raised))
    expect(refused.status, refused.text).toBe(422)
    expect(refused.body.errors).toEqual([{ path: 'body.schema.properties.hours.x-sensitivity', code: 'sensitivity_raised', message: expect.stringContaining('L1 to L2') }])
    expect(refused.body.detail).toContain('sensitivity_reviewed')
    const reviewed = await publish(standardBody('sensitive', '1.1.0', raised, undefined, { sensitivity_reviewed: true }))
    expect(reviewed.status, reviewed.text).toBe(201)
    expect(reviewed.body.sensitivity_reviewed).toBe(true)
    // A review doesn't excuse other breaking changes.
    const alsoRemoved = await publish(standardBody('sensitive', '1.2.0', without(raised, 'note'), undefined, { sensitivity_reviewed: true }))
    expect(alsoRemoved.status, alsoRemoved.text).toBe(422)
    expect(alsoRemoved.body.errors.map((e: { code: string }) => e.code)).toEqual(['field_removed'])
  })

  it('compares a new version of a shipped standard with the shipped one', async () => {
    const population = (await call(world, 'GET', '/v1/standards/population/1.0.0', { token: cast.admin.token })).body
    const properties = population.schema.properties as Properties
    const schema = (props: Properties) => ({ ...without(without(without(population.schema, '$id'), 'x-standard'), 'title'), properties: props })
    const breaking = await publish({ name: 'population', version: '1.1.0', title: population.title, schema: schema(without(properties, 'mobile')) })
    expect(breaking.status, breaking.text).toBe(422)
    expect(breaking.body.errors[0]).toMatchObject({ code: 'field_removed', path: 'body.schema.properties.mobile' })
    const added = { ...properties, email: { title: '电子邮箱 / Email', type: 'string', 'x-sensitivity': 'L3', 'x-masked-sensitivity': 'L1', 'x-mask': { type: 'redact' } } }
    const ok = await publish({ name: 'population', version: '1.1.0', title: population.title, schema: schema(added) })
    expect(ok.status, ok.text).toBe(201)
    const latest = await call(world, 'GET', '/v1/standards/population/latest', { token: cast.admin.token })
    expect(latest.body).toMatchObject({ version: '1.1.0', source: 'published' })
  })

  it('refuses an existing version (shipped or published) and one lower than the latest of its major (409)', async () => {
    await publishFirst('dup')
    expect((await publish(standardBody('dup', '1.2.0', volunteerFields))).status).toBe(201)
    for (const [name, version] of [['dup', '1.0.0'], ['population', '1.0.0'], ['dup', '1.1.0']] as const) {
      const res = await publish(standardBody(name, version, volunteerFields))
      expect(res.status, `${name} ${version}: ${res.text}`).toBe(409)
      expect(res.body.code).toBe('conflict')
    }
  })

  it('publishes one of two simultaneous requests for the same version, refusing the other (409)', async () => {
    await publishFirst('race')
    const body = standardBody('race', '1.1.0', volunteerFields)
    const statuses = (await Promise.all([publish(body), publish(body)])).map((r) => r.status)
    expect(statuses.sort()).toEqual([201, 409])
  })

  it('refuses publishing under the name of the shipped element library (409)', async () => {
    const res = await publish(standardBody('base', '2.0.0', volunteerFields))
    expect(res.status, res.text).toBe(409)
  })

  it('refuses a schema with an unsupported keyword, naming it and where it is (400)', async () => {
    const res = await publish(
      standardBody('bad-keyword', '1.0.0', { ...volunteerFields, hours: { ...volunteerFields.hours, oneOf: [{ minimum: 1 }, { maximum: 0 }] } }),
    )
    expect(res.status, res.text).toBe(400)
    expect(res.body.code).toBe('validation_failed')
    expect(res.body.errors).toContainEqual({ path: 'body.schema.properties.hours.oneOf', code: 'unsupported_keyword', message: expect.stringContaining('"oneOf"') })
    expect(res.body.detail).toContain('oneOf')
  })

  it('refuses a schema that is not a well-annotated record standard, listing each problem (400)', async () => {
    const res = await publish(
      standardBody('bad-standard', '1.0.0', {
        ...volunteerFields,
        hours: without(volunteerFields.hours!, 'x-sensitivity'),
        note: { ...volunteerFields.note, format: 'email' },
        ghost: { $ref: '../base/1.0.0#/$defs/nothing' },
      }),
    )
    expect(res.status, res.text).toBe(400)
    const paths = res.body.errors.map((e: { path: string }) => e.path)
    expect(paths).toContain('body.schema.properties.hours.x-sensitivity')
    expect(paths).toContain('body.schema.properties.note.format')
    expect(paths.some((p: string) => p.startsWith('body.schema.properties.ghost'))).toBe(true)
  })

  it('refuses a schema whose header disagrees with the request (400)', async () => {
    const body = standardBody('header', '1.0.0', volunteerFields)
    const res = await publish({ ...body, schema: { ...body.schema, $id: 'https://example.com/elsewhere', 'x-standard': { name: 'header', version: '2.0.0' } } })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.schema.$id', 'body.schema.x-standard'])
  })

  it('refuses a malformed request, naming each field (400)', async () => {
    const res = await publish({ name: 'Not Kebab', version: '1.0', title: '', schema: [] })
    expect(res.status, res.text).toBe(400)
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.name', 'body.schema', 'body.title', 'body.version'])
  })

  it('passes the standard security cases', async () => {
    await expectStandardSecurity(world, cast, { method: 'POST', path: '/v1/standards', body: standardBody('secure', '1.0.0', volunteerFields), role: 'admin', orgId: cast.admin.orgId })
  })
})

// ---------------------------------------------------------------------------------------

const goodId = '11010519491231002X'
const badChecksumId = '110105194912310021'

async function check(path: string, body: string | ReadableStream<Uint8Array>, contentType: string, token = cast.deptA.publisher.token) {
  const init = { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body, duplex: 'half' }
  const response = await world.app.request(path, init as RequestInit)
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined, text: `${response.status} ${text}` }
}

/** Every row of every table: what a dry run must leave unchanged. */
async function databaseSnapshot(): Promise<Record<string, number>> {
  const { rows } = await world.services.db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
  const counts: Record<string, number> = {}
  for (const { tablename } of rows) {
    const result = await world.services.db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM "${tablename}"`)
    counts[tablename] = result.rows[0]!.n
  }
  return counts
}

const populationRecord = (citizenId: string, extra: Record<string, unknown> = {}) => ({
  身份证号: citizenId,
  姓名: '张三',
  性别: '男',
  出生日期: '1949-12-31',
  户籍地: '110105',
  人口状态: '正常',
  ...extra,
})

describe('POST /v1/standards/{name}/{version}/check', () => {
  it('checks a JSON array, reporting a bad citizen id with its stable code and row', async () => {
    const records = [populationRecord(goodId), populationRecord(badChecksumId), { citizen_id: goodId }]
    const res = await check('/v1/standards/population/1.0.0/check', JSON.stringify(records), 'application/json')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 3, valid: 1, invalid: 2, warned: 0, truncated: false })
    expect(res.body.rows[0]).toEqual({ row: 2, key: badChecksumId, errors: [{ path: '/citizen_id', code: 'format.cn-citizen-id.checksum', message: expect.any(String) }] })
    expect(res.body.rows[1].row).toBe(3)
    expect(res.body.rows[1].errors.map((e: { code: string }) => e.code)).toContain('required')
    expect(res.body.fields.citizen_id).toBe(1)
  })

  it('checks NDJSON', async () => {
    const body = [populationRecord(goodId), populationRecord(badChecksumId)].map((r) => JSON.stringify(r)).join('\n') + '\n\n{broken\n'
    const res = await check('/v1/standards/population/latest/check', body, 'application/x-ndjson')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 3, valid: 1, invalid: 2 })
    expect(res.body.rows.map((r: { row: number; errors: { code: string }[] }) => [r.row, r.errors[0]!.code])).toEqual([
      [2, 'format.cn-citizen-id.checksum'],
      [3, 'parse.json.syntax'],
    ])
  })

  it('checks CSV with a BOM, Chinese aliased headers, quotes and an embedded newline', async () => {
    const csv =
      '\uFEFF身份证号,姓名,性别,出生日期,户籍地,人口状态,现住址\r\n' +
      `${goodId},张三,男,1949/12/31,110105,正常,"北京市朝阳区""幸福""街道\n3号楼"\r\n` +
      `${badChecksumId},"李四",女,1949年12月31日,110105,正常,\r\n` +
      `${goodId.toLowerCase()},王五,9,19491231,110105,迁出,"a, b"\r\n`
    const res = await check('/v1/standards/population/1.0.0/check', csv, 'text/csv; charset=utf-8')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 3, valid: 2, invalid: 1, fields: { citizen_id: 1 } })
    expect(res.body.rows).toEqual([{ row: 2, key: badChecksumId, errors: [{ path: '/citizen_id', code: 'format.cn-citizen-id.checksum', message: expect.any(String) }] }])
  })

  it('reports CSV rows with the wrong number of fields and keeps going', async () => {
    const csv = `身份证号,姓名\n${goodId},张三,extra\n"unterminated`
    const res = await check('/v1/standards/population/1.0.0/check?unknown=drop', csv, 'text/csv')
    expect(res.status, res.text).toBe(200)
    expect(res.body.rows.map((r: { errors: { code: string }[] }) => r.errors[0]!.code)).toEqual(['parse.csv.field_count', 'parse.csv.unterminated_quote'])
  })

  it('reads a streamed body chunk by chunk, even with a character split across chunks', async () => {
    const csv = new TextEncoder().encode(`姓名,身份证号,性别,出生日期,户籍地,人口状态\n` + `张三,${goodId},男,1949-12-31,110105,正常\n`.repeat(500))
    let offset = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= csv.length) return controller.close()
        controller.enqueue(csv.slice(offset, offset + 1001)) // 1001: cuts three-byte characters
        offset += 1001
      },
    })
    const res = await check('/v1/standards/population/1.0.0/check', stream, 'text/csv')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 500, valid: 500, invalid: 0, rows: [] })
  })

  it('rejects or drops unknown columns as asked', async () => {
    const body = JSON.stringify([populationRecord(goodId, { 备注: 'x' })])
    const rejected = await check('/v1/standards/population/1.0.0/check', body, 'application/json')
    expect(rejected.body.rows[0].errors).toEqual([{ path: '/备注', code: 'unknown_field', message: expect.any(String) }])
    const dropped = await check('/v1/standards/population/1.0.0/check?unknown=drop', body, 'application/json')
    expect(dropped.body).toMatchObject({ total: 1, valid: 1 })
    const bad = await check('/v1/standards/population/1.0.0/check?unknown=keep', body, 'application/json')
    expect(bad.status, bad.text).toBe(400)
    expect(bad.body.errors[0].path).toBe('query.unknown')
  })

  it('checks against a published standard through the same code path', async () => {
    await publishFirst('checked')
    const csv = `志愿者编号,身份证号,姓名,服务时长,备注\nv1,${goodId},张三,１２,\nv2,${badChecksumId},李四,-1,\n`
    const res = await check('/v1/standards/checked/1.0.0/check', csv, 'text/csv')
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 2, valid: 1, invalid: 1, fields: { citizen_id: 1, hours: 1 } })
    expect(res.body.rows[0]).toMatchObject({ row: 2, key: 'v2' })
    expect(res.body.rows[0].errors.map((e: { code: string }) => e.code).sort()).toEqual(['format.cn-citizen-id.checksum', 'minimum'])
  })

  it('stores nothing', async () => {
    const before = await databaseSnapshot()
    const res = await check('/v1/standards/population/1.0.0/check', JSON.stringify([populationRecord(goodId)]), 'application/json')
    expect(res.status, res.text).toBe(200)
    expect(await databaseSnapshot()).toEqual(before)
  })

  it('answers 415 for another content type, as problem+json', async () => {
    for (const contentType of ['text/plain', 'application/xml']) {
      const res = await check('/v1/standards/population/1.0.0/check', 'a,b\n1,2\n', contentType)
      expect(res.status, res.text).toBe(415)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body.code).toBe('unsupported_media_type')
    }
    const charset = await check('/v1/standards/population/1.0.0/check', 'a,b\n', 'text/csv; charset=klingon')
    expect(charset.status, charset.text).toBe(415)
  })

  it('answers 404 for an unknown standard and 422 for an element library', async () => {
    const missing = await check('/v1/standards/nothing/1.0.0/check', '[]', 'application/json')
    expect(missing.status, missing.text).toBe(404)
    const library = await check('/v1/standards/base/1.0.0/check', '[]', 'application/json')
    expect(library.status, library.text).toBe(422)
  })

  it('is open to admins as well as publishers', async () => {
    const res = await check('/v1/standards/grid-event/1.0.0/check', '[]', 'application/json', cast.admin.token)
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ total: 0, valid: 0, invalid: 0 })
    const approver = await check('/v1/standards/grid-event/1.0.0/check', '[]', 'application/json', cast.deptA.approver.token)
    expect(approver.status, approver.text).toBe(403)
  })

  it('passes the standard security cases', async () => {
    await expectStandardSecurity(world, cast, {
      method: 'POST',
      path: '/v1/standards/population/1.0.0/check',
      body: [populationRecord(goodId)],
      role: 'publisher',
      orgId: cast.deptA.orgId,
    })
  })
})

describe('compiled standards', () => {
  it('are compiled once per process and reused (published ones included)', async () => {
    const { compiledStandard } = await import('../../src/standards/service.js')
    await publishFirst('cached')
    const first = await compiledStandard(world.services, 'cached', '1.0.0')
    expect(await compiledStandard(world.services, 'cached', 'latest')).toBe(first)
    const shipped = await compiledStandard(world.services, 'population', '1.0.0')
    expect(await compiledStandard(world.services, 'population', '1.0.0')).toBe(shipped)
  })

  it('follow the services clock (a citizen id may not carry a future birth date)', async () => {
    const bornIn2030 = '110105203006010019'
    const record = JSON.stringify([populationRecord(bornIn2030, { 出生日期: '2030-06-01' })])
    const today = await check('/v1/standards/population/1.0.0/check', record, 'application/json')
    expect(today.body.rows[0]?.errors.map((e: { code: string }) => e.code), today.text).toContain('format.cn-citizen-id.birth_date')
    const saved = world.clock.now()
    world.clock.set(new Date('2031-01-01T00:00:00Z'))
    try {
      const token = await tokenFor(world, cast.deptA.publisher.clientId, cast.deptA.publisher.secret)
      const later = await check('/v1/standards/population/1.0.0/check', record, 'application/json', token)
      expect(later.body, later.text).toMatchObject({ total: 1, valid: 1 })
    } finally {
      world.clock.set(saved)
    }
  })
})
