import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TIER_MATRIX, type TierMatrix } from '../../src/exchange/policy.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, createOrg, department, expectStandardSecurity, type Cast } from '../support/identity.js'
import { citizenId } from '../support/catalog.js'
import { exchangeDatasets, fileRequest, grantFor, read, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld
const PURPOSE = 'subsidy-eligibility'

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 10)
})
afterAll(() => world.close())

const records = (id: string) => `/v1/datasets/${id}/records`

async function auditOf(requestId: string | null) {
  const { rows } = await world.services.db.query<{ decision: string; content: Record<string, unknown> }>(
    `SELECT decision, content FROM audit_log WHERE action = 'dataset.read' AND content ->> 'request_id' = $1`,
    [requestId],
  )
  return rows
}

describe('direct and open reads', () => {
  it('serves openly published L1 data to anonymous callers', async () => {
    const res = await read(world, undefined, records(data.points))
    expect(res.status, res.text).toBe(200)
    expect(res.body.items.map((r: { point_id: string }) => r.point_id)).toEqual(['SP0001', 'SP0002', 'SP0003'])
    const one = await read(world, undefined, `${records(data.points)}/SP0002`)
    expect(one.body, one.text).toMatchObject({ point_id: 'SP0002', point_name: '服务点2' })
    const hidden = await read(world, undefined, records(data.population))
    expect(hidden.status, hidden.text).toBe(404)
  })

  it('serves direct data to a department that states a purpose', async () => {
    const noPurpose = await read(world, cast.deptB.consumer, records(data.points))
    expect(noPurpose.status, noPurpose.text).toBe(403)
    const res = await read(world, cast.deptB.consumer, `${records(data.points)}?fields=point_id`, PURPOSE)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items[0]).toEqual({ point_id: 'SP0001' })
  })

  it('lets the owner read its own records raw', async () => {
    const res = await read(world, cast.deptA.consumer, records(data.population))
    expect(res.status, res.text).toBe(200)
    expect(res.body.items[0].citizen_id).toMatch(/^\d{17}[\dX]$/)
  })
})

describe('policy changes', () => {
  it('apply to the very next read (a read re-reads the policy in the statement that decides it)', async () => {
    expect((await read(world, undefined, records(data.points))).status).toBe(200)
    const setPolicy = async (tiers: TierMatrix) => {
      const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers, reason: 'test' } })
      expect(res.status, res.text).toBe(200)
    }
    await setPolicy({ ...DEFAULT_TIER_MATRIX, L1: { ...DEFAULT_TIER_MATRIX.L1, anonymous: 'none' } })
    try {
      const closed = await read(world, undefined, records(data.points))
      expect(closed.status, closed.text).toBe(404)
    } finally {
      await setPolicy(DEFAULT_TIER_MATRIX)
    }
    expect((await read(world, undefined, records(data.points))).status).toBe(200)
  })
})

