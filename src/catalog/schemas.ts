import { z } from '@hono/zod-openapi'
import { SENSITIVITY_LEVELS } from '../standards/annotations.js'
import type { ReportRow } from '../standards/report.js'
import { StandardNameSchema, VersionSchema } from '../standards/schemas.js'
import type { IngestReport } from './ingest.js'
import type { IngestRow } from './records-repository.js'
import { FORMATS, UPDATE_CYCLES, type TierChangeRow } from './repository.js'
import type { Dataset } from './service.js'
import { NEVER_EXCHANGED_GRADES, overrideDirection } from './tiers.js'
import { ATTRIBUTES } from './visibility.js'

const TierSchema = z.enum(SENSITIVITY_LEVELS).openapi({ description: 'DB33/T 2350-2021 level, L1 (not sensitive) … L4 (sensitive)', example: 'L4' })

const SharingSchema = z.enum(ATTRIBUTES).openapi({
  description: 'Sharing attribute (共享属性) among departments: unconditional (无条件共享), conditional (有条件共享, on application), none (不予共享)',
  example: 'unconditional',
})

const OpenSchema = z.enum(ATTRIBUTES).openapi({
  description: 'Open attribute (开放属性) towards society: unconditional (无条件开放), conditional (有条件开放), none (不予开放)',
  example: 'none',
})

export const ResourceCodeSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z./_-]{0,63}$/, 'a resource code is letters, digits and . / _ -, at most 64, starting with a letter or digit')
  .openapi({ description: 'Resource code (信息资源代码), unique in the catalogue', example: '330100/MZ-00001' })

const text = (max: number) => z.string().trim().min(1).max(max)

const FormatSchema = z.enum(FORMATS).openapi({
  description: 'Resource format (资源格式): database, spreadsheet, document, image, stream (流媒体), structured_file (自描述格式), api (服务接口)',
  example: 'database',
})

const UpdateCycleSchema = z.enum(UPDATE_CYCLES).openapi({ description: 'Update cycle (更新周期)', example: 'daily' })

const metadataFields = {
  name: text(200).openapi({ description: 'Resource name (信息资源名称)', example: '某市户籍人口基本信息' }),
  title: text(200).openapi({ description: 'Short display title', example: '户籍人口' }),
  abstract: text(4000).openapi({ description: 'Abstract (信息资源摘要)', example: '本市户籍人口的身份、户籍地与联系方式，每日更新。' }),
  format: FormatSchema,
  sharing: SharingSchema,
  sharing_conditions: text(2000)
    .nullable()
    .optional()
    .openapi({ description: 'Required for conditional sharing, refused otherwise', example: '用于社会救助资格核查' }),
  legal_basis: text(2000)
    .nullable()
    .optional()
    .openapi({ description: 'Required unless sharing is unconditional: the law or regulation that restricts it', example: '《社会救助暂行办法》第十条' }),
  open: OpenSchema,
  open_conditions: text(2000).nullable().optional().openapi({ description: 'Required for conditional opening, refused otherwise' }),
  update_cycle: UpdateCycleSchema,
  published_on: z.iso.date().openapi({ description: 'Publication date (发布日期), YYYY-MM-DD; defaults to the registration date (China time)', example: '2026-11-23' }),
  related_codes: z.array(ResourceCodeSchema).max(50).openapi({ description: 'Related resource codes (关联资源代码)', example: ['330100/GA-00012'] }),
}

