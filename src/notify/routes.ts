import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { decodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, principalOf, requireAuth, requireRole } from '../identity/middleware.js'
import { DeliverySchema, renderDelivery, renderWebhook, renderWebhookAnswer, WebhookInputSchema, WebhookSchema, WebhookWithSecretSchema } from './schemas.js'
import * as notify from './service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const admins = [requireAuth(), requireRole('admin')]
const authenticated = [requireAuth()]
const orgParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'org_7x2k9q…' }) })

const putWebhookRoute = createRoute({
  method: 'put',
  path: '/v1/orgs/{id}/webhook',
  tags: ['notifications'],
  summary: 'Set an organisation’s webhook',
  description:
    'Admins. Events about the organisation’s requests and objections (docs/webhooks.md) are POSTed to the URL, signed with HMAC-SHA256 in the Qiao-Signature header, retried with backoff and logged. ' +
    'Creating the webhook (201) answers its signing secret, once; replacing it (200) keeps the secret unless rotate_secret is true. The URL must be https (http only to localhost).',
  security: bearerSecurity,
  middleware: admins,
  request: { params: orgParam, body: { required: true, content: { 'application/json': { schema: WebhookInputSchema } } } },
  responses: {
    200: json(WebhookWithSecretSchema, 'Replaced (secret only when rotated)'),
    201: json(WebhookWithSecretSchema, 'Created, with its signing secret'),
    ...errorResponses(400, 401, 403, 404, 415),
  },
})

const getWebhookRoute = createRoute({
  method: 'get',
  path: '/v1/orgs/{id}/webhook',
  tags: ['notifications'],
  summary: 'Read an organisation’s webhook',
  description: 'Admins and the organisation’s own members; the secret is never shown. 404 for other organisations’ members, as for an organisation without a webhook.',
  security: bearerSecurity,
  middleware: authenticated,
  request: { params: orgParam },
  responses: { 200: json(WebhookSchema, 'The webhook'), ...errorResponses(401, 404) },
})

const deleteWebhookRoute = createRoute({
  method: 'delete',
  path: '/v1/orgs/{id}/webhook',
  tags: ['notifications'],
  summary: 'Remove an organisation’s webhook',
  description: 'Admins. Deliveries still waiting end as failed; events stay in the outbox.',
  security: bearerSecurity,
  middleware: admins,
  request: { params: orgParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) },
})

const listDeliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/orgs/{id}/webhook/deliveries',
  tags: ['notifications'],
  summary: 'The webhook delivery log',
  description: 'Admins and the organisation’s own members: every event queued for the webhook, newest first, with its status and each attempt (when, where, the receiver’s status, why it failed).',
  security: bearerSecurity,
  middleware: authenticated,
  request: {
    params: orgParam,
    query: z.object({
      status: z.enum(['pending', 'delivered', 'failed']).optional().openapi({ description: 'Only deliveries in this status' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(DeliverySchema), next_cursor: z.string().nullable() }).openapi('WebhookDeliveryPage'), 'A page of deliveries'),
    ...errorResponses(400, 401, 404),
  },
})

export function registerNotifyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(putWebhookRoute, async (c) => {
    const answer = await notify.setWebhook(c.get('services').db, actionContext(c), c.req.valid('param').id, c.req.valid('json'))
    return answer.created ? c.json(renderWebhookAnswer(answer), 201) : c.json(renderWebhookAnswer(answer), 200)
  })

  app.openapi(getWebhookRoute, async (c) => {
    return c.json(renderWebhook(await notify.getWebhook(c.get('services').db, principalOf(c), c.req.valid('param').id)), 200)
  })

  app.openapi(deleteWebhookRoute, async (c) => {
    await notify.deleteWebhook(c.get('services').db, actionContext(c), c.req.valid('param').id)
    return c.body(null, 204)
  })

  app.openapi(listDeliveriesRoute, async (c) => {
    const { status, limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, z.object({ d: z.number().int().positive() }))
    const views = await notify.listDeliveries(c.get('services').db, principalOf(c), { orgId: c.req.valid('param').id, status, beforeId: after?.d, limit: limit + 1 })
    return c.json(page(views, limit, renderDelivery, (v) => ({ d: v.delivery.id })), 200)
  })
}
