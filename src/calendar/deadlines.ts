// The one place a deadline becomes a light. Access requests and objections both answer with
// `{deadline, light, overdue}` while they are open; supervision counts the same lights. The
// calendar (weekends, QIAO_HOLIDAYS, QIAO_WORKDAYS) and the yellow threshold
// (QIAO_LIGHT_YELLOW_WORKING_DAYS) come from configuration.

import type { Config } from '../config.js'
import { addWorkingDays, calendarFromConfig, light, type Light, type WorkingCalendar } from './working-days.js'

export type DeadlineConfig = Pick<Config, 'QIAO_HOLIDAYS' | 'QIAO_WORKDAYS' | 'QIAO_LIGHT_YELLOW_WORKING_DAYS'>

export interface DeadlineState {
  light: Light
  overdue: boolean
}

/** What an item shows when nothing is awaited from anyone (decided, closed): no light. */
export const NO_DEADLINE = { light: null, overdue: false } as const

// Parsing the calendar checks every date: once per configuration object, not per item shown.
const calendars = new WeakMap<object, WorkingCalendar>()

export function calendarOf(config: Pick<Config, 'QIAO_HOLIDAYS' | 'QIAO_WORKDAYS'>): WorkingCalendar {
  let calendar = calendars.get(config)
  if (!calendar) {
    calendar = calendarFromConfig(config)
    calendars.set(config, calendar)
  }
  return calendar
}

/** The deadline `workingDays` working days after `start`, on the configured calendar. */
export function deadlineAfter(config: Pick<Config, 'QIAO_HOLIDAYS' | 'QIAO_WORKDAYS'>, start: Date, workingDays: number): Date {
  return addWorkingDays(start, workingDays, calendarOf(config))
}

/**
 * The light of an open item due at `deadline`: red once it has passed (overdue), yellow when at
 * most QIAO_LIGHT_YELLOW_WORKING_DAYS working days are left, green otherwise.
 */
export function deadlineState(config: DeadlineConfig, deadline: Date, now: Date): DeadlineState {
  return {
    light: light(deadline, now, calendarOf(config), config.QIAO_LIGHT_YELLOW_WORKING_DAYS),
    overdue: now.getTime() > deadline.getTime(),
  }
}