export const NewDatasetSchema = z
  .strictObject({
    code: ResourceCodeSchema,
    standard: z
      .strictObject({
        name: StandardNameSchema,
        version: z.union([VersionSchema, z.literal('latest')]).openapi({ description: 'MAJOR.MINOR.PATCH, or `latest` (resolved now)', example: '1.0.0' }),
      })
      .openapi({ description: 'The record standard the records conform to' }),
    key_field: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: "The field that identifies a record; defaults to the standard's key (x-key)", example: 'citizen_id' }),
    data_grade: z
      .enum(['general', ...NEVER_EXCHANGED_GRADES])
      .optional()
      .openapi({ description: 'GB/T 43697-2024 grade. Only general data (一般数据) is exchanged; important and core data are refused' }),
    classified: z.boolean().optional().openapi({ description: 'Classified (涉密) data is refused' }),
    ...metadataFields,
    published_on: metadataFields.published_on.optional(),
    related_codes: metadataFields.related_codes.optional(),
  })
  .openapi('NewDataset')

export const DatasetPatchSchema = z
  .strictObject({
    name: metadataFields.name.optional(),
    title: metadataFields.title.optional(),
    abstract: metadataFields.abstract.optional(),
    format: FormatSchema.optional(),
    sharing: SharingSchema.optional(),
    sharing_conditions: metadataFields.sharing_conditions,
    legal_basis: metadataFields.legal_basis,
    open: OpenSchema.optional(),
    open_conditions: metadataFields.open_conditions,
    update_cycle: UpdateCycleSchema.optional(),
    published_on: metadataFields.published_on.optional(),
    related_codes: metadataFields.related_codes.optional(),
    standard_version: VersionSchema.optional().openapi({ description: 'Move to another version of the same standard; the tier is recomputed' }),
  })
  .openapi('DatasetPatch', { description: 'The members to change; null clears a text. The code, key field and provider never change.' })

export const TierOverrideSchema = z
  .strictObject({
    tier: z.enum([...SENSITIVITY_LEVELS, ...NEVER_EXCHANGED_GRADES]).openapi({
      description: 'The tier in force from now on; the computed tier clears the override. important/core are refused: such data leaves Qiao',
      example: 'L3',
    }),
    reason: z
      .string()
      .max(2000)
      .optional()
      .openapi({ description: 'Raising: why. Lowering: a justification of at least a sentence (six words or twelve Chinese characters)', example: '姓名、身份证号、手机号均按默认规则脱敏后提供，不再包含可识别个人的原始信息。' }),
  })
  .openapi('TierOverride')

const InformationItemSchema = z
  .object({
    name: z.string().openapi({ example: 'citizen_id' }),
    title: z.string().openapi({ example: '公民身份号码 / Citizen ID number' }),
    types: z.array(z.string()).openapi({ example: ['string'] }),
    format: z.string().nullable().openapi({ example: 'cn-citizen-id' }),
    required: z.boolean(),
    sensitivity: TierSchema,
  })
  .openapi('InformationItem', { description: 'An information item (信息项): a field of the standard with its data type' })

const QualitySchema = z
  .object({
    records: z.number().int().openapi({ description: 'Live records (tombstones excluded)', example: 1_000_000 }),
    ingests: z.number().int().openapi({ description: 'Batches stored' }),
    refused_ingests: z.number().int().openapi({ description: 'Atomic batches refused for invalid rows' }),
    rows_received: z.number().int(),
    rows_rejected: z.number().int().openapi({ description: 'Invalid rows, whether their batch was refused or stored in part' }),
    conformance: z.number().nullable().openapi({ description: 'Share of received rows that conformed to the standard (0–1); null before the first batch', example: 0.998 }),
    last_ingest_at: z.string().nullable().openapi({ description: 'ISO 8601' }),
  })
  .openapi('DatasetQuality')

const TierOverrideStateSchema = z
  .object({
    direction: z.enum(['raised', 'lowered']).openapi({ description: 'Relative to the computed tier; lowered overrides are flagged on supervision' }),
    reason: z.string(),
    at: z.string().openapi({ description: 'ISO 8601' }),
  })
  .openapi('TierOverrideState')

