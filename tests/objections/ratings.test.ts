import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, type Cast } from '../support/identity.js'
import { approve, exchangeDatasets, fileRequest, requestBody, type ExchangeWorld } from '../support/exchange.js'

let world: TestWorld
let cast: Cast
let data: ExchangeWorld

beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
  data = await exchangeDatasets(world, cast, 4)
})
afterAll(() => world.close())

const rate = (token: string, id: string, body: unknown) => call(world, 'POST', `/v1/access-requests/${id}/rating`, { token, body })

describe('rating the handling of an access request (好差评)', () => {
  it('is given by the requester once the request is approved, once only, and read by both sides', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const early = await rate(cast.deptB.consumer.token, filed.id, { score: 4 })
    expect(early.status, early.text).toBe(409)
    expect(early.body).toMatchObject({ code: 'conflict', reason: 'wrong_state', current_status: 'pending' })
    const unrated = await call(world, 'GET', `/v1/access-requests/${filed.id}/rating`, { token: cast.deptB.consumer.token })
    expect(unrated.status, unrated.text).toBe(404)

    await approve(world, cast.deptA.approver, filed.id)
    const rated = await rate(cast.deptB.consumer.token, filed.id, { score: 5, comment: '审批很快' })
    expect(rated.status, rated.text).toBe(201)
    expect(rated.body).toMatchObject({
      id: expect.stringMatching(/^rat_/),
      subject_kind: 'access_request',
      subject_id: filed.id,
      provider_id: cast.deptA.orgId,
      rater_org_id: cast.deptB.orgId,
      score: 5,
      comment: '审批很快',
    })
    const again = await rate(cast.deptB.consumer.token, filed.id, { score: 1 })
    expect(again.status, again.text).toBe(409)
    expect(again.body.reason).toBe('already_rated')

    for (const [token, status] of [
      [cast.deptB.consumer.token, 200],
      [cast.deptA.approver.token, 200],
      [cast.deptA.publisher.token, 200],
      [cast.admin.token, 200],
      [cast.social.consumer.token, 404],
    ] as const) {
      const res = await call(world, 'GET', `/v1/access-requests/${filed.id}/rating`, { token })
      expect(res.status, res.text).toBe(status)
      if (status === 200) expect(res.body).toMatchObject({ id: rated.body.id, score: 5 })
    }

    const { rows } = await world.services.db.query<{ action: string; actor_org_id: string; content: { details: Record<string, unknown> } }>(
      `SELECT action, actor_org_id, content FROM audit_log WHERE resource_id = $1`,
      [rated.body.id],
    )
    expect(rows).toEqual([expect.objectContaining({ action: 'access_request.rated', actor_org_id: cast.deptB.orgId })])
    expect(rows[0]!.content.details).toMatchObject({ subject_id: filed.id, provider_id: cast.deptA.orgId, score: 5, comment: '审批很快' })
  })

  it('rates a rejection too, but not a withdrawn request nor one the policy approved by itself', async () => {
    const rejected = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    const decided = await call(world, 'POST', `/v1/access-requests/${rejected.id}/reject`, { token: cast.deptA.approver.token, body: { reason: '超出履职所需' } })
    expect(decided.status, decided.text).toBe(200)
    const low = await rate(cast.deptB.consumer.token, rejected.id, { score: 1, comment: '拒绝理由不充分' })
    expect(low.status, low.text).toBe(201)

    const withdrawn = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect((await call(world, 'POST', `/v1/access-requests/${withdrawn.id}/withdraw`, { token: cast.deptB.consumer.token })).status).toBe(200)
    const none = await rate(cast.deptB.consumer.token, withdrawn.id, { score: 3 })
    expect(none.status, none.text).toBe(409)
    expect(none.body).toMatchObject({ reason: 'wrong_state', current_status: 'withdrawn' })

    const direct = await fileRequest(world, cast.deptB.consumer, requestBody(data.points, { fields: ['point_id'] }))
    expect(direct.status).toBe('approved')
    const byPolicy = await rate(cast.deptB.consumer.token, direct.id, { score: 5 })
    expect(byPolicy.status, byPolicy.text).toBe(409)
    expect(byPolicy.body.reason).toBe('decided_by_policy')
  })

  it('is the requester’s alone: the owner is refused, strangers are told nothing', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await approve(world, cast.deptA.approver, filed.id)
    const byOwner = await rate(cast.deptA.consumer.token, filed.id, { score: 5 })
    expect(byOwner.status, byOwner.text).toBe(403)
    const byStranger = await rate(cast.social.consumer.token, filed.id, { score: 1 })
    const missing = await rate(cast.social.consumer.token, 'req_nope', { score: 1 })
    expect(byStranger.status, byStranger.text).toBe(404)
    expect(missing.status, missing.text).toBe(404)
    expect(byStranger.body.detail.replace(filed.id, 'X')).toBe(missing.body.detail.replace('req_nope', 'X'))
  })

  it('takes exactly one of two ratings sent at once', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await approve(world, cast.deptA.approver, filed.id)
    const answers = await Promise.all([rate(cast.deptB.consumer.token, filed.id, { score: 2 }), rate(cast.deptB.consumer.token, filed.id, { score: 4 })])
    expect(answers.map((a) => a.status).sort(), answers.map((a) => a.text).join('\n')).toEqual([201, 409])
    const { rows } = await world.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ratings WHERE subject_id = $1`, [filed.id])
    expect(rows[0]!.n).toBe(1)
  })

  it('answers bad ratings with problem+json naming the field', async () => {
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    await approve(world, cast.deptA.approver, filed.id)
    const cases: [unknown, string][] = [
      [{}, 'body.score'],
      [{ score: 0 }, 'body.score'],
      [{ score: 6 }, 'body.score'],
      [{ score: 2.5 }, 'body.score'],
      [{ score: '5' }, 'body.score'],
      [{ score: 3, comment: '' }, 'body.comment'],
      [{ score: 3, comment: 'x'.repeat(2001) }, 'body.comment'],
      [{ score: 3, stars: 3 }, 'body'],
    ]
    for (const [body, path] of cases) {
      const res = await rate(cast.deptB.consumer.token, filed.id, body)
      expect(res.status, res.text).toBe(400)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
      expect(res.body.errors.map((e: { path: string }) => e.path), res.text).toContain(path)
    }
    const still = await rate(cast.deptB.consumer.token, filed.id, { score: 3 })
    expect(still.status, still.text).toBe(201)
  })
})
