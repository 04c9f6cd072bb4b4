import { SignJWT } from 'jose'
import { recordEvent, type ActionContext } from '../audit/recorder.js'
import type { Db } from '../db/db.js'
import { ApiError } from '../http/errors.js'
import { newId } from '../ids.js'
import type { Services } from '../services.js'
import { adminDivisionProblem, usccProblem } from '../standards/formats.js'
import * as repo from './repository.js'
import type { AdminLevel, ClientRow, OrgKind, OrgRow, Role } from './repository.js'
import { decoyHash, hashSecret, newClientSecret, verifySecret } from './secrets.js'

export const ROLES = ['publisher', 'approver', 'consumer', 'admin', 'auditor'] as const satisfies readonly Role[]
const PLATFORM_ONLY_ROLES: readonly Role[] = ['admin', 'auditor']

export type NewOrg =
  | { kind: 'department'; name: string; level: AdminLevel; region_code: string; parent_id?: string }
  | { kind: 'social_org'; name: string; uscc: string; uscc_reviewed?: boolean }

export async function createOrg(db: Db, ctx: ActionContext, input: NewOrg): Promise<OrgRow> {
  const org = await orgRowFor(db, input)
  return db.transaction(async (tx) => {
    if (org.uscc && (await repo.findOrgByUscc(tx, org.uscc))) {
      throw new ApiError('conflict', `an organisation with credit code ${org.uscc} already exists`)
    }
    const created = await repo.insertOrg(tx, { ...org, created_at: ctx.at })
    await recordEvent(tx, ctx, {
      action: 'org.created',
      resourceType: 'organisation',
      resourceId: created.id,
      details: { kind: created.kind, name: created.name, uscc_reviewed: created.uscc_reviewed },
    })
    return created
  })
}

async function orgRowFor(db: Db, input: NewOrg) {
  const base = { id: newId('org'), name: input.name.trim(), level: null, region_code: null, parent_id: null, uscc: null, uscc_reviewed: false }
  if (input.kind === 'department') {
    const problem = adminDivisionProblem(input.region_code)
    if (problem) throw invalidField('body.region_code', problem.code, `region_code ${input.region_code}: ${problem.message}`)
    if (input.parent_id) {
      const parent = await repo.findOrg(db, input.parent_id)
      if (parent?.kind !== 'department') {
        throw invalidField('body.parent_id', 'not_a_department', `parent_id ${input.parent_id} is not an existing department`)
      }
    }
    return { ...base, kind: 'department' as const, level: input.level, region_code: input.region_code, parent_id: input.parent_id ?? null }
  }
  const uscc = input.uscc.trim().toUpperCase()
  const problem = usccProblem(uscc)
  const reviewed = input.uscc_reviewed === true
  if (problem && !(problem.severity === 'warning' && reviewed)) {
    const hint = problem.severity === 'warning' ? ' (if this code is genuine, an admin may accept it with uscc_reviewed: true)' : ''
    throw invalidField('body.uscc', problem.code, `uscc ${uscc}: ${problem.message}${hint}`)
  }
  return { ...base, kind: 'social_org' as const, uscc, uscc_reviewed: reviewed && problem !== undefined }
}

function invalidField(path: string, code: string, message: string): ApiError {
  return new ApiError('validation_failed', message, { errors: [{ path, code, message }] })
}

export async function getOrg(db: Db, id: string): Promise<OrgRow> {
  const org = await repo.findOrg(db, id)
  if (!org) throw new ApiError('not_found', `organisation ${id} not found`)
  return org
}

export function listOrgs(db: Db, filter: repo.OrgFilter): Promise<OrgRow[]> {
  return repo.listOrgs(db, filter)
}