export const DatasetSchema = z
  .object({
    id: z.string().openapi({ example: 'ds_8f3k2m…' }),
    code: ResourceCodeSchema,
    name: z.string().openapi({ example: '某市户籍人口基本信息' }),
    title: z.string(),
    abstract: z.string(),
    provider_id: z.string().openapi({ description: 'The providing department (提供方)', example: 'org_7x2k9q…' }),
    provider_name: z.string().openapi({ example: '某市公安局' }),
    standard: z.object({ name: z.string().openapi({ example: 'population' }), version: z.string().openapi({ example: '1.0.0' }) }),
    key_field: z.string().openapi({ example: 'citizen_id' }),
    format: FormatSchema,
    information_items: z.array(InformationItemSchema),
    sharing: SharingSchema,
    sharing_conditions: z.string().nullable(),
    legal_basis: z.string().nullable(),
    open: OpenSchema,
    open_conditions: z.string().nullable(),
    update_cycle: UpdateCycleSchema,
    published_on: z.string().openapi({ example: '2026-11-23' }),
    related_codes: z.array(z.string()),
    tier: TierSchema.openapi({ description: 'The tier in force' }),
    computed_tier: TierSchema.openapi({ description: "The highest sensitivity of the standard's fields (就高从严)" }),
    tier_override: TierOverrideStateSchema.nullable(),
    status: z.enum(['active', 'retired']).openapi({ description: 'A retired dataset takes no records and serves no reads; its records are kept' }),
    quality: QualitySchema,
    filter_index: z
      .object({
        complete: z.array(z.string()).openapi({ description: 'Fields whose index is complete: filters on them read it', example: ['household_region_code', 'status'] }),
        building: z.array(z.string()).openapi({ description: 'Fields whose index is being built (the index-records job): filters on them read the records meanwhile, with the same answers, more slowly', example: ['updated_at'] }),
      })
      .openapi('FilterIndexState', { description: "The index behind ?filter= on the fields the standard marks x-indexed" }),
    created_at: z.string(),
    updated_at: z.string(),
    retired_at: z.string().nullable(),
  })
  .openapi('Dataset')

export const DatasetPageSchema = z
  .object({ items: z.array(DatasetSchema), next_cursor: z.string().nullable() })
  .openapi('DatasetPage')

const RowIssueSchema = z.object({
  path: z.string().openapi({ example: '/citizen_id' }),
  code: z.string().openapi({ example: 'format.cn-citizen-id.checksum' }),
  message: z.string(),
})

const ReportRowSchema = z.object({
  row: z.number().int().openapi({ description: 'From 1 (CSV: data rows after the header); 0 is the input as a whole' }),
  key: z.string().optional(),
  errors: z.array(RowIssueSchema),
  warnings: z.array(RowIssueSchema).optional(),
})

export const IngestReportSchema = z
  .object({
    id: z.string().openapi({ description: 'The ingest', example: 'ing_2k9x…' }),
    dataset_id: z.string(),
    mode: z.enum(['atomic', 'partial']),
    total: z.number().int().openapi({ description: 'Rows read', example: 3 }),
    inserted: z.number().int().openapi({ description: 'New keys (and deleted keys written again)', example: 1 }),
    updated: z.number().int().openapi({ description: 'Records whose data changed; the previous version is kept', example: 1 }),
    unchanged: z.number().int().openapi({ example: 0 }),
    rejected: z.number().int().openapi({ description: 'Invalid rows', example: 1 }),
    errors: z.array(ReportRowSchema).openapi({ description: 'Invalid rows, in input order (at most 1000)' }),
    warnings: z.array(ReportRowSchema).openapi({ description: 'Stored rows with warnings to review' }),
    truncated: z.boolean().openapi({ description: 'More rows had problems than the lists hold' }),
  })
  .openapi('IngestReport')

export const IngestRefusedSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.literal(422),
    detail: z.string().openapi({ example: '1 of 3 rows are invalid; nothing was stored (send ?mode=partial to store the valid rows)' }),
    code: z.literal('unprocessable'),
    instance: z.string(),
    report: IngestReportSchema.optional().openapi({ description: 'The per-row report of a refused atomic batch (absent for other 422s)' }),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
  })
  .openapi('IngestRefused')

