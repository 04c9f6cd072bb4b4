import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openApiDocument } from '../../src/app.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { bootstrapAdmin, type Actor } from '../support/identity.js'

/**
 * Hostile input, driven by the app's own OpenAPI document: every operation gets malformed and
 * adversarial path parameters, query strings, bodies and content types, with and without a
 * token. Nothing may answer 5xx, and every error must be problem+json (the OAuth token endpoint
 * answers RFC 6749 JSON errors instead).
 */
const TOTAL_REQUESTS = Number(process.env.QIAO_FUZZ_REQUESTS ?? 10_000)

let world: TestWorld
let admin: Actor
beforeAll(async () => {
  world = await createTestWorld({ LOG_LEVEL: 'error', QIAO_TOKEN_FAILURES_PER_MINUTE: '10000' })
  admin = await bootstrapAdmin(world)
})
afterAll(() => world.close())

const hostileStrings = [
  '', ' ', '0', '-1', '1.5', '1e309', 'NaN', '99999999999999999999999999', '-0', 'true', 'null', 'undefined',
  "' OR 1=1 --", '"; DROP TABLE organisations; --', '$1', '%', '%00', '%2e%2e%2f', '../../etc/passwd', '..\\..\\windows',
  '\u0000', 'a\u0000b', '\u202eevil', '１２３４５６', '１１０１０５１９４９１２３１００２Ｘ', '🙂', 'é', '\t\n', '<script>alert(1)</script>',
  'x'.repeat(10_000), 'org_', 'cli_', 'ds_' + 'z'.repeat(300), '{}', '[]', '{"a":1}', 'latest', '1.0.0', '999.999.999',
]
const urlSafe = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))

const hostileString = fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })).filter(urlSafe)

const rawBodies = [
  '{', '{"a":', '[', ']', 'null', '0', '"str"', '{"name":"a","name":"b","kind":"department"}', '['.repeat(5000) + ']'.repeat(5000),
  '{"a":' + '1'.repeat(400) + '}', '\u0000\u0000', 'grant_type=client_credentials&client_id=%00', 'a,b,c\n"unterminated', '\ufeff[]',
]

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.dictionary(fc.constantFrom('name', 'kind', 'roles', 'level', 'region_code', 'uscc', 'schema', 'version', 'grant_type', 'client_id', 'client_secret', 'parent_id'), fc.jsonValue({ maxDepth: 3 })),
  fc.record({ kind: fc.constantFrom('department', 'social_org', 'platform'), name: hostileString, level: hostileString, region_code: hostileString, uscc: hostileString }, { requiredKeys: [] }),
)

const contentTypes = ['application/json', 'application/x-www-form-urlencoded', 'text/csv', 'application/x-ndjson', 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', '']

interface Operation {
  method: string
  path: string
  params: string[]
}

function operations(): Operation[] {
  const doc = openApiDocument(world.app) as unknown as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> }
  const ops: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      ops.push({ method: method.toUpperCase(), path, params: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name) })
    }
  }
  return ops
}

describe('hostile input', () => {
  it(`answers ${TOTAL_REQUESTS} hostile requests without a 5xx, every error as problem+json`, async () => {
    const ops = operations()
    expect(ops.length).toBeGreaterThan(10)
    const runsPerOperation = Math.ceil(TOTAL_REQUESTS / ops.length)
    let sent = 0
    const failures: string[] = []
    for (const op of ops) {
      const request = fc.record({
        pathValues: fc.array(hostileString, { minLength: 4, maxLength: 4 }),
        query: fc.array(fc.tuple(fc.constantFrom(...op.params, 'limit', 'cursor', 'x', 'from'), hostileString), { maxLength: 4 }),
        body: fc.oneof(jsonBody.map((v) => JSON.stringify(v)), fc.constantFrom(...rawBodies), hostileString),
        contentType: fc.constantFrom(...contentTypes),
        authenticated: fc.boolean(),
      })
      await fc.assert(
        fc.asyncProperty(request, async ({ pathValues, query, body, contentType, authenticated }) => {
          let i = 0
          const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(pathValues[i++] ?? 'x'))
          const search = new URLSearchParams(query).toString()
          const headers: Record<string, string> = {}
          if (contentType) headers['content-type'] = contentType
          if (authenticated) headers.authorization = `Bearer ${admin.token}`
          const res = await world.app.request(`${path}${search ? `?${search}` : ''}`, {
            method: op.method,
            headers,
            body: op.method === 'GET' || op.method === 'DELETE' ? undefined : body,
          })
          sent++
          const type = res.headers.get('content-type') ?? ''
          const text = await res.text()
          if (res.status >= 500) failures.push(`${op.method} ${path} → ${res.status} ${text.slice(0, 200)}`)
          const oauth = op.path === '/v1/auth/token' && type.startsWith('application/json') && /"error":/.test(text)
          if (res.status >= 400 && !oauth && type !== 'application/problem+json') failures.push(`${op.method} ${path} → ${res.status} with ${type}`)
          return true
        }),
        { numRuns: runsPerOperation, seed: 20261123 },
      )
    }
    expect(failures.slice(0, 20)).toEqual([])
    expect(sent).toBeGreaterThanOrEqual(TOTAL_REQUESTS)
    console.log(`fuzz: ${sent} hostile requests over ${ops.length} operations, ${failures.length} failures`)
  }, 600_000)
})