export async function setOrgStatus(
  services: Services,
  ctx: ActionContext,
  id: string,
  status: OrgRow['status'],
): Promise<OrgRow> {
  const org = await services.db.transaction(async (tx) => {
    const existing = await repo.findOrg(tx, id)
    if (!existing) throw new ApiError('not_found', `organisation ${id} not found`)
    if (existing.kind === 'platform') throw new ApiError('conflict', 'the platform organisation cannot be suspended')
    if (existing.status === status) return existing
    const updated = (await repo.setOrgStatus(tx, id, status, ctx.at))!
    await recordEvent(tx, ctx, {
      action: status === 'suspended' ? 'org.suspended' : 'org.reinstated',
      resourceType: 'organisation',
      resourceId: id,
      details: { before: existing.status, after: status },
    })
    return updated
  })
  services.authCache.forgetOrg(id)
  return org
}

export interface IssuedClient {
  client: ClientRow
  secret: string
}

/**
 * Issues a client credential; the secret is in the answer only. With `idempotencyKey`, a repeat
 * for the same organisation issues nothing and answers 409 `already_issued` naming the client the
 * first call made: its secret cannot be shown again (revoke it and issue another if it was lost).
 */
export async function issueClient(
  db: Db,
  ctx: ActionContext,
  orgId: string,
  input: { name: string; roles: Role[] },
  idempotencyKey?: string,
): Promise<IssuedClient> {
  const roles = [...new Set(input.roles)]
  const org = await getOrg(db, orgId)
  const misplaced = roles.filter((r) => PLATFORM_ONLY_ROLES.includes(r))
  if (org.kind !== 'platform' && misplaced.length > 0) {
    throw invalidField('body.roles', 'platform_only', `roles ${misplaced.join(', ')} are only for the platform organisation`)
  }
  if (org.status !== 'active') throw new ApiError('conflict', `organisation ${orgId} is suspended`)
  const secret = newClientSecret()
  const secretHash = await hashSecret(secret)
  const client = await db.transaction(async (tx) => {
    const created = await repo.insertClient(tx, { id: newId('cli'), org_id: orgId, name: input.name.trim(), roles, secret_hash: secretHash, idempotency_key: idempotencyKey, created_at: ctx.at })
    if (!created) {
      const first = await repo.clientByIdempotencyKey(tx, orgId, idempotencyKey!)
      throw new ApiError('conflict', `this Idempotency-Key already issued client ${first?.id}: its secret was shown once and is not kept`, {
        reason: 'already_issued',
        client_id: first?.id ?? null,
      })
    }
    await recordEvent(tx, ctx, {
      action: 'client.issued',
      resourceType: 'client',
      resourceId: created.id,
      details: { org_id: orgId, roles },
    })
    return created
  })
  return { client, secret }
}

export async function revokeClient(services: Services, ctx: ActionContext, clientId: string): Promise<void> {
  await services.db.transaction(async (tx) => {
    const revoked = await repo.revokeClientRow(tx, clientId, ctx.at)
    if (!revoked) {
      const existing = await repo.findClientAuth(tx, clientId)
      if (!existing) throw new ApiError('not_found', `client ${clientId} not found`)
      return // already revoked: idempotent
    }
    await recordEvent(tx, ctx, { action: 'client.revoked', resourceType: 'client', resourceId: clientId, details: { org_id: revoked.org_id } })
  })
  services.authCache.forgetClient(clientId)
}

export function listClients(db: Db, orgId: string): Promise<ClientRow[]> {
  return repo.listClients(db, orgId)
}

export type TokenRefusal = 'invalid_client'

export interface IssuedToken {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
}

/**
 * Client authentication, shared by the token endpoint and the console's sign-in: checks the
 * secret (constant time, same cost for unknown clients) behind the failed-attempt brake, and
 * audits every refusal under `refusedAction`.
 */