export const IngestSummarySchema = z
  .object({
    id: z.string(),
    outcome: z.enum(['stored', 'refused']),
    mode: z.enum(['atomic', 'partial']),
    standard_version: z.string(),
    total: z.number().int(),
    inserted: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    idempotency_key: z.string().nullable(),
    client_id: z.string().nullable().openapi({ description: 'The publisher client; null from the command line' }),
    started_at: z.string(),
  })
  .openapi('IngestSummary')

export const TierChangeSchema = z
  .object({
    at: z.string(),
    cause: z.enum(['registered', 'standard_changed', 'override']),
    standard_version: z.string(),
    computed_tier: TierSchema,
    tier_before: TierSchema.nullable(),
    tier_after: TierSchema,
    reason: z.string().nullable(),
    client_id: z.string().nullable(),
  })
  .openapi('TierChange')

export function renderDataset({ row, items }: Dataset): z.infer<typeof DatasetSchema> {
  const direction = overrideDirection({ computed: row.computed_tier, tier: row.tier })
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    title: row.title,
    abstract: row.abstract,
    provider_id: row.provider_id,
    provider_name: row.provider_name,
    standard: { name: row.standard_name, version: row.standard_version },
    key_field: row.key_field,
    format: row.format,
    information_items: items,
    sharing: row.sharing,
    sharing_conditions: row.sharing_conditions,
    legal_basis: row.legal_basis,
    open: row.open,
    open_conditions: row.open_conditions,
    update_cycle: row.update_cycle,
    published_on: row.published_on,
    related_codes: row.related_codes,
    tier: row.tier,
    computed_tier: row.computed_tier,
    tier_override:
      row.tier_overridden_at && row.tier_override_reason !== null && direction
        ? { direction, reason: row.tier_override_reason, at: row.tier_overridden_at.toISOString() }
        : null,
    status: row.status,
    quality: {
      records: row.record_count,
      ingests: row.ingests_stored,
      refused_ingests: row.ingests_refused,
      rows_received: row.rows_received,
      rows_rejected: row.rows_rejected,
      conformance: row.rows_received === 0 ? null : (row.rows_received - row.rows_rejected) / row.rows_received,
      last_ingest_at: row.last_ingest_at?.toISOString() ?? null,
    },
    filter_index: { complete: row.indexed_fields, building: row.index_building },
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    retired_at: row.retired_at?.toISOString() ?? null,
  }
}

export function renderIngestReport(report: IngestReport): z.infer<typeof IngestReportSchema> {
  const rows = (list: readonly ReportRow[]) =>
    list.map((row) => ({
      row: row.row,
      ...(row.key === undefined ? {} : { key: row.key }),
      errors: [...row.errors],
      ...(row.warnings === undefined ? {} : { warnings: [...row.warnings] }),
    }))
  return { ...report, errors: rows(report.errors), warnings: rows(report.warnings) }
}

export function renderIngestSummary(row: IngestRow): z.infer<typeof IngestSummarySchema> {
  return {
    id: row.id,
    outcome: row.outcome,
    mode: row.mode,
    standard_version: row.standard_version,
    total: row.total,
    inserted: row.inserted,
    updated: row.updated,
    unchanged: row.unchanged,
    rejected: row.rejected,
    idempotency_key: row.idempotency_key,
    client_id: row.actor_client_id,
    started_at: row.started_at.toISOString(),
  }
}

export function renderTierChange(change: TierChangeRow): z.infer<typeof TierChangeSchema> {
  return {
    at: change.at.toISOString(),
    cause: change.cause,
    standard_version: change.standard_version,
    computed_tier: change.computed_tier,
    tier_before: change.tier_before,
    tier_after: change.tier_after,
    reason: change.reason,
    client_id: change.actor_client_id,
  }
}
