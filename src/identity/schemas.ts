import { z } from '@hono/zod-openapi'
import type { ClientRow, OrgRow } from './repository.js'
import { ROLES } from './service.js'

export const RoleSchema = z.enum(ROLES).openapi({ description: 'A client role', example: 'consumer' })

export const OrgSchema = z
  .object({
    id: z.string().openapi({ example: 'org_7x2k9q…' }),
    kind: z.enum(['department', 'social_org', 'platform']).openapi({ description: 'Organisation kind' }),
    name: z.string().openapi({ example: '某市民政局' }),
    level: z.enum(['province', 'city', 'county', 'township']).nullable().openapi({ description: 'Administrative level (departments)' }),
    region_code: z.string().nullable().openapi({ description: 'GB/T 2260 region code (departments)', example: '330100' }),
    parent_id: z.string().nullable().openapi({ description: 'Parent department, if any' }),
    uscc: z.string().nullable().openapi({ description: 'Unified social credit code (social organisations)', example: '52440300MJL123454Y' }),
    uscc_reviewed: z.boolean().openapi({ description: 'An admin accepted a credit code that fails its checksum' }),
    status: z.enum(['active', 'suspended']).openapi({ description: 'Suspended organisations cannot get or use tokens' }),
    created_at: z.string().openapi({ description: 'ISO 8601', example: '2026-11-23T08:00:00.000Z' }),
  })
  .openapi('Organisation')

export const CreateOrgSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('department'),
      name: z.string().trim().min(1).max(200).openapi({ example: '某市市场监督管理局' }),
      level: z.enum(['province', 'city', 'county', 'township']).openapi({ example: 'city' }),
      region_code: z.string().openapi({ description: 'GB/T 2260 six-digit code, checked', example: '330100' }),
      parent_id: z.string().optional().openapi({ description: 'An existing department' }),
    }),
    z.object({
      kind: z.literal('social_org'),
      name: z.string().trim().min(1).max(200).openapi({ example: '某市志愿者协会' }),
      uscc: z.string().openapi({ description: 'GB 32100 code, checksum checked', example: '52440300MJL123454Y' }),
      uscc_reviewed: z.boolean().optional().openapi({ description: 'Accept a code that fails only its checksum (early pilot codes)' }),
    }),
  ])
  .openapi('NewOrganisation')

export const ClientSchema = z
  .object({
    id: z.string().openapi({ example: 'cli_4m2…' }),
    org_id: z.string(),
    name: z.string(),
    roles: z.array(RoleSchema),
    status: z.enum(['active', 'revoked']),
    created_at: z.string(),
  })
  .openapi('Client')

export const IssuedClientSchema = z
  .object({
    id: z.string().openapi({ example: 'cli_4m2…' }),
    client_id: z.string().openapi({ description: 'Same as id: the OAuth client_id' }),
    client_secret: z.string().openapi({ description: 'Shown only in this response; store it now' }),
    org_id: z.string(),
    name: z.string(),
    roles: z.array(RoleSchema),
  })
  .openapi('IssuedClient')

export const NewClientSchema = z
  .object({
    name: z.string().trim().min(1).max(200).openapi({ example: 'data exchange system' }),
    roles: z.array(RoleSchema).min(1).max(5).openapi({ example: ['consumer'] }),
  })
  .openapi('NewClient')

export const TokenRequestSchema = z
  .object({
    grant_type: z.string().openapi({ example: 'client_credentials' }),
    client_id: z.string().optional().openapi({ description: 'Or use HTTP Basic authentication' }),
    client_secret: z.string().optional(),
    scope: z.string().optional().openapi({ description: 'Ignored: a token carries all of the client’s roles' }),
  })
  .openapi('TokenRequest')

export const TokenSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ example: 900 }),
    scope: z.string().openapi({ example: 'consumer' }),
  })
  .openapi('Token')

export const OAuthErrorSchema = z
  .object({
    error: z.enum(['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'unauthorized_client']),
    error_description: z.string(),
    code: z.string(),
    status: z.number().int(),
    instance: z.string(),
  })
  .openapi('OAuthError')

export function renderOrg(org: OrgRow): z.infer<typeof OrgSchema> {
  return {
    id: org.id,
    kind: org.kind,
    name: org.name,
    level: org.level,
    region_code: org.region_code,
    parent_id: org.parent_id,
    uscc: org.uscc,
    uscc_reviewed: org.uscc_reviewed,
    status: org.status,
    created_at: org.created_at.toISOString(),
  }
}

export function renderClient(client: ClientRow): z.infer<typeof ClientSchema> {
  return {
    id: client.id,
    org_id: client.org_id,
    name: client.name,
    roles: client.roles,
    status: client.status,
    created_at: client.created_at.toISOString(),
  }
}
