import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/console/session.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { Browser, csrfOf, textOf } from './support.js'

// Sessions and the console's defences: cookie attributes, only a hash stored, a new id at every
// sign-in, sign-out, idle and absolute expiry, revoked clients, the shared failed-attempt brake,
// CSRF tokens and origin checks, and the security headers.

const FAILURES_PER_MINUTE = 3
let world: TestWorld
let cast: Cast

beforeAll(async () => {
  world = await createTestWorld({ QIAO_TOKEN_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE), QIAO_CONSOLE_IDLE_MINUTES: '30', QIAO_CONSOLE_SESSION_HOURS: '2' })
  cast = await createCast(world)
})
afterAll(() => world.close())

async function signedIn(actor: Actor, base?: string): Promise<Browser> {
  const browser = new Browser(world, base)
  await browser.signIn(actor)
  return browser
}

const auditActions = async (action: string) =>
  (await world.database.db.query<{ content: Record<string, unknown> }>('SELECT content FROM audit_log WHERE action = $1 ORDER BY seq', [action])).rows.map((r) => r.content)

describe('console sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie; __Host- and Secure over TLS', async () => {
    const plain = new Browser(world)
    const form = await plain.get('/console/sign-in')
    const res = await plain.post('/console/sign-in', { csrf: csrfOf(form.html), client_id: cast.deptA.consumer.clientId, client_secret: cast.deptA.consumer.secret })
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('qiao_session='))
    expect(cookie, res.headers.getSetCookie().join('\n')).toBeDefined()
    expect(cookie).toMatch(/; Path=\/(;|$)/)
    expect(cookie).toMatch(/; HttpOnly/)
    expect(cookie).toMatch(/; SameSite=Strict/)
    expect(cookie).not.toMatch(/; Secure/)

    const tls = new Browser(world, 'https://localhost')
    const tlsForm = await tls.get('/console/sign-in')
    const tlsRes = await tls.post('/console/sign-in', { csrf: csrfOf(tlsForm.html), client_id: cast.deptA.consumer.clientId, client_secret: cast.deptA.consumer.secret })
    expect(tlsRes.status, tlsRes.text).toBe(303)
    const secure = tlsRes.headers.getSetCookie().find((c) => c.startsWith('__Host-qiao_session='))
    expect(secure, tlsRes.headers.getSetCookie().join('\n')).toMatch(/; Path=\/.*; HttpOnly; Secure; SameSite=Strict/)
    expect(secure).not.toMatch(/Domain=/i)
    expect((await tls.get('/console')).status).toBe(200)
  })

  it('stores only the SHA-256 of the session id, and audits the sign-in', async () => {
    const browser = await signedIn(cast.deptA.publisher)
    const id = browser.cookies.get('qiao_session')!
    const { rows } = await world.database.db.query<Record<string, unknown>>('SELECT * FROM console_sessions WHERE client_id = $1', [cast.deptA.publisher.clientId])
    expect(rows.length).toBe(1)
    expect(JSON.stringify(rows)).not.toContain(id)
    expect(rows[0]!.id_hash).toBe(await sha256Hex(id))
    const signIns = await auditActions('console.signed_in')
    expect(signIns.some((e) => e.actor_client_id === cast.deptA.publisher.clientId && e.decision === null)).toBe(true)
  })

  it('makes a new session id at every sign-in and ends the one the browser held', async () => {
    const browser = new Browser(world)
    browser.cookies.set('qiao_session', 'A'.repeat(43)) // planted by someone else before sign-in
    const otherTab = await browser.get('/console/sign-in')
    const otherTabCookie = browser.cookies.get('qiao_signin')!
    await browser.signIn(cast.deptA.approver)
    const first = browser.cookies.get('qiao_session')!
    expect(first).not.toBe('A'.repeat(43))
    // A sign-in form loaded before, submitted while the browser already holds a session.
    browser.cookies.set('qiao_signin', otherTabCookie)
    const again = await browser.post('/console/sign-in', { csrf: csrfOf(otherTab.html), client_id: cast.deptA.approver.clientId, client_secret: cast.deptA.approver.secret })
    expect(again.status, again.text).toBe(303)
    const second = browser.cookies.get('qiao_session')!
    expect(second).not.toBe(first)
    const stale = new Browser(world)
    stale.cookies.set('qiao_session', first)
    expect((await stale.get('/console')).status).toBe(303)
    expect((await browser.get('/console')).status).toBe(200)
  })

  it('signs out: the session is revoked in the database and audited', async () => {
    const browser = await signedIn(cast.deptB.consumer)
    const id = browser.cookies.get('qiao_session')!
    const out = await browser.submit('/console', '/console/sign-out', {})
    expect(out.status, out.text).toBe(303)
    expect(browser.cookies.has('qiao_session')).toBe(false)
    const { rows } = await world.database.db.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM console_sessions WHERE id_hash = $1', [await sha256Hex(id)])
    expect(rows[0]!.revoked_at).not.toBeNull()
    const replay = new Browser(world)
    replay.cookies.set('qiao_session', id)
    const res = await replay.get('/console/catalogue')
    expect(res.status).toBe(303)
    expect(res.location).toBe('/console/sign-in?next=%2Fconsole%2Fcatalogue')
    expect((await auditActions('console.signed_out')).some((e) => e.actor_client_id === cast.deptB.consumer.clientId)).toBe(true)
  })

  it('ends a session left idle, and every session at its absolute limit', async () => {
    const idle = await signedIn(cast.social.consumer)
    world.clock.advance(31 * 60_000)
    try {
      expect((await idle.get('/console')).status).toBe(303)
    } finally {
      world.clock.advance(-31 * 60_000)
    }

    const busy = await signedIn(cast.social.consumer)
    let advanced = 0
    try {
      for (let i = 0; i < 5; i++) {
        world.clock.advance(20 * 60_000)
        advanced += 20 * 60_000
        expect((await busy.get('/console')).status, `after ${advanced / 60_000} min of use`).toBe(200)
      }
      world.clock.advance(21 * 60_000)
      advanced += 21 * 60_000
      expect((await busy.get('/console')).status, 'past the two-hour absolute limit').toBe(303)
    } finally {
      world.clock.advance(-advanced)
    }
  })

  it('ends the sessions of a revoked client and of a suspended organisation at once', async () => {
    const member = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const browser = await signedIn(member)
    expect((await call(world, 'DELETE', `/v1/clients/${member.clientId}`, { token: cast.admin.token })).status).toBe(204)
    expect((await browser.get('/console')).status).toBe(303)

    const other = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const second = await signedIn(other)
    expect((await call(world, 'POST', `/v1/orgs/${cast.deptB.orgId}/suspend`, { token: cast.admin.token })).status).toBe(200)
    try {
      expect((await second.get('/console')).status).toBe(303)
    } finally {
      expect((await call(world, 'POST', `/v1/orgs/${cast.deptB.orgId}/reinstate`, { token: cast.admin.token })).status).toBe(200)
    }
  })

  it('refuses a wrong secret with the same brake as the token endpoint, and audits each refusal', async () => {
    const target = await createActor(world, cast.admin, cast.deptA.orgId, ['consumer'])
    const browser = new Browser(world)
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) {
      const form = await browser.get('/console/sign-in')
      const res = await browser.post('/console/sign-in', { csrf: csrfOf(form.html), client_id: target.clientId, client_secret: 'wrong' })
      expect(res.status, res.text).toBe(401)
      expect(textOf(res.html)).toContain('客户端编号或密钥不正确')
      expect(browser.cookies.has('qiao_session')).toBe(false)
    }
    const form = await browser.get('/console/sign-in')
    const braked = await browser.post('/console/sign-in', { csrf: csrfOf(form.html), client_id: target.clientId, client_secret: target.secret })
    expect(braked.status, braked.text).toBe(429)
    expect(Number(braked.headers.get('retry-after'))).toBeGreaterThan(0)
    const token = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: target.clientId, client_secret: target.secret } })
    expect(token.status, 'the API shares the brake').toBe(429)
    const refusals = (await auditActions('console.sign_in_refused')).filter((e) => e.resource_id === target.clientId)
    expect(refusals.length).toBe(FAILURES_PER_MINUTE)
    expect(refusals.every((e) => e.decision === 'denied' && e.reason === 'wrong secret')).toBe(true)
    world.clock.advance(61_000)
    try {
      await new Browser(world).signIn(target)
    } finally {
      world.clock.advance(-61_000)
    }
  })

  it('only sends the browser back to a console page after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/console', '/console/../v1/grants', '/elsewhere']) {
      const browser = new Browser(world)
      const form = await browser.get(`/console/sign-in?next=${encodeURIComponent(next)}`)
      const res = await browser.post('/console/sign-in', { csrf: csrfOf(form.html), next, client_id: cast.deptA.consumer.clientId, client_secret: cast.deptA.consumer.secret })
      expect(res.location, next).toBe('/console')
    }
    const browser = new Browser(world)
    const form = await browser.get('/console/sign-in?next=%2Fconsole%2Fgrants%3Fview%3Drevoked')
    const res = await browser.post('/console/sign-in', { csrf: csrfOf(form.html), next: '/console/grants?view=revoked', client_id: cast.deptA.consumer.clientId, client_secret: cast.deptA.consumer.secret })
    expect(res.location).toBe('/console/grants?view=revoked')
  })
})

