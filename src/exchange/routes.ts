import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppContext, AppEnv } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { respond } from '../http/middleware.js'
import { digestOne } from '../audit/hasher.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { decodeCursor, encodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, optionalAuth, principalOf, requireAuth, requireRole } from '../identity/middleware.js'
import type { Condition } from './repository.js'
import { aggregateRecords, readRecord, readRecords, type AggregateAnswer, type ReadRequest } from './delivery.js'
import {
  AccessRequestSchema,
  ApprovalSchema,
  GrantSchema,
  NewAccessRequestSchema,
  RejectionSchema,
  renderGrant,
  renderRequest,
} from './schemas.js'
import * as exchange from './service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const consumers = [requireAuth(), requireRole('consumer')]
const approvers = [requireAuth(), requireRole('approver')]
const requestReaders = [requireAuth(), requireRole('consumer', 'approver')]
const authenticated = [requireAuth()]
const revokers = [requireAuth(), requireRole('approver', 'publisher', 'admin')]
const optionalSecurity = [...bearerSecurity, {}]

const requestParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'req_2k9…' }) })
const grantParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'grt_5h1…' }) })
const datasetParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ds_8f3k…' }) })
const createdCursor = z.object({ t: z.string(), id: z.string() })
const keyCursor = z.object({ k: z.string() })

const createRequestRoute = createRoute({
  method: 'post',
  path: '/v1/access-requests',
  tags: ['exchange'],
  summary: 'Request access to a dataset',
  description:
    'A consumer asks for fields of a dataset with a purpose, a legal basis and a duration. Where the tier policy makes access direct the request is approved at once and a grant created (reason policy_direct); ' +
    'where it needs approval the request waits for the owning department’s approvers, with a deadline of 10 working days; where the policy gives no access it is refused (403, with the reason).',
  security: bearerSecurity,
  middleware: consumers,
  request: { body: { required: true, content: { 'application/json': { schema: NewAccessRequestSchema } } } },
  responses: { 201: json(AccessRequestSchema, 'Filed (pending), or approved directly'), ...errorResponses(400, 401, 403, 404, 415, 422) },
})

