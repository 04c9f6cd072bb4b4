// Data objections (数据异议): the lists "raised by us" and "about our data" (all of them for the
// platform's admins) with status, deadline and light; one objection with its history and the
// forms its state allows the caller — the owner accepts and resolves (corrected, naming the
// ingest that carried the correction, or rejected with a note); the raiser closes with a rating
// or reopens once with a reason — and raising one from a dataset's page. A record under an open
// objection carries the disputed flag. Every action is the objections service's own, with the
// API's own schemas.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { listIngests } from '../../catalog/ingest.js'
import type { IngestRow } from '../../catalog/records-repository.js'
import { visibleRow } from '../../catalog/service.js'
import { datasetFields } from '../../exchange/service.js'
import type { Principal } from '../../http/env.js'
import { ApiError, type FieldProblem } from '../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import { OBJECTION_STATUSES, OPEN_STATUSES, type ObjectionRow, type ObjectionStatus } from '../../objections/repository.js'
import { CloseSchema, NewObjectionSchema, ReopenSchema, ResolutionSchema } from '../../objections/schemas.js'
import * as objections from '../../objections/service.js'
import type { FieldSpec } from '../../standards/standard.js'
import {
  consoleAction,
  correctable,
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
import { chinaTime, CsrfField, ErrorBox, LightBadge, link, Notice, Pager, SelectField, TextField, Time, type ShownProblem } from '../layout.js'
import * as repo from '../repository.js'
import { ratingInput, RatingFields, RatingShown } from './ratings.js'

const PAGE_SIZE = 25
const PROPOSED_ROWS = 3
const RESOLVABLE_INGESTS = 20
const createdCursor = z.object({ t: z.string(), id: z.string() })

/** The API's readers of objections (GET /v1/objections), raisers (consumers) and owners (publishers, approvers). */
const READERS = ['consumer', 'publisher', 'approver', 'admin'] as const
const RAISERS = ['consumer'] as const
const OWNERS = ['publisher', 'approver'] as const
const VIEWS = ['raised', 'incoming', 'all'] as const
type ListView = (typeof VIEWS)[number]

const isPlatformAdmin = (who: Principal) => who.orgKind === 'platform' && who.roles.includes('admin')
const hasAny = (who: Principal, roles: readonly string[]) => who.roles.some((r) => roles.includes(r))

/** The lists a principal may open, in the API's order of preference for its default. */
function viewsOf(who: Principal): ListView[] {
  const views: ListView[] = []
  if (isPlatformAdmin(who)) views.push('all')
  if (hasAny(who, OWNERS)) views.push('incoming')
  if (who.roles.includes('consumer')) views.push('raised')
  return views
}

/** A record under an open objection is flagged disputed on every read (src/exchange/delivery.ts). */
export function isDisputed(row: Pick<ObjectionRow, 'record_key' | 'status'>): boolean {
  return row.record_key !== null && OPEN_STATUSES.includes(row.status)
}

export const DisputedFlag: FC<{ t: Dict }> = ({ t }) => <span class="flag flag-disputed">⚑ {t['flag.disputed']}</span>

/** What the dataset page offers about objections: raising one (consumers of others' data), the list about it. */
export const DatasetObjectionLinks: FC<{ datasetId: string; providerId: string; active: boolean; who: Principal; t: Dict }> = ({ datasetId, providerId, active, who, t }) => {
  const own = providerId === who.orgId
  const raising = active && !own && who.roles.includes('consumer')
  const view: ListView | undefined = own && hasAny(who, OWNERS) ? 'incoming' : !own && who.roles.includes('consumer') ? 'raised' : isPlatformAdmin(who) ? 'all' : undefined
  if (!raising && !view) return null
  return (
    <section aria-labelledby="objections">
      <h2 id="objections">{t['objections.title']}</h2>
      <ul>
        {raising && (
          <li>
            <a href={`/console/datasets/${encodeURIComponent(datasetId)}/objections/new`}>{t['objection.raise_link']}</a>
          </li>
        )}
        {view && (
          <li>
            <a href={link('/console/objections', { view, dataset: datasetId })}>{t['objection.see_dataset']}</a>
          </li>
        )}
      </ul>
    </section>
  )
}

export function registerObjectionPages(app: ConsoleApp) {
  app.get('/objections', signedIn([...READERS]), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const views = viewsOf(who)
    const requested = c.req.query('view')
    const view = VIEWS.find((v) => v === requested) ?? views[0]
    if (!view || !views.includes(view)) {
      const needs = view === 'all' ? t['role.admin'] : view === 'incoming' ? `${t['role.publisher']}、${t['role.approver']}` : t['role.consumer']
      throw new ApiError('forbidden', fill(t['app.forbidden_role'], { roles: needs }))
    }
    const status = OBJECTION_STATUSES.find((s) => s === c.req.query('status'))
    const open = c.req.query('open') === '1'
    const datasetQuery = (c.req.query('dataset') ?? '').trim()
    const datasetId = datasetQuery === '' ? undefined : datasetQuery.slice(0, 64)
    const cursor = c.req.query('cursor') || undefined
    const after = decodeCursor(cursor, createdCursor)
    const found = await objections.listObjections(services, who, {
      view,
      status,
      open: open || undefined,
      datasetId,
      after: after && { createdAt: new Date(after.t), id: after.id },
      limit: PAGE_SIZE + 1,
    })
    const shown = found.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const filters = { view, status, open: open ? '1' : undefined, dataset: datasetId }
    const next = found.length > PAGE_SIZE && last ? link('/console/objections', { ...filters, cursor: encodeCursor({ t: last.row.created_at.toISOString(), id: last.row.id }) }) : null
    // Names only of what the caller's objections name: an id typed into the query reveals nothing.
    const names = await repo.namesOf(services.db, shown.flatMap((v) => [v.row.dataset_id, v.row.raiser_org_id, v.row.provider_id]))
    const body = (
      <>
        {views.length > 1 && (
          <ul class="tabs">
            {views.map((v) => (
              <li>
                <a href={link('/console/objections', { view: v, dataset: datasetId })} aria-current={v === view ? 'page' : undefined}>
                  {t[`objections.${v}`]}
                </a>
              </li>
            ))}
          </ul>
        )}
        <form class="filters" method="get" action="/console/objections">
          <input type="hidden" name="view" value={view} />
          {datasetId && <input type="hidden" name="dataset" value={datasetId} />}
          <div class="field">
            <label for="status">{t['objections.status_filter']}</label>
            <select id="status" name="status">
              <option value="">{t['catalogue.any']}</option>
              {OBJECTION_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {t[`ostatus.${s}`]}
                </option>
              ))}
            </select>
          </div>
          <div class="field checkbox">
            <label for="open">
              <input type="checkbox" id="open" name="open" value="1" checked={open} /> {t['objections.open_only']}
            </label>
          </div>
          <button type="submit">{t['app.search']}</button>
        </form>
        {datasetId && (
          <p>
            {fill(t['objections.only_dataset'], { name: names.get(datasetId) ?? datasetId })} <a href={link('/console/objections', { view })}>{t['objections.clear_filter']}</a>
          </p>
        )}
        <h2>{t[`objections.${view}`]}</h2>
        <p class="hint">{t['light.legend']}</p>
        {shown.length === 0 ? <p>{t['objections.empty']}</p> : <ObjectionTable views={shown} view={view} names={names} t={t} />}
        <Pager next={next} first={cursor ? link('/console/objections', filters) : undefined} t={t} />
      </>
    )
    return page(c, t['objections.title'], body, { section: 'objections' })
  })

  app.get('/objections/:id', signedIn([...READERS]), async (c) => objectionPage(c, {}))

  app.post('/objections/:id/accept', signedIn([...OWNERS]), formChecked(), async (c) => {
    const id = c.req.param('id')
    try {
      await objections.acceptObjection(c.get('services'), consoleAction(c), id)
    } catch (error) {
      return shownAgain(c, error)
    }
    return doneAt(c, id, 'accepted')
  })

  app.post('/objections/:id/resolve', signedIn([...OWNERS]), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    try {
      const ingestId = (single(form, 'ingest_id') ?? '').trim()
      const parsed = ResolutionSchema.safeParse({
        outcome: single(form, 'outcome') ?? '',
        note: single(form, 'note') ?? '',
        ...(ingestId === '' ? {} : { ingest_id: ingestId }),
      })
      if (!parsed.success) throw formProblem(parsed.error.issues)
      await objections.resolveObjection(c.get('services'), consoleAction(c), id, parsed.data)
    } catch (error) {
      return shownAgain(c, error, form)
    }
    return doneAt(c, id, 'resolved')
  })

  app.post('/objections/:id/close', signedIn([...RAISERS]), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    try {
      const parsed = CloseSchema.safeParse(ratingInput(form))
      if (!parsed.success) throw formProblem(parsed.error.issues)
      await objections.closeObjection(c.get('services'), consoleAction(c), id, parsed.data)
    } catch (error) {
      return shownAgain(c, error, form)
    }
    return doneAt(c, id, 'closed')
  })

  app.post('/objections/:id/reopen', signedIn([...RAISERS]), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    try {
      const parsed = ReopenSchema.safeParse({ reason: single(form, 'reason') ?? '' })
      if (!parsed.success) throw formProblem(parsed.error.issues)
      await objections.reopenObjection(c.get('services'), consoleAction(c), id, parsed.data.reason)
    } catch (error) {
      return shownAgain(c, error, form)
    }
    return doneAt(c, id, 'reopened')
  })

  app.get('/datasets/:id/objections/new', signedIn([...RAISERS]), async (c) => raisePage(c, {}))

  app.post('/datasets/:id/objections', signedIn([...RAISERS]), formChecked(), async (c) => {
    const services = c.get('services')
    const form = c.get('form')!
    let raised: objections.ObjectionView
    try {
      const dataset = await visibleRow(services, principal(c), c.req.param('id'))
      const fields = await datasetFields(services, dataset)
      raised = await objections.raiseObjection(services, consoleAction(c), dataset.id, objectionInput(form, fields))
    } catch (error) {
      const problem = correctable(error) ?? standingProblem(error)
      if (!problem) throw error
      return raisePage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    return c.redirect(`/console/objections/${encodeURIComponent(raised.row.id)}?done=raised`, 303)
  })
}

