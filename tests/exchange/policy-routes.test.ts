import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_TIER_MATRIX, TIER_CEILINGS, type TierMatrix } from '../../src/exchange/policy.js'
import { loadTierPolicy, replaceTierPolicy, tierPolicyVersion } from '../../src/exchange/policy-service.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, expectStandardSecurity, type Actor, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
let auditor: Actor
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
})
afterAll(() => world.close())

const stricter: TierMatrix = {
  ...DEFAULT_TIER_MATRIX,
  L2: { ...DEFAULT_TIER_MATRIX.L2, other_department: 'approval' },
  L3: { ...DEFAULT_TIER_MATRIX.L3, social_org: 'none' },
}

async function auditEntries(action: string) {
  const { rows } = await world.services.db.query<{ actor_client_id: string; content: { details: Record<string, unknown> } }>(
    'SELECT actor_client_id, content FROM audit_log WHERE action = $1 ORDER BY seq',
    [action],
  )
  return rows
}

describe('the tier policy endpoints', () => {
  // One sequence: the stored policy is one row, so each case builds on the one before.
  it('answers the defaults while nothing is set, to admins and auditors', async () => {
    for (const actor of [cast.admin, auditor]) {
      const res = await call(world, 'GET', '/v1/policy/tiers', { token: actor.token })
      expect(res.status, res.text).toBe(200)
      expect(res.body).toEqual({ tiers: DEFAULT_TIER_MATRIX, source: 'default', updated_at: null, updated_by: null, defaults: DEFAULT_TIER_MATRIX, ceilings: TIER_CEILINGS })
    }
  })

  it('replaces the matrix, audits before and after in the same transaction, and serves it', async () => {
    world.clock.set(new Date('2026-11-23T08:00:00.000Z'))
    const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: stricter, reason: '社会组织不再获取L3数据' } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ tiers: stricter, source: 'configured', updated_at: '2026-11-23T08:00:00.000Z', updated_by: cast.admin.clientId })

    const read = await call(world, 'GET', '/v1/policy/tiers', { token: auditor.token })
    expect(read.body.tiers, read.text).toEqual(stricter)
    expect(await loadTierPolicy(world.services.db)).toMatchObject({ matrix: stricter, source: 'configured' })

    const entries = await auditEntries('tier_policy.updated')
    expect(entries).toHaveLength(1)
    expect(entries[0]!.actor_client_id).toBe(cast.admin.clientId)
    expect(entries[0]!.content.details).toEqual({
      before: DEFAULT_TIER_MATRIX,
      before_source: 'default',
      after: stricter,
      changes: [
        { tier: 'L2', consumer_kind: 'other_department', before: 'direct', after: 'approval' },
        { tier: 'L3', consumer_kind: 'social_org', before: 'approval_masked', after: 'none' },
      ],
      reason: '社会组织不再获取L3数据',
    })
  })

  it('records nothing when the matrix set is the one in force', async () => {
    const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: stricter } })
    expect(res.status, res.text).toBe(200)
    expect(res.body.updated_at).toBe('2026-11-23T08:00:00.000Z')
    expect(await auditEntries('tier_policy.updated')).toHaveLength(1)
  })

  it('names each bad cell in a 400 and changes nothing', async () => {
    const bad = {
      ...DEFAULT_TIER_MATRIX,
      L1: { ...DEFAULT_TIER_MATRIX.L1, anonymous: 'approval' },
      L3: { ...DEFAULT_TIER_MATRIX.L3, other_department: 'direct' },
      L4: { same_region_department: 'approval', other_department: 'approval', social_org: 'everything' },
    }
    const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: bad } })
    expect(res.status, res.text).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.body.code).toBe('validation_failed')
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort()
    expect(paths).toEqual(['body.tiers.L1.anonymous', 'body.tiers.L3.other_department', 'body.tiers.L4.anonymous', 'body.tiers.L4.social_org'])
    const l3 = (res.body.errors as { path: string; message: string }[]).find((e) => e.path === 'body.tiers.L3.other_department')!
    expect(l3.message).toBe('direct is wider than the ceiling for L3 other_department, which is approval')
    expect((await loadTierPolicy(world.services.db)).matrix).toEqual(stricter)
  })

  it('refuses a body without the matrix, an unknown member and a missing body', async () => {
    const missing = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { reason: 'x' } })
    expect(missing.status, missing.text).toBe(400)
    expect(missing.body.errors[0].path).toBe('body.tiers')
    const extra = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: stricter, tier: 'L1' } })
    expect(extra.status, extra.text).toBe(400)
    const none = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, headers: { 'content-type': 'application/json' } })
    expect(none.status, none.text).toBe(400)
  })

  it('pins the defaults when an admin sets them explicitly', async () => {
    const res = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: DEFAULT_TIER_MATRIX } })
    expect(res.status, res.text).toBe(200)
    expect(res.body).toMatchObject({ tiers: DEFAULT_TIER_MATRIX, source: 'configured' })
    const last = (await auditEntries('tier_policy.updated')).at(-1)!
    expect(last.content.details).toMatchObject({ before: stricter, before_source: 'configured', after: DEFAULT_TIER_MATRIX, reason: null })
  })

  it('brings a stored matrix within the ceilings, and refuses to guess when it is not a matrix', async () => {
    const tooWide = { ...DEFAULT_TIER_MATRIX, L4: { ...DEFAULT_TIER_MATRIX.L4, social_org: 'direct' } }
    await world.services.db.query('UPDATE tier_policy SET matrix = $1', [JSON.stringify(tooWide)])
    expect((await loadTierPolicy(world.services.db)).matrix.L4.social_org).toBe('aggregate_only')

    await world.services.db.query('UPDATE tier_policy SET matrix = $1', [JSON.stringify({ L1: {} })])
    await expect(loadTierPolicy(world.services.db)).rejects.toThrow(/not a complete matrix/)
    const res = await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })
    expect(res.status, res.text).toBe(500)
    await world.services.db.query('UPDATE tier_policy SET matrix = $1', [JSON.stringify(DEFAULT_TIER_MATRIX)])
  })

  it('lets only the first of two saves begun from one version through, the version compared under the row lock', async () => {
    const ctx = { requestId: 'race', actor: null, sourceIp: null, at: new Date() }
    const version = await tierPolicyVersion(world.services.db)
    const current = (await loadTierPolicy(world.services.db)).matrix
    const edits = (['none', 'aggregate_only'] as const).map((mode) => ({ ...current, L4: { ...current.L4, social_org: mode } }))
    const results = await Promise.allSettled(edits.map((matrix) => replaceTierPolicy(world.services.db, ctx, { matrix, reason: 'race', basedOnVersion: version })))
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect(refused.reason).toMatchObject({ code: 'conflict', extra: { reason: 'policy_changed' } })
    expect(await tierPolicyVersion(world.services.db)).toBe(version + 1)
    await replaceTierPolicy(world.services.db, ctx, { matrix: current, reason: 'restore' })
  })

  it('checks the matrix for callers outside HTTP too', async () => {
    const ctx = { requestId: 'test', actor: null, sourceIp: null, at: new Date() }
    const bad = { ...DEFAULT_TIER_MATRIX, L2: { ...DEFAULT_TIER_MATRIX.L2, anonymous: 'direct' } } as TierMatrix
    await expect(replaceTierPolicy(world.services.db, ctx, { matrix: bad })).rejects.toMatchObject({ code: 'validation_failed', extra: { errors: [{ path: 'tiers.L2.anonymous' }] } })
  })

  it('lets no consumer, publisher or approver read or change it', async () => {
    for (const actor of [cast.deptA.consumer, cast.deptA.publisher, cast.deptA.approver, cast.social.consumer]) {
      expect((await call(world, 'GET', '/v1/policy/tiers', { token: actor.token })).status).toBe(403)
      expect((await call(world, 'PUT', '/v1/policy/tiers', { token: actor.token, body: { tiers: DEFAULT_TIER_MATRIX } })).status).toBe(403)
    }
    const auditorWrite = await call(world, 'PUT', '/v1/policy/tiers', { token: auditor.token, body: { tiers: DEFAULT_TIER_MATRIX } })
    expect(auditorWrite.status, auditorWrite.text).toBe(403)
  })

  it('passes the standard security cases', async () => {
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/policy/tiers', role: 'auditor', orgId: cast.admin.orgId })
    await expectStandardSecurity(world, cast, { method: 'PUT', path: '/v1/policy/tiers', body: { tiers: DEFAULT_TIER_MATRIX }, role: 'admin', orgId: cast.admin.orgId })
  })
})
