// Access requests: the consumer's outgoing ones, the approver's incoming queue with its lights,
// one request with the approver's decision form (narrow the fields, a mask per field, a row
// filter, a daily quota, an expiry; or reject with a reason), and withdrawing. Every action is
// the exchange service's own, checked against the same ApprovalSchema as the API.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { visibleRow } from '../../catalog/service.js'
import { ApprovalSchema, RejectionSchema } from '../../exchange/schemas.js'
import type { RequestStatus } from '../../exchange/repository.js'
import * as exchange from '../../exchange/service.js'
import { ApiError, type FieldProblem } from '../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import type { MaskSpec } from '../../standards/annotations.js'
import type { FieldSpec } from '../../standards/standard.js'
import {
  consoleAction,
  correctable,
  every,
  formChecked,
  page,
  principal,
  sessionOf,
  signedIn,
  single,
  type ConsoleApp,
  type ConsoleContext,
  type FormFields,
} from '../context.js'
import { fill, type Dict } from '../i18n.js'
import { CsrfField, ErrorBox, LightBadge, link, Notice, Pager, SelectField, TextField, Time, type ShownProblem } from '../layout.js'
import * as repo from '../repository.js'
import { requestRating, RequestRatingSection } from './ratings.js'

const STATUSES = ['pending', 'approved', 'rejected', 'withdrawn', 'expired'] as const satisfies readonly RequestStatus[]
const PAGE_SIZE = 25
const ROW_FILTER_ROWS = 3
const DAY_MS = 86_400_000
const createdCursor = z.object({ t: z.string(), id: z.string() })

/** The masks an approver picks from, by form value. */
export const MASK_PRESETS: Record<string, MaskSpec> = {
  redact: { type: 'redact' },
  hash: { type: 'hash' },
  nullify: { type: 'nullify' },
  'date-year': { type: 'date-year' },
  'show-first-6-last-4': { type: 'show-first-n', n: 6, last: 4 },
  'show-first-3-last-4': { type: 'show-first-n', n: 3, last: 4 },
  'show-last-4': { type: 'show-last-n', n: 4 },
  'show-first-1': { type: 'show-first-n', n: 1 },
  'region-prefix-2': { type: 'region-prefix-n', n: 2 },
  'region-prefix-4': { type: 'region-prefix-n', n: 4 },
}

/** A mask in words, in the console's language. */
export function maskLabel(spec: MaskSpec | undefined, t: Dict): string {
  if (!spec) return '—'
  switch (spec.type) {
    case 'show-first-n':
      return spec.last === undefined ? fill(t['mask.show-first'], { n: spec.n }) : fill(t['mask.show-first-last'], { n: spec.n, last: spec.last })
    case 'show-last-n':
      return fill(t['mask.show-last'], { n: spec.n })
    case 'region-prefix-n':
      return t[`mask.region-prefix-${spec.n}`]
    default:
      return t[`mask.${spec.type}`]
  }
}

export const RequestTable: FC<{ views: exchange.RequestView[]; box: 'incoming' | 'outgoing'; names: Map<string, string>; t: Dict; csrf?: string }> = ({ views, box, names, t, csrf }) => (
  <table>
    <thead>
      <tr>
        <th scope="col">{t['requests.id']}</th>
        <th scope="col">{t['request.dataset']}</th>
        <th scope="col">{box === 'incoming' ? t['request.consumer'] : t['request.provider']}</th>
        <th scope="col">{t['request.purpose']}</th>
        <th scope="col">{t['request.status']}</th>
        <th scope="col">{t['request.deadline']}</th>
        <th scope="col">{t['request.light']}</th>
        {csrf && <th scope="col">{t['app.actions']}</th>}
      </tr>
    </thead>
    <tbody>
      {views.map(({ row, light }) => (
        <tr>
          <th scope="row">
            <a href={`/console/requests/${encodeURIComponent(row.id)}`} class="mono">
              {row.id}
            </a>
          </th>
          <td>{names.get(row.dataset_id) ?? row.dataset_id}</td>
          <td>{names.get(box === 'incoming' ? row.consumer_org_id : row.provider_id) ?? (box === 'incoming' ? row.consumer_org_id : row.provider_id)}</td>
          <td>{row.purpose}</td>
          <td>{t[`status.${row.status}`]}</td>
          <td>
            <Time at={row.deadline} />
          </td>
          <td>
            <LightBadge light={light} t={t} />
          </td>
          {csrf && (
            <td>
              {box === 'outgoing' && row.status === 'pending' && (
                <form class="inline" method="post" action={`/console/requests/${encodeURIComponent(row.id)}/withdraw`}>
                  <CsrfField token={csrf} />
                  <button type="submit" class="secondary">
                    {t['request.withdraw']}
                  </button>
                </form>
              )}
            </td>
          )}
        </tr>
      ))}
    </tbody>
  </table>
)

