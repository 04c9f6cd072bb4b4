// The web console, served by the gateway itself at /console (Node and Workers alike): HTML
// rendered on the server with hono/jsx, plain forms and links, no script, nothing from elsewhere.
// Its pages call the same services as the API with a principal built from the session, so what
// a person may see and do is exactly what their client may see and do through the API.
// HTML pages are not API operations: they stay out of the OpenAPI document.

import { HTTPException } from 'hono/http-exception'
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { consoleCss, consoleIcon } from './assets.js'
import { consoleBase, consolePath, createConsoleApp, errorPage, type ConsoleContext } from './context.js'
import { DEFAULT_LANG, dictionaries, isLang, LANG_COOKIE } from './i18n.js'
import { registerAdminPages } from './pages/admin/index.js'
import { registerAuditPages } from './pages/audit.js'
import { registerCataloguePages } from './pages/catalogue.js'
import { registerGrantPages } from './pages/grants.js'
import { registerHomePage } from './pages/home.js'
import { registerObjectionPages } from './pages/objections.js'
import { registerRatingPages } from './pages/ratings.js'
import { registerRequestPages } from './pages/requests.js'
import { registerSignInPages } from './pages/signin.js'
import { registerSupervisionPages } from './pages/supervision.js'
import { isHttps } from './session.js'

const ASSET_HEADERS = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }

export function registerConsole(app: OpenAPIHono<AppEnv>) {
  const pages = createConsoleApp()
  pages.use('*', consoleBase())

  pages.get('/assets/console.css', (c) => c.body(consoleCss, 200, { ...ASSET_HEADERS, 'content-type': 'text/css; charset=utf-8' }))
  pages.get('/assets/icon.svg', (c) => c.body(consoleIcon, 200, { ...ASSET_HEADERS, 'content-type': 'image/svg+xml' }))

  // A preference, not a change of state: a GET that sets a cookie and goes back where it came from.
  pages.get('/lang', (c) => {
    const to = c.req.query('to')
    if (isLang(to)) {
      c.header('Set-Cookie', `${LANG_COOKIE}=${to}; Path=/; Max-Age=31536000; SameSite=Lax${isHttps(c) ? '; Secure' : ''}`)
    }
    return c.redirect(consolePath(c.req.query('back')), 303)
  })

  registerSignInPages(pages)
  registerHomePage(pages)
  registerCataloguePages(pages)
  registerRequestPages(pages)
  registerGrantPages(pages)
  registerAuditPages(pages)
  registerObjectionPages(pages)
  registerRatingPages(pages)
  registerSupervisionPages(pages)
  registerAdminPages(pages)

  pages.all('*', (c) => errorPage(c, new ApiError('not_found', `no page ${c.req.path}`)))
  pages.onError((error, c) => consoleError(error, c))

  app.route('/console', pages)
  app.get('/', (c) => c.redirect('/console', 302))
}

/** Every failure as a page: the service's problem with its status; anything else 500 without details. */
function consoleError(error: Error, c: ConsoleContext): Response | Promise<Response> {
  if (!c.get('view')) c.set('view', { t: dictionaries[DEFAULT_LANG], lang: DEFAULT_LANG, here: '/console' })
  if (error instanceof ApiError) {
    if (error.status >= 500) logFailure(c, error)
    return errorPage(c, error)
  }
  const sqlState = (error as { code?: unknown }).code
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return errorPage(c, new ApiError('bad_request', `a value in the request cannot be stored (SQLSTATE ${sqlState})`))
  }
  if (error instanceof HTTPException && error.status === 413) return errorPage(c, new ApiError('payload_too_large', error.message))
  if (error instanceof HTTPException && error.status < 500) return errorPage(c, new ApiError('bad_request', error.message))
  logFailure(c, error)
  return errorPage(c, new ApiError('internal', c.get('view').t['app.unexpected']))
}

function logFailure(c: ConsoleContext, error: Error) {
  c.get('services').logger.error('unhandled error', { request_id: c.get('requestId'), error: error.message, stack: error.stack })
}
