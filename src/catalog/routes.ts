import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { problemContentType } from '../http/errors.js'
import { bearerSecurity, errorResponses, idempotencyKeyHeader } from '../http/openapi.js'
import { decodeCursor, encodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, optionalAuth, principalOf, requireAuth, requireRole } from '../identity/middleware.js'
import { SENSITIVITY_LEVELS } from '../standards/annotations.js'
import { StandardNameSchema } from '../standards/schemas.js'
import { catalogueJsonLd, JSON_LD_MEDIA_TYPE } from './dcat.js'
import { deleteRecord, ingestRecords, listIngests, refusal } from './ingest.js'
import {
  DatasetPageSchema,
  DatasetPatchSchema,
  DatasetSchema,
  IngestRefusedSchema,
  IngestReportSchema,
  IngestSummarySchema,
  NewDatasetSchema,
  TierChangeSchema,
  TierOverrideSchema,
  renderDataset,
  renderIngestReport,
  renderIngestSummary,
  renderTierChange,
} from './schemas.js'
import * as catalog from './service.js'
import { ATTRIBUTES } from './visibility.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

// Anonymous callers are welcome on the catalogue: the empty requirement makes the token optional.
const optionalSecurity = [...bearerSecurity, {}]
const anyone = [optionalAuth()]
const authenticated = [requireAuth()]
const publishers = [requireAuth(), requireRole('publisher')]
const retirers = [requireAuth(), requireRole('publisher', 'admin')]
const adminOnly = [requireAuth(), requireRole('admin')]

const datasetParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ds_8f3k2m…' }) })

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/datasets',
  tags: ['catalogue'],
  summary: 'Register a dataset',
  description: [
    "A publisher registers a dataset of its own department against a record standard version, with the catalogue metadata. The tier is computed from the standard's fields (the highest x-sensitivity, 就高从严).",
    'Conditional sharing states its conditions; sharing other than unconditional states its legal basis; a dataset not shared is not opened.',
    '422 for important or core data (GB/T 43697-2024) and classified data: Qiao never exchanges them. 409 when the resource code is taken.',
  ].join(' '),
  security: bearerSecurity,
  middleware: publishers,
  request: { body: { required: true, content: { 'application/json': { schema: NewDatasetSchema } } } },
  responses: { 201: json(DatasetSchema, 'Registered'), ...errorResponses(400, 401, 403, 409, 415, 422) },
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/datasets',
  tags: ['catalogue'],
  summary: 'Browse the catalogue',
  description: [
    'Shows each caller what it may know exists: departments see their own datasets and the shared catalogue (sharing unconditional or conditional); social organisations see what is open to society (unconditionally or on conditions);',
    'anonymous callers see openly published (open unconditionally) L1 datasets; the platform sees everything. Retired datasets only to their provider and the platform (`status=retired`). Ordered by resource code.',
  ].join(' '),
  security: optionalSecurity,
  middleware: anyone,
  request: {
    query: z.object({
      provider: z.string().max(64).optional().openapi({ description: 'Providing department (organisation id)' }),
      tier: z.enum(SENSITIVITY_LEVELS).optional(),
      standard: StandardNameSchema.optional().openapi({ description: 'Standard name' }),
      sharing: z.enum(ATTRIBUTES).optional(),
      open: z.enum(ATTRIBUTES).optional(),
      status: z.enum(['active', 'retired']).default('active'),
      q: z.string().trim().min(1).max(100).optional().openapi({ description: 'Free text in the code, name, title and abstract', example: '人口' }),
      ...pageQuery,
    }),
  },
  responses: { 200: json(DatasetPageSchema, 'A page of the catalogue'), ...errorResponses(400, 401) },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}',
  tags: ['catalogue'],
  summary: 'Read a catalogue entry',
  description: 'A dataset the caller may not know exists answers 404, exactly like a missing one.',
  security: optionalSecurity,
  middleware: anyone,
  request: { params: datasetParam },
  responses: { 200: json(DatasetSchema, 'The dataset'), ...errorResponses(401, 404) },
})

