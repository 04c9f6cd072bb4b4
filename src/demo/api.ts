// A small client for Qiao's public API, over any `send` (the app in-process for the seed, fetch
// against a running gateway for the guided scenario). Every call states the status it expects;
// anything else is an ApiCallError that quotes the problem the gateway answered.

export type Send = (path: string, init: RequestInit) => Promise<Response>

export interface CallOptions {
  token?: string
  /** JSON-encoded unless a string (then sent as is, with `contentType`). */
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  /** The statuses that count as success; 2xx by default. */
  expect?: readonly number[]
}

export interface Answer<T> {
  status: number
  headers: Headers
  body: T
}

export class ApiCallError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}: ${describeProblem(body)}`)
    this.name = 'ApiCallError'
  }
}

/** Callers name the answer's type (the routes' inferred types, src/demo/types.ts). */
export type Call = <T = unknown>(method: string, path: string, options?: CallOptions) => Promise<Answer<T>>

export function apiClient(send: Send): Call {
  return async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      headers['content-type'] = options.contentType ?? 'application/json'
    }
    const response = await send(path, { method, headers, body })
    const text = await response.text()
    const parsed: unknown = text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text
    const ok = options.expect ? options.expect.includes(response.status) : response.status >= 200 && response.status < 300
    if (!ok) throw new ApiCallError(method, path, response.status, parsed)
    return { status: response.status, headers: response.headers, body: parsed as T }
  }
}

/** A `send` against a gateway's base URL. */
export function httpSend(baseUrl: string): Send {
  const base = baseUrl.replace(/\/+$/, '')
  return (path, init) => fetch(`${base}${path}`, init)
}

/** The X-Purpose header: percent-encoded, since purposes are often Chinese and headers are bytes. */
export function purposeHeader(purpose: string): Record<string, string> {
  return { 'x-purpose': encodeURIComponent(purpose) }
}

function describeProblem(body: unknown): string {
  if (body && typeof body === 'object') {
    const problem = body as { code?: unknown; detail?: unknown; title?: unknown }
    return `${String(problem.code ?? problem.title ?? 'error')}: ${String(problem.detail ?? JSON.stringify(body)).slice(0, 500)}`
  }
  return String(body).slice(0, 500)
}