function doneAt(c: ConsoleContext, id: string, done: string) {
  return c.redirect(`/console/objections/${encodeURIComponent(id)}?done=${done}`, 303)
}

/** A refusal a person can correct, beside the objection's forms; anything else propagates. */
function shownAgain(c: ConsoleContext, error: unknown, submitted?: FormFields) {
  const problem = correctable(error)
  if (!problem) throw error
  return objectionPage(c, { problem, submitted, status: (error as ApiError).status })
}

/** Raising without standing (no grant) is answered beside the form: the person learns what is needed. */
function standingProblem(error: unknown): ShownProblem | undefined {
  return error instanceof ApiError && error.status === 403 && error.extra.reason === 'no_grant' ? { detail: error.detail } : undefined
}

function formProblem(issues: ReadonlyArray<{ path: PropertyKey[]; message: string; code: string }>): ApiError {
  const errors: FieldProblem[] = issues.map((i) => ({ path: `body.${i.path.map(String).join('.')}`, message: i.message, code: i.code }))
  return new ApiError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
}

/**
 * The objection a raise form describes, validated by the API's NewObjectionSchema: proposed values
 * as field/value rows, each value read as the field's type says (a number for a numeric field).
 */
function objectionInput(form: FormFields, fields: ReadonlyMap<string, FieldSpec>): objections.NewObjection {
  const problems: FieldProblem[] = []
  const proposed: Record<string, unknown> = {}
  for (let i = 0; i < PROPOSED_ROWS; i++) {
    const field = single(form, `pv_field_${i}`) ?? ''
    const value = (single(form, `pv_value_${i}`) ?? '').trim()
    if (field === '') continue
    const spec = fields.get(field)
    if (!spec) problems.push({ path: `body.proposed_value.${field}`, message: `${field} is not a field of the dataset's standard`, code: 'unknown_field' })
    else if (field in proposed) problems.push({ path: `body.proposed_value.${field}`, message: `${field} is given twice`, code: 'duplicate_field' })
    else proposed[field] = typed(value, spec)
  }
  const key = (single(form, 'record_key') ?? '').trim()
  const parsed = NewObjectionSchema.safeParse({
    ...(key === '' ? {} : { record_key: key }),
    description: single(form, 'description') ?? '',
    ...(Object.keys(proposed).length === 0 ? {} : { proposed_value: proposed }),
  })
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => ({ path: `body.${i.path.map(String).join('.')}`, message: i.message, code: i.code })))
  if (problems.length > 0 || !parsed.success) throw new ApiError('validation_failed', problems.map((e) => `${e.path}: ${e.message}`).join('; '), { errors: problems })
  return parsed.data
}

