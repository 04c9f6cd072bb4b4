// Working days for deadlines (access requests: 10 working days; objections likewise): weekends
// off, plus the public holidays and make-up working days (调休) the State Council publishes each
// year, which Qiao reads from configuration (QIAO_HOLIDAYS, QIAO_WORKDAYS).
//
// Days are China's: Asia/Shanghai is UTC+08:00 all year (no daylight saving since 1991), so a
// fixed offset is exact, and it needs no time-zone database (Workers have none to rely on).

export interface WorkingCalendar {
  /** Days off even on a weekday: public holidays (ISO dates). */
  readonly holidays: ReadonlySet<string>
  /** Weekend days that are working days (调休, ISO dates). */
  readonly workdays: ReadonlySet<string>
}

export type Light = 'green' | 'yellow' | 'red'

const DAY_MS = 86_400_000
const CHINA_OFFSET_MS = 8 * 3_600_000
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * A calendar from lists of ISO dates. Refuses what cannot be meant: a date that is not a real
 * one, a make-up working day that is not a Saturday or Sunday, a date in both lists.
 */
export function workingCalendar(input: { holidays?: Iterable<string>; workdays?: Iterable<string> } = {}): WorkingCalendar {
  const holidays = new Set(input.holidays ?? [])
  const workdays = new Set(input.workdays ?? [])
  for (const date of [...holidays, ...workdays]) dayNumber(date)
  for (const date of workdays) {
    if (!isWeekend(date)) throw new RangeError(`make-up working day ${date} is not a Saturday or Sunday`)
    if (holidays.has(date)) throw new RangeError(`${date} is listed both as a holiday and as a make-up working day`)
  }
  return { holidays, workdays }
}

/** The calendar the configuration describes. */
export function calendarFromConfig(config: { QIAO_HOLIDAYS: readonly string[]; QIAO_WORKDAYS: readonly string[] }): WorkingCalendar {
  return workingCalendar({ holidays: config.QIAO_HOLIDAYS, workdays: config.QIAO_WORKDAYS })
}

/** Whether an ISO date is a valid calendar date (`2026-02-29` is not). */
export function isIsoDate(date: string): boolean {
  const match = ISO_DATE.exec(date)
  if (!match) return false
  const [, year, month, day] = match.map(Number) as [number, number, number, number]
  const utc = new Date(Date.UTC(year, month - 1, day))
  return utc.getUTCFullYear() === year && utc.getUTCMonth() === month - 1 && utc.getUTCDate() === day
}

export function isWeekend(date: string): boolean {
  const weekday = new Date(dayNumber(date) * DAY_MS).getUTCDay()
  return weekday === 0 || weekday === 6
}

export function isWorkingDay(date: string, calendar: WorkingCalendar): boolean {
  if (calendar.workdays.has(date)) return true
  return !isWeekend(date) && !calendar.holidays.has(date)
}

/** The date in China (ISO) of an instant. */
export function chinaDate(instant: Date): string {
  return isoDate(chinaDay(instant))
}

/**
 * The deadline `n` working days after `start`: the end (23:59:59.999 +08:00) of the n-th working
 * day after the day of `start`. The day of `start` is not counted, as the Civil Code counts
 * periods in days (art. 201: the period starts the next day), so a request made at 17:00 on a
 * Monday has the whole of the following working days. n = 0 is the end of the day of `start`.
 */
export function addWorkingDays(start: Date, n: number, calendar: WorkingCalendar): Date {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`working days must be a whole number from 0, got ${n}`)
  let day = chinaDay(start)
  for (let counted = 0; counted < n; ) {
    day++
    if (isWorkingDay(isoDate(day), calendar)) counted++
  }
  return endOfDay(day)
}

/**
 * How many working days lie after the day of `a` up to and including the day of `b`: so that
 * `workingDaysBetween(start, addWorkingDays(start, n))` is n. Negative when `b` is before `a`;
 * zero on the same day.
 */
export function workingDaysBetween(a: Date, b: Date, calendar: WorkingCalendar): number {
  const from = chinaDay(a)
  const to = chinaDay(b)
  if (to < from) return -workingDaysBetween(b, a, calendar)
  let count = 0
  for (let day = from + 1; day <= to; day++) if (isWorkingDay(isoDate(day), calendar)) count++
  return count
}

/**
 * Red once the deadline has passed; yellow when at most `yellowWithinWorkingDays` working days
 * are left (counted as `workingDaysBetween(now, deadline)`, so the deadline's own day is 0 left);
 * green otherwise. At the deadline instant itself it is not yet overdue.
 */
export function light(deadline: Date, now: Date, calendar: WorkingCalendar, yellowWithinWorkingDays = 2): Light {
  if (now.getTime() > deadline.getTime()) return 'red'
  return workingDaysBetween(now, deadline, calendar) <= yellowWithinWorkingDays ? 'yellow' : 'green'
}

/** Days since 1970-01-01 in China. */
function chinaDay(instant: Date): number {
  const time = instant.getTime()
  if (Number.isNaN(time)) throw new RangeError('invalid date')
  return Math.floor((time + CHINA_OFFSET_MS) / DAY_MS)
}

function endOfDay(day: number): Date {
  return new Date((day + 1) * DAY_MS - CHINA_OFFSET_MS - 1)
}

function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

function dayNumber(date: string): number {
  if (!isIsoDate(date)) throw new RangeError(`${JSON.stringify(date)} is not an ISO date (YYYY-MM-DD)`)
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS
}
