// Console sessions: a person signs in with a client id and secret (checked by the same code and
// behind the same failed-attempt brake as POST /v1/auth/token) and gets a random session id in
// an HttpOnly, SameSite=Strict cookie (`__Host-` and Secure over TLS). Only the id's SHA-256 is
// stored. Every sign-in makes a new id (no fixation); sessions end when idle, at an absolute
// limit, at sign-out, or as soon as the client or its organisation is no longer active. Every
// form carries the session's synchronizer token, and a POST from another origin is refused.

import type { Context } from 'hono'
import { getCookie, setCookie, deleteCookie } from 'hono/cookie'
import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { AppEnv, Principal } from '../http/env.js'
import type { ClientAuthRow } from '../identity/repository.js'
import type { Services } from '../services.js'
import * as repo from './repository.js'

export interface ConsoleSession {
  idHash: string
  principal: Principal
  csrfToken: string
  orgName: string
  clientName: string
  expiresAt: Date
}

const SESSION_COOKIE = 'qiao_session'
const SIGNIN_CSRF_COOKIE = 'qiao_signin'
/** Touching the session row at most this often keeps reads from turning into writes. */
const TOUCH_EVERY_MS = 60_000

/** Whether the browser reached us over TLS (directly, or through a proxy that says so). */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  return c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https'
}

/** `__Host-` cookies must be Secure, have Path=/ and no Domain: the browser pins them to this host. */
function cookieName(c: Context, base: string): string {
  return isHttps(c) ? `__Host-${base}` : base
}

function cookieOptions(c: Context, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, secure: isHttps(c), sameSite: 'Strict' as const, ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }) }
}

export function randomToken(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes))
  let text = ''
  for (const b of raw) text += String.fromCharCode(b)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const b of digest) hex += b.toString(16).padStart(2, '0')
  return hex
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  let difference = x.length ^ y.length
  for (let i = 0; i < Math.max(x.length, y.length); i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return difference === 0
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/

function sessionCookie(c: Context): string | undefined {
  const value = getCookie(c, cookieName(c, SESSION_COOKIE))
  return value !== undefined && SESSION_ID.test(value) ? value : undefined
}

/** The signed-in session of this request, if any: valid, not idle too long, its client and organisation active. */
export async function currentSession(c: Context<AppEnv>): Promise<ConsoleSession | undefined> {
  const id = sessionCookie(c)
  if (!id) return undefined
  const { db, clock, config } = c.get('services')
  const idHash = await sha256Hex(id)
  const row = await repo.findSession(db, idHash)
  const now = clock.now()
  if (!row || row.revoked_at !== null || now >= row.idle_expires_at || now >= row.expires_at) return undefined
  if (row.client_status !== 'active' || row.org_status !== 'active') return undefined
  if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    const idleUntil = new Date(Math.min(now.getTime() + config.QIAO_CONSOLE_IDLE_MINUTES * 60_000, row.expires_at.getTime()))
    await repo.touchSession(db, idHash, now, idleUntil)
  }
  return {
    idHash,
    principal: { clientId: row.client_id, orgId: row.org_id, orgKind: row.org_kind, roles: row.roles },
    csrfToken: row.csrf_token,
    orgName: row.org_name,
    clientName: row.client_name,
    expiresAt: row.expires_at,
  }
}

/**
 * Starts a session for an authenticated client: always a fresh id, the session this browser held
 * before (if any) revoked, and the sign-in audited in the same transaction. Sets the cookie.
 */
export async function signIn(c: Context<AppEnv>, services: Services, ctx: ActionContext, client: ClientAuthRow): Promise<void> {
  const { db, config } = services
  const now = ctx.at
  const id = randomToken()
  const idHash = await sha256Hex(id)
  const previous = sessionCookie(c)
  const expiresAt = new Date(now.getTime() + config.QIAO_CONSOLE_SESSION_HOURS * 3_600_000)
  const idleUntil = new Date(Math.min(now.getTime() + config.QIAO_CONSOLE_IDLE_MINUTES * 60_000, expiresAt.getTime()))
  const actor: Principal = { clientId: client.id, orgId: client.org_id, orgKind: client.org_kind, roles: client.roles }
  await db.transaction(async (tx) => {
    if (previous) await repo.revokeSession(tx, await sha256Hex(previous), now)
    await repo.insertSession(tx, {
      id_hash: idHash,
      client_id: client.id,
      org_id: client.org_id,
      org_kind: client.org_kind,
      roles: client.roles,
      csrf_token: randomToken(),
      created_at: now,
      last_seen_at: now,
      idle_expires_at: idleUntil,
      expires_at: expiresAt,
    })
    await recordEvent(tx, { ...ctx, actor }, {
      action: 'console.signed_in',
      resourceType: 'client',
      resourceId: client.id,
      details: { session: idHash.slice(0, 16), expires_at: expiresAt.toISOString() },
    })
  })
  await repo.purgeEndedSessions(db, now)
  setCookie(c, cookieName(c, SESSION_COOKIE), id, cookieOptions(c))
  deleteCookie(c, cookieName(c, SIGNIN_CSRF_COOKIE), cookieOptions(c))
}

/** Ends the session (revoked in the database, audited) and clears the cookie. */
export async function signOut(c: Context<AppEnv>, session: ConsoleSession, ctx: ActionContext): Promise<void> {
  await c.get('services').db.transaction(async (tx) => {
    const revoked = await repo.revokeSession(tx, session.idHash, ctx.at)
    if (revoked) {
      await recordEvent(tx, ctx, {
        action: 'console.signed_out',
        resourceType: 'client',
        resourceId: session.principal.clientId,
        details: { session: session.idHash.slice(0, 16) },
      })
    }
  })
  clearSessionCookie(c)
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, cookieName(c, SESSION_COOKIE), cookieOptions(c))
}

/**
 * The token the sign-in form carries before there is a session (double submit: the same random
 * value in an HttpOnly cookie and in the form), so a sign-in cannot be forged from another site.
 */
export function signInFormToken(c: Context): string {
  const existing = getCookie(c, cookieName(c, SIGNIN_CSRF_COOKIE))
  if (existing && SESSION_ID.test(existing)) return existing
  const token = randomToken()
  setCookie(c, cookieName(c, SIGNIN_CSRF_COOKIE), token, cookieOptions(c, 3600))
  return token
}

export function signInTokenMatches(c: Context, submitted: string | undefined): boolean {
  const expected = getCookie(c, cookieName(c, SIGNIN_CSRF_COOKIE))
  return expected !== undefined && submitted !== undefined && SESSION_ID.test(expected) && constantTimeEqual(expected, submitted)
}

/**
 * A state-changing request must come from a page of this gateway: an Origin header (or, without
 * one, a Referer) that is present and names another origin — or the opaque "null" — is refused.
 */
export function fromThisOrigin(c: Context): boolean {
  const scheme = isHttps(c) ? 'https:' : 'http:'
  const host = normalisedHost(scheme, c.req.header('host') ?? new URL(c.req.url).host)
  if (host === undefined) return false
  const origin = c.req.header('origin')
  if (origin !== undefined) return origin !== 'null' && sameOrigin(origin, scheme, host)
  const referer = c.req.header('referer')
  if (referer !== undefined) return sameOrigin(referer, scheme, host)
  return true
}

/** host[:port] as a URL writes it (no default port), or undefined when it is not a host. */
function normalisedHost(scheme: string, host: string): string | undefined {
  try {
    return new URL(`${scheme}//${host}`).host
  } catch {
    return undefined
  }
}

function sameOrigin(text: string, scheme: string, host: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === scheme && url.host === host
  } catch {
    return false
  }
}
