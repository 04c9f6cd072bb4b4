import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'
import { calendarOf, deadlineAfter, deadlineState } from '../../src/calendar/deadlines.js'

const at = (local: string) => new Date(`${local}+08:00`)
const endOf = (date: string) => at(`${date}T23:59:59.999`)

describe('deadlineState', () => {
  // Thursday 1 October 2026 is a configured holiday.
  const config = loadConfig({ QIAO_HOLIDAYS: '2026-10-01' })
  const deadline = endOf('2026-10-06') // a Tuesday

  it('is green, then yellow when at most QIAO_LIGHT_YELLOW_WORKING_DAYS are left, then red after the deadline', () => {
    // Working days left after the day: Fri 2, Mon 5, Tue 6 — three on Wednesday 30 September and
    // still three on the holiday; two from Friday.
    expect(deadlineState(config, deadline, at('2026-09-30T12:00'))).toEqual({ light: 'green', overdue: false })
    expect(deadlineState(config, deadline, at('2026-10-01T23:59:59.999'))).toEqual({ light: 'green', overdue: false })
    expect(deadlineState(config, deadline, at('2026-10-02T00:00'))).toEqual({ light: 'yellow', overdue: false })
    expect(deadlineState(config, deadline, deadline)).toEqual({ light: 'yellow', overdue: false })
    expect(deadlineState(config, deadline, new Date(deadline.getTime() + 1))).toEqual({ light: 'red', overdue: true })
  })

  it('takes the threshold from configuration', () => {
    const strict = loadConfig({ QIAO_HOLIDAYS: '2026-10-01', QIAO_LIGHT_YELLOW_WORKING_DAYS: '0' })
    expect(deadlineState(strict, deadline, at('2026-10-05T12:00')).light).toBe('green')
    expect(deadlineState(strict, deadline, at('2026-10-06T00:00')).light).toBe('yellow')
    const early = loadConfig({ QIAO_LIGHT_YELLOW_WORKING_DAYS: '5' })
    expect(deadlineState(early, deadline, at('2026-09-29T12:00')).light).toBe('yellow')
  })

  it('counts deadlines on the configured calendar', () => {
    expect(deadlineAfter(config, at('2026-09-30T17:00'), 2)).toEqual(endOf('2026-10-05'))
    expect(deadlineAfter(loadConfig({}), at('2026-09-30T17:00'), 2)).toEqual(endOf('2026-10-02'))
    expect(calendarOf(config)).toBe(calendarOf(config))
  })
})

describe('deadline configuration', () => {
  it('has defaults and refuses values that cannot be meant, naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ QIAO_LIGHT_YELLOW_WORKING_DAYS: 2, QIAO_OBJECTION_ACCEPT_WORKING_DAYS: 3, QIAO_OBJECTION_WORKING_DAYS: 10 })
    for (const [name, value] of [
      ['QIAO_LIGHT_YELLOW_WORKING_DAYS', '-1'],
      ['QIAO_OBJECTION_WORKING_DAYS', '0'],
      ['QIAO_OBJECTION_ACCEPT_WORKING_DAYS', 'two'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
      expect(() => loadConfig({ [name]: value })).toThrow(name)
    }
  })
})