describe('reads under a grant', () => {
  it('refuses a caller without a grant, and one stating another purpose', async () => {
    const none = await read(world, cast.deptB.consumer, records(data.population), PURPOSE)
    expect(none.status, none.text).toBe(403)
    expect(none.body.reason).toBe('no_grant')
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose: 'wrong-purpose-test', fields: ['status'] })
    const wrong = await read(world, cast.deptB.consumer, records(data.population), 'marketing')
    expect(wrong.status, wrong.text).toBe(403)
    expect(wrong.body.reason).toBe('wrong_purpose')
    const audit = await auditOf(wrong.headers.get('x-request-id'))
    expect(audit).toEqual([expect.objectContaining({ decision: 'denied' })])
    expect(audit[0]!.content).toMatchObject({ reason: 'wrong_purpose', purpose: 'marketing' })
  })

  it('delivers an approved masked grant: default masks, narrowed fields, audited', async () => {
    const purpose = '低保资格核验'
    const grantId = await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose }, { fields: ['citizen_id', 'name', 'birth_date', 'status'] })
    const res = await read(world, cast.deptB.consumer, `${records(data.population)}?limit=3`, purpose)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(3)
    for (const item of res.body.items) {
      expect(Object.keys(item).sort()).toEqual(['birth_date', 'citizen_id', 'name', 'status'])
      expect(item.citizen_id).toMatch(/^\d{6}\*{8}[\dX*]{4}$/)
      expect(item.name).toMatch(/^测\*+$/)
      expect(item.birth_date).toMatch(/^\d{4}$/)
    }
    const audit = await auditOf(res.headers.get('x-request-id'))
    expect(audit[0]!.content).toMatchObject({ grant_id: grantId, purpose, fields: ['citizen_id', 'name', 'birth_date', 'status'], row_count: 3, decision: 'allowed' })

    const narrower = await read(world, cast.deptB.consumer, `${records(data.population)}?fields=status`, purpose)
    expect(Object.keys(narrower.body.items[0]), narrower.text).toEqual(['status'])
    const outside = await read(world, cast.deptB.consumer, `${records(data.population)}?fields=mobile`, purpose)
    expect(outside.status, outside.text).toBe(403)
  })

  it('applies the grant’s own masks and row filter, to pages and single records', async () => {
    const purpose = 'city-only'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose }, {
      fields: ['citizen_id', 'household_region_code', 'status'],
      masks: { citizen_id: { type: 'hash' }, household_region_code: { type: 'region-prefix-n', n: 4 } },
      row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }],
    })
    const res = await read(world, cast.deptB.consumer, records(data.population), purpose)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(5)
    for (const item of res.body.items) {
      expect(item.household_region_code).toBe('330100')
      expect(item.citizen_id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    }
    const inside = await read(world, cast.deptB.consumer, `${records(data.population)}/${citizenId(2)}`, purpose)
    expect(inside.status, inside.text).toBe(200)
    const outside = await read(world, cast.deptB.consumer, `${records(data.population)}/${citizenId(1)}`, purpose)
    expect(outside.status, outside.text).toBe(404)
  })

  it('reads under the row filter of the grant in force, also when the grant for the purpose is replaced by one with another filter', async () => {
    const purpose = 'filter-replaced'
    const regions = async () => {
      const res = await read(world, cast.deptB.consumer, records(data.population), purpose)
      expect(res.status, res.text).toBe(200)
      return [...new Set(res.body.items.map((r: { household_region_code: string }) => r.household_region_code.slice(0, 4)))]
    }
    const first = await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose }, {
      fields: ['household_region_code'],
      row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3301' }],
    })
    expect(await regions()).toEqual(['3301'])
    expect(await regions()).toEqual(['3301'])
    expect((await call(world, 'DELETE', `/v1/grants/${first}`, { token: cast.deptA.approver.token })).status).toBe(200)
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose }, {
      fields: ['household_region_code'],
      row_filter: [{ field: 'household_region_code', op: 'prefix', value: '3101' }],
    })
    expect(await regions()).toEqual(['3101'])
    // Another organisation's grant for the same dataset and purpose has no filter at all.
    const other = await createActor(world, cast.admin, await createOrg(world, cast.admin, department('某区人力资源和社会保障局', '310104')), ['consumer'])
    await grantFor(world, cast, other, data.population, { purpose }, { fields: ['household_region_code'] })
    const unfiltered = await read(world, other, records(data.population), purpose)
    expect(unfiltered.status, unfiltered.text).toBe(200)
    expect(unfiltered.body.items).toHaveLength(10)
    expect(await regions()).toEqual(['3101'])
  })

  it('paginates with an opaque cursor and answers 304 to a matching If-None-Match', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await read(world, cast.deptA.consumer, `${records(data.population)}?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status, res.text).toBe(200)
      seen.push(...res.body.items.map((r: { citizen_id: string }) => r.citizen_id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toHaveLength(10)
    expect(new Set(seen).size).toBe(10)
    expect([...seen].sort()).toEqual(seen)

    const first = await read(world, cast.deptA.consumer, records(data.population))
    const etag = first.headers.get('etag')!
    expect(etag).toMatch(/^"[0-9a-f]+"$/)
    const again = await read(world, cast.deptA.consumer, records(data.population), undefined, { 'if-none-match': etag })
    expect(again.status).toBe(304)
    const bad = await read(world, cast.deptA.consumer, `${records(data.population)}?cursor=bm9wZQ`)
    expect(bad.status, bad.text).toBe(400)
  })

  it('answers a page and its 304 with the headers every response carries, each once', async () => {
    // A page is built with its headers whole (src/http/middleware.ts respond); /health gets them set afterwards.
    const standard = [...(await world.app.request('/health')).headers].filter(([name]) => !['content-type', 'x-request-id'].includes(name))
    expect(standard.map(([name]) => name)).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'vary', 'x-frame-options']))
    const page = await read(world, cast.deptA.consumer, records(data.population), undefined, { 'x-request-id': 'page-headers-1' })
    const notModified = await read(world, cast.deptA.consumer, records(data.population), undefined, { 'if-none-match': page.headers.get('etag')!, 'x-request-id': 'page-headers-2' })
    expect(notModified.status).toBe(304)
    for (const [res, id] of [[page, 'page-headers-1'], [notModified, 'page-headers-2']] as const) {
      for (const [name, value] of standard) expect(res.headers.get(name), name).toBe(value)
      expect(res.headers.get('x-request-id')).toBe(id)
      expect(res.headers.get('cache-control')).toBe('private, no-cache')
    }
    expect(page.headers.get('content-type')).toBe('application/json')
  })

  it('refuses a bad query, path or header, naming each bad field of the first bad part', async () => {
    const refused = async (path: string, headers: Record<string, string> = {}) => {
      const res = await read(world, cast.deptA.consumer, path, undefined, headers)
      expect(res.status, res.text).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(res.body.code).toBe('validation_failed')
      return (res.body.errors as { path: string }[]).map((e) => e.path)
    }
    expect(await refused(`${records(data.population)}?limit=0`)).toEqual(['query.limit'])
    expect(await refused(`${records(data.population)}?limit=abc&cursor=${'x'.repeat(600)}`)).toEqual(['query.limit', 'query.cursor'])
    expect(await refused(`${records(data.population)}?limit=2&limit=3`)).toEqual(['query.limit'])
    expect(await refused(records(data.population), { 'x-purpose': 'p'.repeat(1501) })).toEqual(['header.x-purpose'])
    expect(await refused(`${records(data.population)}/${citizenId(1)}?fields=${'f'.repeat(4001)}`)).toEqual(['query.fields'])
    expect(await refused(`${records(data.population)}?limit=0`, { 'x-purpose': 'p'.repeat(1501) })).toEqual(['query.limit'])
    const fine = await read(world, cast.deptA.consumer, `${records(data.population)}?limit=2`)
    expect(fine.status, fine.text).toBe(200)
    expect(fine.body.items).toHaveLength(2)
  })

  it('stops at once when the grant is revoked', async () => {
    const purpose = 'revocation-test'
    const grantId = await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] })
    expect((await read(world, cast.deptB.consumer, records(data.population), purpose)).status).toBe(200)
    const revoked = await call(world, 'DELETE', `/v1/grants/${grantId}`, { token: cast.deptA.approver.token })
    expect(revoked.status, revoked.text).toBe(200)
    const after = await read(world, cast.deptB.consumer, records(data.population), purpose)
    expect(after.status, after.text).toBe(403)
    expect(after.body.reason).toBe('grant_revoked')
  })

  it('refuses a caller whose grant gives aggregates only', async () => {
    const filed = await fileRequest(world, cast.social.consumer, requestBody(data.population, { fields: ['sex'], purpose: 'stats' }))
    await call(world, 'POST', `/v1/access-requests/${filed.id}/approve`, { token: cast.deptA.approver.token, body: {} })
    const res = await read(world, cast.social.consumer, records(data.population), 'stats')
    expect(res.status, res.text).toBe(403)
  })

  it('holds a daily quota exactly, also across concurrent reads', async () => {
    const purpose = 'quota-test'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] }, { daily_quota: 5 })
    const page = await read(world, cast.deptB.consumer, `${records(data.population)}?limit=2`, purpose)
    expect(page.status, page.text).toBe(200)
    const results = await Promise.all(Array.from({ length: 6 }, () => read(world, cast.deptB.consumer, `${records(data.population)}?limit=1`, purpose)))
    expect(results.filter((r) => r.status === 200)).toHaveLength(3)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(3)
    expect(refused[0]!.body.reason).toBe('quota_exceeded')
  })
})

describe('caller filters', () => {
  it('filters by equality and ranges on granted unmasked fields, and refuses masked or ungranted ones', async () => {
    const purpose = 'filter-test'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['citizen_id', 'household_region_code', 'status'] })
    const res = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=household_region_code:eq:330106,status:eq:normal`, purpose)
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(5)
    for (const item of res.body.items) expect(item.household_region_code).toBe('330106')
    const range = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=household_region_code:gte:320000`, purpose)
    expect(range.body.items, range.text).toHaveLength(5)
    const masked = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=citizen_id:prefix:1101`, purpose)
    expect(masked.status, masked.text).toBe(400)
    const ungranted = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=mobile:eq:1`, purpose)
    expect(ungranted.status, ungranted.text).toBe(403)
    const malformed = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=status:like:x`, purpose)
    expect(malformed.status, malformed.text).toBe(400)
    const tooMany = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=status:in:${Array.from({ length: 51 }, (_, i) => `s${i}`).join('|')}`, purpose)
    expect(tooMany.status, tooMany.text).toBe(400)
    expect(tooMany.body.errors).toEqual([{ path: 'query.filter', message: expect.stringContaining('more than 50 values'), code: 'invalid_filter' }])
    const tooLong = await read(world, cast.deptB.consumer, `${records(data.population)}?filter=status:in:normal|${'x'.repeat(257)}`, purpose)
    expect(tooLong.status, tooLong.text).toBe(400)
    expect(tooLong.body.detail).toContain('longer than 256 characters')
    const owner = await read(world, cast.deptA.consumer, `${records(data.population)}/${citizenId(2)}?filter=status:eq:moved_out`)
    expect(owner.status, owner.text).toBe(404)
  })
})

describe('the audit entry and the answer', () => {
  /** Runs `body` with a trigger on audit_log that does `action` for each read's entry. */
  async function withReadTrigger(action: string, body: () => Promise<void>) {
    const db = world.services.db
    await db.query(`CREATE FUNCTION test_read_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.action = 'dataset.read' THEN ${action}; END IF; RETURN NEW; END $$`)
    await db.query('CREATE TRIGGER test_read_entry BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_read_entry()')
    try {
      await body()
    } finally {
      await db.query('DROP TRIGGER test_read_entry ON audit_log')
      await db.query('DROP FUNCTION test_read_entry()')
    }
  }

  it('answers a page, a record and a missing record only once their entries are committed', async () => {
    // The entry is written while the answer is rendered; a slow insert shows whether the answer waits for it.
    await withReadTrigger('PERFORM pg_sleep(0.3)', async () => {
      for (const [path, status] of [[`${records(data.points)}?limit=2`, 200], [`${records(data.points)}/SP0001`, 200], [`${records(data.points)}/SP9999`, 404]] as const) {
        const res = await read(world, undefined, path)
        expect(res.status, res.text).toBe(status)
        expect(await auditOf(res.headers.get('x-request-id')), path).toHaveLength(1)
      }
    })
  })

  it('sends no records when the entry cannot be written, and reads again once it can', async () => {
    await withReadTrigger(`RAISE EXCEPTION 'audit store refuses'`, async () => {
      for (const path of [`${records(data.points)}?limit=2`, `${records(data.points)}/SP0001`]) {
        const res = await read(world, undefined, path)
        expect(res.status, res.text).toBeGreaterThanOrEqual(500)
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
        expect(res.text).not.toContain('SP0001')
        expect(await auditOf(res.headers.get('x-request-id'))).toHaveLength(0)
      }
    })
    const res = await read(world, undefined, `${records(data.points)}?limit=2`)
    expect(res.status, res.text).toBe(200)
    expect(await auditOf(res.headers.get('x-request-id'))).toHaveLength(1)
  })
})

describe('security', () => {
  it('passes the standard security cases for a bad token (anonymous reads are allowed)', async () => {
    const res = await call(world, 'GET', records(data.points), { token: 'not.a.jwt' })
    expect(res.status, res.text).toBe(401)
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/grants', role: 'consumer', orgId: cast.deptB.orgId, anyRole: true })
  })
})

describe('time', () => {
  it('refuses an expired grant, and gives a quota back on the next China day', async () => {
    const purpose = 'expiry-test'
    const hour = new Date(world.clock.now().getTime() + 3_600_000).toISOString()
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose, fields: ['status'] }, { expires_at: hour })
    const quotaPurpose = 'quota-day-test'
    await grantFor(world, cast, cast.deptB.consumer, data.population, { purpose: quotaPurpose, fields: ['status'] }, { daily_quota: 1 })
    expect((await read(world, cast.deptB.consumer, `${records(data.population)}?limit=1`, quotaPurpose)).status).toBe(200)
    expect((await read(world, cast.deptB.consumer, `${records(data.population)}?limit=1`, quotaPurpose)).status).toBe(429)

    world.clock.advance(2 * 86_400_000)
    await refreshTokens(world, [cast.deptB.consumer])
    const expired = await read(world, cast.deptB.consumer, records(data.population), purpose)
    expect(expired.status, expired.text).toBe(403)
    expect(expired.body.reason).toBe('grant_expired')
    expect((await read(world, cast.deptB.consumer, `${records(data.population)}?limit=1`, quotaPurpose)).status).toBe(200)
  })
})
