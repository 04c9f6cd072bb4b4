// One organisation's page: its facts; for admins its clients (never a secret) with the form that
// issues one; for admins and the organisation's own members its webhook and the delivery log
// (src/notify decides who may see them, exactly as GET /v1/orgs/{id}/webhook does).

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { ApiError } from '../../../http/errors.js'
import type { Principal } from '../../../http/env.js'
import { decodeCursor, encodeCursor } from '../../../http/pagination.js'
import type { ClientRow, OrgRow, Role } from '../../../identity/repository.js'
import * as identity from '../../../identity/service.js'
import type { DeliveryStatus, WebhookRow } from '../../../notify/repository.js'
import * as notify from '../../../notify/service.js'
import { every, page, principal, sessionOf, single, type ConsoleContext, type FormFields } from '../../context.js'
import { fill, type Dict } from '../../i18n.js'
import { CsrfField, ErrorBox, link, Notice, Pager, Time, type ShownProblem } from '../../layout.js'
import * as consoleRepo from '../../repository.js'
import { answeringFor, FieldError, invalidProps, isAdmin, levelLabel, orgKindLabel, orgStatusLabel, pick, rolesLabel } from './shared.js'

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed']
const DELIVERIES_SHOWN = 20
const PLATFORM_ROLES: readonly Role[] = ['admin', 'auditor', 'publisher', 'approver', 'consumer']
const MEMBER_ROLES: readonly Role[] = ['publisher', 'approver', 'consumer']
const DONE = ['created', 'suspended', 'reinstated', 'client_revoked', 'webhook_saved', 'webhook_deleted'] as const

/** The roles a client of this organisation may hold: admin and auditor are the platform's only. */
export function rolesFor(org: OrgRow): readonly Role[] {
  return org.kind === 'platform' ? PLATFORM_ROLES : MEMBER_ROLES
}

/** Whether the webhook and its log are this principal's to see: admins, and the organisation's own members. */
const mayViewWebhook = (who: Principal, orgId: string) => (who.orgKind === 'platform' && isAdmin(who)) || who.orgId === orgId

export interface OrgPageOptions {
  status?: number
  /** A refused issue-client form, shown again with its problem. */
  clients?: { problem: ShownProblem; submitted: FormFields }
  /** A refused webhook form, shown again with its problem. */
  webhook?: { problem: ShownProblem; submitted: FormFields }
}

