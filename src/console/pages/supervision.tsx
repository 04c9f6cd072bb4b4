// Supervision (监管): the supervision report as tables — per department, with its light, datasets
// by tier, conformance, requests received, decided and overdue with the median decision time,
// objections open and overdue, the average rating, reads served by the reader's kind and tier
// overrides that lowered a tier; per social organisation, grants held and reads by purpose — and
// two charts drawn on the server: requests received and decided per week or month, and the
// working days decisions took. Who sees which rows is the supervision service's own rule.

import type { FC } from 'hono/jsx'
import { isIsoDate } from '../../calendar/working-days.js'
import type { Principal } from '../../http/env.js'
import { ApiError } from '../../http/errors.js'
import { decisionTimes, GRANULARITIES, recentPeriod, requestSeries, type DecisionTimes, type Granularity, type RequestBucket } from '../../supervision/series.js'
import { CONSUMER_KINDS, supervisionReport, type DepartmentFigures, type Period, type SocialOrgFigures, type SupervisionReport } from '../../supervision/service.js'
import { BarChart } from '../charts.js'
import { correctable, page, principal, signedIn, type ConsoleApp, type ConsoleContext } from '../context.js'
import { fill, type Dict } from '../i18n.js'
import { chinaTime, ErrorBox, LightBadge, type ShownProblem } from '../layout.js'

/** Buckets the requests chart shows when no period is chosen. */
const RECENT_BUCKETS = 12

export function registerSupervisionPages(app: ConsoleApp) {
  // Any signed-in role: the service decides (the platform's admins and auditors see everyone,
  // another platform client nothing, a member its own organisation's row).
  app.get('/supervision', signedIn(), async (c) => supervisionPage(c))
}

interface Query {
  from: string
  to: string
  granularity: Granularity
  provider: string
}

function queryOf(c: ConsoleContext): Query {
  const text = (name: string) => (c.req.query(name) ?? '').trim().slice(0, 64)
  const granularity = GRANULARITIES.find((g) => g === c.req.query('granularity')) ?? 'week'
  return { from: text('from'), to: text('to'), granularity, provider: text('provider') }
}

/** The period the form names: both ends or neither, as the API demands. */
function periodOf(query: Query, t: Dict): Period | undefined {
  if (query.from === '' && query.to === '') return undefined
  const missing = query.from === '' ? 'from' : query.to === '' ? 'to' : undefined
  if (missing) {
    throw new ApiError('validation_failed', t['supervision.missing_end'], { errors: [{ path: `query.${missing}`, message: t['supervision.missing_end'], code: 'incomplete_period' }] })
  }
  return { from: query.from, to: query.to }
}

interface Charts {
  requests: RequestBucket[]
  requestPeriod: Period
  decisions: DecisionTimes
  /** The department the charts are narrowed to, or null for every department the viewer sees. */
  provider: DepartmentFigures | null
}

async function supervisionPage(c: ConsoleContext) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const query = queryOf(c)
  let report: SupervisionReport
  let charts: Charts | undefined
  let period: Period | undefined
  try {
    period = periodOf(query, t)
    report = await supervisionReport(services, who, period)
    if (report.departments.length > 0) {
      // A platform viewer may narrow the charts to one department of the report; a member's are its own.
      const provider = report.departments.length > 1 ? (report.departments.find((d) => d.org_id === query.provider) ?? null) : (report.departments[0] ?? null)
      const scope = provider ? { providerId: provider.org_id } : {}
      const requestPeriod = period ?? recentPeriod(services.clock.now(), query.granularity, RECENT_BUCKETS)
      charts = {
        requests: await requestSeries(services, who, requestPeriod, query.granularity, scope),
        requestPeriod,
        decisions: await decisionTimes(services, who, period, scope),
        provider,
      }
    }
  } catch (error) {
    const problem = correctable(error)
    if (!problem) throw error
    return page(c, t['supervision.title'], <Filters query={query} departments={[]} who={who} problem={problem} t={t} />, { section: 'supervision', status: (error as ApiError).status })
  }
  const body = (
    <>
      <Filters query={query} departments={report.departments} who={who} t={t} />
      <p>
        {period
          ? fill(t['supervision.period'], { from: period.from, to: period.to, at: chinaTime(report.as_of) })
          : fill(t['supervision.period_all'], { at: chinaTime(report.as_of) })}
      </p>
      {report.departments.length > 0 && <DepartmentTable rows={report.departments} t={t} yellow={services.config.QIAO_LIGHT_YELLOW_WORKING_DAYS} />}
      {report.social_orgs.length > 0 && <SocialOrgTable rows={report.social_orgs} t={t} />}
      {report.departments.length === 0 && report.social_orgs.length === 0 && <p>{t['supervision.none']}</p>}
      {charts && <ChartSection charts={charts} granularity={query.granularity} period={period} t={t} />}
    </>
  )
  return page(c, t['supervision.title'], body, { section: 'supervision' })
}

