// The shapes of the answers the demo reads, inferred from the routes' own schemas so the demo
// breaks at compile time when the API changes under it.

import type { z } from '@hono/zod-openapi'
import type { DatasetSchema, IngestReportSchema } from '../catalog/schemas.js'
import type { AccessRequestSchema, GrantSchema } from '../exchange/schemas.js'
import type { IssuedClientSchema, OrgSchema, TokenSchema } from '../identity/schemas.js'
import type { ObjectionSchema } from '../objections/schemas.js'

export type Org = z.infer<typeof OrgSchema>
export type IssuedClient = z.infer<typeof IssuedClientSchema>
export type Token = z.infer<typeof TokenSchema>
export type Dataset = z.infer<typeof DatasetSchema>
export type IngestReport = z.infer<typeof IngestReportSchema>
export type AccessRequest = z.infer<typeof AccessRequestSchema>
export type Grant = z.infer<typeof GrantSchema>
export type Objection = z.infer<typeof ObjectionSchema>

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** GET /v1/audit items (src/audit/routes.ts). */
export interface AuditEntry {
  seq: number
  content: {
    at: string
    action: string
    actor_client_id: string | null
    actor_org_id: string | null
    dataset_id: string | null
    decision: 'allowed' | 'denied' | null
    reason: string | null
    purpose: string | null
    grant_id: string | null
    fields: string[] | null
    row_count: number | null
  }
  prev_hash: string
  hash: string
}

export interface Checkpoint {
  size: number
  root_hash: string
  chain_head: string
  at: string
  kid: string
  jws: string
}

export interface Verification {
  ok: boolean
  size?: number
  head?: string
  seq?: number
  problem?: string
  detail?: string
  checkpoint: { size: number; root_hash: string } | null
}

export interface InclusionProof {
  entry: AuditEntry
  leaf_index: number
  leaf_hash: string
  checkpoint: Checkpoint
  proof: string[]
}

export interface Aggregate {
  group_by: string[]
  k: number
  items: { groups: Record<string, string | null>; count: number | null; suppressed: boolean }[]
  total: number
  suppressed_groups: number
}
