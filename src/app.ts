import { OpenAPIHono } from '@hono/zod-openapi'
import { HTTPException } from 'hono/http-exception'
import type { Context } from 'hono'
import type { AppEnv, ServicesSource } from './http/env.js'
import { ApiError, problemResponse, type ErrorCode } from './http/errors.js'
import { nodeRequestHeaders, provideServices, requestId, requestLog, responseHeaders } from './http/middleware.js'
import { validateRequestPartsTogether, validationHook } from './http/openapi.js'
import { apiReferenceCss, renderApiReference } from './http/docs.js'
import { bodyLimits, corsPolicy, rejectControlCharacters, securityHeaders } from './http/limits.js'
import { registerAuditRoutes } from './audit/routes.js'
import { registerCatalogRoutes } from './catalog/routes.js'
import { registerConsole } from './console/index.js'
import { registerPolicyRoutes } from './exchange/policy-routes.js'
import { registerExchangeRoutes } from './exchange/routes.js'
import { registerIdentityRoutes } from './identity/routes.js'
import { registerNotifyRoutes } from './notify/routes.js'
import { registerObjectionRoutes } from './objections/routes.js'
import { registerStandardsRoutes } from './standards/routes.js'
import { registerSupervisionRoutes } from './supervision/routes.js'
import { registerSystemRoutes } from './system/routes.js'

export const apiInfo = {
  title: 'Qiao (桥)',
  version: '0.1.0',
  contact: { name: 'Qiao maintainers', url: 'https://qiao.example.gov.cn' },
  description:
    'Data-sharing exchange and standardisation gateway for government: standardise, classify, broker and account for every exchange.',
}

export type App = OpenAPIHono<AppEnv>

/** Builds the whole gateway. The Node server, the Worker, the CLI and the tests all call this. */
export function createApp(services: ServicesSource): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  validateRequestPartsTogether(app)

  app.use('*', responseHeaders())
  app.use('*', nodeRequestHeaders())
  app.use('*', requestId())
  app.use('*', provideServices(services))
  app.use('*', requestLog())
  app.use('*', securityHeaders())
  app.use('*', corsPolicy())
  app.use('*', bodyLimits())
  app.use('*', rejectControlCharacters())

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from POST /v1/auth/token (OAuth 2.0 client credentials): an ES256 JWT following RFC8725 (explicit algorithms, typ at+jwt, issuer and audience checked, 15-minute lifetime).',
  })

  registerSystemRoutes(app)
  registerIdentityRoutes(app)
  registerStandardsRoutes(app)
  registerAuditRoutes(app)
  registerCatalogRoutes(app)
  registerPolicyRoutes(app)
  registerExchangeRoutes(app)
  registerNotifyRoutes(app)
  registerSupervisionRoutes(app)
  registerObjectionRoutes(app)

  registerConsole(app)

  // Routes are fixed once the app is built: the document and its rendering are made once, on first use.
  let document: ReturnType<typeof openApiDocument> | undefined
  let reference: string | undefined
  const documentOnce = () => (document ??= openApiDocument(app))
  app.get('/openapi.json', (c) => c.json(documentOnce()))
  app.get('/docs', (c) => c.html((reference ??= renderApiReference(documentOnce() as never))))
  app.get('/docs/style.css', (c) => c.body(apiReferenceCss, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }))

  app.onError((error, c) => renderError(error, c))
  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path)
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return renderError(
        new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`, {
          headers: { Allow: allowed.join(', ') },
        }),
        c,
      )
    }
    return renderError(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`), c)
  })
  return app
}

export function openApiDocument(app: App) {
  return completeDocument(
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: apiInfo,
      servers: [{ url: '/', description: 'This gateway' }],
      tags: Object.entries(apiTags).map(([name, description]) => ({ name, description })),
    }),
  )
}

const apiTags: Record<string, string> = {
  system: 'Liveness, readiness and this reference',
  identity: 'Organisations, API clients, OAuth 2.0 tokens and signing keys',
  standards: 'Shared data standards: the registry and dry-run conformance checks',
  catalogue: 'Datasets, their tiers and their records; the DCAT catalogue',
  policy: 'The tier policy matrix',
  exchange: 'Access requests, grants and the delivery of records',
  objections: 'Data objections (数据异议): disputes of records or datasets, routed to the owner, with deadlines and lights',
  ratings: 'Ratings (好差评) of how providers handled access requests and objections',
  audit: 'The tamper-evident audit log: query, export, verify, checkpoints and proofs',
  notifications: 'Webhooks: signed events about requests and objections, sent to each organisation’s own systems, with retries and a delivery log',
  supervision: 'Per-department and per-social-organisation figures for those who supervise the exchange',
}

