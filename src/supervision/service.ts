// Supervision (监管): per department, how it publishes, answers requests and objections, and
// whose reads it serves; per social organisation, what it holds and why it reads. Computed from
// the real tables each time (src/supervision/repository.ts), reads from the audit log's sums
// (src/supervision/reads.ts). Platform admins and auditors see everyone; a department's or
// social organisation's members see their own row. Knows nothing about HTTP.

import { calendarOf, deadlineState } from '../calendar/deadlines.js'
import { isIsoDate, workingDaysBetween, type Light } from '../calendar/working-days.js'
import type { Principal } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import type { Services } from '../services.js'
import { readSums, type ReadSum } from './reads.js'
import * as repo from './repository.js'

export type Deps = Pick<Services, 'db' | 'clock' | 'config'>

/** China days, inclusive. */
export interface Period {
  from: string
  to: string
}

export type ConsumerKind = ReadSum['consumer_kind']
export const CONSUMER_KINDS: readonly ConsumerKind[] = ['department', 'social_org', 'platform', 'anonymous']

export interface ReadCount {
  reads: number
  records: number
}

export interface DepartmentFigures {
  org_id: string
  name: string
  level: string | null
  region_code: string | null
  status: 'active' | 'suspended'
  light: Light
  datasets: { active: number; by_tier: Record<'L1' | 'L2' | 'L3' | 'L4', number>; below_computed_tier: number }
  ingests: { stored: number; refused: number; rows_received: number; rows_rejected: number; conformance_rate: number | null }
  access_requests: {
    received: number
    decided: number
    approved: number
    rejected: number
    direct: number
    withdrawn: number
    expired: number
    pending: number
    overdue: number
    median_decision_working_days: number | null
  }
  objections: { raised: number; open: number; overdue: number }
  ratings: { count: number; average: number | null }
  reads_served: Record<ConsumerKind, ReadCount>
  tier_overrides: { lowered: number }
}

export interface SocialOrgFigures {
  org_id: string
  name: string
  status: 'active' | 'suspended'
  grants_held: number
  reads: ReadCount
  reads_by_purpose: Array<ReadCount & { purpose: string }>
}

export interface SupervisionReport {
  as_of: Date
  period: Period | null
  departments: DepartmentFigures[]
  social_orgs: SocialOrgFigures[]
}

const DAY_MS = 86_400_000
const CHINA_OFFSET_MS = 8 * 3_600_000

export async function supervisionReport(deps: Deps, viewer: Principal, period?: Period): Promise<SupervisionReport> {
  const scope = scopeOf(viewer)
  if (period) checkPeriod(period)
  const now = deps.clock.now()
  const bounds: repo.Bounds = {
    from: period ? chinaMidnight(period.from) : null,
    to: period ? new Date(chinaMidnight(period.to).getTime() + DAY_MS) : null,
    now,
    orgId: scope.orgId,
  }
  const [departments, socialOrgs] = await Promise.all([
    scope.departments ? departmentFigures(deps, bounds, period) : [],
    scope.socialOrgs ? socialOrgFigures(deps, bounds, period) : [],
  ])
  return { as_of: now, period: period ?? null, departments, social_orgs: socialOrgs }
}

/** Who sees which rows: platform admins and auditors every row; members their own organisation's. */
export function scopeOf(viewer: Principal): { orgId: string | null; departments: boolean; socialOrgs: boolean } {
  if (viewer.orgKind === 'platform') {
    if (!viewer.roles.includes('admin') && !viewer.roles.includes('auditor')) throw new ApiError('forbidden', 'supervision is for admins and auditors, and for each organisation’s own members')
    return { orgId: null, departments: true, socialOrgs: true }
  }
  return { orgId: viewer.orgId, departments: viewer.orgKind === 'department', socialOrgs: viewer.orgKind === 'social_org' }
}

