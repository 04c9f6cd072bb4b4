// Supervision over time, for the console's charts: access requests received and decided per
// week or month, and how many working days the decisions took, as a histogram. The scope is the
// report's (scopeOf) and so are the definitions: "decided" is approved or rejected by the owning
// department's approvers; working days are counted as for the median decision time
// (workingDaysBetween on the deadlines' calendar), so a department's histogram has the median
// its report row shows. Knows nothing about HTTP.

import { calendarOf } from '../calendar/deadlines.js'
import { chinaDate, isIsoDate, workingDaysBetween } from '../calendar/working-days.js'
import { DECISION_WORKING_DAYS } from '../exchange/service.js'
import type { Principal } from '../http/env.js'
import { ApiError, type FieldProblem } from '../http/errors.js'
import { decisionDays, requestBucketCounts } from './repository.js'
import { median, scopeOf, type Deps, type Period } from './service.js'

export const GRANULARITIES = ['week', 'month'] as const
export type Granularity = (typeof GRANULARITIES)[number]

/** More buckets than this make no readable chart: about two years of weeks, ten years of months. */
export const MAX_BUCKETS = 120
/** Decisions that took longer than this many working days share the histogram's last bar. */
export const HISTOGRAM_MAX_DAYS = 30

export interface RequestBucket {
  /** The China days the bucket covers, inclusive: a week from Monday, or a calendar month, cut to the period. */
  from: string
  to: string
  /** Requests filed for the departments' datasets in those days. */
  received: number
  /** Requests their approvers approved or rejected in those days. */
  decided: number
}

export interface DecisionTimes {
  /** Decisions by working days taken, 0 up to the longest (at least the deadline and one more); none missing. */
  bins: Array<{ days: number; decisions: number }>
  /** Decisions that took more than HISTOGRAM_MAX_DAYS working days. */
  longer: number
  decisions: number
  median: number | null
  /** The working days an approver has to decide (DECISION_WORKING_DAYS): bars beyond it were late. */
  deadline: number
}

export interface SeriesScope {
  /** A platform viewer may narrow the figures to one department; a member always sees its own. */
  providerId?: string
}

const DAY_MS = 86_400_000
const CHINA_OFFSET_MS = 8 * 3_600_000

/**
 * Requests received and decided per week (Monday to Sunday) or calendar month of the period, in
 * China time; every bucket of the period is present, empty ones with zeros. Social
 * organisations receive no requests: for them the series is empty.
 */
export async function requestSeries(deps: Deps, viewer: Principal, period: Period, granularity: Granularity, scope: SeriesScope = {}): Promise<RequestBucket[]> {
  const orgId = providerOf(viewer, scope)
  checkPeriod(period)
  const buckets = bucketsOf(period, granularity)
  if (buckets.length > MAX_BUCKETS) {
    throw new ApiError('validation_failed', `${buckets.length} ${granularity}s are more than ${MAX_BUCKETS}: choose a shorter period or months`, {
      errors: [{ path: 'query.granularity', message: `at most ${MAX_BUCKETS} buckets`, code: 'too_many_buckets' }],
    })
  }
  if (orgId === undefined) return []
  const counts = await requestBucketCounts(deps.db, { from: chinaMidnight(period.from), to: new Date(chinaMidnight(period.to).getTime() + DAY_MS), orgId, granularity })
  return buckets.map((b) => ({ from: b.from, to: b.to, received: counts.get(b.start)?.received ?? 0, decided: counts.get(b.start)?.decided ?? 0 }))
}

/**
 * How many working days the approvers' decisions took, filing to decision, over the period (or
 * all time): the distribution behind median_decision_working_days.
 */
