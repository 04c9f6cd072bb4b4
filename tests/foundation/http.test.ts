import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRoute, z } from '@hono/zod-openapi'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { testDriver } from '../support/database.js'

let world: TestWorld

beforeAll(async () => {
  world = await createTestWorld()
  // Routes that exist only in this test: one with a validated body, one that fails unexpectedly.
  world.app.openapi(
    createRoute({
      method: 'post',
      path: '/test/echo/{n}',
      request: {
        params: z.object({ n: z.coerce.number().int().max(10) }),
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ name: z.string().min(1), tags: z.array(z.string()) }) } },
        },
      },
      responses: { 200: { description: 'ok' } },
    }),
    (c) => c.json({ ok: true }, 200),
  )
  world.app.get('/test/nul', async (c) => {
    await c.get('services').db.query('SELECT $1::text', ['a\u0000b'])
    return c.text('unreachable')
  })
  world.app.get('/test/boom', () => {
    throw new Error('secret connection string postgres://user:pw@db')
  })
})
afterAll(() => world.close())

async function problem(response: Response) {
  expect(response.headers.get('content-type'), await response.clone().text()).toBe('application/problem+json')
  const body = (await response.json()) as Record<string, unknown>
  for (const member of ['type', 'title', 'status', 'detail', 'code', 'instance']) {
    expect(body, JSON.stringify(body)).toHaveProperty(member)
  }
  expect(body.status).toBe(response.status)
  expect(body.instance).toBe(response.headers.get('x-request-id'))
  return body
}

describe('system routes', () => {
  it('answers /health', async () => {
    const res = await world.app.request('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers /ready with the driver and migrations', async () => {
    const res = await world.app.request('/ready')
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ready', database: testDriver })
  })

  it('serves an OpenAPI 3.1 document and a rendered reference', async () => {
    const doc = (await (await world.app.request('/openapi.json')).json()) as { openapi: string; paths: object }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toContain('/ready')
    const html = await (await world.app.request('/docs')).text()
    expect(html).toContain('<code>/ready</code>')
    expect(html).not.toMatch(/<script|https?:\/\/cdn/i)
  })

  it('keeps a well-formed incoming request id and echoes it', async () => {
    const res = await world.app.request('/health', { headers: { 'x-request-id': 'trace-123' } })
    expect(res.headers.get('x-request-id')).toBe('trace-123')
    const fresh = await world.app.request('/health', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(fresh.headers.get('x-request-id')).not.toBe('bad id with spaces')
  })

  it('logs one structured line per request', async () => {
    await world.app.request('/health', { headers: { 'x-request-id': 'log-check' } })
    const line = world.logs.find((l) => l.request_id === 'log-check')
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/health', status: 200, level: 'info' })
    expect(typeof line?.duration_ms).toBe('number')
  })
})

describe('problem+json', () => {
  it('404 for an unknown route', async () => {
    const res = await world.app.request('/nope')
    expect(res.status).toBe(404)
    expect(await problem(res)).toMatchObject({ code: 'not_found' })
  })

  it('405 with Allow for a wrong method', async () => {
    const res = await world.app.request('/health', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('GET')
    expect(await problem(res)).toMatchObject({ code: 'method_not_allowed' })
  })

  it('400 listing each invalid field with its path', async () => {
    const res = await world.app.request('/test/echo/99', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', tags: [1] }),
    })
    expect(res.status).toBe(400)
    const body = await problem(res)
    expect(body.code).toBe('validation_failed')
    const paths = (body.errors as Array<{ path: string }>).map((e) => e.path).sort()
    expect(paths).toEqual(['path.n'])
  })

  it('400 naming body fields once params are valid', async () => {
    const res = await world.app.request('/test/echo/1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', tags: [1] }),
    })
    const body = await problem(res)
    expect((body.errors as Array<{ path: string }>).map((e) => e.path).sort()).toEqual(['body.name', 'body.tags.0'])
  })

  it('400 malformed_body for broken JSON', async () => {
    const res = await world.app.request('/test/echo/1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "x",',
    })
    expect(res.status).toBe(400)
    expect(await problem(res)).toMatchObject({ code: 'malformed_body' })
  })

  it('415 for a content type the route does not take', async () => {
    const res = await world.app.request('/test/echo/1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    })
    expect(res.status).toBe(415)
    expect(await problem(res)).toMatchObject({ code: 'unsupported_media_type' })
  })

  it('500 that leaks nothing and logs the stack', async () => {
    const res = await world.app.request('/test/boom', { headers: { 'x-request-id': 'boom-1' } })
    expect(res.status).toBe(500)
    const body = await problem(res)
    expect(body.code).toBe('internal')
    expect(JSON.stringify(body)).not.toContain('postgres://')
    const logged = world.logs.find((l) => l.level === 'error' && l.request_id === 'boom-1')
    expect(logged?.stack).toContain('secret connection string')
  })
})

