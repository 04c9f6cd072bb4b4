// When things happen in the demo world's history. The seed runs the product with a clock set in
// the past and moves it forward, so deadlines and lights come out of the real working-day rules:
// a request filed 12 working days ago is overdue (red), one filed 9 working days ago has one or
// two working days left (yellow), one filed yesterday is green.

import { isWorkingDay, type WorkingCalendar } from '../calendar/working-days.js'
import type { Clock } from '../services.js'

const DAY_MS = 86_400_000
const CHINA_OFFSET_MS = 8 * 3_600_000

/** Working days of history before today: the world's first event happens this many working days ago. */
export const HISTORY_WORKING_DAYS = 16

export interface Timeline {
  /** `n` working days before today, at China time hh:mm (n ≥ 1). */
  workingDaysAgo(n: number, time: string): Date
  /** Today, `minutes` before the seed started. */
  minutesAgo(minutes: number): Date
  /** The first event: the platform and its admin. */
  start: Date
  now: Date
}

export function demoTimeline(now: Date, calendar: WorkingCalendar): Timeline {
  const today = Math.floor((now.getTime() + CHINA_OFFSET_MS) / DAY_MS)
  const workingDaysAgo = (n: number, time: string): Date => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`working days ago must be at least 1, got ${n}`)
    let day = today
    for (let counted = 0; counted < n; ) {
      day--
      if (isWorkingDay(new Date(day * DAY_MS).toISOString().slice(0, 10), calendar)) counted++
    }
    const [hours, minutes] = time.split(':').map(Number) as [number, number]
    return new Date(day * DAY_MS - CHINA_OFFSET_MS + (hours * 60 + minutes) * 60_000)
  }
  return {
    workingDaysAgo,
    minutesAgo: (minutes) => new Date(now.getTime() - minutes * 60_000),
    start: workingDaysAgo(HISTORY_WORKING_DAYS, '09:00'),
    now,
  }
}

/** The China date (YYYY-MM-DD) of an instant. */
export function chinaDateOf(instant: Date): string {
  return new Date(instant.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10)
}

/** A clock the seed sets; it refuses to go back, so the audit log's times only move forward. */
export interface SettableClock extends Clock {
  set(instant: Date): void
  /** A few seconds on, so that steps at "the same time" keep their order in the audit log. */
  advance(seconds: number): void
}

export function settableClock(start: Date): SettableClock {
  let current = start.getTime()
  return {
    now: () => new Date(current),
    set(instant) {
      if (instant.getTime() < current) throw new RangeError(`the demo clock may not go back from ${new Date(current).toISOString()} to ${instant.toISOString()}`)
      current = instant.getTime()
    },
    advance(seconds) {
      current += Math.max(0, seconds) * 1000
    },
  }
}