export async function decisionTimes(deps: Deps, viewer: Principal, period: Period | undefined, scope: SeriesScope = {}): Promise<DecisionTimes> {
  const orgId = providerOf(viewer, scope)
  if (period) checkPeriod(period)
  const deadline = DECISION_WORKING_DAYS
  if (orgId === undefined) return { bins: binsFrom(new Map(), deadline), longer: 0, decisions: 0, median: null, deadline }
  const rows = await decisionDays(deps.db, {
    from: period ? chinaMidnight(period.from) : null,
    to: period ? new Date(chinaMidnight(period.to).getTime() + DAY_MS) : null,
    now: deps.clock.now(),
    orgId,
  })
  const calendar = calendarOf(deps.config)
  const counts = new Map<number, number>()
  for (const row of rows) {
    const days = workingDaysBetween(chinaDayStart(row.filed_day), chinaDayStart(row.decided_day), calendar)
    counts.set(days, (counts.get(days) ?? 0) + row.requests)
  }
  const decisions = [...counts.values()].reduce((a, b) => a + b, 0)
  const longer = [...counts].filter(([days]) => days > HISTOGRAM_MAX_DAYS).reduce((n, [, c]) => n + c, 0)
  return { bins: binsFrom(counts, deadline), longer, decisions, median: median(counts), deadline }
}

/** The last `count` weeks or months up to and including today's, as a period (China days). */
export function recentPeriod(now: Date, granularity: Granularity, count: number): Period {
  const today = chinaDate(now)
  const start = granularity === 'week' ? mondayOf(today) : `${today.slice(0, 7)}-01`
  return { from: granularity === 'week' ? addDays(start, -7 * (count - 1)) : addMonths(start, -(count - 1)), to: today }
}

/** The department a viewer's series cover: null for every one (the platform), undefined for none (a social organisation). */
function providerOf(viewer: Principal, scope: SeriesScope): string | null | undefined {
  const seen = scopeOf(viewer)
  if (!seen.departments) return undefined
  return seen.orgId ?? scope.providerId ?? null
}

function checkPeriod(period: Period): void {
  const problems: FieldProblem[] = (['from', 'to'] as const)
    .filter((k) => !isIsoDate(period[k]))
    .map((k) => ({ path: `query.${k}`, message: `${period[k]} is not a date (YYYY-MM-DD)`, code: 'invalid_date' }))
  if (problems.length === 0 && period.from > period.to) problems.push({ path: 'query.to', message: 'to is before from', code: 'empty_period' })
  if (problems.length > 0) throw new ApiError('validation_failed', problems.map((p) => p.message).join('; '), { errors: problems })
}

interface Bucket {
  /** The first day of the whole week or month, whatever the period cuts: the key SQL groups by. */
  start: string
  from: string
  to: string
}

function bucketsOf(period: Period, granularity: Granularity): Bucket[] {
  const buckets: Bucket[] = []
  let start = granularity === 'week' ? mondayOf(period.from) : `${period.from.slice(0, 7)}-01`
  while (start <= period.to && buckets.length <= MAX_BUCKETS) {
    const next = granularity === 'week' ? addDays(start, 7) : addMonths(start, 1)
    const last = addDays(next, -1)
    buckets.push({ start, from: start < period.from ? period.from : start, to: last > period.to ? period.to : last })
    start = next
  }
  return buckets
}

function binsFrom(counts: ReadonlyMap<number, number>, deadline: number): DecisionTimes['bins'] {
  const longest = Math.min(HISTOGRAM_MAX_DAYS, Math.max(deadline + 1, ...counts.keys()))
  return Array.from({ length: longest + 1 }, (_, days) => ({ days, decisions: counts.get(days) ?? 0 }))
}

// ---- China days as ISO strings ---------------------------------------------------------------

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS
}

function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

function addDays(date: string, days: number): string {
  return isoOf(dayNumber(date) + days)
}

/** The Monday on or before `date` (1970-01-01, day 0, was a Thursday). */
function mondayOf(date: string): string {
  const day = dayNumber(date)
  return isoOf(day - ((day + 3) % 7 + 7) % 7)
}

/** The first day of the month `months` after the month of `first` (itself a first day). */
function addMonths(first: string, months: number): string {
  const index = Number(first.slice(0, 4)) * 12 + Number(first.slice(5, 7)) - 1 + months
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-01`
}

function chinaMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS)
}

/** The start of a China day given as days since 1970-01-01. */
function chinaDayStart(day: number): Date {
  return new Date(day * DAY_MS - CHINA_OFFSET_MS)
}
