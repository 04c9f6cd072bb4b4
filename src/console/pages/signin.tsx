// Signing in and out. Sign-in takes a client id and secret, checked by the token endpoint's own
// code (src/identity/service.ts authenticateClient) behind the same failed-attempt brake.

import { ApiError } from '../../http/errors.js'
import type { AppContext } from '../../http/env.js'
import { authenticateClient } from '../../identity/service.js'
import { consoleAction, consolePath, formChecked, page, parsedForm, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext } from '../context.js'
import { fill } from '../i18n.js'
import { ErrorBox, Notice } from '../layout.js'
import { currentSession, fromThisOrigin, signIn, signInFormToken, signInTokenMatches, signOut } from '../session.js'

const MAX_CREDENTIAL_LENGTH = 256

export function registerSignInPages(app: ConsoleApp) {
  app.get('/sign-in', async (c) => {
    if (await currentSession(c as unknown as AppContext)) return c.redirect(consolePath(c.req.query('next')), 303)
    const { t } = c.get('view')
    const notice = c.req.query('done') === 'signed-out' ? t['signin.signed_out'] : undefined
    return signInPage(c, { notice })
  })

  app.post('/sign-in', async (c) => {
    const { t } = c.get('view')
    const form = await parsedForm(c)
    if (!fromThisOrigin(c) || !signInTokenMatches(c, single(form, 'csrf'))) {
      throw new ApiError('forbidden', t['app.csrf_failed'], { csrf: true })
    }
    const clientId = (single(form, 'client_id') ?? '').trim().slice(0, MAX_CREDENTIAL_LENGTH)
    const secret = (single(form, 'client_secret') ?? '').slice(0, MAX_CREDENTIAL_LENGTH)
    const next = consolePath(single(form, 'next'))
    if (!clientId || !secret) return signInPage(c, { problem: t['signin.failed'], clientId, next, status: 400 })
    const services = c.get('services')
    const ctx = consoleAction(c)
    let result: Awaited<ReturnType<typeof authenticateClient>>
    try {
      result = await authenticateClient(services, ctx, clientId, secret, 'console.sign_in_refused')
    } catch (error) {
      if (error instanceof ApiError && error.code === 'rate_limited') {
        const seconds = error.extra.headers?.['Retry-After'] ?? '60'
        c.header('Retry-After', seconds)
        return signInPage(c, { problem: fill(t['signin.rate_limited'], { seconds }), clientId, next, status: 429 })
      }
      throw error
    }
    if ('refused' in result) return signInPage(c, { problem: t['signin.failed'], clientId, next, status: 401 })
    await signIn(c as unknown as AppContext, services, ctx, result.client)
    return c.redirect(next, 303)
  })

  app.post('/sign-out', signedIn(), formChecked(), async (c) => {
    const session = sessionOf(c)
    await signOut(c as unknown as AppContext, session, consoleAction(c))
    return c.redirect('/console/sign-in?done=signed-out', 303)
  })
}

function signInPage(c: ConsoleContext, options: { notice?: string | undefined; problem?: string; clientId?: string; next?: string; status?: number }) {
  const { t } = c.get('view')
  const token = signInFormToken(c)
  const next = options.next ?? consolePath(c.req.query('next'))
  const body = (
    <div class="signin">
      <Notice text={options.notice} />
      <ErrorBox problem={options.problem ? { detail: options.problem } : undefined} t={t} />
      <p>{t['signin.intro']}</p>
      <form class="stack" method="post" action="/console/sign-in">
        <input type="hidden" name="csrf" value={token} />
        <input type="hidden" name="next" value={next} />
        <div class="field">
          <label for="client_id">{t['signin.client_id']}</label>
          <input type="text" id="client_id" name="client_id" required autocomplete="username" spellcheck={false} value={options.clientId ?? ''} maxlength={MAX_CREDENTIAL_LENGTH} />
        </div>
        <div class="field">
          <label for="client_secret">{t['signin.client_secret']}</label>
          <input type="password" id="client_secret" name="client_secret" required autocomplete="current-password" maxlength={MAX_CREDENTIAL_LENGTH} />
        </div>
        <div>
          <button type="submit">{t['signin.submit']}</button>
        </div>
      </form>
    </div>
  )
  return page(c, t['signin.title'], body, { status: options.status })
}
