import { z } from '@hono/zod-openapi'
import type { OpenAPIHonoOptions } from '@hono/zod-openapi'
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