type OpenApiDocument = ReturnType<App['getOpenAPI31Document']>

/**
 * What the route definitions leave implicit, made explicit once for every operation: an
 * operationId from method and path, and an int64 format on integers (Qiao's integers are JS
 * safe integers).
 */
function completeDocument(doc: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = (item as Record<string, { operationId?: string } | undefined>)[method]
      if (operation && !operation.operationId) operation.operationId = operationIdOf(method, path)
    }
  }
  formatIntegers(doc)
  return doc
}

function operationIdOf(method: string, path: string): string {
  const words = path
    .replace(/[{}]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

function formatIntegers(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(formatIntegers)
  if (!node || typeof node !== 'object') return
  const schema = node as Record<string, unknown>
  const integer = schema.type === 'integer' || (Array.isArray(schema.type) && schema.type.includes('integer'))
  if (integer && schema.format === undefined) schema.format = 'int64'
  for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') formatIntegers(value)
}

const httpStatusCodes: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
}

function renderError(error: Error, c: Context<AppEnv>): Response {
  const id = c.get('requestId') ?? crypto.randomUUID()
  if (error instanceof ApiError) {
    if (error.status >= 500) logFailure(c, error)
    return problemResponse(error, id)
  }
  const dataError = databaseDataError(error)
  if (dataError) return problemResponse(new ApiError('bad_request', dataError), id)
  const outage = databaseOutage(error)
  if (outage) {
    logFailure(c, error)
    return problemResponse(new ApiError('unavailable', outage, { headers: { 'Retry-After': '5' } }), id)
  }
  if (error instanceof HTTPException) {
    const code = /json/i.test(error.message) && error.status === 400 ? 'malformed_body' : httpStatusCodes[error.status]
    if (code) return problemResponse(new ApiError(code, error.message), id)
  }
  logFailure(c, error)
  return problemResponse(new ApiError('internal', 'an unexpected error occurred; quote the instance when reporting it'), id)
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22: a NUL in text, a number out of range, an
 * impossible date) are caused by the values a client sent, not by the server: they answer 400.
 * Validation should catch them first; this is the net under it, so they never become a 500.
 */
function databaseDataError(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return undefined
  return `a value in the request cannot be stored (SQLSTATE ${code})`
}

// Connection failures at the socket, and PostgreSQL's classes 08 (connection exception), 57P
// (operator intervention: shutdown, cannot connect now) and 53 (insufficient resources).
const OUTAGE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE'])
const OUTAGE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-4]|53[0-9A-Z]{3})$/

/**
 * A database that cannot be reached (down, restarting, out of connections) is not the caller's
 * fault and not a bug in the gateway: 503 with Retry-After, so clients and load balancers retry.
 * The message names no host or address.
 */
export function databaseOutage(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code
  const connectionLost = /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message)
  if (typeof code === 'string' && (OUTAGE_ERRNOS.has(code) || OUTAGE_SQLSTATE.test(code))) return 'the database is unavailable; try again shortly'
  if (connectionLost) return 'the database is unavailable; try again shortly'
  if (code === '42P01') return 'the database is not migrated: run `qiao migrate`'
  return undefined
}

function logFailure(c: Context<AppEnv>, error: Error) {
  const logger = c.get('services')?.logger
  const fields = { request_id: c.get('requestId'), error: error.message, stack: error.stack }
  if (logger) logger.error('unhandled error', fields)
  else console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', ...fields }))
}

/** The methods registered for a path, for 405 answers with an Allow header. */
function allowedMethods(app: App, path: string): string[] {
  const methods = new Set<string>()
  for (const route of app.routes) {
    if (route.method === 'ALL') continue
    if (routePattern(route.path).test(path)) methods.add(route.method)
  }
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods]
}

const patterns = new Map<string, RegExp>()
function routePattern(path: string): RegExp {
  let pattern = patterns.get(path)
  if (!pattern) {
    const source = path
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')
    pattern = new RegExp(`^${source}/?$`)
    patterns.set(path, pattern)
  }
  return pattern
}
