// An organisation's webhook, for admins: setting it (notify.setWebhook, with the API's
// WebhookInputSchema) answers its signing secret once when it is created or rotated — on a page
// that is never cached —, and removing it after a confirmation page. Reading it and its delivery
// log is on the organisation's page.

import { ApiError } from '../../../http/errors.js'
import * as identity from '../../../identity/service.js'
import { WebhookInputSchema } from '../../../notify/schemas.js'
import * as notify from '../../../notify/service.js'
import { consoleAction, correctable, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext } from '../../context.js'
import { fill } from '../../i18n.js'
import { CsrfField, ErrorBox, type ShownProblem } from '../../layout.js'
import { SECRET_HEADERS } from './clients.js'
import { orgPage } from './org-page.js'
import { ADMIN, answeringFor, formProblem, issuesOf, SecretValue } from './shared.js'

export function registerWebhookPages(app: ConsoleApp) {
  app.post('/orgs/:id/webhook', signedIn(ADMIN), formChecked(), async (c) => {
    const { t } = c.get('view')
    const form = c.get('form')!
    const services = c.get('services')
    const orgId = c.req.param('id') ?? ''
    let answer: notify.WebhookAnswer
    try {
      const parsed = WebhookInputSchema.safeParse({
        url: (single(form, 'url') ?? '').trim(),
        active: single(form, 'active') === 'true',
        rotate_secret: single(form, 'rotate_secret') === 'true',
      })
      if (!parsed.success) throw formProblem(issuesOf(parsed.error.issues))
      answer = await notify.setWebhook(services.db, consoleAction(c), orgId, parsed.data)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return orgPage(c, { webhook: { problem, submitted: form }, status: (error as ApiError).status })
    }
    const here = `/console/orgs/${encodeURIComponent(orgId)}`
    if (answer.secret === null) return c.redirect(`${here}?done=webhook_saved#webhook`, 303)
    const org = await identity.getOrg(services.db, orgId)
    answeringFor(c, here)
    for (const [name, value] of Object.entries(SECRET_HEADERS)) c.header(name, value)
    const body = (
      <>
        <div class="secret-box" role="alert">
          <p>
            <strong>{t['webhook.secret_shown_once']}</strong>
          </p>
          <p>{answer.created ? t['webhook.secret_created_detail'] : t['webhook.secret_rotated_detail']}</p>
        </div>
        <dl class="facts">
          <dt>{t['orgs.name']}</dt>
          <dd>{org.name}</dd>
          <dt>{t['webhook.url']}</dt>
          <dd class="mono">{answer.webhook.url}</dd>
        </dl>
        <SecretValue id="webhook_secret" label={t['webhook.secret']} value={answer.secret} />
        <p>
          <a href={`${here}#webhook`}>{t['clients.secret_done']}</a>
        </p>
      </>
    )
    return page(c, answer.created ? t['webhook.created_title'] : t['webhook.rotated_title'], body, { section: 'orgs', status: answer.created ? 201 : 200 })
  })

  app.get('/orgs/:id/webhook/delete', signedIn(ADMIN), async (c) => deletePage(c, {}))

  app.post('/orgs/:id/webhook/delete', signedIn(ADMIN), formChecked(), async (c) => {
    const orgId = c.req.param('id') ?? ''
    try {
      await notify.deleteWebhook(c.get('services').db, consoleAction(c), orgId)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return deletePage(c, { problem, status: (error as ApiError).status })
    }
    return c.redirect(`/console/orgs/${encodeURIComponent(orgId)}?done=webhook_deleted#webhook`, 303)
  })
}

async function deletePage(c: ConsoleContext, options: { problem?: ShownProblem; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const org = await identity.getOrg(services.db, c.req.param('id') ?? '')
  const webhook = await notify.getWebhook(services.db, principal(c), org.id)
  const here = `/console/orgs/${encodeURIComponent(org.id)}`
  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <dl class="facts">
        <dt>{t['orgs.name']}</dt>
        <dd>{org.name}</dd>
        <dt>{t['webhook.url']}</dt>
        <dd class="mono">{webhook.url}</dd>
      </dl>
      <form class="stack" method="post" action={`${here}/webhook/delete`}>
        <CsrfField token={sessionOf(c).csrfToken} />
        <p>
          <strong>{t['webhook.delete_confirm']}</strong>
        </p>
        <div>
          <button type="submit" class="danger">
            {t['webhook.delete_submit']}
          </button>{' '}
          <a href={`${here}#webhook`}>{t['app.back']}</a>
        </div>
      </form>
    </>
  )
  return page(c, fill(t['webhook.delete_title'], { name: org.name }), body, { section: 'orgs', status: options.status })
}