describe('CSRF defences', () => {
  it('refuses a form without the session token, with a wrong one, or from another origin', async () => {
    const browser = await signedIn(cast.deptA.consumer)
    const token = csrfOf((await browser.get('/console')).html)
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['no token', {}, { origin: 'http://localhost' }],
      ['wrong token', { csrf: 'x'.repeat(43) }, { origin: 'http://localhost' }],
      ['another origin', { csrf: token }, { origin: 'https://evil.example' }],
      ['an opaque origin', { csrf: token }, { origin: 'null' }],
      ['another referer', { csrf: token }, { referer: 'https://evil.example/page' }],
      ['another port', { csrf: token }, { origin: 'http://localhost:8081' }],
    ]
    for (const [why, fields, headers] of cases) {
      const res = await browser.post('/console/sign-out', fields, headers)
      expect(res.status, `${why}: ${res.text}`).toBe(403)
      expect(textOf(res.html), why).toContain('表单已失效或来自其他网站')
    }
    expect((await browser.get('/console')).status, 'still signed in').toBe(200)
    const sameOrigin = await browser.post('/console/sign-out', { csrf: token }, { referer: 'http://localhost/console' })
    expect(sameOrigin.status, sameOrigin.text).toBe(303)
  })

  it("refuses another session's token", async () => {
    const mine = await signedIn(cast.deptA.consumer)
    const theirs = await signedIn(cast.deptA.consumer)
    const res = await mine.post('/console/sign-out', { csrf: csrfOf((await theirs.get('/console')).html) })
    expect(res.status).toBe(403)
  })

  it('protects the sign-in form too (no login CSRF)', async () => {
    const attacker = new Browser(world)
    const attackerToken = csrfOf((await attacker.get('/console/sign-in')).html)
    const victim = new Browser(world)
    await victim.get('/console/sign-in')
    const forged = await victim.post('/console/sign-in', { csrf: attackerToken, client_id: cast.deptA.consumer.clientId, client_secret: cast.deptA.consumer.secret })
    expect(forged.status).toBe(403)
    const crossSite = await victim.post('/console/sign-in', { csrf: csrfOf((await victim.get('/console/sign-in')).html), client_id: 'x', client_secret: 'y' }, { origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    expect(victim.cookies.has('qiao_session')).toBe(false)
  })
})

describe('security headers', () => {
  it('sends a CSP without unsafe-inline, no framing, nosniff and a same-origin referrer policy on console pages', async () => {
    const browser = await signedIn(cast.deptA.approver)
    for (const path of ['/console/sign-in', '/console', '/console/catalogue', '/console/assets/console.css', '/console/no-such-page']) {
      const res = await browser.get(path)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp, path).toBe("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(res.headers.get('x-frame-options'), path).toBe('DENY')
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin')
    }
    expect((await browser.get('/console')).headers.get('cache-control')).toBe('no-store')
    const api = await call(world, 'GET', '/health')
    expect(api.headers.get('referrer-policy'), 'the API keeps no-referrer').toBe('no-referrer')
  })

  it('has no inline style or script on any page', async () => {
    const browser = await signedIn(cast.deptA.approver)
    for (const path of ['/console', '/console/catalogue', '/console/requests', '/console/grants', '/console/audit', '/console/audit/readers']) {
      const res = await browser.get(path)
      expect(res.status, res.text).toBe(200)
      expect(res.html, path).not.toMatch(/<script|\sstyle=|<style|\son[a-z]+=/i)
    }
  })
})
