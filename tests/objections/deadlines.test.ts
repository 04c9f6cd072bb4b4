// Deadlines in working days and their lights, for objections and access requests alike (one
// shared module, src/calendar/deadlines.ts), on a calendar with a weekend, configured holidays
// and a make-up working day, walked with the test world's clock.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createCast, type Actor, type Cast } from '../support/identity.js'
import { exchangeDatasets, fileRequest, refreshTokens, requestBody, type ExchangeWorld } from '../support/exchange.js'
import { at, moved, raise } from './helpers.js'

// 2030: Friday 27 September; Tuesday 1 to Thursday 3 October are holidays; Saturday 12 October
// is a make-up working day (调休).
const HOLIDAYS = '2030-10-01,2030-10-02,2030-10-03'
const WORKDAYS = '2030-10-12'
const endOf = (date: string) => at(`${date}T23:59:59.999`)
const startOf = (date: string) => at(`${date}T00:00:00.000`)

async function worldAt(start: Date, config: Record<string, string>) {
  const world = await createTestWorld(config)
  world.clock.set(start)
  const cast = await createCast(world)
  const data = await exchangeDatasets(world, cast, 2)
  return { world, cast, data }
}

describe('on the configured calendar with the default thresholds', () => {
  let world: TestWorld
  let cast: Cast
  let data: ExchangeWorld
  let actors: Actor[]

  beforeAll(async () => {
    ;({ world, cast, data } = await worldAt(at('2030-09-27T10:00'), { QIAO_HOLIDAYS: HOLIDAYS, QIAO_WORKDAYS: WORKDAYS }))
    actors = [cast.deptB.consumer, cast.deptA.approver]
  })
  afterAll(() => world.close())

  /** Moves the clock and reads the objection (or request) as its raiser. */
  async function lightAt(instant: Date, path: string) {
    world.clock.set(instant)
    await refreshTokens(world, actors)
    const res = await call(world, 'GET', path, { token: cast.deptB.consumer.token })
    expect(res.status, res.text).toBe(200)
    return res.body as { light: string | null; overdue: boolean; deadline: string; status: string }
  }

  it('gives an objection QIAO_OBJECTION_ACCEPT_WORKING_DAYS to be accepted, across the weekend and the holidays, then 10 to be resolved', async () => {
    world.clock.set(at('2030-09-27T10:00'))
    await refreshTokens(world, actors)
    const objection = await raise(world, cast.deptB.consumer, data.population, { description: '期限测试' })
    // Mon 30 Sep (1), Fri 4 Oct (2), Mon 7 Oct (3): the weekend and the holidays are skipped.
    expect(objection.deadline).toBe(endOf('2030-10-07').toISOString())
    expect(objection.light).toBe('green')
    const path = `/v1/objections/${objection.id}`

    // Green while more than two working days are left; yellow from the day two are left.
    expect(await lightAt(endOf('2030-09-29'), path)).toMatchObject({ light: 'green', overdue: false })
    expect(await lightAt(startOf('2030-09-30'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(startOf('2030-10-02'), path)).toMatchObject({ light: 'yellow', overdue: false })
    // At the deadline itself it is not yet overdue; a millisecond later it is red.
    expect(await lightAt(endOf('2030-10-07'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(startOf('2030-10-08'), path)).toMatchObject({ light: 'red', overdue: true })
    const overdueList = await call(world, 'GET', '/v1/objections?view=incoming&open=true', { token: cast.deptA.approver.token })
    expect(overdueList.body.items.find((o: { id: string }) => o.id === objection.id), overdueList.text).toMatchObject({ light: 'red', overdue: true })

    // Accepted late: 10 working days from Tuesday 8 October, counting Saturday 12 (调休).
    world.clock.set(at('2030-10-08T09:00'))
    await refreshTokens(world, actors)
    const accepted = await moved(world, cast.deptA.approver, objection.id, 'accept')
    expect(accepted).toMatchObject({ status: 'accepted', light: 'green', overdue: false, deadline: endOf('2030-10-21').toISOString() })
    const { rows } = await world.services.db.query<{ details: Record<string, unknown> }>(
      `SELECT content -> 'details' AS details FROM audit_log WHERE resource_id = $1 AND action = 'objection.accepted'`,
      [objection.id],
    )
    expect(rows[0]!.details).toMatchObject({ accepted_late: true })

    expect(await lightAt(endOf('2030-10-16'), path)).toMatchObject({ light: 'green', overdue: false })
    expect(await lightAt(startOf('2030-10-17'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(endOf('2030-10-21'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(startOf('2030-10-22'), path)).toMatchObject({ light: 'red', overdue: true })

    const resolved = await moved(world, cast.deptA.approver, objection.id, 'resolve', { outcome: 'rejected', note: '数据无误' })
    expect(resolved).toMatchObject({ status: 'resolved', light: null, overdue: false, deadline: endOf('2030-10-21').toISOString() })
    const resolvedAudit = await world.services.db.query<{ details: Record<string, unknown> }>(
      `SELECT content -> 'details' AS details FROM audit_log WHERE resource_id = $1 AND action = 'objection.resolved'`,
      [objection.id],
    )
    expect(resolvedAudit.rows[0]!.details).toMatchObject({ resolved_late: true })

    // Reopened: a fresh 10 working days from the reopening.
    world.clock.set(at('2030-10-25T16:00'))
    await refreshTokens(world, actors)
    const reopened = await moved(world, cast.deptB.consumer, objection.id, 'reopen', { reason: '请说明依据' })
    expect(reopened).toMatchObject({ status: 'accepted', light: 'green', deadline: endOf('2030-11-08').toISOString() })
  })

  it('lights an access request with the same module and calendar', async () => {
    world.clock.set(at('2030-09-27T10:00'))
    await refreshTokens(world, actors)
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    // Mon 30 (1), Fri 4 (2), Mon 7 … Fri 11 (7), Sat 12 (8, 调休), Mon 14 (9), Tue 15 (10).
    expect(filed).toMatchObject({ status: 'pending', light: 'green', deadline: endOf('2030-10-15').toISOString() })
    const path = `/v1/access-requests/${filed.id}`
    expect(await lightAt(endOf('2030-10-11'), path)).toMatchObject({ light: 'green', overdue: false })
    expect(await lightAt(startOf('2030-10-12'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(endOf('2030-10-15'), path)).toMatchObject({ light: 'yellow', overdue: false })
    expect(await lightAt(startOf('2030-10-16'), path)).toMatchObject({ light: 'red', overdue: true })
  })
})

describe('with configured working days and yellow threshold', () => {
  let world: TestWorld
  let cast: Cast
  let data: ExchangeWorld

  beforeAll(async () => {
    ;({ world, cast, data } = await worldAt(at('2030-09-27T10:00'), {
      QIAO_LIGHT_YELLOW_WORKING_DAYS: '0',
      QIAO_OBJECTION_ACCEPT_WORKING_DAYS: '1',
      QIAO_OBJECTION_WORKING_DAYS: '4',
    }))
  })
  afterAll(() => world.close())

  async function readAt(instant: Date, path: string) {
    world.clock.set(instant)
    await refreshTokens(world, [cast.deptB.consumer, cast.deptA.approver])
    const res = await call(world, 'GET', path, { token: cast.deptB.consumer.token })
    expect(res.status, res.text).toBe(200)
    return res.body as { light: string | null; overdue: boolean; deadline: string }
  }

  it('uses them for objections and access requests alike', async () => {
    const objection = await raise(world, cast.deptB.consumer, data.population, { description: '配置测试' })
    expect(objection).toMatchObject({ light: 'green', deadline: endOf('2030-09-30').toISOString() })
    const filed = await fileRequest(world, cast.deptB.consumer, requestBody(data.population))
    expect(filed.deadline).toBe(endOf('2030-10-11').toISOString())

    // Yellow only on the deadline's own day.
    expect(await readAt(endOf('2030-09-29'), `/v1/objections/${objection.id}`)).toMatchObject({ light: 'green' })
    expect(await readAt(startOf('2030-09-30'), `/v1/objections/${objection.id}`)).toMatchObject({ light: 'yellow' })
    const accepted = await moved(world, cast.deptA.approver, objection.id, 'accept')
    expect(accepted).toMatchObject({ light: 'green', deadline: endOf('2030-10-04').toISOString() })

    expect(await readAt(endOf('2030-10-10'), `/v1/access-requests/${filed.id}`)).toMatchObject({ light: 'green', overdue: false })
    expect(await readAt(startOf('2030-10-11'), `/v1/access-requests/${filed.id}`)).toMatchObject({ light: 'yellow', overdue: false })
  })
})
