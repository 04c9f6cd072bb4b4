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

/** What @hono/node-server passes as `c.env.incoming` (Node's IncomingMessage), as far as headers go. */
interface IncomingHeaders {
  /** Each header's values by lower-case name, in the order they came (Node 18.3+). */
  headersDistinct: Record<string, string[] | undefined>
}

/**
 * On Node, `c.req.header()` reads the IncomingMessage that @hono/node-server passes
 * (`c.env.incoming`) rather than `c.req.raw.headers`, whose first use makes @hono/node-server
 * build a WHATWG Headers of every header the request carries (docs/benchmarks.md, "Delivery").
 * The answers are Headers' own: names are case-insensitive, several fields of one name are joined
 * with ", ", and without a name every header comes back by its lower-case name. Elsewhere (the
 * Worker, app.request in tests) nothing changes.
 */
export function nodeRequestHeaders(): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const incoming = (c.env as { incoming?: IncomingHeaders } | undefined)?.incoming
    if (incoming?.headersDistinct) c.req.header = incomingHeader(incoming) as typeof c.req.header
    return next()
  }
}

function incomingHeader(incoming: IncomingHeaders) {
  return (name?: string): string | undefined | Record<string, string> => {
    const fields = incoming.headersDistinct
    if (name) return fields[name.toLowerCase()]?.join(', ')
    const all: Record<string, string> = Object.create(null)
    for (const [key, values] of Object.entries(fields)) if (values && !key.startsWith(':')) all[key] = values.join(', ')
    return all
  }
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
