import { z } from '@hono/zod-openapi'
import type { OpenAPIHono, OpenAPIHonoOptions, RouteConfig } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import { ApiError, errorCodes, problemContentType, type ErrorCode } from './errors.js'
import type { AppEnv } from './env.js'

/** The pattern an Idempotency-Key must match: printable ASCII without spaces. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/

/** The optional Idempotency-Key header of a POST that is safe to retry with it; `description` says what a retry answers. */
export function idempotencyKeyHeader(description: string, example?: string) {
  return z
    .string()
    .min(1)
    .max(255)
    .regex(IDEMPOTENCY_KEY_PATTERN, 'printable ASCII without spaces')
    .optional()
    .openapi({ description, ...(example === undefined ? {} : { example }) })
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ description: 'A URI reference identifying the problem type', example: '/docs#error-not_found' }),
    title: z.string().openapi({ description: 'Short summary of the problem type', example: 'Not found' }),
    status: z.number().int().openapi({ description: 'HTTP status code', example: 404 }),
    detail: z.string().openapi({ description: 'What went wrong, for this occurrence', example: 'dataset ds_x not found' }),
    code: z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]).openapi({ description: 'Stable error code' }),
    instance: z.string().openapi({ description: 'The request id of this occurrence', example: '0b6f…' }),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ description: 'Where the problem is, e.g. body.name', example: 'body.name' }),
          message: z.string().openapi({ description: 'What is wrong there', example: 'Required' }),
          code: z.string().optional().openapi({ description: 'Stable code of the field problem', example: 'invalid_type' }),
        }),
      )
      .optional()
      .openapi({ description: 'Each invalid field, for validation failures' }),
  })
  .openapi('Problem')

const statusDescriptions: Record<number, string> = {
  400: 'The request is malformed or fails validation',
  401: 'Missing or invalid credentials',
  403: 'The caller may not do this',
  404: 'Not found (or not visible to the caller)',
  409: 'Conflicts with the current state',
  413: 'The body is too large',
  415: 'Unsupported content type',
  422: 'Well-formed but not acceptable',
  429: 'Too many requests',
  500: 'Unexpected server error',
  503: 'A dependency is unavailable',
}

/** The error responses a route can produce, spread into its `responses`. */
export function errorResponses(...statuses: number[]) {
  // Any request can be malformed (a control character in the URL, a bad header): 400 always applies.
  const all = [...new Set([...statuses, 400, 500])].sort()
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: statusDescriptions[status] ?? 'Error',
        content: { [problemContentType]: { schema: ProblemSchema } },
      },
    ]),
  )
}

// Hono's validation targets, named as a client thinks of them.
const targetNames: Record<string, string> = { json: 'body', form: 'body', param: 'path', query: 'query', header: 'header', cookie: 'cookie' }

/** zod failures become one validation_failed problem listing each bad field with its path. */
export const validationHook: NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']> = (result) => {
  if (result.success) return
  const errors = result.error.issues.map((issue) => ({
    path: [targetNames[result.target] ?? result.target, ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }))
  throw new ApiError(
    'validation_failed',
    `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.path).join(', ')}`,
    { errors },
  )
}

export const bearerSecurity = [{ bearerAuth: [] }]

type Hook = NonNullable<OpenAPIHonoOptions<AppEnv>['defaultHook']>
type Part = 'query' | 'params' | 'headers'

/**
 * Makes `app.openapi` validate a route's query, path and headers together, in one synchronous
 * step. @hono/zod-openapi gives each part a middleware of its own, which parses with zod's async
 * parse: three async frames and their promises on every request that has the three (the records
 * routes), for schemas none of which refines asynchronously (zod throws if one ever does). The
 * answers are the same: the parts are checked in the library's order (query, path, headers), the
 * first that fails goes to the same hook, and handlers read them with `c.req.valid()` as before.
 * (The hook's `data` for headers holds only those the schema declares, not every header.) The
 * route is documented as given; its body is validated by the library, after these parts.
 */
export function validateRequestPartsTogether(app: OpenAPIHono<AppEnv>): void {
  const openapi = app.openapi
  app.openapi = ((route, handler, hook) => {
    const { query, params, headers, ...body } = (route.request ?? {}) as NonNullable<RouteConfig['request']>
    const schemas = { query, params, headers } as Partial<Record<Part, z.ZodType>>
    // Headers given as a list of schemas (the library allows it) stay with the library.
    if ((!query && !params && !headers) || (headers && !('shape' in headers))) return openapi(route, handler, hook)
    const { middleware, hide, ...documented } = route
    if (!hide) app.openAPIRegistry.registerPath(documented)
    const before = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware]
    const validate = requestParts(schemas, hook ?? app.defaultHook)
    return openapi({ ...route, hide: true, request: body, middleware: [...before, validate] } as typeof route, handler, hook)
  }) as typeof app.openapi
}

/** The validation target of each part, as @hono/zod-validator names it. */
const targets = { query: 'query', params: 'param', headers: 'header' } as const

/** A part's value as @hono/zod-validator reads it; headers by the names the schema declares (read case-insensitively). */
function partValue(c: Context, part: Part, headerNames: readonly string[]): Record<string, unknown> {
  if (part === 'params') return c.req.param()
  if (part === 'query') return Object.fromEntries(Object.entries(c.req.queries()).map(([name, values]) => [name, values.length === 1 ? values[0] : values]))
  const headers: Record<string, string> = {}
  for (const name of headerNames) {
    const value = c.req.header(name)
    if (value !== undefined) headers[name] = value
  }
  return headers
}

function requestParts(schemas: Partial<Record<Part, z.ZodType>>, hook: Hook | undefined): MiddlewareHandler<AppEnv> {
  const parts = (['query', 'params', 'headers'] as const).filter((part) => schemas[part] !== undefined)
  const headerNames = schemas.headers ? Object.keys((schemas.headers as z.ZodObject).shape) : []
  return (c, next) => {
    for (const part of parts) {
      const target = targets[part]
      const data = partValue(c, part, headerNames)
      const result = schemas[part]!.safeParse(data)
      const answer = hook?.({ data, ...result, target } as Parameters<Hook>[0], c)
      if (answer instanceof Promise) throw new TypeError('validateRequestPartsTogether needs a synchronous hook')
      if (answer instanceof Response) return Promise.resolve(answer)
      if (answer && 'response' in answer) return Promise.resolve(answer.response)
      if (!result.success) return Promise.resolve(c.json(result, 400))
      c.req.addValidatedData(target, result.data as object)
    }
    return next()
  }
}
