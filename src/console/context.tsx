// What every console handler shares: its Hono environment, the guards (signed in, with a role the
// API would also demand; forms from this origin with the session's token), rendering a page, and
// turning a service's ApiError into a readable answer.

import type { Context, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { html } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { ActionContext } from '../audit/recorder.js'
import type { AppContext, AppEnv, Principal } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { actionContext } from '../identity/middleware.js'
import type { Role } from '../identity/repository.js'
import { DEFAULT_LANG, dictionaries, fill, isLang, LANG_COOKIE } from './i18n.js'
import { ErrorBox, Layout, type ShownProblem, type View } from './layout.js'
import { constantTimeEqual, currentSession, fromThisOrigin, type ConsoleSession } from './session.js'

export type FormFields = Record<string, string | File | (string | File)[]>

export type ConsoleEnv = {
  Bindings: AppEnv['Bindings']
  Variables: AppEnv['Variables'] & { view: View; session?: ConsoleSession; form?: FormFields }
}

export type ConsoleContext = Context<ConsoleEnv>
export type ConsoleApp = Hono<ConsoleEnv>

/** Sets the language and the view; HTML answers are never cached. */
export function consoleBase(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const chosen = getCookie(c, LANG_COOKIE)
    const lang = isLang(chosen) ? chosen : DEFAULT_LANG
    const url = new URL(c.req.url)
    c.set('view', { t: dictionaries[lang], lang, here: url.pathname + url.search })
    await next()
    // Referrer-Policy: same-origin is set for /console by src/http/limits.ts securityHeaders.
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store')
  }
}

/**
 * Lets a signed-in person through when they hold one of `roles` (any role when omitted) — the
 * same roles the API route behind the page demands. Signed out: to the sign-in page (GET) or 401.
 */
export function signedIn(roles?: readonly Role[], also?: (principal: Principal) => boolean): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = await currentSession(c as unknown as AppContext)
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        return c.redirect(`/console/sign-in?${new URLSearchParams({ next: c.get('view').here })}`, 303)
      }
      throw new ApiError('unauthorized', c.get('view').t['signin.expired'])
    }
    c.set('session', session)
    c.set('principal', session.principal)
    c.set('view', { ...c.get('view'), session })
    const allowed = (roles === undefined || session.principal.roles.some((r) => roles.includes(r))) && (also?.(session.principal) ?? true)
    if (!allowed) {
      const t = c.get('view').t
      throw new ApiError('forbidden', fill(t['app.forbidden_role'], { roles: (roles ?? []).map((r) => t[`role.${r}`]).join('、') || '—' }))
    }
    await next()
  }
}

/** A POST form of a signed-in session: from this origin, carrying the session's token. Parses the form. */
export function formChecked(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = c.get('session')
    const form = await parsedForm(c)
    const token = single(form, 'csrf')
    if (!session || !fromThisOrigin(c) || token === undefined || !constantTimeEqual(token, session.csrfToken)) {
      throw new ApiError('forbidden', c.get('view').t['app.csrf_failed'], { csrf: true })
    }
    c.set('form', form)
    await next()
  }
}

export async function parsedForm(c: ConsoleContext): Promise<FormFields> {
  const type = c.req.header('content-type') ?? ''
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return {}
  try {
    return await c.req.parseBody({ all: true })
  } catch {
    throw new ApiError('bad_request', 'the form could not be read')
  }
}

/** One text value of a form field (the first, if repeated). */
export function single(form: FormFields, name: string): string | undefined {
  const value = form[name]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first : undefined
}

/** Every text value of a repeated form field. */
export function every(form: FormFields, name: string): string[] {
  const value = form[name]
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return list.filter((v): v is string => typeof v === 'string')
}

export function sessionOf(c: ConsoleContext): ConsoleSession {
  const session = c.get('session')
  if (!session) throw new ApiError('unauthorized', c.get('view').t['signin.expired'])
  return session
}

export function principal(c: ConsoleContext): Principal {
  return sessionOf(c).principal
}

/** Who acts, from where, when: for the services, exactly as for an API call. */
export function consoleAction(c: ConsoleContext): ActionContext {
  return actionContext(c as unknown as AppContext)
}

/** A whole page, with its doctype. */
export function page(c: ConsoleContext, title: string, body: Child, options: { section?: string; status?: number } = {}) {
  const view = c.get('view')
  return c.html(
    html`<!doctype html>${(
      <Layout view={view} title={title} section={options.section}>
        {body}
      </Layout>
    )}`,
    (options.status ?? 200) as 200,
  )
}

/** The problem to show beside a form, for errors a person can correct (400, 409, 422); others propagate. */
export function correctable(error: unknown): ShownProblem | undefined {
  if (error instanceof ApiError && [400, 409, 422].includes(error.status)) {
    return { detail: error.detail, errors: error.extra.errors }
  }
  return undefined
}

/** The error page: the problem's title, detail, code and request id; never a stack trace. */
export function errorPage(c: ConsoleContext, error: ApiError) {
  const { t } = c.get('view')
  const body = (
    <>
      <ErrorBox problem={{ detail: error.status === 404 ? t['app.not_found'] : error.detail, errors: error.extra.errors }} t={t} />
      <dl class="facts">
        <dt>{t['app.error_code']}</dt>
        <dd>
          <code>{error.code}</code> ({error.status})
        </dd>
        <dt>{t['app.error_instance']}</dt>
        <dd>
          <code>{c.get('requestId')}</code>
        </dd>
      </dl>
      <p>
        <a href={c.get('session') ? '/console' : '/console/sign-in'}>{t['app.back']}</a>
      </p>
    </>
  )
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) c.header(name, value)
  return page(c, t['app.error_title'], body, { status: error.status })
}

/** Where a sign-in may send the browser back to: a console path of this gateway, nothing else. */
export function consolePath(candidate: string | undefined, fallback = '/console'): string {
  if (!candidate) return fallback
  return /^\/console(?:[/?#]|$)/.test(candidate) && !/[\\\s]|\/\/|\/\.|%2f|%5c|%2e/i.test(candidate) ? candidate : fallback
}

export function createConsoleApp(): ConsoleApp {
  return new Hono<ConsoleEnv>()
}