const Filters: FC<{ query: Query; departments: DepartmentFigures[]; who: Principal; problem?: ShownProblem | undefined; t: Dict }> = ({ query, departments, who, problem, t }) => (
  <>
    <p class="hint">{t['supervision.intro']}</p>
    <ErrorBox problem={problem} t={t} />
    <form class="filters" method="get" action="/console/supervision">
      <div class="field">
        <label for="from">{t['supervision.from']}</label>
        <input type="date" id="from" name="from" value={isIsoDate(query.from) ? query.from : ''} />
      </div>
      <div class="field">
        <label for="to">{t['supervision.to']}</label>
        <input type="date" id="to" name="to" value={isIsoDate(query.to) ? query.to : ''} />
      </div>
      <div class="field">
        <label for="granularity">{t['supervision.granularity']}</label>
        <select id="granularity" name="granularity">
          {GRANULARITIES.map((g) => (
            <option value={g} selected={g === query.granularity}>
              {t[`supervision.${g}`]}
            </option>
          ))}
        </select>
      </div>
      {who.orgKind === 'platform' && departments.length > 1 && (
        <div class="field">
          <label for="provider">{t['supervision.provider']}</label>
          <select id="provider" name="provider">
            <option value="">{t['supervision.all_departments']}</option>
            {departments.map((d) => (
              <option value={d.org_id} selected={d.org_id === query.provider}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <button type="submit">{t['app.search']}</button>
    </form>
  </>
)

/** A share as a percentage to two places; a dash without rows. */
export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(2)}%`
}

export function ratingText(ratings: DepartmentFigures['ratings']): string {
  return ratings.average === null ? '—' : `${ratings.average.toFixed(2)} (${ratings.count})`
}

const TIERS = ['L1', 'L2', 'L3', 'L4'] as const

const DepartmentTable: FC<{ rows: DepartmentFigures[]; yellow: number; t: Dict }> = ({ rows, yellow, t }) => (
  <section aria-labelledby="departments">
    <h2 id="departments">{t['supervision.departments']}</h2>
    <p class="hint">{fill(t['supervision.light_rule'], { days: yellow })}</p>
    <div class="table-scroll" role="region" aria-labelledby="departments" tabindex={0}>
      <table class="figures">
        <thead>
          <tr>
            <th scope="col" rowspan={2}>
              {t['supervision.department']}
            </th>
            <th scope="col" rowspan={2}>
              {t['supervision.light']}
            </th>
            <th scope="colgroup" colspan={5}>
              {t['supervision.datasets']}
            </th>
            <th scope="col" rowspan={2} class="num">
              {t['supervision.conformance']}
            </th>
            <th scope="colgroup" colspan={4}>
              {t['supervision.requests']}
            </th>
            <th scope="colgroup" colspan={2}>
              {t['supervision.objections']}
            </th>
            <th scope="col" rowspan={2} class="num wrap">
              {t['supervision.rating']}
            </th>
            <th scope="colgroup" colspan={4}>
              {t['supervision.reads']}
            </th>
            <th scope="col" rowspan={2} class="num">
              {t['supervision.lowered']}
            </th>
          </tr>
          <tr>
            {TIERS.map((tier) => (
              <th scope="col" class="num">
                {tier}
              </th>
            ))}
            <th scope="col" class="num">
              {t['supervision.total']}
            </th>
            <th scope="col" class="num">
              {t['supervision.received']}
            </th>
            <th scope="col" class="num">
              {t['supervision.decided']}
            </th>
            <th scope="col" class="num">
              {t['supervision.overdue']}
            </th>
            <th scope="col" class="num wrap">
              {t['supervision.median']}
            </th>
            <th scope="col" class="num">
              {t['supervision.open']}
            </th>
            <th scope="col" class="num">
              {t['supervision.overdue']}
            </th>
            {CONSUMER_KINDS.map((kind) => (
              <th scope="col" class="num">
                {t[`kind.${kind}`]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr data-org={row.org_id}>
              <th scope="row">{row.name}</th>
              <td>
                <LightBadge light={row.light} t={t} />
              </td>
              {TIERS.map((tier) => (
                <td class="num">{row.datasets.by_tier[tier]}</td>
              ))}
              <td class="num">{row.datasets.active}</td>
              <td class="num">{percent(row.ingests.conformance_rate)}</td>
              <td class="num">{row.access_requests.received}</td>
              <td class="num">{row.access_requests.decided}</td>
              <td class="num">{row.access_requests.overdue}</td>
              <td class="num">{row.access_requests.median_decision_working_days ?? '—'}</td>
              <td class="num">{row.objections.open}</td>
              <td class="num">{row.objections.overdue}</td>
              <td class="num">{ratingText(row.ratings)}</td>
              {CONSUMER_KINDS.map((kind) => (
                <td class="num">{row.reads_served[kind].reads}</td>
              ))}
              <td class="num">{row.tier_overrides.lowered}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  </section>
)

const SocialOrgTable: FC<{ rows: SocialOrgFigures[]; t: Dict }> = ({ rows, t }) => (
  <section aria-labelledby="social-orgs">
    <h2 id="social-orgs">{t['supervision.social_orgs']}</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">{t['supervision.social_org']}</th>
          <th scope="col" class="num">
            {t['supervision.grants_held']}
          </th>
          <th scope="col" class="num">
            {t['supervision.reads_total']}
          </th>
          <th scope="col" class="num">
            {t['supervision.records']}
          </th>
          <th scope="col">{t['supervision.by_purpose']}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr data-org={row.org_id}>
            <th scope="row">{row.name}</th>
            <td class="num">{row.grants_held}</td>
            <td class="num">{row.reads.reads}</td>
            <td class="num">{row.reads.records}</td>
            <td>
              {row.reads_by_purpose.length === 0 ? (
                '—'
              ) : (
                <ul class="plain">
                  {row.reads_by_purpose.map((p) => (
                    <li>{fill(t['supervision.purpose_reads'], { purpose: p.purpose === '' ? t['supervision.no_purpose'] : p.purpose, reads: p.reads, records: p.records })}</li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
)

/** A bucket's label on the axis: the week's first day (MM-DD) or the month (YYYY-MM). */
function bucketLabel(bucket: RequestBucket, granularity: Granularity): string {
  return granularity === 'week' ? bucket.from.slice(5) : bucket.from.slice(0, 7)
}

const ChartSection: FC<{ charts: Charts; granularity: Granularity; period: Period | undefined; t: Dict }> = ({ charts, granularity, period, t }) => {
  const scope = charts.provider ? charts.provider.name : t['supervision.all_departments']
  const unit = t[`supervision.${granularity}`]
  const received = charts.requests.reduce((n, b) => n + b.received, 0)
  const decided = charts.requests.reduce((n, b) => n + b.decided, 0)
  const times = charts.decisions
  const medianAt = times.median === null ? undefined : Math.min(times.median, times.bins.length - 1)
  const requestTitle = fill(t['supervision.chart_requests'], { unit })
  const decisionTitle = t['supervision.chart_decisions']
  const range = period ? `${period.from} – ${period.to}` : t['supervision.all_time']
  return (
    <section aria-labelledby="charts">
      <h2 id="charts">{t['supervision.charts']}</h2>
      <figure class="chart-figure">
        <figcaption>
          <h3>{requestTitle}</h3>
          <p class="hint">{fill(t['supervision.chart_requests_desc'], { from: charts.requestPeriod.from, to: charts.requestPeriod.to, scope, received, decided })}</p>
        </figcaption>
        <BarChart
          id="chart-requests"
          title={requestTitle}
          description={fill(t['supervision.chart_requests_desc'], { from: charts.requestPeriod.from, to: charts.requestPeriod.to, scope, received, decided })}
          legend={[
            { label: t['supervision.received'], className: 'chart-bar-received' },
            { label: t['supervision.decided'], className: 'chart-bar-decided' },
          ]}
          xLabel={fill(t['supervision.chart_requests_axis'], { unit })}
          groups={charts.requests.map((b) => ({
            label: bucketLabel(b, granularity),
            bars: [
              { value: b.received, className: 'chart-bar-received', label: `${b.from} – ${b.to}: ${t['supervision.received']} ${b.received}` },
              { value: b.decided, className: 'chart-bar-decided', label: `${b.from} – ${b.to}: ${t['supervision.decided']} ${b.decided}` },
            ],
          }))}
        />
        <details>
          <summary>{t['supervision.table_alt']}</summary>
          <table>
            <caption>{requestTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t['supervision.bucket']}</th>
                <th scope="col" class="num">
                  {t['supervision.received']}
                </th>
                <th scope="col" class="num">
                  {t['supervision.decided']}
                </th>
              </tr>
            </thead>
            <tbody>
              {charts.requests.map((b) => (
                <tr>
                  <th scope="row">
                    {b.from} – {b.to}
                  </th>
                  <td class="num">{b.received}</td>
                  <td class="num">{b.decided}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figure>
      <figure class="chart-figure">
        <figcaption>
          <h3>{decisionTitle}</h3>
          <p class="hint">
            {fill(t['supervision.chart_decisions_desc'], { period: range, scope, n: times.decisions, median: times.median ?? '—', deadline: times.deadline })}
          </p>
        </figcaption>
        <BarChart
          id="chart-decisions"
          title={decisionTitle}
          description={fill(t['supervision.chart_decisions_desc'], { period: range, scope, n: times.decisions, median: times.median ?? '—', deadline: times.deadline })}
          legend={[
            { label: t['supervision.on_time'], className: 'chart-bar-on-time' },
            { label: t['supervision.late'], className: 'chart-bar-late' },
          ]}
          xLabel={t['supervision.days']}
          marker={medianAt === undefined ? undefined : { at: medianAt, label: fill(t['supervision.median_marker'], { median: times.median ?? '' }) }}
          groups={times.bins.map((bin) => {
            const className = bin.days > times.deadline ? 'chart-bar-late' : 'chart-bar-on-time'
            return { label: String(bin.days), bars: [{ value: bin.decisions, className, label: fill(t['supervision.bin_label'], { days: bin.days, n: bin.decisions }) }] }
          })}
        />
        {times.longer > 0 && <p>{fill(t['supervision.longer'], { days: times.bins.length - 1, n: times.longer })}</p>}
        <details>
          <summary>{t['supervision.table_alt']}</summary>
          <table>
            <caption>{decisionTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t['supervision.days']}</th>
                <th scope="col" class="num">
                  {t['supervision.decisions']}
                </th>
              </tr>
            </thead>
            <tbody>
              {times.bins.map((bin) => (
                <tr>
                  <th scope="row">
                    {bin.days}
                    {bin.days > times.deadline ? ` (${t['supervision.late']})` : ''}
                  </th>
                  <td class="num">{bin.decisions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figure>
    </section>
  )
}