export function registerRequestPages(app: ConsoleApp) {
  app.get('/requests', signedIn(['consumer', 'approver']), async (c) => {
    const { t } = c.get('view')
    const who = principal(c)
    const services = c.get('services')
    const requested = c.req.query('box')
    const box = requested === 'incoming' || requested === 'outgoing' ? requested : who.roles.includes('consumer') ? 'outgoing' : 'incoming'
    if (box === 'incoming' && !who.roles.includes('approver')) throw new ApiError('forbidden', fill(t['app.forbidden_role'], { roles: t['role.approver'] }))
    if (box === 'outgoing' && !who.roles.includes('consumer')) throw new ApiError('forbidden', fill(t['app.forbidden_role'], { roles: t['role.consumer'] }))
    const statusQuery = c.req.query('status')
    const status = STATUSES.find((s) => s === statusQuery)
    const cursor = c.req.query('cursor')
    const after = decodeCursor(cursor || undefined, createdCursor)
    const views = await exchange.listAccessRequests(services, who, {
      box,
      status,
      after: after && { createdAt: new Date(after.t), id: after.id },
      limit: PAGE_SIZE + 1,
    })
    const shown = views.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const next = views.length > PAGE_SIZE && last ? link('/console/requests', { box, status, cursor: encodeCursor({ t: last.row.created_at.toISOString(), id: last.row.id }) }) : null
    const names = await repo.namesOf(services.db, shown.flatMap((v) => [v.row.dataset_id, v.row.consumer_org_id, v.row.provider_id]))
    const tabs = (['outgoing', 'incoming'] as const).filter((b) => who.roles.includes(b === 'outgoing' ? 'consumer' : 'approver'))
    const body = (
      <>
        <Notice text={c.req.query('done') === 'withdrawn' ? t['request.withdrawn'] : undefined} />
        {tabs.length > 1 && (
          <ul class="tabs">
            {tabs.map((b) => (
              <li>
                <a href={link('/console/requests', { box: b })} aria-current={b === box ? 'page' : undefined}>
                  {t[`requests.${b}`]}
                </a>
              </li>
            ))}
          </ul>
        )}
        <form class="filters" method="get" action="/console/requests">
          <input type="hidden" name="box" value={box} />
          <div class="field">
            <label for="status">{t['requests.status_filter']}</label>
            <select id="status" name="status">
              <option value="">{t['catalogue.any']}</option>
              {STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {t[`status.${s}`]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t['app.search']}</button>
        </form>
        <h2>{t[`requests.${box}`]}</h2>
        <p class="hint">{t['light.legend']}</p>
        {shown.length === 0 ? <p>{t['requests.empty']}</p> : <RequestTable views={shown} box={box} names={names} t={t} csrf={sessionOf(c).csrfToken} />}
        <Pager next={next} first={cursor ? link('/console/requests', { box, status }) : undefined} t={t} />
      </>
    )
    return page(c, t['requests.title'], body, { section: 'requests' })
  })

  app.get('/requests/:id', signedIn(['consumer', 'approver']), async (c) => requestPage(c, {}))

  app.post('/requests/:id/approve', signedIn(['approver']), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    const services = c.get('services')
    const view = await exchange.getAccessRequest(services, principal(c), id)
    try {
      const approval = approvalOf(form, view.row, services.clock.now())
      await exchange.approveAccessRequest(services, consoleAction(c), id, approval)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return requestPage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    return c.redirect(`/console/requests/${encodeURIComponent(id)}?done=approved`, 303)
  })

  app.post('/requests/:id/reject', signedIn(['approver']), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    try {
      const parsed = RejectionSchema.safeParse({ reason: single(form, 'reason') ?? '' })
      if (!parsed.success) throw formProblem(parsed.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message, code: i.code })))
      await exchange.rejectAccessRequest(c.get('services'), consoleAction(c), id, parsed.data.reason)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return requestPage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    return c.redirect(`/console/requests/${encodeURIComponent(id)}?done=rejected`, 303)
  })

  app.post('/requests/:id/withdraw', signedIn(['consumer']), formChecked(), async (c) => {
    const id = c.req.param('id')
    try {
      await exchange.withdrawAccessRequest(c.get('services'), consoleAction(c), id)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return requestPage(c, { problem, status: (error as ApiError).status })
    }
    return c.redirect(`/console/requests/${encodeURIComponent(id)}?done=withdrawn`, 303)
  })
}

