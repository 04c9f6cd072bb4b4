// Grants: those the organisation holds or has given (the platform: all), active, ending soon or
// revoked; revoking one, after a confirmation page that asks for the reason. Revocation is the
// exchange service's: the owning department or an admin, effective on the very next read.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { findGrant, type GrantRow } from '../../exchange/repository.js'
import * as exchange from '../../exchange/service.js'
import { ApiError } from '../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import type { Principal } from '../../http/env.js'
import { consoleAction, correctable, formChecked, page, principal, signedIn, single, type ConsoleApp, type ConsoleContext } from '../context.js'
import { fill, type Dict } from '../i18n.js'
import { CsrfField, ErrorBox, link, Notice, Pager, Time, type ShownProblem } from '../layout.js'
import * as repo from '../repository.js'
import { maskLabel } from './requests.js'

const VIEWS = ['active', 'expiring', 'revoked'] as const
type GrantsView = (typeof VIEWS)[number]
const PAGE_SIZE = 25
const DEFAULT_DAYS = 30
const DAY_MS = 86_400_000
const REVOKERS = ['approver', 'publisher', 'admin'] as const

/** Whether the API would let this principal revoke this grant: the owning department, or an admin. */
function mayRevoke(who: Principal, grant: GrantRow): boolean {
  if (!who.roles.some((r) => (REVOKERS as readonly string[]).includes(r))) return false
  return (who.orgKind === 'platform' && who.roles.includes('admin')) || grant.provider_id === who.orgId
}

export function registerGrantPages(app: ConsoleApp) {
  app.get('/grants', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const now = services.clock.now()
    const requested = c.req.query('view')
    const view: GrantsView = VIEWS.find((v) => v === requested) ?? 'active'
    const daysText = c.req.query('days')
    const days = daysText && /^\d{1,4}$/.test(daysText) && Number(daysText) >= 1 ? Number(daysText) : DEFAULT_DAYS
    const cursor = c.req.query('cursor') || undefined
    let grants: GrantRow[]
    let next: string | null = null
    if (view === 'expiring') {
      const after = decodeCursor(cursor, z.object({ e: z.string(), id: z.string() }))
      grants = await repo.grantsExpiring(services.db, {
        orgId: who.orgKind === 'platform' ? null : who.orgId,
        now,
        until: new Date(now.getTime() + days * DAY_MS),
        after: after && { expiresAt: new Date(after.e), id: after.id },
        limit: PAGE_SIZE + 1,
      })
      const last = grants[PAGE_SIZE - 1]
      if (grants.length > PAGE_SIZE && last) next = link('/console/grants', { view, days, cursor: encodeCursor({ e: last.expires_at!.toISOString(), id: last.id }) })
    } else {
      const after = decodeCursor(cursor, z.object({ t: z.string(), id: z.string() }))
      grants = await exchange.listGrants(services, who, { status: view, after: after && { createdAt: new Date(after.t), id: after.id }, limit: PAGE_SIZE + 1 })
      const last = grants[PAGE_SIZE - 1]
      if (grants.length > PAGE_SIZE && last) next = link('/console/grants', { view, cursor: encodeCursor({ t: last.created_at.toISOString(), id: last.id }) })
    }
    const shown = grants.slice(0, PAGE_SIZE)
    const names = await repo.namesOf(services.db, shown.flatMap((g) => [g.dataset_id, g.consumer_org_id, g.provider_id]))
    const body = (
      <>
        <Notice text={c.req.query('done') === 'revoked' ? t['grants.revoked_done'] : undefined} />
        <ul class="tabs">
          {VIEWS.map((v) => (
            <li>
              <a href={link('/console/grants', { view: v })} aria-current={v === view ? 'page' : undefined}>
                {t[`grants.${v}`]}
              </a>
            </li>
          ))}
        </ul>
        {view === 'expiring' && (
          <form class="filters" method="get" action="/console/grants">
            <input type="hidden" name="view" value="expiring" />
            <div class="field">
              <label for="days">{t['grants.days']}</label>
              <input type="number" id="days" name="days" min={1} max={3660} value={String(days)} />
            </div>
            <button type="submit">{t['app.search']}</button>
          </form>
        )}
        <h2>{view === 'expiring' ? fill(t['grants.expiring_within'], { days }) : t[`grants.${view}`]}</h2>
        {shown.length === 0 ? (
          <p>{t['grants.empty']}</p>
        ) : (
          <GrantTable grants={shown} names={names} now={now} t={t} revocable={(g) => mayRevoke(who, g)} focus={c.req.query('focus')} />
        )}
        <Pager next={next} first={cursor ? link('/console/grants', { view, days: view === 'expiring' ? days : undefined }) : undefined} t={t} />
      </>
    )
    return page(c, t['grants.title'], body, { section: 'grants' })
  })

  app.get('/grants/:id/revoke', signedIn([...REVOKERS]), async (c) => revokePage(c, {}))

  app.post('/grants/:id/revoke', signedIn([...REVOKERS]), formChecked(), async (c) => {
    const { t } = c.get('view')
    const id = c.req.param('id')
    const reason = (single(c.get('form')!, 'reason') ?? '').trim()
    try {
      if (reason === '' || reason.length > 2000) {
        throw new ApiError('validation_failed', t['grants.revoke_reason'], { errors: [{ path: 'body.reason', message: t['grants.revoke_reason'], code: reason === '' ? 'required' : 'too_long' }] })
      }
      await exchange.revokeGrant(c.get('services'), consoleAction(c), id, reason)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return revokePage(c, { problem, status: (error as ApiError).status })
    }
    return c.redirect('/console/grants?view=revoked&done=revoked', 303)
  })
}

