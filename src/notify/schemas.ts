import { z } from '@hono/zod-openapi'
import type { DeliveryView, WebhookAnswer } from './service.js'
import type { WebhookRow } from './repository.js'

export const WebhookInputSchema = z
  .strictObject({
    url: z.string().min(1).max(2000).openapi({
      description: 'Where events are POSTed: https, or plain http only to localhost, 127.0.0.1 or [::1] (docs/webhooks.md, "Where webhooks may point")',
      example: 'https://hooks.mzj.example.gov.cn/qiao',
    }),
    active: z.boolean().optional().openapi({ description: 'false pauses the webhook: nothing is sent (queued deliveries wait), and events meanwhile are kept in the outbox but not queued (default true)', example: true }),
    rotate_secret: z.boolean().optional().openapi({ description: 'Issue a new signing secret for an existing webhook (answered once; the old secret stops at once)', example: false }),
  })
  .openapi('WebhookInput')

export const WebhookSchema = z
  .object({
    org_id: z.string().openapi({ example: 'org_7x2k9q…' }),
    url: z.string().openapi({ example: 'https://hooks.mzj.example.gov.cn/qiao' }),
    active: z.boolean(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
    updated_at: z.string().openapi({ description: 'ISO 8601' }),
  })
  .openapi('Webhook', { description: 'An organisation’s webhook. The signing secret is never shown again after it is issued.' })

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().nullable().openapi({
    description: 'The signing secret (HMAC-SHA256 key), shown only in the answer that issued it: when the webhook is created or its secret rotated; null otherwise',
    example: 'whsec_q3…',
  }),
}).openapi('WebhookWithSecret')

const AttemptSchema = z.object({
  attempt: z.int().openapi({ description: '1 for the first try', example: 1 }),
  at: z.string().openapi({ description: 'When it was sent (ISO 8601); the signature’s t' }),
  url: z.string().openapi({ description: 'Where it was sent' }),
  http_status: z.int().nullable().openapi({ description: 'The receiver’s status; null when no answer came (timeout, refused connection)', example: 503 }),
  error: z.string().nullable().openapi({ description: 'Why the attempt failed; null for a 2xx', example: 'the receiver answered 503' }),
  duration_ms: z.int(),
})

export const DeliverySchema = z
  .object({
    event_id: z.string().openapi({ example: 'evt_3m8…' }),
    event_type: z.string().openapi({ example: 'access_request.created' }),
    subject_id: z.string().openapi({ description: 'The request, objection, … the event is about', example: 'req_2k9…' }),
    status: z.enum(['pending', 'delivered', 'failed']).openapi({ description: 'pending: waiting for its next attempt; delivered: a 2xx came back; failed: every attempt failed, or the webhook was removed' }),
    attempts: z.int().openapi({ description: 'Attempts made so far (at most 6)' }),
    next_attempt_at: z.string().nullable().openapi({ description: 'When it is tried next, while pending (ISO 8601)' }),
    last_http_status: z.int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string().openapi({ description: 'When the event was emitted (ISO 8601)' }),
    delivered_at: z.string().nullable(),
    attempt_log: z.array(AttemptSchema).openapi({ description: 'Every attempt, oldest first' }),
  })
  .openapi('WebhookDelivery')

export function renderWebhook(row: WebhookRow): z.infer<typeof WebhookSchema> {
  return { org_id: row.org_id, url: row.url, active: row.active, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
}

export function renderWebhookAnswer(answer: WebhookAnswer): z.infer<typeof WebhookWithSecretSchema> {
  return { ...renderWebhook(answer.webhook), secret: answer.secret }
}

export function renderDelivery({ delivery, attempts }: DeliveryView): z.infer<typeof DeliverySchema> {
  return {
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    subject_id: delivery.subject_id,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.next_attempt_at?.toISOString() ?? null,
    last_http_status: delivery.last_http_status,
    last_error: delivery.last_error,
    created_at: delivery.created_at.toISOString(),
    delivered_at: delivery.delivered_at?.toISOString() ?? null,
    attempt_log: attempts.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), url: a.url, http_status: a.http_status, error: a.error, duration_ms: a.duration_ms })),
  }
}
