// API clients: issuing one (admins, through identity.issueClient with the API's NewClientSchema)
// answers a page that shows the client id and secret once — never stored, never cached, never
// shown again; the form's idempotency key makes a resent form (a reload) issue nothing —, and
// revoking one after a confirmation page.

import { ApiError } from '../../../http/errors.js'
import { IDEMPOTENCY_KEY_PATTERN } from '../../../http/openapi.js'
import { NewClientSchema } from '../../../identity/schemas.js'
import * as identity from '../../../identity/service.js'
import { consoleAction, correctable, every, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext } from '../../context.js'
import { fill } from '../../i18n.js'
import { CsrfField, ErrorBox, Time, type ShownProblem } from '../../layout.js'
import { orgPage } from './org-page.js'
import * as repo from './repository.js'
import { ADMIN, answeringFor, formProblem, issuesOf, rolesLabel, SecretValue } from './shared.js'

/** For pages that show a secret: no cache anywhere, and no copy of the page in the browser's history cache either. */
export const SECRET_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const

export function registerClientPages(app: ConsoleApp) {
  app.post('/orgs/:id/clients', signedIn(ADMIN), formChecked(), async (c) => {
    const { t } = c.get('view')
    const form = c.get('form')!
    const orgId = c.req.param('id') ?? ''
    let issued: identity.IssuedClient
    try {
      const parsed = NewClientSchema.safeParse({ name: single(form, 'name') ?? '', roles: every(form, 'roles') })
      if (!parsed.success) throw formProblem(issuesOf(parsed.error.issues))
      const key = single(form, 'idempotency_key')
      issued = await identity.issueClient(c.get('services').db, consoleAction(c), orgId, parsed.data, key && IDEMPOTENCY_KEY_PATTERN.test(key) ? key : undefined)
    } catch (error) {
      if (error instanceof ApiError && error.extra.reason === 'already_issued') return alreadyIssued(c, orgId, String(error.extra.client_id))
      const problem = correctable(error)
      if (!problem) throw error
      return orgPage(c, { clients: { problem, submitted: form }, status: (error as ApiError).status })
    }
    const { client, secret } = issued
    const org = await identity.getOrg(c.get('services').db, client.org_id)
    answeringFor(c, `/console/orgs/${encodeURIComponent(org.id)}`)
    for (const [name, value] of Object.entries(SECRET_HEADERS)) c.header(name, value)
    const body = (
      <>
        <div class="secret-box" role="alert">
          <p>
            <strong>{t['clients.secret_once']}</strong>
          </p>
          <p>{t['clients.secret_once_detail']}</p>
        </div>
        <dl class="facts">
          <dt>{t['orgs.name']}</dt>
          <dd>{org.name}</dd>
          <dt>{t['clients.name']}</dt>
          <dd>{client.name}</dd>
          <dt>{t['clients.roles']}</dt>
          <dd>{rolesLabel(client.roles, t)}</dd>
        </dl>
        <SecretValue id="issued_client_id" label={t['signin.client_id']} value={client.id} />
        <SecretValue id="issued_client_secret" label={t['signin.client_secret']} value={secret} />
        <p>
          <a href={`/console/orgs/${encodeURIComponent(org.id)}#clients`}>{t['clients.secret_done']}</a>
        </p>
      </>
    )
    return page(c, t['clients.issued_title'], body, { section: 'orgs', status: 201 })
  })

  app.get('/clients/:id/revoke', signedIn(ADMIN), async (c) => revokePage(c, {}))

  app.post('/clients/:id/revoke', signedIn(ADMIN), formChecked(), async (c) => {
    const services = c.get('services')
    const id = c.req.param('id') ?? ''
    const client = await repo.findClientWithOrg(services.db, id)
    try {
      await identity.revokeClient(services, consoleAction(c), id)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return revokePage(c, { problem, status: (error as ApiError).status })
    }
    // Revoking the client this session signed in with ends the session: the next page asks to sign in.
    return c.redirect(`/console/orgs/${encodeURIComponent(client!.org_id)}?done=client_revoked#clients`, 303)
  })
}


/** The answer to a form sent again: the client it issued the first time, and no secret. */
function alreadyIssued(c: ConsoleContext, orgId: string, clientId: string) {
  const { t } = c.get('view')
  answeringFor(c, `/console/orgs/${encodeURIComponent(orgId)}`)
  const body = (
    <>
      <p role="status">{fill(t['clients.already_issued'], { id: clientId })}</p>
      <p>
        <a href={`/console/orgs/${encodeURIComponent(orgId)}#clients`}>{t['app.back']}</a>
      </p>
    </>
  )
  return page(c, t['clients.already_issued_title'], body, { section: 'orgs', status: 409 })
}

async function revokePage(c: ConsoleContext, options: { problem?: ShownProblem; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const id = c.req.param('id') ?? ''
  const client = await repo.findClientWithOrg(services.db, id)
  if (!client) throw new ApiError('not_found', `client ${id} not found`)
  const own = client.id === principal(c).clientId
  const orgHref = `/console/orgs/${encodeURIComponent(client.org_id)}`
  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <dl class="facts">
        <dt>{t['clients.id']}</dt>
        <dd class="mono">{client.id}</dd>
        <dt>{t['clients.name']}</dt>
        <dd>{client.name}</dd>
        <dt>{t['orgs.name']}</dt>
        <dd>
          <a href={orgHref}>{client.org_name}</a>
        </dd>
        <dt>{t['clients.roles']}</dt>
        <dd>{rolesLabel(client.roles, t)}</dd>
        <dt>{t['orgs.created_at']}</dt>
        <dd>
          <Time at={client.created_at} />
        </dd>
        <dt>{t['orgs.status']}</dt>
        <dd>{client.status === 'active' ? t['clients.active'] : t['clients.revoked']}</dd>
      </dl>
      {client.status !== 'active' ? (
        <p>{t['clients.already_revoked']}</p>
      ) : (
        <form class="stack" method="post" action={`/console/clients/${encodeURIComponent(client.id)}/revoke`}>
          <CsrfField token={sessionOf(c).csrfToken} />
          <p>
            <strong>{t['clients.revoke_confirm']}</strong>
          </p>
          {own && <p class="error-box">{t['clients.revoke_own']}</p>}
          <div>
            <button type="submit" class="danger">
              {t['clients.revoke_submit']}
            </button>{' '}
            <a href={orgHref}>{t['app.back']}</a>
          </div>
        </form>
      )}
    </>
  )
  return page(c, fill(t['clients.revoke_title'], { id: client.id }), body, { section: 'orgs', status: options.status })
}