const GrantTable: FC<{ grants: GrantRow[]; names: Map<string, string>; now: Date; t: Dict; revocable: (g: GrantRow) => boolean; focus?: string | undefined }> = ({
  grants,
  names,
  now,
  t,
  revocable,
  focus,
}) => (
  <table>
    <thead>
      <tr>
        <th scope="col">{t['grants.id']}</th>
        <th scope="col">{t['request.dataset']}</th>
        <th scope="col">{t['grants.consumer']}</th>
        <th scope="col">{t['request.purpose']}</th>
        <th scope="col">{t['grants.fields']}</th>
        <th scope="col">{t['grants.row_filter']}</th>
        <th scope="col" class="num">
          {t['grants.quota']}
        </th>
        <th scope="col">{t['grants.expires']}</th>
        <th scope="col">{t['request.status']}</th>
        <th scope="col">{t['app.actions']}</th>
      </tr>
    </thead>
    <tbody>
      {grants.map((g) => {
        const status = exchange.grantStatus(g, now)
        return (
          <tr id={g.id} aria-current={focus === g.id ? 'true' : undefined}>
            <th scope="row" class="mono">
              {g.id}
            </th>
            <td>
              <a href={`/console/datasets/${encodeURIComponent(g.dataset_id)}`}>{names.get(g.dataset_id) ?? g.dataset_id}</a>
            </td>
            <td>{names.get(g.consumer_org_id) ?? g.consumer_org_id}</td>
            <td>{g.purpose}</td>
            <td>
              <GrantFields grant={g} t={t} />
            </td>
            <td>{rowFilterText(g, t)}</td>
            <td class="num">{g.daily_quota ?? t['grants.unlimited']}</td>
            <td>{g.expires_at ? <Time at={g.expires_at} /> : t['grants.never']}</td>
            <td>{status === 'expired' ? t['status.expired'] : t[`status.${status}`]}</td>
            <td>
              {status === 'active' && revocable(g) && (
                <a class="button secondary" href={`/console/grants/${encodeURIComponent(g.id)}/revoke`}>
                  {t['grants.revoke']}
                  <span class="sr-only"> {g.id}</span>
                </a>
              )}
            </td>
          </tr>
        )
      })}
    </tbody>
  </table>
)

const GrantFields: FC<{ grant: GrantRow; t: Dict }> = ({ grant, t }) => (
  <ul>
    {grant.fields.map((f) => (
      <li>
        <code>{f}</code>
        {grant.masks[f] ? ` (${maskLabel(grant.masks[f], t)})` : ''}
      </li>
    ))}
  </ul>
)

function rowFilterText(grant: GrantRow, t: Dict): string {
  if (grant.row_filter.length === 0) return '—'
  return grant.row_filter.map((cond) => `${cond.field} ${t[`op.${cond.op}`]} ${cond.op === 'in' ? cond.values.join(', ') : cond.value}`).join('; ')
}

async function revokePage(c: ConsoleContext, options: { problem?: ShownProblem | undefined; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const id = c.req.param('id') ?? ''
  const grant = await findGrant(services.db, id)
  // The same answer as GET /v1/grants gives: another organisation's grant does not exist.
  if (!grant || (who.orgKind !== 'platform' && grant.provider_id !== who.orgId && grant.consumer_org_id !== who.orgId)) {
    throw new ApiError('not_found', `grant ${id} not found`)
  }
  if (!mayRevoke(who, grant)) throw new ApiError('forbidden', t['grants.cannot_revoke'])
  const names = await repo.namesOf(services.db, [grant.dataset_id, grant.consumer_org_id])
  const active = exchange.grantStatus(grant, services.clock.now()) === 'active'
  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <dl class="facts">
        <dt>{t['request.dataset']}</dt>
        <dd>{names.get(grant.dataset_id) ?? grant.dataset_id}</dd>
        <dt>{t['grants.consumer']}</dt>
        <dd>{names.get(grant.consumer_org_id) ?? grant.consumer_org_id}</dd>
        <dt>{t['request.purpose']}</dt>
        <dd>{grant.purpose}</dd>
        <dt>{t['grants.fields']}</dt>
        <dd>
          <GrantFields grant={grant} t={t} />
        </dd>
        <dt>{t['grants.expires']}</dt>
        <dd>{grant.expires_at ? <Time at={grant.expires_at} /> : t['grants.never']}</dd>
        <dt>{t['request.status']}</dt>
        <dd>{t[`status.${exchange.grantStatus(grant, services.clock.now())}`]}</dd>
      </dl>
      {active && (
        <form class="stack" method="post" action={`/console/grants/${encodeURIComponent(grant.id)}/revoke`}>
          <CsrfField token={c.get('session')!.csrfToken} />
          <p>
            <strong>{t['grants.revoke_confirm']}</strong>
          </p>
          <div class="field">
            <label for="reason">{t['grants.revoke_reason']}</label>
            <textarea id="reason" name="reason" required maxlength={2000} />
          </div>
          <div>
            <button type="submit" class="danger">
              {t['grants.revoke_submit']}
            </button>{' '}
            <a href="/console/grants">{t['app.back']}</a>
          </div>
        </form>
      )}
    </>
  )
  return page(c, fill(t['grants.revoke_title'], { id: grant.id }), body, { section: 'grants', status: options.status })
}
