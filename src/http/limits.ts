import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from './env.js'
import { ApiError } from './errors.js'

/** Ordinary JSON bodies: organisations, requests, decisions, standards. */
export const SMALL_BODY_BYTES = 1024 * 1024

/** Longer than any URL Qiao's own clients build (ids, filters, a cursor). */
export const MAX_URL_LENGTH = 8192

const uploadPaths = [/^\/v1\/datasets\/[^/]+\/records$/, /^\/v1\/standards\/[^/]+\/[^/]+\/check$/]

/**
 * A body limit per route: small everywhere, QIAO_MAX_UPLOAD_BYTES on the streamed upload routes
 * (ingest, dry-run checks), which parse as the bytes arrive and must never hold a body whole.
 */
export function bodyLimits(): MiddlewareHandler<AppEnv> {
  const small = limitOf(SMALL_BODY_BYTES)
  return (c, next) => {
    // No handler reads the body of a GET or HEAD. Asking for `c.req.raw.body` would make
    // @hono/node-server build a whole WHATWG Request, a cost every read would pay for nothing.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    return uploadPaths.some((p) => p.test(c.req.path)) ? streamingLimit(c.get('services').config.QIAO_MAX_UPLOAD_BYTES)(c, next) : small(c, next)
  }
}

/**
 * Refuses a declared Content-Length over the limit at once; otherwise (chunked uploads) counts
 * bytes as they stream past and fails the stream — and so the request — once over the limit.
 * hono/body-limit would buffer a chunked body whole to measure it.
 */
function streamingLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = c.req.raw.body
    if (!body) return next()
    const declared = c.req.header('content-length')
    if (declared !== undefined && !c.req.header('transfer-encoding') && Number(declared) > maxSize) throw tooLarge(maxSize)
    let size = 0
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength
          if (size > maxSize) controller.error(tooLarge(maxSize))
          else controller.enqueue(chunk)
        },
      }),
    )
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit)
    await next()
  }
}

const tooLarge = (maxSize: number) => new ApiError('payload_too_large', `the request body is larger than ${maxSize} bytes`)

function limitOf(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize)
    },
  })
}

/**
 * No identifier or filter in Qiao contains a control character, and PostgreSQL text cannot hold
 * NUL at all: refuse them in the path and query before any handler sees them.
 */
export function rejectControlCharacters(): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    if (c.req.url.length > MAX_URL_LENGTH) throw new ApiError('uri_too_long', `the URL is longer than ${MAX_URL_LENGTH} characters`)
    let decoded: string
    try {
      decoded = decodeURIComponent(c.req.url.slice(c.req.url.indexOf('/', 8)))
    } catch {
      throw new ApiError('bad_request', 'the URL is not valid percent-encoded UTF-8')
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(decoded)) {
      throw new ApiError('bad_request', 'the URL contains a control character')
    }
    return next()
  }
}

/**
 * Security headers for every response: nothing inline, nothing from elsewhere, no framing. The
 * console's pages (src/console) send their referrer to their own origin only ("same-origin"):
 * its forms' POSTs then carry a real Origin, which the console's CSRF check compares; under
 * "no-referrer" a browser sends `Origin: null` for them. Everything else sends none. They replace
 * any a handler set (src/http/middleware.ts responseHeaders).
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  const api = securityHeadersWith('no-referrer')
  const pages = securityHeadersWith('same-origin')
  return (c, next) => {
    Object.assign(c.get('responseHeaders'), c.req.path === '/console' || c.req.path.startsWith('/console/') ? pages : api)
    return next()
  }
}

/** What hono/secure-headers sends by default, with a strict policy of Qiao's own and no framing at all. */
function securityHeadersWith(referrerPolicy: 'no-referrer' | 'same-origin'): Record<string, string> {
  return {
    'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Origin-Agent-Cluster': '?1',
    'Referrer-Policy': referrerPolicy,
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    'X-DNS-Prefetch-Control': 'off',
    'X-Download-Options': 'noopen',
    'X-Frame-Options': 'DENY',
    'X-Permitted-Cross-Domain-Policies': 'none',
    'X-XSS-Protection': '0',
  }
}

const EXPOSED_HEADERS = 'X-Request-Id,ETag,Location'

/**
 * CORS only for the origins configured in QIAO_CORS_ORIGINS; none by default. Preflights go to
 * hono/cors. Other requests add their headers to the response's standard ones
 * (src/http/middleware.ts responseHeaders): hono/cors sets them on `c.res` before the handler
 * runs, and then each response is rebuilt from its body stream, which costs every request even
 * without an Origin.
 */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  const allowed = (origin: string, c: Context<AppEnv>) => (c.get('services').config.QIAO_CORS_ORIGINS as string[]).includes(origin)
  const preflight = cors({
    origin: (origin, c) => (allowed(origin, c) ? origin : null),
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Purpose', 'X-Request-Id', 'If-None-Match'],
    exposeHeaders: EXPOSED_HEADERS.split(','),
    maxAge: 600,
  })
  return (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    const headers = c.get('responseHeaders')
    // Whether the answer carries CORS headers depends on Origin, so a cache must key on it.
    headers.Vary = 'Origin'
    const origin = c.req.header('origin')
    if (origin !== undefined && allowed(origin, c)) {
      headers['Access-Control-Allow-Origin'] = origin
      headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS
    }
    return next()
  }
}