const updateRoute = createRoute({
  method: 'patch',
  path: '/v1/datasets/{id}',
  tags: ['catalogue'],
  summary: "Change a dataset's metadata",
  description:
    "The providing department's publishers. The same rules as at registration apply to the result. A new `standard_version` (same standard) recomputes the tier: a lowering override is dropped, a raise is kept while it is still higher. 409 once retired.",
  security: bearerSecurity,
  middleware: publishers,
  request: { params: datasetParam, body: { required: true, content: { 'application/json': { schema: DatasetPatchSchema } } } },
  responses: { 200: json(DatasetSchema, 'The dataset'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const retireRoute = createRoute({
  method: 'post',
  path: '/v1/datasets/{id}/retire',
  tags: ['catalogue'],
  summary: 'Retire a dataset',
  description: 'Reads stop and no records are taken; the records are kept. Only the provider and the platform still see it. Idempotent. Publishers of the provider, or admins.',
  security: bearerSecurity,
  middleware: retirers,
  request: { params: datasetParam },
  responses: { 200: json(DatasetSchema, 'The retired dataset'), ...errorResponses(401, 403, 404) },
})

const overrideTierRoute = createRoute({
  method: 'put',
  path: '/v1/datasets/{id}/tier',
  tags: ['catalogue'],
  summary: 'Override the tier',
  description:
    'Admin only. Raising needs a reason; lowering needs a justification of at least a sentence, and a tier below the computed one is flagged on supervision. The computed tier clears the override. Audited with the tier before and after. important/core: 422 (retire the dataset instead).',
  security: bearerSecurity,
  middleware: adminOnly,
  request: { params: datasetParam, body: { required: true, content: { 'application/json': { schema: TierOverrideSchema } } } },
  responses: { 200: json(DatasetSchema, 'The dataset'), ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
})

const tierHistoryRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}/tier',
  tags: ['catalogue'],
  summary: "A dataset's tier and its history",
  description: 'Every change: at registration, with a new standard version, and each override. For the provider and the platform.',
  security: bearerSecurity,
  middleware: authenticated,
  request: { params: datasetParam },
  responses: {
    200: json(
      z
        .object({
          tier: z.enum(SENSITIVITY_LEVELS),
          computed_tier: z.enum(SENSITIVITY_LEVELS),
          tier_override: DatasetSchema.shape.tier_override,
          changes: z.array(TierChangeSchema),
        })
        .openapi('TierHistory'),
      'The tier and its changes, oldest first',
    ),
    ...errorResponses(401, 403, 404),
  },
})

// Not zod schemas: @hono/zod-openapi would read and validate a whole JSON body before the
// handler runs. With plain JSON Schema it documents the body and leaves the stream alone.
const recordsBody = {
  required: true,
  description:
    'The records: a JSON array of objects, NDJSON (one object per line) or CSV with a header row, streamed (never held whole). UTF-8 unless a charset is given (text/csv; charset=gb18030). Column names may be field names or their aliases.',
  content: {
    'application/json': { schema: { type: 'array' as const, items: { type: 'object' as const } } },
    'application/x-ndjson': { schema: { type: 'string' as const, description: 'One JSON object per line' } },
    'text/csv': { schema: { type: 'string' as const, description: 'RFC 4180 CSV, header row first' } },
  },
}

const ingestRoute = createRoute({
  method: 'post',
  path: '/v1/datasets/{id}/records',
  tags: ['catalogue'],
  summary: 'Ingest records',
  description: [
    "The providing department's publishers. Every row is standardised and validated against the dataset's standard version, then upserted by key in one transaction, set-based.",
    'atomic (default): any invalid row refuses the batch with 422 and the per-row report; nothing is stored. partial: the valid rows are stored, the others reported.',
    'A changed record keeps its previous versions. A retry with the same Idempotency-Key answers the first report (Idempotent-Replayed: true) and stores nothing again.',
  ].join(' '),
  security: bearerSecurity,
  middleware: publishers,
  request: {
    params: datasetParam,
    query: z.object({
      mode: z.enum(['atomic', 'partial']).default('atomic').openapi({ description: 'atomic: all rows or none; partial: the valid rows' }),
      unknown: z
        .enum(['reject', 'drop'])
        .default('reject')
        .openapi({ description: 'A column that matches no field or alias: an `unknown_field` error (reject) or ignored (drop)' }),
    }),
    headers: z.object({
      'idempotency-key': idempotencyKeyHeader('Makes a retry safe: the same key answers the first result', '2026-11-23-population-full'),
    }),
    body: recordsBody,
  },
  responses: {
    200: json(IngestReportSchema, 'Stored: inserted, updated, unchanged and rejected counts, with the invalid rows'),
    422: { description: 'An atomic batch with invalid rows (nothing stored; `report` lists them), or an Idempotency-Key reused for another request', content: { [problemContentType]: { schema: IngestRefusedSchema } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 415),
  },
})

const deleteRecordRoute = createRoute({
  method: 'delete',
  path: '/v1/datasets/{id}/records/{key}',
  tags: ['catalogue'],
  summary: 'Delete a record (tombstone)',
  description: "The record is marked deleted and kept with its history; ingesting the key again brings it back. Idempotent. The providing department's publishers.",
  security: bearerSecurity,
  middleware: publishers,
  request: {
    params: datasetParam.extend({ key: z.string().min(1).max(256).openapi({ param: { name: 'key', in: 'path' }, example: '11010519491231002X' }) }),
  },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
})

const ingestsRoute = createRoute({
  method: 'get',
  path: '/v1/datasets/{id}/ingests',
  tags: ['catalogue'],
  summary: "A dataset's batches",
  description: 'Newest first, with their counts: the conformance record of the dataset. For the provider and the platform.',
  security: bearerSecurity,
  middleware: authenticated,
  request: { params: datasetParam, query: z.object(pageQuery) },
  responses: {
    200: json(z.object({ items: z.array(IngestSummarySchema), next_cursor: z.string().nullable() }).openapi('IngestPage'), 'A page of batches'),
    ...errorResponses(400, 401, 403, 404),
  },
})

const dcatRoute = createRoute({
  method: 'get',
  path: '/v1/catalog.jsonld',
  tags: ['catalogue'],
  summary: 'The catalogue as DCAT (JSON-LD)',
  description:
    'The catalogue the caller may see (anonymous: the openly published datasets), as a dcat:Catalog for open-data portals such as CKAN (ckanext-dcat RDF harvester). Paged with hydra:PagedCollection / hydra:next.',
  security: optionalSecurity,
  middleware: anyone,
  request: { query: z.object({ ...pageQuery, limit: pageQuery.limit.default(100) }) },
  responses: {
    200: { description: 'A DCAT catalogue page', content: { [JSON_LD_MEDIA_TYPE]: { schema: z.record(z.string(), z.unknown()) } } },
    ...errorResponses(400, 401),
  },
})

const codeCursor = z.object({ code: z.string() })

export function registerCatalogRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(registerRoute, async (c) => {
    const dataset = await catalog.registerDataset(c.get('services'), actionContext(c), c.req.valid('json'))
    c.header('Location', `/v1/datasets/${dataset.row.id}`)
    return c.json(renderDataset(dataset), 201)
  })

  app.openapi(listRoute, async (c) => {
    const { q, limit, cursor, ...filter } = c.req.valid('query')
    const after = decodeCursor(cursor, codeCursor)
    const datasets = await catalog.listDatasets(c.get('services'), c.get('principal'), { ...filter, text: q, afterCode: after?.code, limit: limit + 1 })
    return c.json(page(datasets, limit, renderDataset, (d) => ({ code: d.row.code })), 200)
  })

  app.openapi(getRoute, async (c) => {
    const dataset = await catalog.getDataset(c.get('services'), c.get('principal'), c.req.valid('param').id)
    return c.json(renderDataset(dataset), 200)
  })

  app.openapi(updateRoute, async (c) => {
    const dataset = await catalog.updateDataset(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))
    return c.json(renderDataset(dataset), 200)
  })

  app.openapi(retireRoute, async (c) => {
    const dataset = await catalog.retireDataset(c.get('services'), actionContext(c), c.req.valid('param').id)
    return c.json(renderDataset(dataset), 200)
  })

  app.openapi(overrideTierRoute, async (c) => {
    const dataset = await catalog.overrideTier(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))
    return c.json(renderDataset(dataset), 200)
  })

  app.openapi(tierHistoryRoute, async (c) => {
    const { id } = c.req.valid('param')
    const { dataset, changes } = await catalog.tierHistory(c.get('services'), principalOf(c), id)
    const rendered = renderDataset(dataset)
    return c.json({ tier: rendered.tier, computed_tier: rendered.computed_tier, tier_override: rendered.tier_override, changes: changes.map(renderTierChange) }, 200)
  })

  app.openapi(ingestRoute, async (c) => {
    const { mode, unknown } = c.req.valid('query')
    const upload = { body: c.req.raw.body, contentType: c.req.header('content-type') }
    const options = { mode, unknown, idempotencyKey: c.req.valid('header')['idempotency-key'] }
    const outcome = await ingestRecords(c.get('services'), actionContext(c), principalOf(c), c.req.valid('param').id, upload, options)
    if (!outcome.stored) throw refusal(outcome.report, outcome.replayed)
    if (outcome.replayed) c.header('Idempotent-Replayed', 'true')
    return c.json(renderIngestReport(outcome.report), 200)
  })

  app.openapi(deleteRecordRoute, async (c) => {
    const { id, key } = c.req.valid('param')
    await deleteRecord(c.get('services'), actionContext(c), principalOf(c), id, key)
    return c.body(null, 204)
  })

  app.openapi(ingestsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const before = decodeCursor(cursor, z.object({ at: z.iso.datetime(), id: z.string() }))
    const rows = await listIngests(c.get('services'), principalOf(c), c.req.valid('param').id, {
      beforeStartedAt: before ? { at: new Date(before.at), id: before.id } : undefined,
      limit: limit + 1,
    })
    return c.json(page(rows, limit, renderIngestSummary, (r) => ({ at: r.started_at.toISOString(), id: r.id })), 200)
  })

  app.openapi(dcatRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, codeCursor)
    const datasets = await catalog.listDatasets(c.get('services'), c.get('principal'), { afterCode: after?.code, limit: limit + 1 })
    const shown = datasets.slice(0, limit)
    const last = shown.at(-1)
    // URIs and page links hang off the configured public URL, not whatever host the request reached.
    const baseUrl = c.get('services').config.QIAO_ISSUER.replace(/\/+$/, '')
    const pageUrl = (pageCursor: string | undefined) =>
      `${baseUrl}/v1/catalog.jsonld?${new URLSearchParams({ limit: String(limit), ...(pageCursor ? { cursor: pageCursor } : {}) })}`
    const document = catalogueJsonLd(shown, {
      baseUrl,
      pageUrl: pageUrl(cursor),
      nextUrl: datasets.length > limit && last ? pageUrl(encodeCursor({ code: last.row.code })) : null,
      pageSize: limit,
    })
    return c.body(JSON.stringify(document), 200, { 'content-type': JSON_LD_MEDIA_TYPE }) as never
  })
}