function checkPeriod(period: Period): void {
  const problems = (['from', 'to'] as const).filter((k) => !isIsoDate(period[k])).map((k) => ({ path: `query.${k}`, message: `${period[k]} is not a date (YYYY-MM-DD)`, code: 'invalid_date' }))
  if (problems.length === 0 && period.from > period.to) problems.push({ path: 'query.to', message: 'to is before from', code: 'empty_period' })
  if (problems.length > 0) throw new ApiError('validation_failed', problems.map((p) => p.message).join('; '), { errors: problems })
}

async function departmentFigures(deps: Deps, bounds: repo.Bounds, period: Period | undefined): Promise<DepartmentFigures[]> {
  const db = deps.db
  const [orgs, datasets, ingests, requests, decisions, objections, ratings, overrides, reads] = await Promise.all([
    repo.organisations(db, 'department', bounds.orgId),
    repo.datasetFigures(db, bounds),
    repo.ingestFigures(db, bounds),
    repo.requestFigures(db, bounds),
    repo.decisionDays(db, bounds),
    repo.objectionFigures(db, bounds),
    repo.ratingFigures(db, bounds),
    repo.loweringOverrides(db, bounds),
    readSums(db, { period, providerId: bounds.orgId ?? undefined }),
  ])
  const by = <T extends { provider_id: string }>(rows: T[]) => new Map(rows.map((r) => [r.provider_id, r]))
  const [datasetsOf, ingestsOf, requestsOf, objectionsOf, ratingsOf, overridesOf] = [by(datasets), by(ingests), by(requests), by(objections), by(ratings), by(overrides)]
  const calendar = calendarOf(deps.config)
  // Working days per decision, as counts: provider → (working days → decisions).
  const durations = new Map<string, Map<number, number>>()
  for (const d of decisions) {
    const days = workingDaysBetween(chinaDayStart(d.filed_day), chinaDayStart(d.decided_day), calendar)
    const counts = durations.get(d.provider_id) ?? new Map<number, number>()
    counts.set(days, (counts.get(days) ?? 0) + d.requests)
    durations.set(d.provider_id, counts)
  }
  const served = new Map<string, Record<ConsumerKind, ReadCount>>()
  for (const sum of reads) {
    const row = served.get(sum.provider_id) ?? emptyReadsByKind()
    row[sum.consumer_kind].reads += sum.reads
    row[sum.consumer_kind].records += sum.records
    served.set(sum.provider_id, row)
  }

  return orgs.map((org) => {
    const ds = datasetsOf.get(org.id)
    const ing = ingestsOf.get(org.id)
    const req = requestsOf.get(org.id)
    const obj = objectionsOf.get(org.id)
    const rat = ratingsOf.get(org.id)
    const rowsReceived = ing?.rows_received ?? 0
    const rowsRejected = ing?.rows_rejected ?? 0
    const approved = req?.approved ?? 0
    const rejected = req?.rejected ?? 0
    const overdue = (req?.overdue ?? 0) + (obj?.overdue ?? 0)
    const nextDeadlines = [req?.next_deadline, obj?.next_deadline].filter((d): d is Date => d instanceof Date)
    return {
      org_id: org.id,
      name: org.name,
      level: org.level,
      region_code: org.region_code,
      status: org.status,
      light: lightOf(deps, overdue, nextDeadlines, bounds.now),
      datasets: {
        active: ds?.active ?? 0,
        by_tier: { L1: ds?.l1 ?? 0, L2: ds?.l2 ?? 0, L3: ds?.l3 ?? 0, L4: ds?.l4 ?? 0 },
        below_computed_tier: ds?.below_computed_tier ?? 0,
      },
      ingests: {
        stored: ing?.stored ?? 0,
        refused: ing?.refused ?? 0,
        rows_received: rowsReceived,
        rows_rejected: rowsRejected,
        conformance_rate: rowsReceived === 0 ? null : round((rowsReceived - rowsRejected) / rowsReceived, 4),
      },
      access_requests: {
        received: req?.received ?? 0,
        decided: approved + rejected,
        approved,
        rejected,
        direct: req?.direct ?? 0,
        withdrawn: req?.withdrawn ?? 0,
        expired: req?.expired ?? 0,
        pending: req?.pending ?? 0,
        overdue: req?.overdue ?? 0,
        median_decision_working_days: median(durations.get(org.id) ?? new Map()),
      },
      objections: { raised: obj?.raised ?? 0, open: obj?.open ?? 0, overdue: obj?.overdue ?? 0 },
      ratings: { count: rat?.ratings ?? 0, average: rat && rat.ratings > 0 ? round(rat.score_sum / rat.ratings, 2) : null },
      reads_served: served.get(org.id) ?? emptyReadsByKind(),
      tier_overrides: { lowered: overridesOf.get(org.id)?.lowered ?? 0 },
    }
  })
}

