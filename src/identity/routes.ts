import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppContext, AppEnv } from '../http/env.js'
import { bearerSecurity, errorResponses, idempotencyKeyHeader } from '../http/openapi.js'
import { decodeCursor, page, pageQuery } from '../http/pagination.js'
import { actionContext, principalOf, requireAuth, requireRole } from './middleware.js'
import {
  ClientSchema,
  CreateOrgSchema,
  IssuedClientSchema,
  NewClientSchema,
  OAuthErrorSchema,
  OrgSchema,
  RoleSchema,
  TokenRequestSchema,
  TokenSchema,
  renderClient,
  renderOrg,
} from './schemas.js'
import * as identity from './service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const orgIdParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'org_7x2k9q…' }) })
const authenticated = [requireAuth()]
const adminOnly = [requireAuth(), requireRole('admin')]

const createOrgRoute = createRoute({
  method: 'post',
  path: '/v1/orgs',
  tags: ['identity'],
  summary: 'Create an organisation',
  description: 'A department (level and GB/T 2260 region code, checked) or a social organisation (GB 32100 credit code, checked). Admin only.',
  security: bearerSecurity,
  middleware: adminOnly,
  request: { body: { required: true, content: { 'application/json': { schema: CreateOrgSchema } } } },
  responses: { 201: json(OrgSchema, 'Created'), ...errorResponses(400, 401, 403, 409, 415) },
})

