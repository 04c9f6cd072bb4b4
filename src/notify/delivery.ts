// Sending webhooks: the deliver-webhooks job (src/jobs/scheduler.ts) claims due deliveries,
// POSTs each signed event to its organisation's URL with a timeout, and logs the attempt. A 2xx
// is delivered; anything else (another status, a redirect, a refused connection, a timeout) is
// tried again on the backoff schedule, then failed for good. fetch + Web Crypto: Node and Workers.

import type { Services } from '../services.js'
import { claimDueDeliveries, recordAttempt, type AttemptOutcome, type ClaimedDelivery } from './repository.js'
import { signatureHeader } from './signature.js'

/** Waits before each retry: after the 1st attempt 1 min, … after the 5th 12 h; the 6th is the last. */
export const RETRY_DELAYS_SECONDS = [60, 300, 1_800, 7_200, 43_200] as const
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1

/** Deliveries claimed per batch, sent concurrently. */
const BATCH_SIZE = 20
/** Batches per run, so that one run ends; whatever is left waits for the next tick. */
const MAX_BATCHES = 10
const ERROR_TEXT_LIMIT = 500

export interface DeliveryRunSummary {
  attempted: number
  delivered: number
  retrying: number
  failed: number
}

export type DeliveryDeps = Pick<Services, 'db' | 'clock' | 'config' | 'logger'> & { fetch?: typeof fetch }

/** Sends every delivery due now (up to a bound per run); answers what happened. */
export async function deliverDueWebhooks(deps: DeliveryDeps): Promise<DeliveryRunSummary> {
  const summary: DeliveryRunSummary = { attempted: 0, delivered: 0, retrying: 0, failed: 0 }
  // A lease longer than any attempt can take: the timeout plus a margin.
  const leaseSeconds = Math.ceil(deps.config.QIAO_WEBHOOK_TIMEOUT_MS / 1000) + 60
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const claimed = await claimDueDeliveries(deps.db, deps.clock.now(), BATCH_SIZE, leaseSeconds)
    if (claimed.length === 0) break
    const outcomes = await Promise.all(claimed.map((delivery) => attemptDelivery(deps, delivery)))
    for (const outcome of outcomes) {
      summary.attempted++
      const recorded = await recordAttempt(deps.db, outcome)
      if (!recorded) continue
      if (outcome.next.status === 'delivered') summary.delivered++
      else if (outcome.next.status === 'pending') summary.retrying++
      else summary.failed++
    }
    if (claimed.length < BATCH_SIZE) break
  }
  return summary
}

/** One attempt: the POST, and what follows from its answer. */
async function attemptDelivery(deps: DeliveryDeps, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
  const body = JSON.stringify(envelopeOf(delivery))
  const at = deps.clock.now()
  const started = Date.now()
  let httpStatus: number | null = null
  let error: string | null = null
  try {
    const response = await (deps.fetch ?? fetch)(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Qiao-Webhooks/1',
        'qiao-event-id': delivery.event_id,
        'qiao-event-type': delivery.type,
        'qiao-delivery-attempt': String(delivery.attempts),
        'qiao-signature': await signatureHeader(delivery.secret, body, at),
      },
      body,
      // Never follow a redirect: a receiver is where the admin said, not where it points Qiao to.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.config.QIAO_WEBHOOK_TIMEOUT_MS),
    })
    httpStatus = response.status
    // The body is not kept or shown (a receiver's answer is its own); read it to free the socket.
    await response.body?.cancel().catch(() => undefined)
    if (response.status < 200 || response.status > 299) error = `the receiver answered ${response.status}`
  } catch (caught) {
    error = failureText(caught, deps.config.QIAO_WEBHOOK_TIMEOUT_MS)
  }
  const durationMs = Date.now() - started
  const next: AttemptOutcome['next'] =
    error === null
      ? { status: 'delivered' }
      : delivery.attempts >= MAX_ATTEMPTS
        ? { status: 'failed' }
        : { status: 'pending', nextAttemptAt: new Date(at.getTime() + RETRY_DELAYS_SECONDS[delivery.attempts - 1]! * 1000) }
  if (error !== null) deps.logger.warn('webhook attempt failed', { event_id: delivery.event_id, org_id: delivery.org_id, attempt: delivery.attempts, error })
  return { deliveryId: delivery.id, attempt: delivery.attempts, at, url: delivery.url, httpStatus, error, durationMs, next }
}

/** What a receiver gets: the event as stored in the outbox. */
export function envelopeOf(delivery: Pick<ClaimedDelivery, 'event_id' | 'type' | 'org_id' | 'subject_id' | 'payload' | 'event_at'>) {
  return {
    id: delivery.event_id,
    type: delivery.type,
    created_at: delivery.event_at.toISOString(),
    org_id: delivery.org_id,
    subject_id: delivery.subject_id,
    data: delivery.payload,
  }
}

function failureText(caught: unknown, timeoutMs: number): string {
  const error = caught as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const cause = error?.cause?.code ?? error?.cause?.message
  const text = `${error?.message ?? String(caught)}${cause ? ` (${cause})` : ''}`
  return text.slice(0, ERROR_TEXT_LIMIT)
}
