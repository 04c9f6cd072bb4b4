import { errors as joseErrors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose'
import type { MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { ActionContext } from '../audit/recorder.js'
import type { AppContext, AppEnv, Principal } from '../http/env.js'
import { clientAddress } from '../http/client-address.js'
import { ApiError } from '../http/errors.js'
import { SIGNING_ALG } from './keys.js'
import { ROLES } from './service.js'
import type { Role } from './repository.js'

const CLOCK_TOLERANCE_SECONDS = 5

const claimsSchema = z.object({
  sub: z.string().startsWith('cli_'),
  org: z.string().startsWith('org_'),
  org_kind: z.enum(['department', 'social_org', 'platform']),
  roles: z.array(z.enum(ROLES)),
})

/** Requires a valid bearer token from an active client of an active organisation; sets the principal. */
export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c)
    if (!token) {
      throw new ApiError('unauthorized', 'a bearer access token is required (POST /v1/auth/token)', {
        headers: { 'WWW-Authenticate': 'Bearer realm="qiao"' },
      })
    }
    c.set('principal', await authenticate(c, token))
    await next()
  }
}

/** Authenticates when a token is present; anonymous otherwise. A bad token is still refused. */
export function optionalAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c)
    if (token) c.set('principal', await authenticate(c, token))
    await next()
  }
}

/** 403 unless the principal holds one of the roles. Use after requireAuth. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const principal = c.get('principal')
    if (!principal?.roles.some((r) => (roles as readonly string[]).includes(r))) {
      throw new ApiError('forbidden', `this needs one of the roles: ${roles.join(', ')}`)
    }
    return next()
  }
}

export function principalOf(c: AppContext): Principal {
  const principal = c.get('principal')
  if (!principal) throw new ApiError('unauthorized', 'a bearer access token is required')
  return principal
}

/** The who/where/when of the current request, for services that record audit entries. */
export function actionContext(c: AppContext): ActionContext {
  return {
    requestId: c.get('requestId'),
    actor: c.get('principal') ?? null,
    sourceIp: sourceAddress(c),
    at: c.get('services').clock.now(),
  }
}

function sourceAddress(c: AppContext): string | null {
  // Node: the socket's peer (@hono/node-server passes the IncomingMessage), or behind trusted
  // proxies the client they saw (QIAO_TRUSTED_PROXIES); Workers: Cloudflare's header.
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  const peer = incoming?.socket?.remoteAddress
  if (peer === undefined) return c.req.header('cf-connecting-ip') ?? null
  return clientAddress(peer, c.req.header('x-forwarded-for'), c.get('services').config.QIAO_TRUSTED_PROXIES)
}

function bearerToken(c: AppContext): string | undefined {
  const header = c.req.header('authorization')
  const match = header ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header) : null
  return match?.[1]
}

async function authenticate(c: AppContext, token: string): Promise<Principal> {
  const { db, authCache } = c.get('services')
  const principal = await verifiedPrincipal(c, token)
  if (!(await authCache.isActive(db, principal))) throw invalidToken('the client is revoked or its organisation suspended')
  return principal
}

/** The token's principal: from the cache of verified tokens while it holds, else verified now. */
async function verifiedPrincipal(c: AppContext, token: string): Promise<Principal> {
  const { db, keys, verifiedTokens, clock } = c.get('services')
  const cached = verifiedTokens.get(token)
  if (cached) {
    const now = clock.now().getTime() / 1000
    const current = now - CLOCK_TOLERANCE_SECONDS < cached.expiresAt && (cached.notBefore === undefined || now + CLOCK_TOLERANCE_SECONDS >= cached.notBefore)
    if (current && (await keys.verificationKey(db, cached.kid))) return cached.principal
    // Expired, not yet valid or its key retired: forget it and let jwtVerify say why.
    verifiedTokens.delete(token)
  }
  const { payload, kid } = await verifyToken(c, token)
  const claims = claimsSchema.safeParse(payload)
  if (!claims.success) throw invalidToken('the token does not carry Qiao claims')
  const principal: Principal = {
    clientId: claims.data.sub,
    orgId: claims.data.org,
    orgKind: claims.data.org_kind,
    roles: claims.data.roles,
  }
  verifiedTokens.set(token, { principal, kid, expiresAt: payload.exp!, notBefore: payload.nbf })
  return principal
}

async function verifyToken(c: AppContext, token: string): Promise<{ payload: JWTPayload; kid: string }> {
  const { db, config, keys, clock } = c.get('services')
  try {
    const verified = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        const key = header.kid ? await keys.verificationKey(db, header.kid) : undefined
        if (!key) throw new joseErrors.JWKSNoMatchingKey()
        return key.key
      },
      {
        issuer: config.QIAO_ISSUER,
        audience: config.QIAO_AUDIENCE,
        algorithms: [SIGNING_ALG],
        typ: 'at+jwt',
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: clock.now(),
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      },
    )
    return { payload: verified.payload, kid: verified.protectedHeader.kid! }
  } catch (error) {
    throw invalidToken(tokenProblem(error))
  }
}

function tokenProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not acceptable`
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the token was not signed by a current Qiao key'
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with an accepted algorithm'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify'
  return 'the token is malformed'
}

function invalidToken(detail: string): ApiError {
  return new ApiError('invalid_token', detail, {
    headers: { 'WWW-Authenticate': `Bearer realm="qiao", error="invalid_token", error_description="${detail}"` },
  })
}