describe('limits and headers', () => {
  it('refuses a body over the limit with 413 problem+json', async () => {
    const res = await world.app.request('/test/echo/1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), tags: [] }),
    })
    expect(res.status).toBe(413)
    expect(await problem(res)).toMatchObject({ code: 'payload_too_large' })
  })

  it('sends security headers, and a CSP the API reference satisfies without inline styles', async () => {
    const res = await world.app.request('/docs')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await res.text()
    expect(html).not.toContain('<style')
    expect(html).toContain('href="/docs/style.css"')
    expect((await world.app.request('/docs/style.css')).headers.get('content-type')).toContain('text/css')
  })

  it('answers CORS only for configured origins', async () => {
    const preflight = (origin: string) =>
      world.app.request('/v1/orgs', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } })
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
    const configured = await createTestWorld({ QIAO_CORS_ORIGINS: 'https://portal.gov.example' })
    try {
      const res = await configured.app.request('/v1/orgs', {
        method: 'OPTIONS',
        headers: { origin: 'https://portal.gov.example', 'access-control-request-method': 'GET' },
      })
      expect(res.headers.get('access-control-allow-origin')).toBe('https://portal.gov.example')
    } finally {
      await configured.close()
    }
  })

  it('answers simple CORS requests, errors included, for configured origins only, and varies on Origin', async () => {
    const configured = await createTestWorld({ QIAO_CORS_ORIGINS: 'https://portal.gov.example' })
    try {
      const get = (path: string, origin?: string) => configured.app.request(path, { headers: origin ? { origin } : {} })
      for (const path of ['/health', '/v1/orgs']) {
        const allowed = await get(path, 'https://portal.gov.example')
        expect(allowed.headers.get('access-control-allow-origin')).toBe('https://portal.gov.example')
        expect(allowed.headers.get('access-control-expose-headers')).toBe('X-Request-Id,ETag,Location')
        expect(allowed.headers.get('vary')).toContain('Origin')
        const other = await get(path, 'https://evil.example')
        expect(other.headers.get('access-control-allow-origin')).toBeNull()
        expect(other.headers.get('vary')).toContain('Origin')
        const none = await get(path)
        expect(none.headers.get('access-control-allow-origin')).toBeNull()
        expect(none.headers.get('vary')).toContain('Origin')
      }
      // /v1/orgs without a token is a 401 problem: still readable by the configured origin.
      expect((await get('/v1/orgs', 'https://portal.gov.example')).status).toBe(401)
    } finally {
      await configured.close()
    }
  })
})

describe('values PostgreSQL cannot hold', () => {
  it('refuses control characters in the URL with 400, not 500', async () => {
    const res = await world.app.request('/v1/orgs/a%00b')
    expect(res.status).toBe(400)
    expect(await problem(res)).toMatchObject({ code: 'bad_request' })
  })

  it('answers a database data exception as 400', async () => {
    const res = await world.app.request('/test/nul')
    expect(res.status).toBe(400)
    expect((await problem(res)).detail).toContain('SQLSTATE 22')
  })
})

describe('URL length', () => {
  it('refuses an over-long URL with 414 problem+json', async () => {
    const res = await world.app.request(`/v1/orgs?cursor=${'a'.repeat(9000)}`)
    expect(res.status).toBe(414)
    expect(await problem(res)).toMatchObject({ code: 'uri_too_long' })
  })
})
