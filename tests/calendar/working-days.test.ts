import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import {
  addWorkingDays,
  calendarFromConfig,
  chinaDate,
  isWorkingDay,
  light,
  workingCalendar,
  workingDaysBetween,
} from '../../src/calendar/working-days.js'

const at = (local: string) => new Date(`${local}+08:00`)
const endOf = (date: string) => at(`${date}T23:59:59.999`)

const weekendsOnly = workingCalendar()
// A holiday week shaped like National Day's, configured here for the test (not quoted from a
// State Council notice): Thursday 1 to Thursday 8 October 2026 off, with Sunday 27 September and
// Saturday 10 October worked instead.
const goldenWeek = workingCalendar({
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08'],
  workdays: ['2026-09-27', '2026-10-10'],
})

describe('isWorkingDay', () => {
  it('is Monday to Friday, less holidays, plus make-up working days', () => {
    expect(isWorkingDay('2026-09-30', goldenWeek)).toBe(true)
    expect(isWorkingDay('2026-10-01', goldenWeek)).toBe(false)
    expect(isWorkingDay('2026-10-03', goldenWeek)).toBe(false)
    expect(isWorkingDay('2026-10-09', goldenWeek)).toBe(true)
    expect(isWorkingDay('2026-10-10', goldenWeek)).toBe(true)
    expect(isWorkingDay('2026-10-11', goldenWeek)).toBe(false)
    expect(isWorkingDay('2026-09-27', goldenWeek)).toBe(true)
    expect(isWorkingDay('2026-09-27', weekendsOnly)).toBe(false)
    expect(isWorkingDay('2026-10-01', weekendsOnly)).toBe(true)
  })
})

describe('addWorkingDays', () => {
  it('ends at the end of the n-th working day after the start day, in China time', () => {
    const deadline = addWorkingDays(at('2026-03-02T10:00:00'), 10, weekendsOnly)
    expect(deadline).toEqual(endOf('2026-03-16'))
    expect(deadline.toISOString()).toBe('2026-03-16T15:59:59.999Z')
  })

  it('does not count the start day, however early, and skips weekends', () => {
    expect(addWorkingDays(at('2026-03-06T00:00:01'), 1, weekendsOnly)).toEqual(endOf('2026-03-09'))
    expect(addWorkingDays(at('2026-03-07T12:00:00'), 1, weekendsOnly)).toEqual(endOf('2026-03-09'))
    expect(addWorkingDays(at('2026-03-06T17:00:00'), 5, weekendsOnly)).toEqual(endOf('2026-03-13'))
  })

  it('takes the day in China, not in UTC', () => {
    // 20:00 UTC on Friday is 04:00 on Saturday in Beijing: the period starts on Monday, not Saturday.
    const start = new Date('2026-03-06T20:00:00Z')
    expect(chinaDate(start)).toBe('2026-03-07')
    expect(addWorkingDays(start, 1, weekendsOnly)).toEqual(endOf('2026-03-09'))
  })

  it('skips a holiday week and counts its make-up working days', () => {
    expect(addWorkingDays(at('2026-09-30T10:00:00'), 1, goldenWeek)).toEqual(endOf('2026-10-09'))
    expect(addWorkingDays(at('2026-09-30T10:00:00'), 2, goldenWeek)).toEqual(endOf('2026-10-10'))
    expect(addWorkingDays(at('2026-09-30T10:00:00'), 3, goldenWeek)).toEqual(endOf('2026-10-12'))
    expect(addWorkingDays(at('2026-09-25T16:00:00'), 1, goldenWeek)).toEqual(endOf('2026-09-27'))
    expect(addWorkingDays(at('2026-09-25T16:00:00'), 10, goldenWeek)).toEqual(endOf('2026-10-15'))
    expect(addWorkingDays(at('2026-09-25T16:00:00'), 10, weekendsOnly)).toEqual(endOf('2026-10-09'))
  })

  it('is the end of the start day for n = 0, and refuses negative or fractional n', () => {
    expect(addWorkingDays(at('2026-03-07T09:00:00'), 0, weekendsOnly)).toEqual(endOf('2026-03-07'))
    expect(() => addWorkingDays(at('2026-03-02T10:00:00'), -1, weekendsOnly)).toThrow(RangeError)
    expect(() => addWorkingDays(at('2026-03-02T10:00:00'), 1.5, weekendsOnly)).toThrow(RangeError)
    expect(() => addWorkingDays(new Date(Number.NaN), 1, weekendsOnly)).toThrow(RangeError)
  })
})

