// The catalogue: search and filter what the signed-in organisation may know exists, and one
// dataset's page — its catalogue metadata, the standard's fields with their sensitivity and
// default masks, its tier (and, for its provider and the platform, the tier's history and the
// batches behind its conformance figures), and the request form for consumers.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { listIngests } from '../../catalog/ingest.js'
import * as catalog from '../../catalog/service.js'
import { ATTRIBUTES } from '../../catalog/visibility.js'
import { NewAccessRequestSchema } from '../../exchange/schemas.js'
import * as exchange from '../../exchange/service.js'
import { ApiError } from '../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import * as identity from '../../identity/service.js'
import { SENSITIVITY_LEVELS, type Sensitivity } from '../../standards/annotations.js'
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
import { fill } from '../i18n.js'
import { CsrfField, ErrorBox, link, Pager, SelectField, Time, type ShownProblem } from '../layout.js'
import { DatasetObjectionLinks } from './objections.js'
import { maskLabel } from './requests.js'

const PAGE_SIZE = 25
const DEFAULT_DURATION_DAYS = 365

const pick = <T extends string>(values: readonly T[], value: string | undefined): T | undefined => values.find((v) => v === value)

export function registerCataloguePages(app: ConsoleApp) {
  app.get('/catalogue', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const q = (c.req.query('q') ?? '').trim().slice(0, 100)
    const tier = pick(SENSITIVITY_LEVELS, c.req.query('tier'))
    const sharing = pick(ATTRIBUTES, c.req.query('sharing'))
    const open = pick(ATTRIBUTES, c.req.query('open'))
    const providerQuery = (c.req.query('provider') ?? '').slice(0, 64)
    const provider = providerQuery === '' ? undefined : providerQuery
    const cursor = c.req.query('cursor') || undefined
    const after = decodeCursor(cursor, z.object({ code: z.string() }))
    const datasets = await catalog.listDatasets(services, who, { text: q || undefined, tier, sharing, open, provider, afterCode: after?.code, limit: PAGE_SIZE + 1 })
    const shown = datasets.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const filters = { q, tier, sharing, open, provider }
    const next = datasets.length > PAGE_SIZE && last ? link('/console/catalogue', { ...filters, cursor: encodeCursor({ code: last.row.code }) }) : null
    const departments = await identity.listOrgs(services.db, { kind: 'department', status: 'active', limit: 200 })
    const body = (
      <>
        <form class="filters" method="get" action="/console/catalogue" role="search" aria-label={t['catalogue.filters']}>
          <div class="field">
            <label for="q">{t['catalogue.q']}</label>
            <input type="search" id="q" name="q" value={q} maxlength={100} />
          </div>
          <SelectField name="tier" label={t['catalogue.tier']} blank={t['catalogue.any']} selected={tier} options={SENSITIVITY_LEVELS.map((l) => [l, l])} />
          <SelectField name="sharing" label={t['catalogue.sharing']} blank={t['catalogue.any']} selected={sharing} options={ATTRIBUTES.map((a) => [a, t[`attr.${a}`]])} />
          <SelectField name="open" label={t['catalogue.open']} blank={t['catalogue.any']} selected={open} options={ATTRIBUTES.map((a) => [a, t[`attr.${a}`]])} />
          <SelectField name="provider" label={t['catalogue.provider']} blank={t['catalogue.any']} selected={provider} options={departments.map((d) => [d.id, d.name])} />
          <button type="submit">{t['app.search']}</button>
        </form>
        <h2>{t['catalogue.results']}</h2>
        {shown.length === 0 ? (
          <p>{t['catalogue.empty']}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t['dataset.title']}</th>
                <th scope="col">{t['dataset.code']}</th>
                <th scope="col">{t['dataset.provider']}</th>
                <th scope="col">{t['dataset.tier']}</th>
                <th scope="col">{t['catalogue.sharing']}</th>
                <th scope="col">{t['catalogue.open']}</th>
                <th scope="col" class="num">
                  {t['dataset.records']}
                </th>
                <th scope="col" class="num">
                  {t['dataset.conformance_rate']}
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ row }) => (
                <tr>
                  <th scope="row">
                    <a href={`/console/datasets/${encodeURIComponent(row.id)}`}>{row.title}</a>
                  </th>
                  <td class="mono">{row.code}</td>
                  <td>{row.provider_name}</td>
                  <td>{row.tier}</td>
                  <td>{t[`attr.${row.sharing}`]}</td>
                  <td>{t[`attr.${row.open}`]}</td>
                  <td class="num">{row.record_count}</td>
                  <td class="num">{conformance(row.rows_received, row.rows_rejected)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager next={next} first={cursor ? link('/console/catalogue', filters) : undefined} t={t} />
      </>
    )
    return page(c, t['catalogue.title'], body, { section: 'catalogue' })
  })

  app.get('/datasets/:id', signedIn(), async (c) => datasetPage(c, {}))

  app.post('/datasets/:id/request', signedIn(['consumer']), formChecked(), async (c) => {
    const id = c.req.param('id')
    const form = c.get('form')!
    let created: exchange.RequestView
    try {
      const parsed = NewAccessRequestSchema.safeParse({
        dataset_id: id,
        purpose: single(form, 'purpose') ?? '',
        legal_basis: single(form, 'legal_basis') ?? '',
        fields: every(form, 'fields'),
        duration_days: Number(single(form, 'duration_days') ?? ''),
      })
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message, code: i.code }))
        throw new ApiError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
      }
      created = await exchange.createAccessRequest(c.get('services'), consoleAction(c), parsed.data)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return datasetPage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    const done = created.row.status === 'approved' ? 'direct' : 'created'
    return c.redirect(`/console/requests/${encodeURIComponent(created.row.id)}?done=${done}`, 303)
  })
}