export async function orgPage(c: ConsoleContext, options: OrgPageOptions = {}) {
  const { t } = c.get('view')
  const services = c.get('services')
  const who = principal(c)
  const id = c.req.param('id') ?? ''
  const org = await identity.getOrg(services.db, id)
  const here = `/console/orgs/${encodeURIComponent(org.id)}`
  answeringFor(c, here)
  const admin = isAdmin(who)
  const names = await consoleRepo.namesOf(services.db, org.parent_id ? [org.parent_id] : [])
  const clients = admin ? await identity.listClients(services.db, org.id) : []
  const showWebhook = mayViewWebhook(who, org.id)
  const webhook = showWebhook ? await webhookOf(c, who, org.id) : undefined
  const deliveryStatus = pick(DELIVERY_STATUSES, c.req.query('delivery_status'))
  const cursor = c.req.query('deliveries') || undefined
  const before = decodeCursor(cursor, z.object({ d: z.number().int().positive() }))
  const deliveries = showWebhook
    ? await notify.listDeliveries(services.db, who, { orgId: org.id, status: deliveryStatus, beforeId: before?.d, limit: DELIVERIES_SHOWN + 1 })
    : []
  const shown = deliveries.slice(0, DELIVERIES_SHOWN)
  const last = shown.at(-1)
  const next = deliveries.length > DELIVERIES_SHOWN && last ? `${link(here, { delivery_status: deliveryStatus, deliveries: encodeCursor({ d: last.delivery.id }) })}#deliveries` : null
  const done = pick(DONE, c.req.query('done'))
  const csrf = sessionOf(c).csrfToken

  const body = (
    <>
      <Notice text={done ? t[`orgs.done_${done}`] : undefined} />
      <OrgFacts org={org} parentName={org.parent_id ? names.get(org.parent_id) : undefined} t={t} />
      {admin && org.kind !== 'platform' && (
        <p>
          {org.status === 'active' ? (
            <a class="button secondary" href={`${here}/suspend`}>
              {t['orgs.suspend']}
            </a>
          ) : (
            <a class="button secondary" href={`${here}/reinstate`}>
              {t['orgs.reinstate']}
            </a>
          )}
        </p>
      )}
      {admin && <ClientsSection org={org} clients={clients} csrf={csrf} refused={options.clients} t={t} />}
      {showWebhook && (
        <section aria-labelledby="webhook">
          <h2 id="webhook">{t['webhook.title']}</h2>
          <WebhookFacts webhook={webhook} t={t} />
          {admin && <WebhookForm orgId={org.id} webhook={webhook} csrf={csrf} refused={options.webhook} t={t} />}
          <h3 id="deliveries">{t['webhook.deliveries']}</h3>
          <form class="filters" method="get" action={`${here}#deliveries`}>
            <div class="field">
              <label for="delivery_status">{t['webhook.delivery_status']}</label>
              <select id="delivery_status" name="delivery_status">
                <option value="">{t['catalogue.any']}</option>
                {DELIVERY_STATUSES.map((s) => (
                  <option value={s} selected={s === deliveryStatus}>
                    {t[`webhook.status.${s}`]}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">{t['app.search']}</button>
          </form>
          {shown.length === 0 ? <p>{t['webhook.no_deliveries']}</p> : <DeliveryTable views={shown} t={t} />}
          <Pager next={next} first={cursor ? `${link(here, { delivery_status: deliveryStatus })}#deliveries` : undefined} t={t} />
        </section>
      )}
      <p>
        <a href="/console/orgs">{t['orgs.back_to_list']}</a>
      </p>
    </>
  )
  return page(c, org.name, body, { section: 'orgs', status: options.status })
}

/** The webhook, or undefined when the organisation has none. */
async function webhookOf(c: ConsoleContext, who: Principal, orgId: string): Promise<WebhookRow | undefined> {
  try {
    return await notify.getWebhook(c.get('services').db, who, orgId)
  } catch (error) {
    if (error instanceof ApiError && error.code === 'not_found') return undefined
    throw error
  }
}

export const OrgFacts: FC<{ org: OrgRow; parentName?: string | undefined; t: Dict }> = ({ org, parentName, t }) => (
  <dl class="facts">
    <dt>{t['orgs.id']}</dt>
    <dd class="mono">{org.id}</dd>
    <dt>{t['orgs.kind']}</dt>
    <dd>{orgKindLabel(org.kind, t)}</dd>
    {org.kind === 'department' && (
      <>
        <dt>{t['orgs.level']}</dt>
        <dd>{levelLabel(org.level, t)}</dd>
        <dt>{t['orgs.region_code']}</dt>
        <dd class="mono">{org.region_code ?? '—'}</dd>
        <dt>{t['orgs.parent']}</dt>
        <dd>{org.parent_id ? <a href={`/console/orgs/${encodeURIComponent(org.parent_id)}`}>{parentName ?? org.parent_id}</a> : '—'}</dd>
      </>
    )}
    {org.kind === 'social_org' && (
      <>
        <dt>{t['orgs.uscc']}</dt>
        <dd>
          <span class="mono">{org.uscc ?? '—'}</span>
          {org.uscc_reviewed && <span> ({t['orgs.uscc_reviewed_note']})</span>}
        </dd>
      </>
    )}
    <dt>{t['orgs.status']}</dt>
    <dd>
      <OrgStatus status={org.status} t={t} />
    </dd>
    <dt>{t['orgs.created_at']}</dt>
    <dd>
      <Time at={org.created_at} />
    </dd>
  </dl>
)

export const OrgStatus: FC<{ status: OrgRow['status']; t: Dict }> = ({ status, t }) => (
  <span class={status === 'active' ? 'verdict-ok' : 'verdict-bad'}>{orgStatusLabel(status, t)}</span>
)

const ClientsSection: FC<{ org: OrgRow; clients: ClientRow[]; csrf: string; refused: OrgPageOptions['clients']; t: Dict }> = ({ org, clients, csrf, refused, t }) => {
  const value = (name: string) => (refused ? (single(refused.submitted, name) ?? '') : '')
  const checked = new Set(refused ? every(refused.submitted, 'roles') : [])
  const problem = refused?.problem
  return (
    <section aria-labelledby="clients">
      <h2 id="clients">{t['clients.title']}</h2>
      <p class="hint">{t['clients.no_secrets']}</p>
      {clients.length === 0 ? (
        <p>{t['clients.empty']}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t['clients.id']}</th>
              <th scope="col">{t['clients.name']}</th>
              <th scope="col">{t['clients.roles']}</th>
              <th scope="col">{t['orgs.status']}</th>
              <th scope="col">{t['orgs.created_at']}</th>
              <th scope="col">{t['app.actions']}</th>
            </tr>
          </thead>
          <tbody>
            {clients.map((client) => (
              <tr>
                <th scope="row" class="mono">
                  {client.id}
                </th>
                <td>{client.name}</td>
                <td>{rolesLabel(client.roles, t)}</td>
                <td>
                  {client.status === 'active' ? (
                    <span class="verdict-ok">{t['clients.active']}</span>
                  ) : (
                    <span class="verdict-bad">
                      {t['clients.revoked']} <Time at={client.revoked_at} />
                    </span>
                  )}
                </td>
                <td>
                  <Time at={client.created_at} />
                </td>
                <td>
                  {client.status === 'active' && (
                    <a class="button secondary" href={`/console/clients/${encodeURIComponent(client.id)}/revoke`}>
                      {t['clients.revoke']}
                      <span class="sr-only"> {client.id}</span>
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 id="issue">{t['clients.issue']}</h3>
      <ErrorBox problem={problem} t={t} />
      {org.status !== 'active' ? (
        <p>{t['clients.org_suspended']}</p>
      ) : (
        <form class="stack" method="post" action={`/console/orgs/${encodeURIComponent(org.id)}/clients`} aria-labelledby="issue">
          <CsrfField token={csrf} />
          {/* New with each page: sending the same form again (a reload of the answer) issues nothing. */}
          <input type="hidden" name="idempotency_key" value={crypto.randomUUID()} />
          <div class="field">
            <label for="client_name">{t['clients.name']}</label>
            <input type="text" id="client_name" name="name" required maxlength={200} value={value('name')} {...invalidProps(problem, 'body.name', 'client_name')} />
            <FieldError problem={problem} path="body.name" id="client_name" />
          </div>
          <fieldset class="choices" {...invalidProps(problem, 'body.roles', 'client_roles')}>
            <legend>{t['clients.roles']}</legend>
            {rolesFor(org).map((role) => (
              <label>
                <input type="checkbox" name="roles" value={role} checked={checked.has(role)} /> {t[`role.${role}`]}
              </label>
            ))}
            <FieldError problem={problem} path="body.roles" id="client_roles" />
          </fieldset>
          <p class="hint">{t['clients.issue_hint']}</p>
          <div>
            <button type="submit">{t['clients.issue_submit']}</button>
          </div>
        </form>
      )}
    </section>
  )
}

const WebhookFacts: FC<{ webhook: WebhookRow | undefined; t: Dict }> = ({ webhook, t }) =>
  webhook ? (
    <dl class="facts">
      <dt>{t['webhook.url']}</dt>
      <dd class="mono">{webhook.url}</dd>
      <dt>{t['webhook.state']}</dt>
      <dd>{webhook.active ? <span class="verdict-ok">{t['webhook.active']}</span> : <span class="verdict-bad">{t['webhook.paused']}</span>}</dd>
      <dt>{t['webhook.created_at']}</dt>
      <dd>
        <Time at={webhook.created_at} />
      </dd>
      <dt>{t['webhook.updated_at']}</dt>
      <dd>
        <Time at={webhook.updated_at} />
      </dd>
    </dl>
  ) : (
    <p>{t['webhook.none']}</p>
  )

const WebhookForm: FC<{ orgId: string; webhook: WebhookRow | undefined; csrf: string; refused: OrgPageOptions['webhook']; t: Dict }> = ({ orgId, webhook, csrf, refused, t }) => {
  const problem = refused?.problem
  const url = refused ? (single(refused.submitted, 'url') ?? '') : (webhook?.url ?? '')
  const active = refused ? single(refused.submitted, 'active') === 'true' : (webhook?.active ?? true)
  const action = `/console/orgs/${encodeURIComponent(orgId)}/webhook`
  return (
    <>
      <form class="stack" method="post" action={action} aria-label={webhook ? t['webhook.change'] : t['webhook.create']}>
        <CsrfField token={csrf} />
        <ErrorBox problem={problem} t={t} />
        <div class="field">
          <label for="webhook_url">{t['webhook.url']}</label>
          <input type="url" id="webhook_url" name="url" required maxlength={2000} value={url} {...invalidProps(problem, 'body.url', 'webhook_url')} />
          <FieldError problem={problem} path="body.url" id="webhook_url" />
          <p class="hint">{t['webhook.url_hint']}</p>
        </div>
        <fieldset class="choices">
          <legend>{t['webhook.options']}</legend>
          <label>
            <input type="checkbox" name="active" value="true" checked={active} /> {t['webhook.active_label']}
          </label>
          {webhook && (
            <label>
              <input type="checkbox" name="rotate_secret" value="true" checked={refused ? single(refused.submitted, 'rotate_secret') === 'true' : false} /> {t['webhook.rotate_label']}
            </label>
          )}
        </fieldset>
        <p class="hint">{webhook ? t['webhook.secret_kept'] : t['webhook.secret_once']}</p>
        <div>
          <button type="submit">{webhook ? t['webhook.save'] : t['webhook.create']}</button>
        </div>
      </form>
      {webhook && (
        <p>
          <a class="button secondary" href={`${action}/delete`}>
            {t['webhook.delete']}
          </a>
        </p>
      )}
    </>
  )
}

const DeliveryTable: FC<{ views: notify.DeliveryView[]; t: Dict }> = ({ views, t }) => (
  <table>
    <thead>
      <tr>
        <th scope="col">{t['webhook.event']}</th>
        <th scope="col">{t['webhook.subject']}</th>
        <th scope="col">{t['webhook.delivery_status']}</th>
        <th scope="col" class="num">
          {t['webhook.attempts']}
        </th>
        <th scope="col">{t['webhook.last_answer']}</th>
        <th scope="col">{t['webhook.emitted_at']}</th>
        <th scope="col">{t['webhook.delivered_or_next']}</th>
      </tr>
    </thead>
    <tbody>
      {views.map(({ delivery, attempts }) => (
        <tr>
          <th scope="row" class="mono">
            {delivery.event_type}
          </th>
          <td class="mono">{delivery.subject_id}</td>
          <td>
            <span class={delivery.status === 'delivered' ? 'verdict-ok' : delivery.status === 'failed' ? 'verdict-bad' : undefined}>{t[`webhook.status.${delivery.status}`]}</span>
          </td>
          <td class="num">
            {attempts.length > 0 ? (
              <details>
                <summary>
                  {delivery.attempts}
                  <span class="sr-only"> {t['webhook.attempt_log']}</span>
                </summary>
                <ol class="attempts">
                  {attempts.map((a) => (
                    <li>
                      <Time at={a.at} /> · {a.http_status ?? '—'} · {a.duration_ms} ms{a.error ? ` · ${a.error}` : ''}
                    </li>
                  ))}
                </ol>
              </details>
            ) : (
              delivery.attempts
            )}
          </td>
          <td>{delivery.last_http_status !== null ? fill(t['webhook.http_status'], { status: delivery.last_http_status }) : (delivery.last_error ?? '—')}</td>
          <td>
            <Time at={delivery.created_at} />
          </td>
          <td>{delivery.status === 'delivered' ? <Time at={delivery.delivered_at} /> : delivery.status === 'pending' ? <Time at={delivery.next_attempt_at} /> : '—'}</td>
        </tr>
      ))}
    </tbody>
  </table>
)