const listOrgsRoute = createRoute({
  method: 'get',
  path: '/v1/orgs',
  tags: ['identity'],
  summary: 'List organisations',
  description: 'Every organisation, in id order with cursor pagination; any authenticated client may list them.',
  security: bearerSecurity,
  middleware: authenticated,
  request: {
    query: z.object({
      kind: z.enum(['department', 'social_org', 'platform']).optional().openapi({ description: 'Only this kind' }),
      status: z.enum(['active', 'suspended']).optional().openapi({ description: 'Only this status' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(OrgSchema), next_cursor: z.string().nullable() }).openapi('OrganisationPage'), 'A page of organisations'),
    ...errorResponses(400, 401),
  },
})

const getOrgRoute = createRoute({
  method: 'get',
  path: '/v1/orgs/{id}',
  tags: ['identity'],
  summary: 'Read an organisation',
  description: 'Any authenticated client may read any organisation: who the departments and social organisations are is not secret.',
  security: bearerSecurity,
  middleware: authenticated,
  request: { params: orgIdParam },
  responses: { 200: json(OrgSchema, 'The organisation'), ...errorResponses(401, 404) },
})

const orgStatusRoute = (action: 'suspend' | 'reinstate') =>
  createRoute({
    method: 'post',
    path: `/v1/orgs/{id}/${action}`,
    tags: ['identity'],
    summary: action === 'suspend' ? 'Suspend an organisation' : 'Reinstate a suspended organisation',
    description:
      action === 'suspend'
        ? 'Its clients can no longer get tokens, and tokens already issued stop working within QIAO_AUTH_CACHE_SECONDS. Admin only.'
        : 'Its clients can get and use tokens again. Admin only.',
    security: bearerSecurity,
    middleware: adminOnly,
    request: { params: orgIdParam },
    responses: { 200: json(OrgSchema, 'The organisation'), ...errorResponses(401, 403, 404, 409) },
  })

const issueClientRoute = createRoute({
  method: 'post',
  path: '/v1/orgs/{id}/clients',
  tags: ['identity'],
  summary: 'Issue a client credential',
  description: 'The secret is in this response only. admin and auditor are roles of the platform organisation only. Admin only.',
  security: bearerSecurity,
  middleware: adminOnly,
  request: {
    params: orgIdParam,
    headers: z.object({
      'idempotency-key': idempotencyKeyHeader('Makes a retry safe: a second issue with the same key makes no client and answers 409 `already_issued` with the first one’s `client_id`'),
    }),
    body: { required: true, content: { 'application/json': { schema: NewClientSchema } } },
  },
  responses: { 201: json(IssuedClientSchema, 'Issued'), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const listClientsRoute = createRoute({
  method: 'get',
  path: '/v1/orgs/{id}/clients',
  tags: ['identity'],
  summary: "List an organisation's clients",
  description: 'Never includes secrets. Admin only.',
  security: bearerSecurity,
  middleware: adminOnly,
  request: { params: orgIdParam },
  responses: { 200: json(z.object({ items: z.array(ClientSchema) }).openapi('ClientList'), 'Clients'), ...errorResponses(401, 403, 404) },
})

const revokeClientRoute = createRoute({
  method: 'delete',
  path: '/v1/clients/{id}',
  tags: ['identity'],
  summary: 'Revoke a client credential',
  description: 'Idempotent. Its tokens stop working within QIAO_AUTH_CACHE_SECONDS (at once on the gateway that revoked it). Admin only.',
  security: bearerSecurity,
  middleware: adminOnly,
  request: { params: z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
})

const tokenRoute = createRoute({
  method: 'post',
  path: '/v1/auth/token',
  tags: ['identity'],
  summary: 'Get an access token (OAuth 2.0 client credentials)',
  description:
    'RFC 6749 §4.4. Form-encoded or JSON body; the client authenticates in the body (client_id, client_secret) or with HTTP Basic. Errors follow RFC 6749 §5.2.',
  request: {
    body: {
      // Not `required`: with two media types, @hono/zod-openapi would then run both validators on
      // every request. Each one runs for its own content type; a missing body is invalid_request.
      required: false,
      content: {
        'application/x-www-form-urlencoded': { schema: TokenRequestSchema },
        'application/json': { schema: TokenRequestSchema },
      },
    },
  },
  responses: {
    200: json(TokenSchema, 'An access token'),
    400: json(OAuthErrorSchema, 'invalid_request or unsupported_grant_type'),
    401: json(OAuthErrorSchema, 'invalid_client'),
    ...errorResponses(415),
  },
})

const whoamiRoute = createRoute({
  method: 'get',
  path: '/v1/auth/whoami',
  tags: ['identity'],
  summary: 'Who the presented token says the caller is',
  description: 'Checks the token like every protected route does, and answers with its principal. Touches no data.',
  security: bearerSecurity,
  middleware: authenticated,
  responses: {
    200: json(
      z
        .object({
          client_id: z.string(),
          org_id: z.string(),
          org_kind: z.enum(['department', 'social_org', 'platform']),
          roles: z.array(RoleSchema),
        })
        .openapi('Principal'),
      'The principal',
    ),
    ...errorResponses(401),
  },
})

const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['identity'],
  summary: "Qiao's public signing keys (JWKS)",
  description: 'Verifies access tokens and audit checkpoints. Includes a retired key until the last token it signed has expired.',
  responses: {
    200: json(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('Jwks'), 'The key set'),
    ...errorResponses(),
  },
})

export function registerIdentityRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(createOrgRoute, async (c) => {
    const org = await identity.createOrg(c.get('services').db, actionContext(c), c.req.valid('json'))
    return c.json(renderOrg(org), 201)
  })

  app.openapi(listOrgsRoute, async (c) => {
    const { kind, status, limit, cursor } = c.req.valid('query')
    const after = decodeCursor(cursor, z.object({ id: z.string() }))
    const rows = await identity.listOrgs(c.get('services').db, { kind, status, after: after?.id, limit: limit + 1 })
    return c.json(page(rows, limit, renderOrg, (o) => ({ id: o.id })), 200)
  })

  app.openapi(getOrgRoute, async (c) => {
    return c.json(renderOrg(await identity.getOrg(c.get('services').db, c.req.valid('param').id)), 200)
  })

  app.openapi(orgStatusRoute('suspend'), async (c) => {
    const org = await identity.setOrgStatus(c.get('services'), actionContext(c), c.req.valid('param').id, 'suspended')
    return c.json(renderOrg(org), 200)
  })

  app.openapi(orgStatusRoute('reinstate'), async (c) => {
    const org = await identity.setOrgStatus(c.get('services'), actionContext(c), c.req.valid('param').id, 'active')
    return c.json(renderOrg(org), 200)
  })

  app.openapi(issueClientRoute, async (c) => {
    const key = c.req.valid('header')['idempotency-key']
    const { client, secret } = await identity.issueClient(c.get('services').db, actionContext(c), c.req.valid('param').id, c.req.valid('json'), key)
    c.header('Cache-Control', 'no-store')
    return c.json({ id: client.id, client_id: client.id, client_secret: secret, org_id: client.org_id, name: client.name, roles: client.roles }, 201)
  })

  app.openapi(listClientsRoute, async (c) => {
    const { db } = c.get('services')
    const { id } = c.req.valid('param')
    await identity.getOrg(db, id)
    return c.json({ items: (await identity.listClients(db, id)).map(renderClient) }, 200)
  })

  app.openapi(revokeClientRoute, async (c) => {
    await identity.revokeClient(c.get('services'), actionContext(c), c.req.valid('param').id)
    return c.body(null, 204)
  })

  app.openapi(
    tokenRoute,
    async (c) => {
      const body = isForm(c) ? c.req.valid('form') : c.req.valid('json')
      if (!body?.grant_type) return oauthError(c, 400, 'invalid_request', 'grant_type is required')
      if (body.grant_type !== 'client_credentials') {
        return oauthError(c, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported')
      }
      const credentials = clientCredentials(c, body)
      if ('problem' in credentials) return oauthError(c, credentials.status, credentials.error, credentials.problem)
      const result = await identity.issueToken(c.get('services'), actionContext(c), credentials.id, credentials.secret)
      if ('refused' in result) return oauthError(c, 401, result.refused, 'client authentication failed')
      c.header('Cache-Control', 'no-store')
      c.header('Pragma', 'no-cache')
      return c.json(result, 200)
    },
    (result, c) => {
      if (!result.success) {
        const fields = result.error.issues.map((i) => i.path.join('.')).join(', ')
        return oauthError(c, 400, 'invalid_request', `malformed token request: ${fields}`)
      }
    },
  )

  app.openapi(whoamiRoute, (c) => {
    const principal = principalOf(c)
    return c.json({ client_id: principal.clientId, org_id: principal.orgId, org_kind: principal.orgKind, roles: [...principal.roles] }, 200)
  })

  app.openapi(jwksRoute, async (c) => {
    const { keys, db } = c.get('services')
    c.header('Cache-Control', 'public, max-age=60')
    return c.json(await keys.jwks(db), 200)
  })
}

function isForm(c: AppContext): boolean {
  return /^application\/x-www-form-urlencoded/i.test(c.req.header('content-type') ?? '')
}

type Credentials = { id: string; secret: string } | { problem: string; error: 'invalid_request' | 'invalid_client'; status: 400 | 401 }

/** Client authentication: HTTP Basic (RFC 6749 §2.3.1, form-urlencoded parts) or the body, not both. */
function clientCredentials(c: AppContext, body: { client_id?: string; client_secret?: string }): Credentials {
  const header = c.req.header('authorization')
  if (header && /^Basic\s/i.test(header)) {
    if (body.client_secret) return { problem: 'use one client authentication method, not both', error: 'invalid_request', status: 400 }
    try {
      const decoded = atob(header.replace(/^Basic\s+/i, '').trim())
      const colon = decoded.indexOf(':')
      if (colon < 0) throw new Error('no colon')
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) }
    } catch {
      return { problem: 'malformed HTTP Basic credentials', error: 'invalid_client', status: 401 }
    }
  }
  if (!body.client_id || !body.client_secret) {
    return { problem: 'client_id and client_secret are required (in the body or with HTTP Basic)', error: 'invalid_request', status: 400 }
  }
  return { id: body.client_id, secret: body.client_secret }
}

/** RFC 6749 §5.2 error, with Qiao's problem members beside the OAuth ones. */
function oauthError(c: AppContext, status: 400 | 401, error: z.infer<typeof OAuthErrorSchema>['error'], description: string) {
  c.header('Cache-Control', 'no-store')
  if (status === 401) c.header('WWW-Authenticate', 'Basic realm="qiao"')
  const code = status === 401 ? 'unauthorized' : 'bad_request'
  return c.json({ error, error_description: description, code, status, instance: c.get('requestId') }, status)
}