/** A form's text as the field's JSON type: numbers and booleans when the field takes them and the text is one; text otherwise. */
function typed(text: string, spec: FieldSpec): unknown {
  if (text === '' && spec.types.includes('null')) return null
  if ((spec.types.includes('integer') || spec.types.includes('number')) && !spec.types.includes('string') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  if (spec.types.includes('boolean') && !spec.types.includes('string') && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

const ObjectionTable: FC<{ views: objections.ObjectionView[]; view: ListView; names: Map<string, string>; t: Dict }> = ({ views, view, names, t }) => (
  <table>
    <thead>
      <tr>
        <th scope="col">{t['objections.id']}</th>
        <th scope="col">{t['request.dataset']}</th>
        <th scope="col">{t['objections.record']}</th>
        {view !== 'raised' && <th scope="col">{t['objections.raiser']}</th>}
        {view !== 'incoming' && <th scope="col">{t['objections.provider']}</th>}
        <th scope="col">{t['request.status']}</th>
        <th scope="col">{t['objection.deadline']}</th>
        <th scope="col">{t['request.light']}</th>
        <th scope="col">{t['objections.rating']}</th>
      </tr>
    </thead>
    <tbody>
      {views.map(({ row, light, rating }) => (
        <tr>
          <th scope="row">
            <a href={`/console/objections/${encodeURIComponent(row.id)}`} class="mono">
              {row.id}
            </a>
          </th>
          <td>{names.get(row.dataset_id) ?? row.dataset_id}</td>
          <td>
            {row.record_key === null ? t['objections.whole_dataset'] : <code>{row.record_key}</code>} {isDisputed(row) && <DisputedFlag t={t} />}
          </td>
          {view !== 'raised' && <td>{names.get(row.raiser_org_id) ?? row.raiser_org_id}</td>}
          {view !== 'incoming' && <td>{names.get(row.provider_id) ?? row.provider_id}</td>}
          <td>
            {t[`ostatus.${row.status}`]}
            {row.outcome ? ` (${t[`outcome.${row.outcome}`]})` : ''}
          </td>
          <td>
            <Time at={row.deadline} />
          </td>
          <td>
            <LightBadge light={light} t={t} />
          </td>
          <td>{rating ? <RatingShown rating={rating} t={t} /> : '—'}</td>
        </tr>
      ))}
    </tbody>
  </table>
)

interface HistoryEvent {
  at: Date
  text: string
}

/** The objection's steps from its timestamps (the service keeps no other history), oldest first. */
function historyOf(row: ObjectionRow, names: Map<string, string>, t: Dict): HistoryEvent[] {
  const raiser = names.get(row.raiser_org_id) ?? row.raiser_org_id
  const owner = names.get(row.provider_id) ?? row.provider_id
  const events: HistoryEvent[] = [{ at: row.created_at, text: fill(t['objection.event_raised'], { org: raiser }) }]
  if (row.accepted_at) events.push({ at: row.accepted_at, text: fill(t['objection.event_accepted'], { org: owner }) })
  if (row.reopened_at) events.push({ at: row.reopened_at, text: fill(t['objection.event_reopened'], { org: raiser, reason: row.reopen_reason ?? '' }) })
  if (row.resolved_at && row.outcome) events.push({ at: row.resolved_at, text: fill(t['objection.event_resolved'], { org: owner, outcome: t[`outcome.${row.outcome}`] }) })
  if (row.closed_at) events.push({ at: row.closed_at, text: fill(t['objection.event_closed'], { org: raiser }) })
  return events.sort((a, b) => a.at.getTime() - b.at.getTime())
}

function deadlineLabel(status: ObjectionStatus, t: Dict): string {
  return status === 'raised' ? t['objection.deadline_accept'] : status === 'accepted' ? t['objection.deadline_resolve'] : t['objection.deadline_last']
}

async function objectionPage(c: ConsoleContext, options: { problem?: ShownProblem | undefined; submitted?: FormFields | undefined; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const id = c.req.param('id') ?? ''
  const view = await objections.getObjection(services, who, id)
  const { row } = view
  const names = await repo.namesOf(services.db, [row.dataset_id, row.raiser_org_id, row.provider_id])
  const owner = row.provider_id === who.orgId && hasAny(who, OWNERS)
  const raiser = row.raiser_org_id === who.orgId && who.roles.includes('consumer')
  const resolving = owner && row.status === 'accepted'
  const ingests = resolving ? (await listIngests(services, who, row.dataset_id, { limit: RESOLVABLE_INGESTS })).filter((i) => i.outcome === 'stored' && i.started_at.getTime() >= row.created_at.getTime()) : []
  const csrf = sessionOf(c).csrfToken
  const done = c.req.query('done')
  const notice = done && ['raised', 'accepted', 'resolved', 'closed', 'reopened'].includes(done) ? t[`objection.done_${done as 'raised'}`] : undefined
  const proposed = row.proposed_value && typeof row.proposed_value === 'object' ? Object.entries(row.proposed_value as Record<string, unknown>) : []
  const config = services.config
  const body = (
    <>
      <Notice text={notice} />
      <ErrorBox problem={options.problem} t={t} />
      <dl class="facts">
        <dt>{t['request.status']}</dt>
        <dd>
          {t[`ostatus.${row.status}`]}
          {row.outcome ? ` (${t[`outcome.${row.outcome}`]})` : ''}
        </dd>
        <dt>{t['request.dataset']}</dt>
        <dd>
          <a href={`/console/datasets/${encodeURIComponent(row.dataset_id)}`}>{names.get(row.dataset_id) ?? row.dataset_id}</a>
        </dd>
        <dt>{t['objections.record']}</dt>
        <dd>
          {row.record_key === null ? (
            t['objections.whole_dataset']
          ) : (
            <>
              <code>{row.record_key}</code> {isDisputed(row) && <DisputedFlag t={t} />}
            </>
          )}
          {isDisputed(row) && <p class="hint">{t['flag.disputed_hint']}</p>}
        </dd>
        <dt>{t['objections.raiser']}</dt>
        <dd>{names.get(row.raiser_org_id) ?? row.raiser_org_id}</dd>
        <dt>{t['objections.provider']}</dt>
        <dd>{names.get(row.provider_id) ?? row.provider_id}</dd>
        <dt>{t['objection.description']}</dt>
        <dd class="prose">{row.description}</dd>
        <dt>{deadlineLabel(row.status, t)}</dt>
        <dd>
          <Time at={row.deadline} /> {view.light && <LightBadge light={view.light} t={t} />}
        </dd>
        {row.resolution_note && (
          <>
            <dt>{t['objection.note']}</dt>
            <dd class="prose">{row.resolution_note}</dd>
          </>
        )}
        {row.correction_ingest_id && (
          <>
            <dt>{t['objection.correction']}</dt>
            <dd class="mono">{row.correction_ingest_id}</dd>
          </>
        )}
        {view.rating && (
          <>
            <dt>{t['objections.rating']}</dt>
            <dd>
              <RatingShown rating={view.rating} t={t} />
            </dd>
          </>
        )}
      </dl>
      {proposed.length > 0 && (
        <table>
          <caption>{t['objection.proposed']}</caption>
          <thead>
            <tr>
              <th scope="col">{t['dataset.field']}</th>
              <th scope="col">{t['objection.value']}</th>
            </tr>
          </thead>
          <tbody>
            {proposed.map(([field, value]) => (
              <tr>
                <th scope="row" class="mono">
                  {field}
                </th>
                <td class="mono">{typeof value === 'string' ? value : JSON.stringify(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2 id="history">{t['objection.history']}</h2>
      <ol class="history">
        {historyOf(row, names, t).map((event) => (
          <li>
            <Time at={event.at} /> {event.text}
          </li>
        ))}
      </ol>
      <p class="hint">{t['objection.history_hint']}</p>
      {owner && row.status === 'raised' && (
        <section aria-labelledby="accept">
          <h2 id="accept">{t['objection.accept']}</h2>
          <p class="hint">{fill(t['objection.accept_intro'], { days: config.QIAO_OBJECTION_WORKING_DAYS })}</p>
          <form method="post" action={`/console/objections/${encodeURIComponent(row.id)}/accept`}>
            <CsrfField token={csrf} />
            <button type="submit">{t['objection.accept']}</button>
          </form>
        </section>
      )}
      {resolving && <ResolveForm row={row} ingests={ingests} csrf={csrf} submitted={options.submitted} t={t} />}
      {raiser && row.status === 'resolved' && <RaiserForms row={row} csrf={csrf} submitted={options.submitted} t={t} />}
    </>
  )
  return page(c, fill(t['objection.title'], { id: row.id }), body, { section: 'objections', status: options.status })
}

const ResolveForm: FC<{ row: ObjectionRow; ingests: IngestRow[]; csrf: string; submitted?: FormFields | undefined; t: Dict }> = ({ row, ingests, csrf, submitted, t }) => {
  const value = (name: string) => (submitted ? (single(submitted, name) ?? '') : '')
  return (
    <section aria-labelledby="resolve">
      <h2 id="resolve">{t['objection.resolve']}</h2>
      <p class="hint">{t['objection.resolve_intro']}</p>
      <form class="stack" method="post" action={`/console/objections/${encodeURIComponent(row.id)}/resolve`}>
        <CsrfField token={csrf} />
        <fieldset class="choices">
          <legend>{t['objection.outcome']}</legend>
          {(['corrected', 'rejected'] as const).map((outcome) => (
            <label for={`outcome_${outcome}`}>
              <input type="radio" id={`outcome_${outcome}`} name="outcome" value={outcome} required checked={value('outcome') === outcome} /> {t[`outcome.${outcome}`]}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="ingest_id">{t['objection.correction']}</label>
          <select id="ingest_id" name="ingest_id">
            <option value="">{t['objection.ingest_none']}</option>
            {ingests.map((ingest) => (
              <option value={ingest.id} selected={value('ingest_id') === ingest.id}>
                {fill(t['objection.ingest_option'], { id: ingest.id, at: chinaTime(ingest.started_at), rows: ingest.inserted + ingest.updated })}
              </option>
            ))}
          </select>
          {ingests.length === 0 && <p class="hint">{t['objection.no_ingests']}</p>}
        </div>
        <div class="field">
          <label for="note">{t['objection.note']}</label>
          <textarea id="note" name="note" required maxlength={4000}>
            {value('note')}
          </textarea>
        </div>
        <div>
          <button type="submit">{t['objection.resolve']}</button>
        </div>
      </form>
    </section>
  )
}

const RaiserForms: FC<{ row: ObjectionRow; csrf: string; submitted?: FormFields | undefined; t: Dict }> = ({ row, csrf, submitted, t }) => {
  const action = `/console/objections/${encodeURIComponent(row.id)}`
  return (
    <>
      <section aria-labelledby="close">
        <h2 id="close">{t['objection.close']}</h2>
        <p class="hint">{t['objection.close_intro']}</p>
        <form class="stack" method="post" action={`${action}/close`}>
          <CsrfField token={csrf} />
          <RatingFields t={t} idPrefix="close" submitted={submitted && single(submitted, 'reason') === undefined ? submitted : undefined} />
          <div>
            <button type="submit">{t['objection.close_submit']}</button>
          </div>
        </form>
      </section>
      <section aria-labelledby="reopen">
        <h2 id="reopen">{t['objection.reopen']}</h2>
        {row.reopened_at ? (
          <p>{t['objection.reopened_once']}</p>
        ) : (
          <>
            <p class="hint">{t['objection.reopen_intro']}</p>
            <form class="stack" method="post" action={`${action}/reopen`}>
              <CsrfField token={csrf} />
              <div class="field">
                <label for="reason">{t['objection.reopen_reason']}</label>
                <textarea id="reason" name="reason" required maxlength={4000}>
                  {submitted ? (single(submitted, 'reason') ?? '') : ''}
                </textarea>
              </div>
              <div>
                <button type="submit" class="secondary">
                  {t['objection.reopen']}
                </button>
              </div>
            </form>
          </>
        )}
      </section>
    </>
  )
}

async function raisePage(c: ConsoleContext, options: { problem?: ShownProblem | undefined; submitted?: FormFields; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const dataset = await visibleRow(services, who, c.req.param('id') ?? '')
  const fields = await datasetFields(services, dataset)
  const submitted = options.submitted
  const value = (name: string, fallback = '') => (submitted ? (single(submitted, name) ?? '') : fallback)
  const own = dataset.provider_id === who.orgId
  const config = services.config
  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <p>
        <a href={`/console/datasets/${encodeURIComponent(dataset.id)}`}>{dataset.title}</a>
      </p>
      {own ? (
        <p>{t['objection.own_dataset']}</p>
      ) : (
        <>
          <p class="hint">{fill(t['objection.raise_intro'], { accept: config.QIAO_OBJECTION_ACCEPT_WORKING_DAYS, resolve: config.QIAO_OBJECTION_WORKING_DAYS })}</p>
          <form class="stack" method="post" action={`/console/datasets/${encodeURIComponent(dataset.id)}/objections`}>
            <CsrfField token={sessionOf(c).csrfToken} />
            <div class="field">
              <label for="record_key">{fill(t['objection.record_key'], { field: dataset.key_field })}</label>
              <input type="text" id="record_key" name="record_key" maxlength={256} value={value('record_key', (c.req.query('record_key') ?? '').slice(0, 256))} />
            </div>
            <div class="field">
              <label for="description">{t['objection.description']}</label>
              <textarea id="description" name="description" required maxlength={4000}>
                {value('description')}
              </textarea>
            </div>
            <fieldset>
              <legend>{t['objection.proposed_rows']}</legend>
              {Array.from({ length: PROPOSED_ROWS }, (_, i) => (
                <div class="filter-row" role="group" aria-label={fill(t['objection.proposed_row'], { n: i + 1 })}>
                  <SelectField
                    name={`pv_field_${i}`}
                    label={`${t['request.filter_field']} ${i + 1}`}
                    options={[...fields.values()].map((f) => [f.name, `${f.name} · ${f.title}`] as const)}
                    selected={value(`pv_field_${i}`)}
                    blank="—"
                  />
                  <TextField name={`pv_value_${i}`} label={`${t['objection.value']} ${i + 1}`} value={value(`pv_value_${i}`)} maxlength={2000} />
                </div>
              ))}
            </fieldset>
            <div>
              <button type="submit">{t['objection.submit']}</button>
            </div>
          </form>
        </>
      )}
    </>
  )
  return page(c, fill(t['objection.raise_title'], { title: dataset.title }), body, { section: 'objections', status: options.status })
}