describe('workingDaysBetween', () => {
  it('counts the working days after the first day up to and including the last', () => {
    expect(workingDaysBetween(at('2026-03-02T10:00:00'), at('2026-03-06T09:00:00'), weekendsOnly)).toBe(4)
    expect(workingDaysBetween(at('2026-03-06T10:00:00'), at('2026-03-09T09:00:00'), weekendsOnly)).toBe(1)
    expect(workingDaysBetween(at('2026-03-02T08:00:00'), at('2026-03-02T18:00:00'), weekendsOnly)).toBe(0)
    expect(workingDaysBetween(at('2026-03-06T10:00:00'), at('2026-03-02T10:00:00'), weekendsOnly)).toBe(-4)
    expect(workingDaysBetween(at('2026-09-30T10:00:00'), at('2026-10-12T10:00:00'), goldenWeek)).toBe(3)
  })

  it('undoes addWorkingDays from any start', () => {
    for (const calendar of [weekendsOnly, goldenWeek]) {
      for (let offset = 0; offset < 40; offset++) {
        const start = new Date(at('2026-09-14T15:30:00').getTime() + offset * 86_400_000)
        for (let n = 0; n <= 12; n++) expect(workingDaysBetween(start, addWorkingDays(start, n, calendar), calendar)).toBe(n)
      }
    }
  })
})

describe('light', () => {
  const deadline = addWorkingDays(at('2026-03-02T10:00:00'), 10, weekendsOnly) // Monday 16 March, end of day

  it('is green with more than two working days left, yellow at exactly two and fewer', () => {
    expect(light(deadline, at('2026-03-11T09:00:00'), weekendsOnly)).toBe('green')
    expect(light(deadline, at('2026-03-12T09:00:00'), weekendsOnly)).toBe('yellow')
    expect(light(deadline, at('2026-03-14T09:00:00'), weekendsOnly)).toBe('yellow')
    expect(light(deadline, at('2026-03-16T09:00:00'), weekendsOnly)).toBe('yellow')
  })

  it('turns red just after the deadline instant, not at it', () => {
    expect(light(deadline, deadline, weekendsOnly)).toBe('yellow')
    expect(light(deadline, new Date(deadline.getTime() + 1), weekendsOnly)).toBe('red')
    expect(light(deadline, at('2026-04-01T09:00:00'), weekendsOnly)).toBe('red')
  })

  it('takes the yellow window in working days, configurable', () => {
    expect(light(deadline, at('2026-03-13T09:00:00'), weekendsOnly, 0)).toBe('green')
    expect(light(deadline, at('2026-03-16T09:00:00'), weekendsOnly, 0)).toBe('yellow')
    expect(light(deadline, at('2026-03-09T09:00:00'), weekendsOnly, 5)).toBe('yellow')
  })

  it('does not let a holiday week eat the time left', () => {
    const afterHolidays = endOf('2026-10-12')
    expect(light(afterHolidays, at('2026-09-30T09:00:00'), goldenWeek)).toBe('green')
    expect(light(afterHolidays, at('2026-10-05T09:00:00'), goldenWeek)).toBe('green')
    expect(light(afterHolidays, at('2026-10-09T09:00:00'), goldenWeek)).toBe('yellow')
    expect(light(afterHolidays, at('2026-09-30T09:00:00'), weekendsOnly)).toBe('green')
    expect(light(afterHolidays, at('2026-10-08T09:00:00'), weekendsOnly)).toBe('yellow')
  })
})

describe('calendars from configuration', () => {
  it('reads QIAO_HOLIDAYS and QIAO_WORKDAYS', () => {
    const calendar = calendarFromConfig(loadConfig({ QIAO_HOLIDAYS: '2026-10-01, 2026-10-02', QIAO_WORKDAYS: '2026-10-10' }))
    expect(isWorkingDay('2026-10-01', calendar)).toBe(false)
    expect(isWorkingDay('2026-10-10', calendar)).toBe(true)
    expect(calendarFromConfig(loadConfig({})).holidays.size).toBe(0)
  })

  it('refuses dates that are not real and make-up days that are not weekend days', () => {
    expect(() => loadConfig({ QIAO_HOLIDAYS: '2026-02-30' })).toThrow(/QIAO_HOLIDAYS/)
    expect(() => loadConfig({ QIAO_WORKDAYS: '2026-10-09' })).toThrow(/QIAO_WORKDAYS.*Saturday or Sunday/)
    expect(() => workingCalendar({ workdays: ['2026-10-09'] })).toThrow(/not a Saturday or Sunday/)
    expect(() => workingCalendar({ holidays: ['2026-10-10'], workdays: ['2026-10-10'] })).toThrow(/both/)
    expect(() => workingCalendar({ holidays: ['10/01/2026'] })).toThrow(/not an ISO date/)
  })
})
