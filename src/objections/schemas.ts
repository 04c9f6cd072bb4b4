import { z } from '@hono/zod-openapi'
import { OBJECTION_STATUSES, type RatingRow } from './repository.js'
import type { ObjectionView } from './service.js'

const MAX_PROPOSED_BYTES = 16_384

const Score = z.int().min(1).max(5).openapi({ description: 'How well the provider handled it: 1 (poor, 差评) to 5 (excellent, 好评)', example: 4 })
const Comment = z.string().trim().min(1).max(2000).openapi({ description: 'A word on the handling, shown to the provider and supervision', example: '处理及时，更正准确' })

export const NewObjectionSchema = z
  .strictObject({
    record_key: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .openapi({ description: 'The disputed record, by the dataset’s key field; absent when the objection is about the dataset as a whole', example: '33010619800101001X' }),
    description: z.string().trim().min(1).max(4000).openapi({ description: 'What is wrong', example: '户籍地址已于2026年3月迁出，数据未更新' }),
    proposed_value: z
      .record(z.string().min(1).max(128), z.unknown())
      .optional()
      .refine((v) => v === undefined || Object.keys(v).length <= 200, 'at most 200 fields')
      .refine((v) => v === undefined || JSON.stringify(v).length <= MAX_PROPOSED_BYTES, `at most ${MAX_PROPOSED_BYTES} characters of JSON`)
      .openapi({ description: 'The values the raiser believes correct, by field of the dataset’s standard', example: { household_region_code: '330106' } }),
  })
  .openapi('NewObjection')

export const ResolutionSchema = z
  .strictObject({
    outcome: z.enum(['corrected', 'rejected']).openapi({ description: 'corrected: the data was fixed; rejected: the data stands (the note says why)' }),
    note: z.string().trim().min(1).max(4000).openapi({ description: 'What was done, or why the objection is rejected; told to the raiser', example: '已核实并更正户籍地址' }),
    ingest_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({
        description:
          'For corrected: the ingest that carried the correction (the id POST /v1/datasets/{id}/records answered) — an ingest of this dataset, stored, made after the objection was raised and, for a record, one that changed it. ' +
          'Not needed when the disputed record was deleted after the objection was raised.',
        example: 'ing_2k9x…',
      }),
  })
  .refine((r) => r.outcome === 'corrected' || r.ingest_id === undefined, { message: 'ingest_id goes with outcome corrected', path: ['ingest_id'] })
  .openapi('Resolution')

export const CloseSchema = z
  .strictObject({ rating: Score.optional(), comment: Comment.optional() })
  .refine((c) => c.comment === undefined || c.rating !== undefined, { message: 'a comment goes with a rating', path: ['comment'] })
  .openapi('ObjectionClose')

export const ReopenSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(4000).openapi({ description: 'Why the resolution does not settle it', example: '更正后的地址仍与户籍证明不符' }) })
  .openapi('ObjectionReopen')

export const NewRatingSchema = z.strictObject({ score: Score, comment: Comment.optional() }).openapi('NewRating')

export const RatingSchema = z
  .object({
    id: z.string().openapi({ example: 'rat_7m2…' }),
    subject_kind: z.enum(['objection', 'access_request']),
    subject_id: z.string().openapi({ description: 'The objection or access request rated' }),
    provider_id: z.string().openapi({ description: 'The organisation whose handling is rated' }),
    rater_org_id: z.string(),
    score: z.int(),
    comment: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Rating')

export const ObjectionSchema = z
  .object({
    id: z.string().openapi({ example: 'obj_4t8…' }),
    dataset_id: z.string(),
    provider_id: z.string().openapi({ description: 'The owning department, which accepts and resolves it' }),
    raiser_org_id: z.string().openapi({ description: 'The organisation that raised it, which closes or reopens it' }),
    record_key: z.string().nullable().openapi({ description: 'The disputed record; null for the dataset as a whole' }),
    description: z.string(),
    proposed_value: z.record(z.string(), z.unknown()).nullable(),
    status: z.enum(OBJECTION_STATUSES).openapi({ description: 'raised → accepted → resolved → closed; a resolved objection reopened goes back to accepted' }),
    deadline: z.string().openapi({
      description: 'While raised: accept by (QIAO_OBJECTION_ACCEPT_WORKING_DAYS after raising); while accepted: resolve by (QIAO_OBJECTION_WORKING_DAYS after accepting or reopening). Afterwards the last one.',
      example: '2026-12-07T15:59:59.999Z',
    }),
    light: z.enum(['green', 'yellow', 'red']).nullable().openapi({ description: 'While raised or accepted: red when overdue, yellow when at most QIAO_LIGHT_YELLOW_WORKING_DAYS working days are left; null afterwards' }),
    overdue: z.boolean(),
    outcome: z.enum(['corrected', 'rejected']).nullable(),
    resolution_note: z.string().nullable(),
    correction_ingest_id: z.string().nullable().openapi({ description: 'The ingest that carried the correction' }),
    created_at: z.string(),
    accepted_at: z.string().nullable(),
    resolved_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    reopened_at: z.string().nullable(),
    reopen_reason: z.string().nullable(),
    rating: RatingSchema.nullable().openapi({ description: 'The raiser’s rating, given when closing' }),
  })
  .openapi('Objection')

export function renderRating(rating: RatingRow): z.infer<typeof RatingSchema> {
  return {
    id: rating.id,
    subject_kind: rating.subject_kind,
    subject_id: rating.subject_id,
    provider_id: rating.provider_id,
    rater_org_id: rating.rater_org_id,
    score: rating.score,
    comment: rating.comment,
    created_at: rating.created_at.toISOString(),
  }
}

export function renderObjection(view: ObjectionView): z.infer<typeof ObjectionSchema> {
  const row = view.row
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    provider_id: row.provider_id,
    raiser_org_id: row.raiser_org_id,
    record_key: row.record_key,
    description: row.description,
    proposed_value: (row.proposed_value ?? null) as Record<string, unknown> | null,
    status: row.status,
    deadline: row.deadline.toISOString(),
    light: view.light,
    overdue: view.overdue,
    outcome: row.outcome,
    resolution_note: row.resolution_note,
    correction_ingest_id: row.correction_ingest_id,
    created_at: row.created_at.toISOString(),
    accepted_at: row.accepted_at?.toISOString() ?? null,
    resolved_at: row.resolved_at?.toISOString() ?? null,
    closed_at: row.closed_at?.toISOString() ?? null,
    reopened_at: row.reopened_at?.toISOString() ?? null,
    reopen_reason: row.reopen_reason,
    rating: view.rating ? renderRating(view.rating) : null,
  }
}
