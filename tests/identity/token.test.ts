import { serve, type ServerType } from '@hono/node-server'
import { SignJWT, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, UnsecuredJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FailureLimiter } from '../../src/identity/failure-limiter.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' }

describe('POST /v1/auth/token', () => {
  it('issues a signed JWT with the documented claims (JSON body)', async () => {
    const { consumer } = cast.deptA
    const res = await call(world, 'POST', '/v1/auth/token', {
      body: { grant_type: 'client_credentials', client_id: consumer.clientId, client_secret: consumer.secret },
    })
    expect(res.status, res.text).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'consumer' })
    const claims = decodeJwt(res.body.access_token)
    expect(claims).toMatchObject({ iss: 'http://localhost:8080', aud: 'qiao', sub: consumer.clientId, org: cast.deptA.orgId, org_kind: 'department', roles: ['consumer'] })
    expect(claims.exp! - claims.iat!).toBe(900)
    expect(claims.jti).toBeTypeOf('string')
    expect(decodeProtectedHeader(res.body.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
  })

  it('takes a form body with HTTP Basic client authentication (as curl -u id:secret does)', async () => {
    const { publisher } = cast.deptA
    const basic = btoa(`${encodeURIComponent(publisher.clientId)}:${encodeURIComponent(publisher.secret)}`)
    const res = await call(world, 'POST', '/v1/auth/token', {
      body: form({ grant_type: 'client_credentials' }),
      headers: { ...formHeaders, authorization: `Basic ${basic}` },
    })
    expect(res.status, res.text).toBe(200)
    expect(decodeJwt(res.body.access_token).sub).toBe(publisher.clientId)
  })

  it('takes client credentials in a form body', async () => {
    const { approver } = cast.deptA
    const res = await call(world, 'POST', '/v1/auth/token', {
      body: form({ grant_type: 'client_credentials', client_id: approver.clientId, client_secret: approver.secret }),
      headers: formHeaders,
    })
    expect(res.status, res.text).toBe(200)
  })

  it.each([
    ['wrong secret', () => ({ client_id: cast.deptA.consumer.clientId, client_secret: 'qs_wrong' })],
    ['unknown client', () => ({ client_id: 'cli_doesnotexist', client_secret: 'qs_x' })],
  ])('answers invalid_client for %s, and audits the refusal', async (_case, credentials) => {
    const res = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', ...credentials() } })
    expect(res.status, res.text).toBe(401)
    expect(res.body).toMatchObject({ error: 'invalid_client' })
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/)
    const { rows } = await world.services.db.query<{ decision: string }>(
      "SELECT decision FROM audit_log WHERE action = 'auth.token_refused' AND resource_id = $1",
      [credentials().client_id],
    )
    expect(rows.at(-1)?.decision).toBe('denied')
  })

  it('answers unsupported_grant_type and invalid_request per RFC 6749 §5.2', async () => {
    const grant = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'password', client_id: 'a', client_secret: 'b' } })
    expect(grant.status).toBe(400)
    expect(grant.body.error).toBe('unsupported_grant_type')
    const missing = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials' } })
    expect(missing.status).toBe(400)
    expect(missing.body.error).toBe('invalid_request')
    const empty = await call(world, 'POST', '/v1/auth/token', { body: form({}), headers: formHeaders })
    expect(empty.body.error).toBe('invalid_request')
  })

  it('never puts the secret in the log', async () => {
    const { consumer } = cast.social
    await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: consumer.clientId, client_secret: consumer.secret } })
    expect(JSON.stringify(world.logs)).not.toContain(consumer.secret)
  })
})

