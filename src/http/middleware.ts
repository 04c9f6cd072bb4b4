import type { MiddlewareHandler } from 'hono'
import type { AppContext, AppEnv, ServicesSource } from './env.js'

/**
 * The headers every response carries, whatever answers the request (its request id, the security
 * headers, CORS's): the middleware that own them add them to one plain record before the handler
 * runs (`c.get('responseHeaders')`), and this middleware, the outermost, sets them on the response
 * afterwards (Vary is added to). A response built by `respond` carries them already and is left
 * as it is: it keeps a plain record of headers, which @hono/node-server writes as it is, where
 * setting headers on a response makes it build a WHATWG Headers and then read it back (3.6% of a
 * granted read's CPU: docs/benchmarks.md, "Delivery").
 */
export function responseHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const headers: Record<string, string> = {}
    c.set('responseHeaders', headers)
    await next()
    if ((c.res as Partial<Complete>)[complete]) return
    const target = c.res.headers
    for (const [name, value] of Object.entries(headers)) {
      if (name !== 'Vary') target.set(name, value)
      else if (!target.get(name)?.includes(value)) target.append(name, value)
    }
  }
}

/** Marks a response `respond` built, which carries its standard headers already. */
const complete = Symbol('complete')
type Complete = { [complete]: true }

/**
 * A response with the request's standard headers and `headers` (which win). Headers set with
 * `c.header()` are not on it: pass them here.
 */
export function respond(c: AppContext, body: Uint8Array<ArrayBuffer> | string | null, status: number, headers: Record<string, string>): Response {
  // Object.assign, not spreads: spreading a record of this size into a literal measured 10 µs a response.
  const all = Object.assign({}, c.get('responseHeaders'), headers)
  return Object.assign(new Response(body, { status, headers: all }), { [complete]: true } as Complete)
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** Takes a well-formed incoming X-Request-Id (so a trace spans proxies) or makes one; echoes it back. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const incoming = c.req.header('x-request-id')
    const id = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID()
    c.set('requestId', id)
    c.get('responseHeaders')['X-Request-Id'] = id
    return next()
  }
}

export function provideServices(source: ServicesSource): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    c.set('services', typeof source === 'function' ? source(c) : source)
    return next()
  }
}

/** One structured line per request: method, path, status, duration, request id, principal. */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const principal = c.get('principal')
    c.get('services').logger.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      request_id: c.get('requestId'),
      ...(principal ? { client_id: principal.clientId, org_id: principal.orgId } : {}),
    })
  }
}