const listRequestsRoute = createRoute({
  method: 'get',
  path: '/v1/access-requests',
  tags: ['exchange'],
  summary: 'List access requests',
  description:
    'outgoing: the requests of the caller’s organisation (consumers); incoming: requests for its datasets (approvers). Newest first, each pending one with its deadline, light and overdue flag. ' +
    'The default box is outgoing for consumers, incoming otherwise.',
  security: bearerSecurity,
  middleware: requestReaders,
  request: {
    query: z.object({
      box: z.enum(['outgoing', 'incoming']).optional().openapi({ description: 'Which requests' }),
      status: z.enum(['pending', 'approved', 'rejected', 'withdrawn', 'expired']).optional().openapi({ description: 'Only this status' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(AccessRequestSchema), next_cursor: z.string().nullable() }).openapi('AccessRequestPage'), 'A page of requests'),
    ...errorResponses(400, 401, 403),
  },
})

const getRequestRoute = createRoute({
  method: 'get',
  path: '/v1/access-requests/{id}',
  tags: ['exchange'],
  summary: 'Read an access request',
  description: 'For the requesting organisation and the owning department; 404 for anyone else.',
  security: bearerSecurity,
  middleware: requestReaders,
  request: { params: requestParam },
  responses: { 200: json(AccessRequestSchema, 'The request'), ...errorResponses(401, 403, 404) },
})

const approveRoute = createRoute({
  method: 'post',
  path: '/v1/access-requests/{id}/approve',
  tags: ['exchange'],
  summary: 'Approve an access request',
  description:
    'The owning department’s approvers. The approval may narrow the fields, set masks per field, a row filter, a daily quota and an expiry. ' +
    'It is checked against the tier policy in force for this consumer: an approval that would exceed it (a raw field where only masked data is allowed, a non-aggregatable field for aggregates only, fields not requested, an expiry past the requested duration) is refused with 422 and the reasons.',
  security: bearerSecurity,
  middleware: approvers,
  request: { params: requestParam, body: { required: true, content: { 'application/json': { schema: ApprovalSchema } } } },
  responses: { 200: json(AccessRequestSchema, 'Approved; grant_id names the grant'), ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
})

const rejectRoute = createRoute({
  method: 'post',
  path: '/v1/access-requests/{id}/reject',
  tags: ['exchange'],
  summary: 'Reject an access request',
  description: 'The owning department’s approvers; a reason is required.',
  security: bearerSecurity,
  middleware: approvers,
  request: { params: requestParam, body: { required: true, content: { 'application/json': { schema: RejectionSchema } } } },
  responses: { 200: json(AccessRequestSchema, 'Rejected'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const withdrawRoute = createRoute({
  method: 'post',
  path: '/v1/access-requests/{id}/withdraw',
  tags: ['exchange'],
  summary: 'Withdraw an access request',
  description: 'The requesting organisation’s consumers, while it is pending.',
  security: bearerSecurity,
  middleware: consumers,
  request: { params: requestParam },
  responses: { 200: json(AccessRequestSchema, 'Withdrawn'), ...errorResponses(401, 403, 404, 409) },
})

const listGrantsRoute = createRoute({
  method: 'get',
  path: '/v1/grants',
  tags: ['exchange'],
  summary: 'List grants',
  description: 'The grants the caller’s organisation holds (side=consumer) or has given on its datasets (side=owner), or both; the platform (admins, auditors) sees every grant. Newest first.',
  security: bearerSecurity,
  middleware: authenticated,
  request: {
    query: z.object({
      side: z.enum(['consumer', 'owner']).optional().openapi({ description: 'Held or given; both if absent' }),
      dataset_id: z.string().max(64).optional().openapi({ description: 'Only grants of this dataset' }),
      status: z.enum(['active', 'revoked']).optional().openapi({ description: 'Only this stored status (an active grant past its expiry shows as expired)' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(GrantSchema), next_cursor: z.string().nullable() }).openapi('GrantPage'), 'A page of grants'),
    ...errorResponses(400, 401),
  },
})

const revokeGrantRoute = createRoute({
  method: 'delete',
  path: '/v1/grants/{id}',
  tags: ['exchange'],
  summary: 'Revoke a grant',
  description: 'The owning department (approvers, publishers) or an admin. Takes effect on the very next read: every read checks the grant. Idempotent.',
  security: bearerSecurity,
  middleware: revokers,
  request: {
    params: grantParam,
    query: z.object({ reason: z.string().trim().min(1).max(2000).optional().openapi({ description: 'Why; recorded in the audit log' }) }),
  },
  responses: { 200: json(GrantSchema, 'Revoked'), ...errorResponses(401, 403, 404) },
})

const purposeHeader = z.object({
  'x-purpose': z
    .string()
    .min(1)
    .max(1500)
    .optional()
    .openapi({ description: 'The purpose of this read, percent-encoded UTF-8 where not ASCII: it must match the purpose of a grant (not needed by owners or for openly published data)', example: 'subsidy-eligibility' }),
  'if-none-match': z.string().max(200).optional().openapi({ description: 'An ETag of an earlier answer: 304 if nothing changed' }),
})

const filterQuery = z
  .string()
  .max(4000)
  .optional()
  .openapi({
    description:
      'Comma-separated conditions field:op:value, all of which must hold; op is eq, in (values separated by |, at most 50), prefix, gt, gte, lt or lte (ranges compare as text in code-point order: dates, codes). ' +
      'Only on fields the standard indexes (x-indexed; 400 not_indexed otherwise, naming them) that the caller is granted and receives unmasked: a filtered page is read through the index in key order. A value holding a comma, | or % writes it percent-encoded within the filter (%2C, %7C, %25), and the whole filter is then encoded as any query value is (so a comma in a value is %252C on the wire).',
    example: 'status:eq:normal,birth_date:gte:1990-01-01',
  })

const FILTER_OPS = ['eq', 'in', 'prefix', 'gt', 'gte', 'lt', 'lte'] as const
/** The most values one `in` condition names. */
const FILTER_SET_LIMIT = 50

/** `field:op:value,…` → conditions; 400 naming the first malformed one. */
function parseFilters(text: string | undefined): Condition[] | undefined {
  if (text === undefined) return undefined
  const parts = text.split(',').filter((p) => p !== '')
  if (parts.length > 10) throw badFilter('at most 10 conditions')
  return parts.map((part) => {
    const first = part.indexOf(':')
    const second = first < 0 ? -1 : part.indexOf(':', first + 1)
    const field = part.slice(0, first)
    const op = part.slice(first + 1, second)
    const value = part.slice(second + 1)
    const shown = JSON.stringify(part.length > 80 ? `${part.slice(0, 80)}…` : part)
    if (first <= 0 || second < 0 || !(FILTER_OPS as readonly string[]).includes(op)) {
      throw badFilter(`${shown} is not field:op:value with op one of ${FILTER_OPS.join(', ')}`)
    }
    const written = op === 'in' ? value.split('|') : [value]
    if (written.length > FILTER_SET_LIMIT) throw badFilter(`${shown} names more than ${FILTER_SET_LIMIT} values`)
    // Split first, then decode: a value holds `,`, `|` or `%` written as %2C, %7C or %25.
    const values = written.map((v) => {
      try {
        return decodeURIComponent(v)
      } catch {
        throw badFilter(`${shown} has a value that is not valid percent-encoded UTF-8 (write % as %25)`)
      }
    })
    if (values.some((v) => v.length > 256)) throw badFilter(`${shown} has a value longer than 256 characters`)
    return op === 'in' ? { field, op, values } : { field, op: op as Exclude<(typeof FILTER_OPS)[number], 'in'>, value: values[0]! }
  })
}

function badFilter(message: string): ApiError {
  return new ApiError('validation_failed', `query.filter: ${message}`, { errors: [{ path: 'query.filter', message, code: 'invalid_filter' }] })
}

const recordItem = z.record(z.string(), z.unknown()).openapi('DeliveredRecord', { description: 'A record projected to the granted fields, masked as the grant and policy require' })

const readRecordsRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}/records',
  tags: ['exchange'],
  summary: 'Read records',
  description:
    'In key order with an opaque cursor. The caller’s grant for the purpose in X-Purpose, the tier policy and the grant’s daily quota are checked; records are filtered by the grant’s row filter, projected to the granted fields (?fields= narrows further) and masked per the grant, or per the standard’s default masks in masked modes. ' +
    'Openly published L1 datasets are readable anonymously. Every read, allowed or refused, is in the audit log before the answer. ETag / If-None-Match supported.',
  security: optionalSecurity,
  middleware: [optionalAuth()],
  request: {
    params: datasetParam,
    headers: purposeHeader,
    query: z.object({
      fields: z.string().max(4000).optional().openapi({ description: 'Comma-separated fields, a subset of those granted', example: 'household_region_code,status' }),
      filter: filterQuery,
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(recordItem), next_cursor: z.string().nullable() }).openapi('RecordPage'), 'A page of records'),
    304: { description: 'Not modified (If-None-Match)' },
    ...errorResponses(400, 401, 403, 404, 429),
  },
})

const readRecordRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}/records/{key}',
  tags: ['exchange'],
  summary: 'Read one record',
  description: 'As GET /v1/datasets/{id}/records, for one key; 404 when it is missing, deleted or outside the grant’s row filter.',
  security: optionalSecurity,
  middleware: [optionalAuth()],
  request: {
    params: datasetParam.extend({ key: z.string().min(1).max(256).openapi({ param: { name: 'key', in: 'path' }, example: '11010519491231002X' }) }),
    headers: purposeHeader,
    query: z.object({ fields: z.string().max(4000).optional().openapi({ description: 'Comma-separated fields, a subset of those granted' }), filter: filterQuery }),
  },
  responses: {
    200: json(recordItem, 'The record'),
    304: { description: 'Not modified (If-None-Match)' },
    ...errorResponses(400, 401, 403, 404, 429),
  },
})