async function socialOrgFigures(deps: Deps, bounds: repo.Bounds, period: Period | undefined): Promise<SocialOrgFigures[]> {
  const [orgs, grants, reads] = await Promise.all([
    repo.organisations(deps.db, 'social_org', bounds.orgId),
    repo.grantsHeld(deps.db, bounds),
    readSums(deps.db, { period, consumerOrgId: bounds.orgId ?? undefined }),
  ])
  const grantsOf = new Map(grants.map((g) => [g.consumer_org_id, g.grants_held]))
  const purposes = new Map<string, Map<string, ReadCount>>()
  for (const sum of reads) {
    if (sum.consumer_kind !== 'social_org') continue
    const byPurpose = purposes.get(sum.consumer_org_id) ?? new Map<string, ReadCount>()
    const count = byPurpose.get(sum.purpose) ?? { reads: 0, records: 0 }
    count.reads += sum.reads
    count.records += sum.records
    byPurpose.set(sum.purpose, count)
    purposes.set(sum.consumer_org_id, byPurpose)
  }
  return orgs.map((org) => {
    const byPurpose = [...(purposes.get(org.id) ?? new Map<string, ReadCount>())]
      .map(([purpose, count]) => ({ purpose, ...count }))
      .sort((a, b) => b.reads - a.reads || (a.purpose < b.purpose ? -1 : a.purpose > b.purpose ? 1 : 0))
    return {
      org_id: org.id,
      name: org.name,
      status: org.status,
      grants_held: grantsOf.get(org.id) ?? 0,
      reads: byPurpose.reduce((total, p) => ({ reads: total.reads + p.reads, records: total.records + p.records }), { reads: 0, records: 0 }),
      reads_by_purpose: byPurpose,
    }
  })
}

/** Red with anything overdue; yellow when the nearest open deadline is within the yellow window. */
function lightOf(deps: Deps, overdue: number, nextDeadlines: Date[], now: Date): Light {
  if (overdue > 0) return 'red'
  const nearest = nextDeadlines.sort((a, b) => a.getTime() - b.getTime())[0]
  return nearest ? deadlineState(deps.config, nearest, now).light : 'green'
}

function emptyReadsByKind(): Record<ConsumerKind, ReadCount> {
  return Object.fromEntries(CONSUMER_KINDS.map((kind) => [kind, { reads: 0, records: 0 }])) as Record<ConsumerKind, ReadCount>
}

/** The median of values given as value → how many times it occurs; the mean of the middle two for an even count. */
export function median(counts: ReadonlyMap<number, number>): number | null {
  const values = [...counts.keys()].sort((a, b) => a - b)
  const total = values.reduce((n, v) => n + counts.get(v)!, 0)
  if (total === 0) return null
  // The value at 0-based position i of the sorted list.
  const at = (i: number) => {
    let seen = 0
    for (const v of values) {
      seen += counts.get(v)!
      if (i < seen) return v
    }
    return values.at(-1)!
  }
  return total % 2 === 1 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2
}

function round(value: number, places: number): number {
  const f = 10 ** places
  return Math.round(value * f) / f
}

/** The start of a China day given as days since 1970-01-01. */
function chinaDayStart(day: number): Date {
  return new Date(day * DAY_MS - CHINA_OFFSET_MS)
}

function chinaMidnight(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS)
}
