// Webhook configuration and the delivery log. An admin points an organisation's webhook at a
// URL (answered its signing secret once); the organisation's members read the configuration and
// the log of what was sent. Knows nothing about HTTP.

import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Db } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { findOrg } from '../identity/repository.js'
import * as repo from './repository.js'
import type { AttemptRow, DeliveryRow, WebhookRow } from './repository.js'
import { newWebhookSecret } from './signature.js'
import { webhookUrlProblem } from './webhook-url.js'

export interface WebhookInput {
  url: string
  active?: boolean
  /** Issue a new secret for an existing webhook (the old one stops working at once). */
  rotate_secret?: boolean
}

export interface WebhookAnswer {
  webhook: WebhookRow
  /** Set only when a secret was issued by this call: the one time it is shown. */
  secret: string | null
  created: boolean
}

export interface DeliveryView {
  delivery: DeliveryRow
  attempts: AttemptRow[]
}

/** Sets (creates or replaces) an organisation's webhook. Admins only (checked by the route). */
export async function setWebhook(db: Db, ctx: ActionContext, orgId: string, input: WebhookInput): Promise<WebhookAnswer> {
  const problem = webhookUrlProblem(input.url)
  if (problem) throw new ApiError('validation_failed', `url: ${problem}`, { errors: [{ path: 'body.url', message: problem, code: 'unacceptable_url' }] })
  return db.transaction(async (tx) => {
    if (!(await findOrg(tx, orgId))) throw orgNotFound(orgId)
    const existing = await repo.lockWebhook(tx, orgId)
    const secret = !existing || input.rotate_secret ? newWebhookSecret() : null
    const webhook: WebhookRow = {
      org_id: orgId,
      url: input.url,
      secret: secret ?? existing!.secret,
      active: input.active ?? true,
      created_at: existing?.created_at ?? ctx.at,
      updated_at: ctx.at,
      updated_by: ctx.actor?.clientId ?? null,
    }
    await repo.upsertWebhook(tx, webhook)
    // The URL is in the log; the secret never is.
    await recordEvent(tx, ctx, {
      action: existing ? 'webhook.updated' : 'webhook.created',
      resourceType: 'webhook',
      resourceId: orgId,
      details: { org_id: orgId, url: webhook.url, active: webhook.active, secret_rotated: existing !== undefined && secret !== null },
    })
    return { webhook, secret, created: !existing }
  })
}

/** The organisation's webhook, for admins and the organisation's own members; 404 for anyone else. */
export async function getWebhook(db: Db, viewer: Principal, orgId: string): Promise<WebhookRow> {
  assertMayView(viewer, orgId)
  const webhook = await repo.findWebhook(db, orgId)
  if (!webhook) throw new ApiError('not_found', `organisation ${orgId} has no webhook`)
  return webhook
}

/** Removes the webhook; deliveries still queued end as failed. Events stay in the outbox. */
export async function deleteWebhook(db: Db, ctx: ActionContext, orgId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const existing = await repo.lockWebhook(tx, orgId)
    if (!existing) throw new ApiError('not_found', `organisation ${orgId} has no webhook`)
    await repo.deleteWebhook(tx, orgId)
    const abandoned = await repo.abandonPending(tx, orgId, 'the webhook was removed')
    await recordEvent(tx, ctx, { action: 'webhook.deleted', resourceType: 'webhook', resourceId: orgId, details: { org_id: orgId, url: existing.url, abandoned_deliveries: abandoned } })
  })
}

/** The delivery log, newest first, each delivery with its attempts. */
export async function listDeliveries(db: Db, viewer: Principal, filter: repo.DeliveryFilter): Promise<DeliveryView[]> {
  assertMayView(viewer, filter.orgId)
  if (!(await findOrg(db, filter.orgId))) throw orgNotFound(filter.orgId)
  const deliveries = await repo.listDeliveries(db, filter)
  const attempts = await repo.attemptsOf(db, deliveries.map((d) => d.id))
  return deliveries.map((delivery) => ({ delivery, attempts: attempts.filter((a) => a.delivery_id === delivery.id) }))
}

function assertMayView(viewer: Principal, orgId: string): void {
  const admin = viewer.orgKind === 'platform' && viewer.roles.includes('admin')
  // Another organisation's webhook answers as a missing one: where it sends is its own business.
  if (!admin && viewer.orgId !== orgId) throw new ApiError('not_found', `organisation ${orgId} has no webhook`)
}

function orgNotFound(id: string): ApiError {
  return new ApiError('not_found', `organisation ${id} not found`)
}