const measureValues = z.record(z.string(), z.number().nullable()).openapi({ example: { people_served: 1250 } })

const AggregateSchema = z
  .object({
    group_by: z.array(z.string()).openapi({ description: 'The dimensions, in order' }),
    k: z.int().openapi({ description: 'Groups with fewer records than this are suppressed', example: 5 }),
    items: z.array(
      z.object({
        groups: z.record(z.string(), z.string().nullable()).openapi({ description: 'The group: a bucket per dimension (value, prefecture code, age band like 30-39, or YYYY-MM)', example: { sex: '1', household_region_code: '330100' } }),
        count: z.int().nullable().openapi({ description: 'Records in the group; null when suppressed' }),
        suppressed: z.boolean(),
        sums: measureValues.optional().openapi({ description: 'With ?measures=: the sum of each measure in the group; null when suppressed or when no record of the group has a value' }),
        averages: measureValues.optional().openapi({ description: 'With ?measures=: the average of each measure over the group’s records that have a value' }),
      }),
    ),
    total: z.int().openapi({ description: 'The sum of the published counts only: suppressed groups are not in it' }),
    sums_total: z.record(z.string(), z.number()).optional().openapi({ description: 'With ?measures=: each measure summed over the published groups only' }),
    suppressed_groups: z.int(),
  })
  .openapi('Aggregate')

const aggregateRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}/aggregate',
  tags: ['exchange'],
  summary: 'Count (and sum) records by aggregatable dimensions',
  description:
    'Counts grouped by the fields the standard marks aggregatable (x-aggregatable) and the caller may use (its grant’s fields; all for direct access). Any group with fewer than k (5) records is suppressed; if only one group would be, the next smallest is too, ' +
    'and the total counts published groups only, so a suppressed count cannot be recovered from the answer. With ?measures=, each group also gets the sum and average of summable fields (x-summable) the caller may read and the grant does not mask; suppressed groups show none, and sums_total covers published groups only. ' +
    'The grant’s row filter applies; X-Purpose as for records; audited; costs one against the daily quota.',
  security: optionalSecurity,
  middleware: [optionalAuth()],
  request: {
    params: datasetParam,
    headers: purposeHeader,
    query: z.object({
      group_by: z.string().min(1).max(1000).openapi({ description: 'Comma-separated aggregatable fields (1–4)', example: 'sex,household_region_code' }),
      measures: z
        .string()
        .max(1000)
        .optional()
        .openapi({ description: 'Comma-separated numeric fields the standard marks summable (x-summable), at most 4: each group gets their sum and average. Suppressed groups show none.', example: 'people_served' }),
    }),
  },
  responses: { 200: json(AggregateSchema, 'The counts'), ...errorResponses(400, 401, 403, 404, 429) },
})

export function registerExchangeRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createRequestRoute, async (c) => {
    const view = await exchange.createAccessRequest(c.get('services'), actionContext(c), c.req.valid('json'))
    return c.json(renderRequest(view), 201)
  })

  app.openapi(listRequestsRoute, async (c) => {
    const principal = principalOf(c)
    const { box, status, limit, cursor } = c.req.valid('query')
    const chosen = box ?? (principal.roles.includes('consumer') ? 'outgoing' : 'incoming')
    if (chosen === 'incoming' && !principal.roles.includes('approver')) throw new ApiError('forbidden', 'incoming requests are for approvers')
    if (chosen === 'outgoing' && !principal.roles.includes('consumer')) throw new ApiError('forbidden', 'outgoing requests are for consumers')
    const after = decodeCursor(cursor, createdCursor)
    const views = await exchange.listAccessRequests(c.get('services'), principal, {
      box: chosen,
      status,
      after: after && { createdAt: new Date(after.t), id: after.id },
      limit: limit + 1,
    })
    return c.json(page(views, limit, renderRequest, (v) => ({ t: v.row.created_at.toISOString(), id: v.row.id })), 200)
  })

  app.openapi(getRequestRoute, async (c) => {
    return c.json(renderRequest(await exchange.getAccessRequest(c.get('services'), principalOf(c), c.req.valid('param').id)), 200)
  })

  app.openapi(approveRoute, async (c) => {
    const body = c.req.valid('json')
    const { request } = await exchange.approveAccessRequest(c.get('services'), actionContext(c), c.req.valid('param').id, {
      ...body,
      expires_at: body.expires_at === undefined ? undefined : new Date(body.expires_at),
    })
    return c.json(renderRequest(request), 200)
  })

  app.openapi(rejectRoute, async (c) => {
    const view = await exchange.rejectAccessRequest(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json').reason)
    return c.json(renderRequest(view), 200)
  })

  app.openapi(withdrawRoute, async (c) => {
    return c.json(renderRequest(await exchange.withdrawAccessRequest(c.get('services'), actionContext(c), c.req.valid('param').id)), 200)
  })

  app.openapi(listGrantsRoute, async (c) => {
    const { side, dataset_id, status, limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, createdCursor)
    const grants = await exchange.listGrants(c.get('services'), principalOf(c), {
      side,
      datasetId: dataset_id,
      status,
      after: after && { createdAt: new Date(after.t), id: after.id },
      limit: limit + 1,
    })
    const now = c.get('services').clock.now()
    return c.json(page(grants, limit, (g) => renderGrant(g, now), (g) => ({ t: g.created_at.toISOString(), id: g.id })), 200)
  })

  app.openapi(revokeGrantRoute, async (c) => {
    const grant = await exchange.revokeGrant(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('query').reason ?? null)
    return c.json(renderGrant(grant, c.get('services').clock.now()), 200)
  })

  app.openapi(readRecordsRoute, async (c) => {
    const { limit, cursor, fields, filter } = c.req.valid('query')
    const after = decodeCursor(cursor, keyCursor)
    const read = { ...readOf(c, c.req.valid('param').id, fields), filters: parseFilters(filter) }
    const answer = await readRecords(c.get('services'), actionContext(c), read, { afterKey: after === undefined ? undefined : uriDecoded(after.k, 'query.cursor'), limit }, (page) =>
      taggedJson(c, { items: page.items, next_cursor: page.nextKey === null ? null : encodeCursor({ k: encodeURIComponent(page.nextKey) }) }),
    )
    return conditional(c, answer)
  })

  app.openapi(readRecordRoute, async (c) => {
    const { id, key } = c.req.valid('param')
    const { fields, filter } = c.req.valid('query')
    const answer = await readRecord(c.get('services'), actionContext(c), { ...readOf(c, id, fields), filters: parseFilters(filter) }, key, (record) => taggedJson(c, record))
    return conditional(c, answer)
  })

  app.openapi(aggregateRoute, async (c) => {
    const read = readOf(c, c.req.valid('param').id, c.req.valid('query').group_by)
    const groupBy = read.fields ?? []
    if (groupBy.length === 0 || groupBy.length > 4) {
      throw new ApiError('validation_failed', 'group_by names one to four fields', { errors: [{ path: 'query.group_by', message: 'one to four fields', code: 'too_many' }] })
    }
    const measures = fieldList(c.req.valid('query').measures) ?? []
    if (measures.length > 4) {
      throw new ApiError('validation_failed', 'measures names at most four fields', { errors: [{ path: 'query.measures', message: 'at most four fields', code: 'too_many' }] })
    }
    return c.json(renderAggregate(await aggregateRecords(c.get('services'), actionContext(c), { ...read, fields: groupBy, measures })), 200)
  })
}