function formProblem(errors: FieldProblem[]): ApiError {
  return new ApiError('validation_failed', errors.map((e) => e.message).join('; '), { errors })
}

/** The approval a decision form describes, validated by the API's own ApprovalSchema. */
function approvalOf(form: FormFields, row: { fields: string[]; duration_days: number }, now: Date): exchange.Approval {
  const problems: FieldProblem[] = []
  const fields = every(form, 'fields')
  const masks: Record<string, MaskSpec> = {}
  for (const field of fields) {
    const choice = single(form, `mask.${field}`) ?? ''
    if (choice === '') continue
    const preset = MASK_PRESETS[choice]
    if (preset) masks[field] = preset
    else problems.push({ path: `body.masks.${field}`, message: `${choice} is not a mask`, code: 'unknown_mask' })
  }
  const rowFilter: unknown[] = []
  for (let i = 0; i < ROW_FILTER_ROWS; i++) {
    const field = single(form, `rf_field_${i}`) ?? ''
    const op = single(form, `rf_op_${i}`) ?? 'eq'
    const value = (single(form, `rf_value_${i}`) ?? '').trim()
    if (field === '') continue
    rowFilter.push(op === 'in' ? { field, op, values: value.split(/[,，]/).map((v) => v.trim()).filter(Boolean) } : { field, op, value })
  }
  const quotaText = (single(form, 'daily_quota') ?? '').trim()
  const quota = quotaText === '' ? undefined : Number(quotaText)
  const expiry = (single(form, 'expires_on') ?? '').trim()
  let expiresAt: string | undefined
  if (expiry !== '') {
    const end = /^\d{4}-\d{2}-\d{2}$/.test(expiry) ? Date.parse(`${expiry}T23:59:59.999+08:00`) : Number.NaN
    if (Number.isNaN(end)) problems.push({ path: 'body.expires_at', message: `${expiry} is not a date (YYYY-MM-DD)`, code: 'invalid_date' })
    else {
      // The last allowed day ends when the requested duration does, not at midnight after it.
      const longest = now.getTime() + row.duration_days * DAY_MS
      expiresAt = new Date(expiry === chinaDate(new Date(longest)) ? Math.min(end, longest) : end).toISOString()
    }
  }
  const note = (single(form, 'note') ?? '').trim()
  const parsed = ApprovalSchema.safeParse({
    fields,
    masks,
    row_filter: rowFilter,
    ...(quota === undefined ? {} : { daily_quota: quota }),
    ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
    ...(note === '' ? {} : { note }),
  })
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message, code: i.code })))
  if (problems.length > 0 || !parsed.success) throw formProblem(problems)
  const body = parsed.data
  return { ...body, expires_at: body.expires_at === undefined ? undefined : new Date(body.expires_at) }
}

function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10)
}