function conformance(received: number, rejected: number): string {
  return received === 0 ? '—' : `${(((received - rejected) / received) * 100).toFixed(1)}%`
}

async function datasetPage(c: ConsoleContext, options: { problem?: ShownProblem | undefined; submitted?: FormFields; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const id = c.req.param('id') ?? ''
  const dataset = await catalog.getDataset(services, who, id)
  const { row } = dataset
  const fields = await exchange.datasetFields(services, row)
  const own = row.provider_id === who.orgId
  const insider = own || who.orgKind === 'platform'
  const history = insider ? (await catalog.tierHistory(services, who, id)).changes : undefined
  const ingests = insider ? await listIngests(services, who, id, { limit: 10 }) : undefined
  const consumer = who.roles.includes('consumer') && !own && row.status === 'active'
  const held = consumer ? await exchange.listGrants(services, who, { side: 'consumer', datasetId: id, status: 'active', limit: 20 }) : []
  const submitted = options.submitted
  const requested = submitted ? new Set(every(submitted, 'fields')) : new Set<string>()
  const value = (name: string, fallback = '') => (submitted ? (single(submitted, name) ?? '') : fallback)
  const direction = row.tier_overridden_at && row.tier !== row.computed_tier ? (tierRank(row.tier) > tierRank(row.computed_tier) ? 'raised' : 'lowered') : undefined

  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <p>{row.abstract}</p>
      <h2>{t['dataset.metadata']}</h2>
      <dl class="facts">
        <dt>{t['dataset.code']}</dt>
        <dd class="mono">{row.code}</dd>
        <dt>{t['dataset.name']}</dt>
        <dd>{row.name}</dd>
        <dt>{t['dataset.provider']}</dt>
        <dd>{row.provider_name}</dd>
        <dt>{t['dataset.standard']}</dt>
        <dd class="mono">
          {row.standard_name} {row.standard_version}
        </dd>
        <dt>{t['dataset.key_field']}</dt>
        <dd class="mono">{row.key_field}</dd>
        <dt>{t['dataset.format']}</dt>
        <dd>{t[`format.${row.format}`]}</dd>
        <dt>{t['dataset.update_cycle']}</dt>
        <dd>{t[`cycle.${row.update_cycle}`]}</dd>
        <dt>{t['dataset.published_on']}</dt>
        <dd>{row.published_on}</dd>
        <dt>{t['catalogue.sharing']}</dt>
        <dd>{t[`attr.${row.sharing}`]}</dd>
        {row.sharing_conditions && (
          <>
            <dt>{t['dataset.sharing_conditions']}</dt>
            <dd>{row.sharing_conditions}</dd>
          </>
        )}
        {row.legal_basis && (
          <>
            <dt>{t['dataset.legal_basis']}</dt>
            <dd>{row.legal_basis}</dd>
          </>
        )}
        <dt>{t['catalogue.open']}</dt>
        <dd>{t[`attr.${row.open}`]}</dd>
        {row.open_conditions && (
          <>
            <dt>{t['dataset.open_conditions']}</dt>
            <dd>{row.open_conditions}</dd>
          </>
        )}
        <dt>{t['dataset.status']}</dt>
        <dd>{t[`dataset.${row.status}`]}</dd>
      </dl>

      <h2>{t['dataset.tier']}</h2>
      <p>{fill(t['dataset.tier_now'], { tier: row.tier, computed: row.computed_tier })}</p>
      {direction && row.tier_override_reason && <p>{fill(t['dataset.tier_override'], { direction: t[`direction.${direction}`], reason: row.tier_override_reason })}</p>}
      {history ? (
        <table>
          <caption>{t['dataset.tier_history']}</caption>
          <thead>
            <tr>
              <th scope="col">{t['audit.at']}</th>
              <th scope="col">{t['dataset.cause']}</th>
              <th scope="col">{t['dataset.standard']}</th>
              <th scope="col">{t['dataset.tier']}</th>
              <th scope="col">{t['request.reason']}</th>
            </tr>
          </thead>
          <tbody>
            {history.map((change) => (
              <tr>
                <td>
                  <Time at={change.at} />
                </td>
                <td>{t[`cause.${change.cause}`]}</td>
                <td class="mono">{change.standard_version}</td>
                <td>
                  {change.tier_before ? `${change.tier_before} → ` : ''}
                  {change.tier_after} ({change.computed_tier})
                </td>
                <td>{change.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="hint">{t['dataset.tier_history_private']}</p>
      )}

      <h2>{t['dataset.fields']}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t['dataset.field']}</th>
            <th scope="col">{t['dataset.field_title']}</th>
            <th scope="col">{t['dataset.field_type']}</th>
            <th scope="col">{t['dataset.sensitivity']}</th>
            <th scope="col">{t['dataset.default_mask']}</th>
            <th scope="col">{t['dataset.masked_sensitivity']}</th>
          </tr>
        </thead>
        <tbody>
          {[...fields.values()].map((field) => (
            <tr>
              <th scope="row" class="mono">
                {field.name}
              </th>
              <td>{field.title}</td>
              <td class="mono">
                {field.types.join('|')}
                {field.format ? ` / ${field.format}` : ''}
              </td>
              <td>{field.sensitivity}</td>
              <td>{maskLabel(field.mask, t)}</td>
              <td>{field.mask ? field.maskedSensitivity : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t['dataset.conformance']}</h2>
      <dl class="facts">
        <dt>{t['dataset.records']}</dt>
        <dd>{row.record_count}</dd>
        <dt>{t['dataset.ingests']}</dt>
        <dd>{row.ingests_stored}</dd>
        <dt>{t['dataset.refused_ingests']}</dt>
        <dd>{row.ingests_refused}</dd>
        <dt>{t['dataset.rows_received']}</dt>
        <dd>{row.rows_received}</dd>
        <dt>{t['dataset.rows_rejected']}</dt>
        <dd>{row.rows_rejected}</dd>
        <dt>{t['dataset.conformance_rate']}</dt>
        <dd>{conformance(row.rows_received, row.rows_rejected)}</dd>
        <dt>{t['dataset.last_ingest']}</dt>
        <dd>
          <Time at={row.last_ingest_at} />
        </dd>
        <dt>{t['dataset.filter_index']}</dt>
        <dd>{row.indexed_fields.join(', ') || '—'}</dd>
        {row.index_building.length > 0 && (
          <>
            <dt>{t['dataset.filter_index_building']}</dt>
            <dd>{row.index_building.join(', ')}</dd>
          </>
        )}
      </dl>
      {ingests && ingests.length > 0 && (
        <table>
          <caption>{t['dataset.recent_ingests']}</caption>
          <thead>
            <tr>
              <th scope="col">{t['audit.at']}</th>
              <th scope="col">{t['dataset.outcome']}</th>
              <th scope="col">{t['dataset.standard']}</th>
              <th scope="col" class="num">
                {t['dataset.rows_received']}
              </th>
              <th scope="col" class="num">
                {t['dataset.rows_rejected']}
              </th>
            </tr>
          </thead>
          <tbody>
            {ingests.map((ingest) => (
              <tr>
                <td>
                  <Time at={ingest.started_at} />
                </td>
                <td>
                  {ingest.outcome} ({ingest.mode})
                </td>
                <td class="mono">{ingest.standard_version}</td>
                <td class="num">{ingest.total}</td>
                <td class="num">{ingest.rejected}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <DatasetObjectionLinks datasetId={row.id} providerId={row.provider_id} active={row.status === 'active'} who={who} t={t} />
      {own && <p class="hint">{t['dataset.own']}</p>}
      {held.length > 0 && (
        <>
          <h2>{t['dataset.held_grants']}</h2>
          <ul>
            {held.map((g) => (
              <li>
                <a class="mono" href={link('/console/grants', { view: 'active', focus: g.id })}>
                  {g.id}
                </a>{' '}
                — {g.purpose} — <Time at={g.expires_at} />
              </li>
            ))}
          </ul>
        </>
      )}
      {consumer && (
        <section aria-labelledby="request">
          <h2 id="request">{t['dataset.request_access']}</h2>
          <p class="hint">{t['dataset.request_intro']}</p>
          <form class="stack" method="post" action={`/console/datasets/${encodeURIComponent(row.id)}/request`}>
            <CsrfField token={sessionOf(c).csrfToken} />
            <div class="field">
              <label for="purpose">{t['request.purpose']}</label>
              <input type="text" id="purpose" name="purpose" required maxlength={500} value={value('purpose')} />
            </div>
            <div class="field">
              <label for="legal_basis">{t['request.legal_basis']}</label>
              <textarea id="legal_basis" name="legal_basis" required maxlength={2000}>
                {value('legal_basis')}
              </textarea>
            </div>
            <fieldset class="choices">
              <legend>{t['request.fields']}</legend>
              {[...fields.values()].map((field) => (
                <label>
                  <input type="checkbox" name="fields" value={field.name} checked={requested.has(field.name)} /> <code>{field.name}</code> {field.title} ({field.sensitivity})
                </label>
              ))}
            </fieldset>
            <div class="field">
              <label for="duration_days">{t['request.duration_days']}</label>
              <input type="number" id="duration_days" name="duration_days" required min={1} max={3660} step={1} value={value('duration_days', String(DEFAULT_DURATION_DAYS))} />
            </div>
            <div>
              <button type="submit">{t['request.submit']}</button>
            </div>
          </form>
        </section>
      )}
    </>
  )
  return page(c, row.title, body, { section: 'catalogue', status: options.status })
}

function tierRank(tier: Sensitivity): number {
  return SENSITIVITY_LEVELS.indexOf(tier)
}