describe('the auth middleware refuses', () => {
  const probe = (token: string) => call(world, 'GET', '/v1/orgs', { token })
  const expectInvalid = async (token: string, why: RegExp) => {
    const res = await probe(token)
    expect(res.status, res.text).toBe(401)
    expect(res.body.code).toBe('invalid_token')
    expect(res.body.detail).toMatch(why)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
  }
  const claims = () => ({ org: cast.deptA.orgId, org_kind: 'department', roles: ['admin'] })
  const signWith = async (key: CryptoKey, kid: string, mutate: (jwt: SignJWT) => SignJWT = (j) => j) =>
    mutate(
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer('http://localhost:8080')
        .setAudience('qiao')
        .setSubject(cast.deptA.consumer.clientId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j1'),
    ).sign(key)

  it('alg none', async () => {
    const unsigned = new UnsecuredJWT(claims()).setIssuer('http://localhost:8080').setAudience('qiao').setSubject(cast.admin.clientId).setExpirationTime('5m').encode()
    await expectInvalid(unsigned, /algorithm|malformed/)
  })

  it('an unknown kid and a wrong key', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    await expectInvalid(await signWith(privateKey, 'key_unknown'), /not signed by a current Qiao key/)
    const realKid = decodeProtectedHeader(cast.admin.token).kid!
    await expectInvalid(await signWith(privateKey, realKid), /signature/)
  })

  it('a tampered payload (roles raised)', async () => {
    const [header, payload, signature] = cast.deptA.consumer.token.split('.')
    const raised = { ...JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/'))), roles: ['admin'] }
    const forged = btoa(JSON.stringify(raised)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    await expectInvalid(`${header}.${forged}.${signature}`, /signature/)
  })

  it('expired, not yet valid, wrong audience and wrong issuer tokens', async () => {
    const signer = await world.services.keys.signingKey(world.services.db)
    const sign = (mutate: (jwt: SignJWT) => SignJWT) => signWith(signer.privateKey, signer.kid, mutate)
    await expectInvalid(await sign((j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 60)), /expired/)
    await expectInvalid(await sign((j) => j.setNotBefore('10m')), /nbf/)
    await expectInvalid(await sign((j) => j.setAudience('someone-else')), /aud/)
    await expectInvalid(await sign((j) => j.setIssuer('https://evil.example')), /iss/)
    // And the same key with good claims is accepted: the refusals above are about the claims.
    expect((await probe(await sign((j) => j))).status).toBe(200)
  })

  it('a garbage Authorization header', async () => {
    const res = await call(world, 'GET', '/v1/orgs', { headers: { authorization: 'Bearer' } })
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('unauthorized')
  })
})

describe('JWKS', () => {
  let server: ServerType
  let base: string
  beforeAll(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: world.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
    })
    const address = server.address()
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('lets a standard JWKS consumer (jose createRemoteJWKSet) verify tokens', async () => {
    const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`))
    const { payload } = await jwtVerify(cast.deptB.consumer.token, jwks, { issuer: 'http://localhost:8080', audience: 'qiao' })
    expect(payload.sub).toBe(cast.deptB.consumer.clientId)
    const keys = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> }
    for (const key of keys.keys) expect(key).not.toHaveProperty('d')
  })

  it('rotation: new tokens use the new key; old tokens verify until they expire', async () => {
    const before = cast.deptA.consumer.token
    const oldKid = decodeProtectedHeader(before).kid
    const rotated = await world.services.db.transaction((tx) => world.services.keys.rotate(tx))
    expect(rotated.previous).toBe(oldKid)
    const fresh = await createActor(world, cast.admin, cast.deptA.orgId, ['consumer'])
    expect(decodeProtectedHeader(fresh.token).kid).toBe(rotated.kid)
    expect((await call(world, 'GET', '/v1/orgs', { token: before })).status).toBe(200)
    const kids = ((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.kid]))
    // Once every token the old key signed has expired, it leaves the key set.
    world.clock.advance((world.services.config.QIAO_TOKEN_TTL_SECONDS + 120) * 1000)
    try {
      const { keys } = await world.services.keys.jwks(world.services.db)
      expect(keys.map((k) => k.kid)).toEqual([rotated.kid])
    } finally {
      world.clock.advance(-(world.services.config.QIAO_TOKEN_TTL_SECONDS + 120) * 1000)
    }
  })
})

describe('a token used before', () => {
  it('is refused once it expires, though it verified before (the verified-token cache checks the time on each use)', async () => {
    const actor = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    expect((await call(world, 'GET', '/v1/orgs', { token: actor.token })).status).toBe(200)
    const ttl = world.services.config.QIAO_TOKEN_TTL_SECONDS
    world.clock.advance((ttl + 10) * 1000)
    try {
      const res = await call(world, 'GET', '/v1/orgs', { token: actor.token })
      expect(res.status).toBe(401)
      expect(res.body.detail).toMatch(/has expired/)
    } finally {
      world.clock.advance(-(ttl + 10) * 1000)
    }
    // Back within its lifetime (a test clock only), it verifies again: nothing was cached as refused.
    expect((await call(world, 'GET', '/v1/orgs', { token: actor.token })).status).toBe(200)
  })

  it('is refused once its client is revoked, though it verified before', async () => {
    const actor = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    expect((await call(world, 'GET', '/v1/orgs', { token: actor.token })).status).toBe(200)
    expect((await call(world, 'DELETE', `/v1/clients/${actor.clientId}`, { token: cast.admin.token })).status).toBeLessThan(300)
    const res = await call(world, 'GET', '/v1/orgs', { token: actor.token })
    expect(res.status).toBe(401)
    expect(res.body.detail).toMatch(/revoked/)
  })
})

describe('brute-force brake', () => {
  it('refuses a client id after repeated failures, before checking the secret, until the window passes', async () => {
    const victim = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const attempt = (secret: string) =>
      call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: victim.clientId, client_secret: secret } })
    for (let i = 0; i < world.services.config.QIAO_TOKEN_FAILURES_PER_MINUTE; i++) expect((await attempt(`qs_guess${i}`)).status).toBe(401)
    const blocked = await attempt(victim.secret)
    expect(blocked.status, blocked.text).toBe(429)
    expect(blocked.body.code).toBe('rate_limited')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    world.clock.advance(61_000)
    expect((await attempt(victim.secret)).status).toBe(200)
  })

  it('keeps the count in the database, so another gateway process refuses too, and prunes ended windows', async () => {
    const victim = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const max = world.services.config.QIAO_TOKEN_FAILURES_PER_MINUTE
    for (let i = 0; i < max; i++) {
      const res = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: victim.clientId, client_secret: `qs_guess${i}` } })
      expect(res.status).toBe(401)
    }
    // What another process holds: a limiter of its own, over the same database.
    const elsewhere = new FailureLimiter(max, 60)
    const key = [`client:${victim.clientId}`]
    expect(await elsewhere.retryAfter(world.services.db, key, world.clock.now())).toBeGreaterThan(0)
    world.clock.advance(61_000)
    expect(await elsewhere.retryAfter(world.services.db, key, world.clock.now())).toBe(0)
    expect(await elsewhere.prune(world.services.db, world.clock.now())).toBeGreaterThan(0)
    const { rows } = await world.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM auth_failures WHERE key = $1', key)
    expect(rows[0]!.n).toBe(0)
  })
})