async function requestPage(c: ConsoleContext, options: { problem?: ShownProblem | undefined; submitted?: FormFields; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const id = c.req.param('id') ?? ''
  const view = await exchange.getAccessRequest(services, who, id)
  const { row } = view
  const names = await repo.namesOf(services.db, [row.dataset_id, row.consumer_org_id, row.provider_id])
  const deciding = row.status === 'pending' && row.provider_id === who.orgId && who.roles.includes('approver')
  const withdrawing = row.status === 'pending' && row.consumer_org_id === who.orgId && who.roles.includes('consumer')
  const fields = deciding ? await exchange.datasetFields(services, await visibleRow(services, who, row.dataset_id)) : new Map<string, FieldSpec>()
  const done = c.req.query('done')
  const notice = done === 'approved' ? t['request.approved'] : done === 'rejected' ? t['request.rejected'] : done === 'withdrawn' ? t['request.withdrawn'] : done === 'created' ? t['request.created'] : done === 'direct' ? t['request.created_direct'] : undefined
  const csrf = sessionOf(c).csrfToken
  const now = services.clock.now()
  const rating = await requestRating(services, who, row.id)
  const body = (
    <>
      <Notice text={notice} />
      <ErrorBox problem={options.problem} t={t} />
      <dl class="facts">
        <dt>{t['request.status']}</dt>
        <dd>{t[`status.${row.status}`]}</dd>
        <dt>{t['request.dataset']}</dt>
        <dd>
          <a href={`/console/datasets/${encodeURIComponent(row.dataset_id)}`}>{names.get(row.dataset_id) ?? row.dataset_id}</a>
        </dd>
        <dt>{t['request.consumer']}</dt>
        <dd>{names.get(row.consumer_org_id) ?? row.consumer_org_id}</dd>
        <dt>{t['request.provider']}</dt>
        <dd>{names.get(row.provider_id) ?? row.provider_id}</dd>
        <dt>{t['request.purpose']}</dt>
        <dd>{row.purpose}</dd>
        <dt>{t['request.legal_basis']}</dt>
        <dd>{row.legal_basis}</dd>
        <dt>{t['request.fields']}</dt>
        <dd>
          <code>{row.fields.join(', ')}</code>
        </dd>
        <dt>{t['request.duration_days']}</dt>
        <dd>{row.duration_days}</dd>
        <dt>{t['request.mode']}</dt>
        <dd>{t[`mode.${row.mode}`]}</dd>
        <dt>{t['request.created_at']}</dt>
        <dd>
          <Time at={row.created_at} />
        </dd>
        <dt>{t['request.deadline']}</dt>
        <dd>
          <Time at={row.deadline} /> <LightBadge light={view.light} t={t} />
        </dd>
        {row.decided_at && (
          <>
            <dt>{t['request.decided_at']}</dt>
            <dd>
              <Time at={row.decided_at} />
            </dd>
          </>
        )}
        {row.reason && (
          <>
            <dt>{t['request.reason']}</dt>
            <dd>{row.reason}</dd>
          </>
        )}
        {row.grant_id && (
          <>
            <dt>{t['request.grant']}</dt>
            <dd>
              <a class="mono" href={link('/console/grants', { view: 'active', focus: row.grant_id })}>
                {row.grant_id}
              </a>
            </dd>
          </>
        )}
      </dl>
      {withdrawing && (
        <form method="post" action={`/console/requests/${encodeURIComponent(row.id)}/withdraw`}>
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            {t['request.withdraw']}
          </button>
        </form>
      )}
      <RequestRatingSection row={row} rating={rating} who={who} csrf={csrf} done={done} t={t} />
      {deciding && <DecisionForms requestId={row.id} requested={row.fields} fields={fields} durationDays={row.duration_days} now={now} submitted={options.submitted} csrf={csrf} t={t} />}
    </>
  )
  return page(c, fill(t['request.title'], { id: row.id }), body, { section: 'requests', status: options.status })
}

const DecisionForms: FC<{
  requestId: string
  requested: string[]
  fields: ReadonlyMap<string, FieldSpec>
  durationDays: number
  now: Date
  submitted?: FormFields | undefined
  csrf: string
  t: Dict
}> = ({ requestId, requested, fields, durationDays, now, submitted, csrf, t }) => {
  const checked = submitted ? new Set(every(submitted, 'fields')) : new Set(requested)
  const value = (name: string) => (submitted ? (single(submitted, name) ?? '') : '')
  const action = `/console/requests/${encodeURIComponent(requestId)}`
  const lastDay = chinaDate(new Date(now.getTime() + durationDays * DAY_MS))
  const allFields = [...fields.keys()]
  return (
    <section aria-labelledby="decide">
      <h2 id="decide">{t['request.decide']}</h2>
      <p class="hint">{t['request.decide_intro']}</p>
      <form class="stack" method="post" action={`${action}/approve`}>
        <CsrfField token={csrf} />
        <fieldset>
          <legend>{t['request.grant_fields']}</legend>
          <div class="grant-terms">
            {requested.map((field, i) => {
              const spec = fields.get(field)
              return (
                <>
                  <label>
                    <input type="checkbox" name="fields" value={field} checked={checked.has(field)} id={`field_${i}`} /> <code>{field}</code> {spec ? `${spec.title} (${spec.sensitivity})` : ''}
                  </label>
                  <div class="field">
                    <label for={`mask_${i}`} class="sr-only">
                      {fill(t['request.mask_for'], { field })}
                    </label>
                    <select id={`mask_${i}`} name={`mask.${field}`}>
                      <option value="">
                        {t['mask.default']}
                        {spec?.mask ? `: ${maskLabel(spec.mask, t)}` : ''}
                      </option>
                      {Object.entries(MASK_PRESETS).map(([preset, mask]) => (
                        <option value={preset} selected={value(`mask.${field}`) === preset}>
                          {maskLabel(mask, t)}
                        </option>
                      ))}
                    </select>
                  </div>
                </>
              )
            })}
          </div>
        </fieldset>
        <fieldset>
          <legend>{t['request.row_filter']}</legend>
          {Array.from({ length: ROW_FILTER_ROWS }, (_, i) => (
            <div class="filter-row" role="group" aria-label={fill(t['request.row_filter_row'], { n: i + 1 })}>
              <SelectField name={`rf_field_${i}`} label={`${t['request.filter_field']} ${i + 1}`} options={allFields.map((f) => [f, f] as const)} selected={value(`rf_field_${i}`)} blank="—" />
              <SelectField
                name={`rf_op_${i}`}
                label={`${t['request.filter_op']} ${i + 1}`}
                options={(['eq', 'in', 'prefix'] as const).map((op) => [op, t[`op.${op}`]] as const)}
                selected={value(`rf_op_${i}`)}
              />
              <TextField name={`rf_value_${i}`} label={`${t['request.filter_value']} ${i + 1}`} value={value(`rf_value_${i}`)} maxlength={2000} />
            </div>
          ))}
        </fieldset>
        <div class="field">
          <label for="daily_quota">{t['request.daily_quota']}</label>
          <input type="number" id="daily_quota" name="daily_quota" min={1} step={1} value={value('daily_quota')} />
        </div>
        <div class="field">
          <label for="expires_on">{t['request.expiry']}</label>
          <input type="date" id="expires_on" name="expires_on" min={chinaDate(now)} max={lastDay} value={value('expires_on')} />
        </div>
        <div class="field">
          <label for="note">{t['request.note']}</label>
          <textarea id="note" name="note" maxlength={2000}>
            {value('note')}
          </textarea>
        </div>
        <div>
          <button type="submit">{t['request.approve']}</button>
        </div>
      </form>
      <form class="stack" method="post" action={`${action}/reject`}>
        <CsrfField token={csrf} />
        <div class="field">
          <label for="reason">{t['request.reject_reason']}</label>
          <textarea id="reason" name="reason" required maxlength={2000}>
            {value('reason')}
          </textarea>
        </div>
        <div>
          <button type="submit" class="danger">
            {t['request.reject']}
          </button>
        </div>
      </form>
    </section>
  )
}
