import type { MiddlewareHandler } from 'hono'
import type { AppEnv, ServicesSource } from './env.js'

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** Takes a well-formed incoming X-Request-Id (so a trace spans proxies) or makes one; echoes it back. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id')
    const id = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID()
    c.set('requestId', id)
    c.header('X-Request-Id', id)
    await next()
  }
}

export function provideServices(source: ServicesSource): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('services', typeof source === 'function' ? source(c) : source)
    await next()
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
