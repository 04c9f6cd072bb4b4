import { z } from '@hono/zod-openapi'
import { maskSpecSchema } from '../standards/annotations.js'
import { ACCESS_MODES } from './policy.js'
import type { GrantRow } from './repository.js'
import { grantStatus, type RequestView } from './service.js'

const FieldName = z.string().min(1).max(128).openapi({ description: 'A field (data element) of the dataset’s standard', example: 'household_region_code' })

// zod's own metadata: the mask schema is built in src/standards, outside @hono/zod-openapi.
const MaskSchema = maskSpecSchema.meta({
  id: 'Mask',
  description: 'A field mask (schemas/README.md, "Masks"): redact, show-first-n, show-last-n, hash (per grant), nullify, date-year, region-prefix-n',
  example: { type: 'show-first-n', n: 6, last: 4 },
})

export const RowConditionSchema = z
  .discriminatedUnion('op', [
    z.strictObject({ field: FieldName, op: z.literal('eq'), value: z.string().max(256).openapi({ description: 'The value the field must equal' }) }),
    z.strictObject({ field: FieldName, op: z.literal('in'), values: z.array(z.string().max(256)).min(1).max(200).openapi({ description: 'The values the field may take' }) }),
    z.strictObject({ field: FieldName, op: z.literal('prefix'), value: z.string().min(1).max(256).openapi({ description: 'The prefix the field must start with, e.g. a region code prefix' }) }),
  ])
  .openapi('RowCondition', { description: 'A condition on a record’s field; a row filter is a list of them, all of which must hold', example: { field: 'household_region_code', op: 'prefix', value: '3301' } })

export const NewAccessRequestSchema = z
  .strictObject({
    dataset_id: z.string().min(1).max(64).openapi({ description: 'The dataset asked for', example: 'ds_8f3k…' }),
    purpose: z.string().trim().min(1).max(500).openapi({ description: 'Why: every read states it again (X-Purpose) and must match', example: 'subsidy-eligibility' }),
    legal_basis: z.string().trim().min(1).max(2000).openapi({ description: 'The law, regulation or document that allows it', example: '《社会救助暂行办法》第十一条' }),
    fields: z.array(FieldName).min(1).max(200).openapi({ description: 'The fields asked for' }),
    duration_days: z.int().min(1).max(3660).openapi({ description: 'For how long, in days', example: 365 }),
  })
  .openapi('NewAccessRequest')

export const ApprovalSchema = z
  .strictObject({
    fields: z.array(FieldName).min(1).max(200).optional().openapi({ description: 'The fields granted: the requested ones or fewer (default: as requested)' }),
    masks: z.record(FieldName, MaskSchema).optional().openapi({ description: 'A mask per granted field; in masked modes, fields without one get the standard’s default mask' }),
    row_filter: z.array(RowConditionSchema).max(20).optional().openapi({ description: 'Only records matching every condition are delivered' }),
    daily_quota: z.int().min(1).max(1_000_000_000).optional().openapi({ description: 'Records per day (China time); each request costs at least one. Unlimited if absent', example: 1000 }),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'When the grant ends; no later than the requested duration (the default)', example: '2027-06-30T16:00:00Z' }),
    note: z.string().trim().min(1).max(2000).optional().openapi({ description: 'The approver’s note, recorded with the decision' }),
  })
  .openapi('Approval')

export const RejectionSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).openapi({ description: 'Why: told to the requester and recorded', example: '申请字段超出履职所需' }) })
  .openapi('Rejection')

export const AccessRequestSchema = z
  .object({
    id: z.string().openapi({ example: 'req_2k9…' }),
    dataset_id: z.string(),
    consumer_org_id: z.string().openapi({ description: 'The requesting organisation' }),
    provider_id: z.string().openapi({ description: 'The owning department, whose approvers decide' }),
    purpose: z.string(),
    legal_basis: z.string(),
    fields: z.array(z.string()),
    duration_days: z.int(),
    mode: z.enum(ACCESS_MODES).openapi({ description: 'What the tier policy gave this consumer when it asked' }),
    status: z.enum(['pending', 'approved', 'rejected', 'withdrawn', 'expired']),
    deadline: z.string().openapi({ description: 'Decide by (ISO 8601): working days from the request', example: '2026-12-07T15:59:59.999Z' }),
    expires_at: z.string().openapi({ description: 'A request still pending then expires' }),
    light: z.enum(['green', 'yellow', 'red']).nullable().openapi({ description: 'For pending requests: red when overdue, yellow when at most two working days are left' }),
    overdue: z.boolean(),
    created_at: z.string(),
    decided_at: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: 'A rejection’s reason, an approval’s note, or policy_direct' }),
    grant_id: z.string().nullable(),
  })
  .openapi('AccessRequest')

export const GrantSchema = z
  .object({
    id: z.string().openapi({ example: 'grt_5h1…' }),
    dataset_id: z.string(),
    consumer_org_id: z.string(),
    provider_id: z.string(),
    request_id: z.string(),
    purpose: z.string(),
    mode: z.enum(ACCESS_MODES),
    fields: z.array(z.string()),
    masks: z.record(z.string(), MaskSchema),
    row_filter: z.array(RowConditionSchema),
    daily_quota: z.int().nullable(),
    expires_at: z.string().nullable(),
    status: z.enum(['active', 'revoked', 'expired']),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('Grant')

export function renderRequest(view: RequestView): z.infer<typeof AccessRequestSchema> {
  const row = view.row
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    consumer_org_id: row.consumer_org_id,
    provider_id: row.provider_id,
    purpose: row.purpose,
    legal_basis: row.legal_basis,
    fields: row.fields,
    duration_days: row.duration_days,
    mode: row.mode,
    status: row.status,
    deadline: row.deadline.toISOString(),
    expires_at: row.expires_at.toISOString(),
    light: view.light,
    overdue: view.overdue,
    created_at: row.created_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    reason: row.reason,
    grant_id: row.grant_id,
  }
}

export function renderGrant(grant: GrantRow, now: Date): z.infer<typeof GrantSchema> {
  return {
    id: grant.id,
    dataset_id: grant.dataset_id,
    consumer_org_id: grant.consumer_org_id,
    provider_id: grant.provider_id,
    request_id: grant.request_id,
    purpose: grant.purpose,
    mode: grant.mode,
    fields: grant.fields,
    masks: grant.masks,
    row_filter: grant.row_filter,
    daily_quota: grant.daily_quota,
    expires_at: grant.expires_at?.toISOString() ?? null,
    status: grantStatus(grant, now),
    created_at: grant.created_at.toISOString(),
    revoked_at: grant.revoked_at?.toISOString() ?? null,
  }
}
