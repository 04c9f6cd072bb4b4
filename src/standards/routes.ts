import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { decodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, requireAuth, requireRole } from '../identity/middleware.js'
import {
  CheckReportSchema,
  NewStandardSchema,
  StandardNameSchema,
  StandardPageSchema,
  StandardSchema,
  VersionSchema,
  renderReport,
  renderStandard,
  renderSummary,
} from './schemas.js'
import * as standards from './service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const authenticated = [requireAuth()]
const adminOnly = [requireAuth(), requireRole('admin')]
const checkers = [requireAuth(), requireRole('publisher', 'admin')]

const standardParams = z.object({
  name: StandardNameSchema.openapi({ param: { name: 'name', in: 'path' } }),
  version: z
    .union([VersionSchema, z.literal('latest')])
    .openapi({ param: { name: 'version', in: 'path' }, description: 'MAJOR.MINOR.PATCH, or `latest` for the highest version', example: 'latest' }),
})

const listStandardsRoute = createRoute({
  method: 'get',
  path: '/v1/standards',
  tags: ['standards'],
  summary: 'List the standards',
  description: 'Every version of every standard: those shipped with Qiao and those published since, by name then semantic version.',
  security: bearerSecurity,
  middleware: authenticated,
  request: {
    query: z.object({
      name: StandardNameSchema.optional().openapi({ description: 'Only the versions of this standard' }),
      ...pageQuery,
    }),
  },
  responses: { 200: json(StandardPageSchema, 'A page of standard versions'), ...errorResponses(400, 401) },
})

const getStandardRoute = createRoute({
  method: 'get',
  path: '/v1/standards/{name}/{version}',
  tags: ['standards'],
  summary: 'Read a standard version',
  description: 'Its JSON Schema and its data elements, with sensitivity, default mask and accepted aliases.',
  security: bearerSecurity,
  middleware: authenticated,
  request: { params: standardParams },
  responses: { 200: json(StandardSchema, 'The standard version'), ...errorResponses(400, 401, 404) },
})

const publishStandardRoute = createRoute({
  method: 'post',
  path: '/v1/standards',
  tags: ['standards'],
  summary: 'Publish a standard version',
  description: [
    'Admin only. A published version is immutable. The schema must compile as a record standard (400 validation_failed lists each problem with its path, e.g. an unsupported keyword).',
    'An existing version, or one lower than the latest of its major version, is refused with 409.',
    'Within a major version the change from the latest version must fit the step: a breaking change (removed or renamed field, new required field, narrowed type, tightened constraint, narrowed enum, removed alias, changed key, raised sensitivity) needs a new major version, any other field change a minor one.',
    'Otherwise 422 unprocessable, with `errors` listing each change that needs the bigger step as `{path, code: <change kind>, message}`. A raised sensitivity is accepted within the major version with `sensitivity_reviewed: true`.',
  ].join(' '),
  security: bearerSecurity,
  middleware: adminOnly,
  request: { body: { required: true, content: { 'application/json': { schema: NewStandardSchema } } } },
  responses: { 201: json(StandardSchema, 'Published'), ...errorResponses(400, 401, 403, 409, 415, 422) },
})

// Not zod schemas: @hono/zod-openapi would read and validate a whole JSON body before the
// handler runs. With plain JSON Schema it documents the body and leaves the stream alone.
const recordsBody = {
  required: true,
  description: 'The records: a JSON array of objects, NDJSON (one object per line) or CSV with a header row. UTF-8 unless a charset is given (e.g. text/csv; charset=gb18030). Column names may be field names or their aliases.',
  content: {
    'application/json': { schema: { type: 'array' as const, items: { type: 'object' as const } } },
    'application/x-ndjson': { schema: { type: 'string' as const, description: 'One JSON object per line' } },
    'text/csv': { schema: { type: 'string' as const, description: 'RFC 4180 CSV, header row first' } },
  },
}

const checkRecordsRoute = createRoute({
  method: 'post',
  path: '/v1/standards/{name}/{version}/check',
  tags: ['standards'],
  summary: 'Check records against a standard (dry run)',
  description:
    'Maps columns onto the standard (names and aliases), normalises and validates every record, streaming, and answers the conformance report. Stores nothing. Publishers and admins. 415 for other content types; 422 for an element library.',
  security: bearerSecurity,
  middleware: checkers,
  request: {
    params: standardParams,
    query: z.object({
      unknown: z
        .enum(['reject', 'drop'])
        .default('reject')
        .openapi({ description: 'A column that matches no field or alias: an `unknown_field` error (reject) or ignored (drop)' }),
    }),
    body: recordsBody,
  },
  responses: { 200: json(CheckReportSchema, 'The conformance report'), ...errorResponses(400, 401, 403, 404, 415, 422) },
})

export function registerStandardsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listStandardsRoute, async (c) => {
    const { name, limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, z.object({ name: z.string(), version: VersionSchema }))
    const items = await standards.listStandards(c.get('services').db, { name, after, limit: limit + 1 })
    return c.json(page(items, limit, renderSummary, (s) => ({ name: s.name, version: s.version })), 200)
  })

  app.openapi(getStandardRoute, async (c) => {
    const { name, version } = c.req.valid('param')
    return c.json(renderStandard(await standards.getStandard(c.get('services'), name, version)), 200)
  })

  app.openapi(publishStandardRoute, async (c) => {
    const published = await standards.publishStandard(c.get('services'), actionContext(c), c.req.valid('json'))
    return c.json(renderStandard(published), 201)
  })

  app.openapi(checkRecordsRoute, async (c) => {
    const { name, version } = c.req.valid('param')
    const { unknown } = c.req.valid('query')
    const upload = { body: c.req.raw.body, contentType: c.req.header('content-type') }
    const report = await standards.checkUpload(c.get('services'), name, version, upload, { unknown })
    return c.json(renderReport(report), 200)
  })
}
