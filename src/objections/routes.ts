import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { decodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, principalOf, requireAuth, requireRole } from '../identity/middleware.js'
import { OBJECTION_STATUSES } from './repository.js'
import {
  CloseSchema,
  NewObjectionSchema,
  NewRatingSchema,
  ObjectionSchema,
  RatingSchema,
  renderObjection,
  renderRating,
  ReopenSchema,
  ResolutionSchema,
} from './schemas.js'
import * as objections from './service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } })

const raisers = [requireAuth(), requireRole('consumer')]
const owners = [requireAuth(), requireRole('publisher', 'approver')]
const readers = [requireAuth(), requireRole('consumer', 'publisher', 'approver', 'admin')]

const objectionParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'obj_4t8…' }) })
const datasetParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ds_8f3k…' }) })
const requestParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'req_2k9…' }) })
const createdCursor = z.object({ t: z.string(), id: z.string() })

const raiseRoute = createRoute({
  method: 'post',
  path: '/v1/datasets/{id}/objections',
  tags: ['objections'],
  summary: 'Raise a data objection (数据异议)',
  description:
    'Disputes a record (record_key) or the whole dataset, with a description and optionally the values believed correct. Needs an active grant on the dataset, or — for a department — a dataset shared with departments, or direct access under the tier policy. ' +
    'A record must be one the caller can read (live, inside its grant’s row filter): otherwise 404, as for a missing record. Routed to the owning department, which must accept it within QIAO_OBJECTION_ACCEPT_WORKING_DAYS working days (default 3). ' +
    'While the objection is open, reads of the record carry `_flags: ["disputed"]`.',
  security: bearerSecurity,
  middleware: raisers,
  request: { params: datasetParam, body: body(NewObjectionSchema) },
  responses: { 201: json(ObjectionSchema, 'Raised'), ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/objections',
  tags: ['objections'],
  summary: 'List objections',
  description:
    'raised: those the caller’s organisation raised (consumers); incoming: those about its datasets (publishers, approvers); all: every objection (admins). The default view follows the caller’s roles in that order of preference: admin, then publisher or approver, then consumer. ' +
    'Newest first; each open one (raised or accepted) with its deadline, light and overdue flag.',
  security: bearerSecurity,
  middleware: readers,
  request: {
    query: z.object({
      view: z.enum(['raised', 'incoming', 'all']).optional().openapi({ description: 'Which objections' }),
      status: z.enum(OBJECTION_STATUSES).optional().openapi({ description: 'Only this status' }),
      open: z.enum(['true', 'false']).optional().openapi({ description: 'true: only those awaiting the owner (raised or accepted)' }),
      dataset_id: z.string().max(64).optional().openapi({ description: 'Only objections to this dataset' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(ObjectionSchema), next_cursor: z.string().nullable() }).openapi('ObjectionPage'), 'A page of objections'),
    ...errorResponses(400, 401, 403),
  },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/objections/{id}',
  tags: ['objections'],
  summary: 'Read an objection',
  description: 'For the raising organisation, the owning department and admins; 404 for anyone else.',
  security: bearerSecurity,
  middleware: readers,
  request: { params: objectionParam },
  responses: { 200: json(ObjectionSchema, 'The objection'), ...errorResponses(401, 403, 404) },
})

const acceptRoute = createRoute({
  method: 'post',
  path: '/v1/objections/{id}/accept',
  tags: ['objections'],
  summary: 'Accept an objection',
  description: 'The owning department (publishers, approvers) takes up a raised objection; it then has QIAO_OBJECTION_WORKING_DAYS working days (default 10) to resolve it. 409 (reason wrong_state) unless it is raised.',
  security: bearerSecurity,
  middleware: owners,
  request: { params: objectionParam },
  responses: { 200: json(ObjectionSchema, 'Accepted'), ...errorResponses(401, 403, 404, 409) },
})

const resolveRoute = createRoute({
  method: 'post',
  path: '/v1/objections/{id}/resolve',
  tags: ['objections'],
  summary: 'Resolve an objection',
  description:
    'The owning department resolves an accepted objection: corrected — the correction went through a normal ingest (POST /v1/datasets/{id}/records), whose id is given as ingest_id and checked (422 when it is not an ingest of this dataset made since the objection, or did not change the disputed record) — or rejected, with the note saying why. ' +
    'The record’s disputed flag is lifted. 409 (reason wrong_state) unless it is accepted.',
  security: bearerSecurity,
  middleware: owners,
  request: { params: objectionParam, body: body(ResolutionSchema) },
  responses: { 200: json(ObjectionSchema, 'Resolved'), ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
})

const closeRoute = createRoute({
  method: 'post',
  path: '/v1/objections/{id}/close',
  tags: ['objections'],
  summary: 'Close an objection',
  description:
    'Only the organisation that raised it (consumers), once it is resolved: it accepts the resolution and may rate the handling 1–5 with a comment (好差评). Closed is final. 409 (reason wrong_state) unless it is resolved.',
  security: bearerSecurity,
  middleware: raisers,
  request: { params: objectionParam, body: body(CloseSchema) },
  responses: { 200: json(ObjectionSchema, 'Closed'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const reopenRoute = createRoute({
  method: 'post',
  path: '/v1/objections/{id}/reopen',
  tags: ['objections'],
  summary: 'Reopen an objection',
  description:
    'Only the organisation that raised it, instead of closing a resolved objection whose resolution does not settle it: once, with a reason. It goes back to accepted, with a fresh QIAO_OBJECTION_WORKING_DAYS to resolve, and the record is flagged again. ' +
    '409 with reason already_reopened the second time, wrong_state unless it is resolved.',
  security: bearerSecurity,
  middleware: raisers,
  request: { params: objectionParam, body: body(ReopenSchema) },
  responses: { 200: json(ObjectionSchema, 'Reopened (accepted again)'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const rateRequestRoute = createRoute({
  method: 'post',
  path: '/v1/access-requests/{id}/rating',
  tags: ['ratings'],
  summary: 'Rate the handling of an access request',
  description:
    'The requesting organisation (consumers) rates how the owning department handled its request, 1–5 with a comment (好差评), once it was approved or rejected by an approver, and only once. ' +
    '409 with reason wrong_state before a decision, decided_by_policy for a request the tier policy approved by itself, already_rated the second time.',
  security: bearerSecurity,
  middleware: raisers,
  request: { params: requestParam, body: body(NewRatingSchema) },
  responses: { 201: json(RatingSchema, 'Rated'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const getRequestRatingRoute = createRoute({
  method: 'get',
  path: '/v1/access-requests/{id}/rating',
  tags: ['ratings'],
  summary: 'Read the rating of an access request',
  description: 'For the requesting organisation, the owning department and admins; 404 when the request is not visible or not rated.',
  security: bearerSecurity,
  middleware: readers,
  request: { params: requestParam },
  responses: { 200: json(RatingSchema, 'The rating'), ...errorResponses(401, 403, 404) },
})

export function registerObjectionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(raiseRoute, async (c) => {
    const view = await objections.raiseObjection(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))
    return c.json(renderObjection(view), 201)
  })

  app.openapi(listRoute, async (c) => {
    const { view, status, open, dataset_id, limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, createdCursor)
    const views = await objections.listObjections(c.get('services'), principalOf(c), {
      view,
      status,
      open: open === undefined ? undefined : open === 'true',
      datasetId: dataset_id,
      after: after && { createdAt: new Date(after.t), id: after.id },
      limit: limit + 1,
    })
    return c.json(page(views, limit, renderObjection, (v) => ({ t: v.row.created_at.toISOString(), id: v.row.id })), 200)
  })

  app.openapi(getRoute, async (c) => {
    return c.json(renderObjection(await objections.getObjection(c.get('services'), principalOf(c), c.req.valid('param').id)), 200)
  })

  app.openapi(acceptRoute, async (c) => {
    return c.json(renderObjection(await objections.acceptObjection(c.get('services'), actionContext(c), c.req.valid('param').id)), 200)
  })

  app.openapi(resolveRoute, async (c) => {
    return c.json(renderObjection(await objections.resolveObjection(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))), 200)
  })

  app.openapi(closeRoute, async (c) => {
    return c.json(renderObjection(await objections.closeObjection(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))), 200)
  })

  app.openapi(reopenRoute, async (c) => {
    return c.json(renderObjection(await objections.reopenObjection(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json').reason)), 200)
  })

  app.openapi(rateRequestRoute, async (c) => {
    return c.json(renderRating(await objections.rateAccessRequest(c.get('services'), actionContext(c), c.req.valid('param').id, c.req.valid('json'))), 201)
  })

  app.openapi(getRequestRatingRoute, async (c) => {
    return c.json(renderRating(await objections.getAccessRequestRating(c.get('services'), principalOf(c), c.req.valid('param').id)), 200)
  })
}