function renderAggregate(answer: AggregateAnswer): z.infer<typeof AggregateSchema> {
  const names = answer.dimensions.map((d) => d.field)
  const measures = answer.measures
  const byMeasure = <T>(values: readonly T[]): Record<string, T> => Object.fromEntries(measures.map((m, i) => [m, values[i]!]))
  return {
    group_by: names,
    k: answer.k,
    items: answer.table.cells.map((cell) => ({
      groups: Object.fromEntries(
        cell.values.map((value, i) => {
          const band = answer.dimensions[i]?.kind === 'age-band' && value !== null ? `${value}-${Number(value) + 9}` : value
          return [names[i]!, band]
        }),
      ),
      count: cell.count,
      suppressed: cell.suppressed,
      ...(measures.length > 0 ? { sums: byMeasure(cell.sums), averages: byMeasure(cell.averages) } : {}),
    })),
    total: answer.table.publishedTotal,
    ...(measures.length > 0 ? { sums_total: byMeasure(answer.table.publishedSums) } : {}),
    suppressed_groups: answer.table.suppressedCells,
  }
}

function readOf(c: AppContext, datasetId: string, fields: string | undefined): ReadRequest {
  const header = c.req.header('x-purpose')
  const purpose = header === undefined ? undefined : uriDecoded(header, 'header.x-purpose').trim() || undefined
  return { datasetId, purpose, fields: fieldList(fields) }
}

/** A comma-separated list of field names, each once. */
function fieldList(fields: string | undefined): string[] | undefined {
  return fields === undefined ? undefined : [...new Set(fields.split(',').map((f) => f.trim()).filter(Boolean))]
}

function uriDecoded(text: string, path: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new ApiError('validation_failed', `${path} is not valid percent-encoded UTF-8`, { errors: [{ path, message: 'not valid percent-encoded UTF-8', code: 'invalid_encoding' }] })
  }
}

/** A delivered body as sent (its JSON, UTF-8), and its ETag. */
interface TaggedJson {
  body: Uint8Array<ArrayBuffer>
  etag: string
}

const utf8 = new TextEncoder()

/**
 * The JSON of a delivered body and its strong ETag: the first 128 bits of the SHA-256 of that
 * JSON, so the tag changes with any byte of it. The JSON is written and encoded once, for both.
 */
async function taggedJson(c: AppContext, value: unknown): Promise<TaggedJson> {
  const body = utf8.encode(JSON.stringify(value))
  const digest = await digestOne(c.get('services').hasher, body)
  let hex = ''
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0')
  return { body, etag: `"${hex}"` }
}

/** The answer, or 304 when If-None-Match already holds its tag. */
function conditional(c: AppContext, { body, etag }: TaggedJson): Response {
  if (matches(c.req.header('if-none-match'), etag)) return respond(c, null, 304, { ETag: etag, 'Cache-Control': 'private, no-cache' })
  return respond(c, body, 200, { ETag: etag, 'Cache-Control': 'private, no-cache', 'Content-Type': 'application/json' })
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })
}
