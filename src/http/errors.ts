import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The closed set of error codes every Qiao error carries. Add a code here, never ad hoc. */
export const errorCodes = {
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'Validation failed' },
  malformed_body: { status: 400, title: 'Malformed request body' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  invalid_token: { status: 401, title: 'Invalid token' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable content' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>

export type ErrorCode = keyof typeof errorCodes

export interface FieldProblem {
  path: string
  message: string
  code?: string
}

/** The one error type handlers and services throw; `onError` renders it as problem+json. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldProblem[]; headers?: Record<string, string>; [member: string]: unknown } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
    this.status = errorCodes[code].status
  }
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  instance: string
  errors?: FieldProblem[]
  [member: string]: unknown
}

export const problemContentType = 'application/problem+json'

/** RFC 9457 body for an error; `type` points at the code's entry in the API reference. */
export function problemFor(error: ApiError, requestId: string): Problem {
  const { headers: _headers, ...members } = error.extra
  return {
    type: `/docs#error-${error.code}`,
    title: errorCodes[error.code].title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    instance: requestId,
    ...members,
  }
}

export function problemResponse(error: ApiError, requestId: string): Response {
  return new Response(JSON.stringify(problemFor(error, requestId)), {
    status: error.status,
    headers: { 'content-type': problemContentType, 'x-request-id': requestId, ...error.extra.headers },
  })
}
