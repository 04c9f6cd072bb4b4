// Webhook signatures (docs/webhooks.md): `Qiao-Signature: t=<unix seconds>,v1=<hex>` where the
// hex is HMAC-SHA256 keyed with the webhook's secret over "<t>.<raw body>". Signing the time
// with the body lets a receiver refuse replays older than its window. Web Crypto only, so the
// same code signs on Node and on Workers.

const encoder = new TextEncoder()

/** Receivers should refuse a signature whose time is further than this from their clock. */
export const REPLAY_WINDOW_SECONDS = 300

export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The Qiao-Signature header value for a body sent at `at`. */
export async function signatureHeader(secret: string, body: string, at: Date): Promise<string> {
  const t = Math.floor(at.getTime() / 1000)
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`
}

/**
 * What a receiver does, written once in TypeScript (docs/webhooks.md shows the same in a few
 * lines): parse the header, refuse a time outside the window, recompute the HMAC over the raw
 * body and compare in constant time. Any v1 may match (several appear while a secret rotates).
 */
export async function verifySignature(secret: string, header: string | null, body: string, now: Date, windowSeconds = REPLAY_WINDOW_SECONDS): Promise<boolean> {
  if (!header) return false
  const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined])
  const t = parts.find(([k]) => k === 't')?.[1]
  const candidates = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '')
  if (!t || !/^\d{1,12}$/.test(t) || candidates.length === 0) return false
  if (Math.abs(now.getTime() / 1000 - Number(t)) > windowSeconds) return false
  const expected = await hmacHex(secret, `${t}.${body}`)
  return candidates.some((candidate) => constantTimeEqual(candidate, expected))
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `whsec_${btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`
}