export async function authenticateClient(
  services: Services,
  ctx: ActionContext,
  clientId: string,
  secret: string,
  refusedAction = 'auth.token_refused',
): Promise<{ client: repo.ClientAuthRow } | { refused: TokenRefusal; reason: string }> {
  const { db, tokenFailures } = services
  const limitKeys = [`client:${clientId}`, ...(ctx.sourceIp ? [`addr:${ctx.sourceIp}`] : [])]
  const wait = await tokenFailures.retryAfter(db, limitKeys, ctx.at)
  if (wait > 0) {
    throw new ApiError('rate_limited', `too many failed attempts: try again in ${wait} s`, { headers: { 'Retry-After': String(wait) } })
  }
  const client = await repo.findClientAuth(db, clientId)
  const secretOk = await verifySecret(secret, client?.secret_hash ?? decoyHash)
  const reason = !client
    ? 'unknown client'
    : !secretOk
      ? 'wrong secret'
      : client.client_status !== 'active'
        ? 'client revoked'
        : client.org_status !== 'active'
          ? 'organisation suspended'
          : undefined
  if (reason || !client) {
    await tokenFailures.fail(db, limitKeys, ctx.at)
    await services.audit.append(ctx, {
      action: refusedAction,
      resourceType: 'client',
      resourceId: clientId.slice(0, 64),
      decision: 'denied',
      reason: reason ?? 'unknown client',
    })
    return { refused: 'invalid_client', reason: reason ?? 'unknown client' }
  }
  return { client }
}

/** OAuth 2.0 client credentials: authenticates the client and signs an access token. Every failure is the one `invalid_client` answer. */
export async function issueToken(
  services: Services,
  ctx: ActionContext,
  clientId: string,
  secret: string,
): Promise<IssuedToken | { refused: TokenRefusal; reason: string }> {
  const { db, config, keys } = services
  const authenticated = await authenticateClient(services, ctx, clientId, secret)
  if ('refused' in authenticated) return authenticated
  const { client } = authenticated
  const signer = await keys.signingKey(db)
  const now = Math.floor(ctx.at.getTime() / 1000)
  const token = await new SignJWT({ client_id: client.id, org: client.org_id, org_kind: client.org_kind, roles: client.roles })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt' })
    .setIssuer(config.QIAO_ISSUER)
    .setAudience(config.QIAO_AUDIENCE)
    .setSubject(client.id)
    .setIssuedAt(now)
    .setExpirationTime(now + config.QIAO_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(signer.privateKey)
  return { access_token: token, token_type: 'Bearer', expires_in: config.QIAO_TOKEN_TTL_SECONDS, scope: client.roles.join(' ') }
}

export interface Bootstrap {
  org: OrgRow
  client: ClientRow
  secret: string
}

/**
 * On an empty database: creates the platform organisation and its first admin client (secret
 * returned once). Returns undefined when a platform organisation already exists.
 */
export async function bootstrapPlatform(db: Db, ctx: ActionContext): Promise<Bootstrap | undefined> {
  const secret = newClientSecret()
  const secretHash = await hashSecret(secret)
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK])
    if (await repo.findPlatformOrg(tx)) return undefined
    const org = await repo.insertOrg(tx, {
      id: newId('org'),
      kind: 'platform' satisfies OrgKind,
      name: 'Qiao platform',
      level: null,
      region_code: null,
      parent_id: null,
      uscc: null,
      uscc_reviewed: false,
      created_at: ctx.at,
    })
    // Without an idempotency key the insert always makes the row.
    const client = (await repo.insertClient(tx, { id: newId('cli'), org_id: org.id, name: 'bootstrap admin', roles: ['admin', 'auditor'], secret_hash: secretHash, created_at: ctx.at }))!
    await recordEvent(tx, ctx, [
      { action: 'org.created', resourceType: 'organisation', resourceId: org.id, details: { kind: 'platform', bootstrap: true } },
      { action: 'client.issued', resourceType: 'client', resourceId: client.id, details: { org_id: org.id, roles: client.roles, bootstrap: true } },
    ])
    return { org, client, secret }
  })
}

const BOOTSTRAP_LOCK = 7_411_203_820
