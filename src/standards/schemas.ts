import { z } from '@hono/zod-openapi'
import { AGGREGATIONS, SENSITIVITY_LEVELS } from './annotations.js'
import type { FieldSpec } from './standard.js'
import { STANDARD_NAME } from './standard.js'
import type { CheckReport } from './report.js'
import type { StandardEntry, StandardSummary } from './service.js'

const SensitivitySchema = z.enum(SENSITIVITY_LEVELS).openapi({ description: 'DB33/T 2350-2021 level, L1 (not sensitive) … L4 (sensitive)', example: 'L3' })

export const StandardNameSchema = z
  .string()
  .max(64)
  .regex(STANDARD_NAME, 'a standard name is kebab-case: lower-case letters, digits and -')
  .openapi({ description: 'kebab-case name', example: 'population' })

export const VersionSchema = z
  .string()
  .regex(/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/, 'a version is MAJOR.MINOR.PATCH')
  .openapi({ description: 'Semantic version MAJOR.MINOR.PATCH', example: '1.1.0' })

export const StandardSummarySchema = z
  .object({
    name: z.string().openapi({ example: 'population' }),
    version: z.string().openapi({ example: '1.0.0' }),
    title: z.string().openapi({ example: '人口基础信息 / Population basic information' }),
    tier: SensitivitySchema.nullable().openapi({ description: 'Highest raw sensitivity of its fields (就高从严); null for an element library' }),
    kind: z.enum(['record', 'elements']).openapi({ description: '`record`: records conform to it; `elements`: a library of data elements other standards reference' }),
    source: z.enum(['shipped', 'published']).openapi({ description: '`shipped` with Qiao (schemas/), or `published` through POST /v1/standards' }),
  })
  .openapi('StandardSummary')

export const StandardPageSchema = z
  .object({
    items: z.array(StandardSummarySchema),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last' }),
  })
  .openapi('StandardPage')

const MaskSchema = z
  .object({
    type: z.enum(['redact', 'show-first-n', 'show-last-n', 'hash', 'nullify', 'date-year', 'region-prefix-n']),
    n: z.number().int().optional(),
    last: z.number().int().optional(),
  })
  .openapi('Mask', { description: 'A default mask (schemas/README.md#masks-x-mask)', example: { type: 'show-first-n', n: 6, last: 4 } })

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const StandardFieldSchema = z
  .object({
    name: z.string().openapi({ example: 'citizen_id' }),
    title: z.string().openapi({ example: '公民身份号码 / Citizen ID number' }),
    description: z.string().nullable(),
    types: z.array(z.enum(['string', 'number', 'integer', 'boolean', 'null'])).openapi({ example: ['string'] }),
    format: z.string().nullable().openapi({ description: 'e.g. cn-citizen-id, cn-uscc, cn-mobile, date', example: 'cn-citizen-id' }),
    enum: z.array(ScalarSchema).nullable().openapi({ description: 'The allowed values, if limited' }),
    enum_aliases: z.record(z.string(), z.array(z.string())).openapi({ description: 'Local spellings accepted for each enum value', example: { '1': ['男'] } }),
    constraints: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .openapi({ description: 'JSON Schema assertions besides type, format and enum (pattern, minLength, maximum, …)', example: { maxLength: 50 } }),
    required: z.boolean(),
    key: z.boolean().openapi({ description: 'The field that identifies a record' }),
    sensitivity: SensitivitySchema.openapi({ description: 'Level of the raw value (x-sensitivity)' }),
    masked_sensitivity: SensitivitySchema.openapi({ description: 'Level once the default mask is applied (x-masked-sensitivity)' }),
    mask: MaskSchema.nullable().openapi({ description: 'The default mask (x-mask); null for L1 fields' }),
    aliases: z.array(z.string()).openapi({ description: 'Local column names accepted on input (x-aliases)', example: ['身份证号', 'sfzh'] }),
    aggregatable: z.enum(AGGREGATIONS).nullable().openapi({ description: 'How it may group aggregates (x-aggregatable)' }),
    summable: z.boolean().openapi({ description: 'Whether aggregates may sum and average it (x-summable)' }),
    indexed: z.boolean().openapi({ description: 'Whether consumers may filter records on it (?filter=; x-indexed)' }),
  })
  .openapi('StandardField')

export const StandardSchema = z
  .object({
    name: z.string().openapi({ example: 'population' }),
    version: z.string().openapi({ example: '1.0.0' }),
    title: z.string().openapi({ example: '人口基础信息 / Population basic information' }),
    kind: z.enum(['record', 'elements']),
    source: z.enum(['shipped', 'published']),
    tier: SensitivitySchema.nullable().openapi({ description: 'Highest raw sensitivity of its fields; null for an element library' }),
    key: z.string().nullable().openapi({ description: 'The key field (x-key); null for an element library', example: 'citizen_id' }),
    schema: z.record(z.string(), z.unknown()).openapi({ description: 'The JSON Schema (2020-12) document, as published' }),
    fields: z.array(StandardFieldSchema).openapi({ description: 'The data elements, in schema order, with `$ref`s resolved' }),
    published_at: z.string().nullable().openapi({ description: 'ISO 8601; null for shipped standards', example: '2026-11-23T08:00:00.000Z' }),
    published_by: z.string().nullable().openapi({ description: 'The admin client that published it; null for shipped standards' }),
    sensitivity_reviewed: z.boolean().openapi({ description: 'Published with a raised sensitivity an admin marked as reviewed' }),
  })
  .openapi('Standard')

export const NewStandardSchema = z
  .object({
    name: StandardNameSchema,
    version: VersionSchema,
    title: z.string().trim().min(1).max(200).openapi({ example: '人口基础信息 / Population basic information' }),
    schema: z.record(z.string(), z.unknown()).openapi({
      description:
        'The JSON Schema (2020-12) of a record standard (schemas/README.md). `$schema`, `$id`, `title` and `x-standard` may be left out: they are filled in from name, version and title, and must agree when given.',
      example: {
        'x-key': 'citizen_id',
        type: 'object',
        properties: {
          citizen_id: {
            title: '公民身份号码 / Citizen ID',
            type: 'string',
            format: 'cn-citizen-id',
            'x-sensitivity': 'L4',
            'x-masked-sensitivity': 'L2',
            'x-mask': { type: 'show-first-n', n: 6, last: 4 },
            'x-aliases': ['身份证号', 'sfzh'],
          },
        },
        required: ['citizen_id'],
        additionalProperties: false,
      },
    }),
    sensitivity_reviewed: z
      .boolean()
      .optional()
      .openapi({ description: 'A raised sensitivity was reviewed (grants and tiers re-assessed): accept it within the major version' }),
  })
  .openapi('NewStandard')

const IssueSchema = z
  .object({
    path: z.string().openapi({ description: 'JSON Pointer into the record; for an unknown column, its name', example: '/citizen_id' }),
    code: z.string().openapi({ description: 'Stable code (schemas/README.md#error-codes)', example: 'format.cn-citizen-id.checksum' }),
    message: z.string().openapi({ example: 'the check digit does not match' }),
  })
  .openapi('RecordIssue')

export const CheckReportSchema = z
  .object({
    total: z.number().int().openapi({ description: 'Records read', example: 3 }),
    valid: z.number().int().openapi({ example: 2 }),
    invalid: z.number().int().openapi({ example: 1 }),
    warned: z.number().int().openapi({ description: 'Valid records with warnings to review', example: 0 }),
    rows: z
      .array(
        z.object({
          row: z.number().int().openapi({ description: 'From 1 (CSV: data rows after the header); 0 is the input as a whole', example: 2 }),
          key: z.string().optional().openapi({ description: 'The record key, when it could be read' }),
          errors: z.array(IssueSchema),
          warnings: z.array(IssueSchema).optional(),
        }),
      )
      .openapi({ description: 'Rows with errors or warnings, in input order (at most 1000)' }),
    fields: z.record(z.string(), z.number().int()).openapi({ description: 'Errors per field', example: { citizen_id: 1 } }),
    truncated: z.boolean().openapi({ description: 'More rows had problems than `rows` holds' }),
  })
  .openapi('CheckReport')

export function renderSummary(summary: StandardSummary): z.infer<typeof StandardSummarySchema> {
  return { name: summary.name, version: summary.version, title: summary.title, tier: summary.tier ?? null, kind: summary.kind, source: summary.source }
}

export function renderStandard(entry: StandardEntry): z.infer<typeof StandardSchema> {
  const description = entry.compiled?.description
  return {
    name: entry.name,
    version: entry.version,
    title: entry.title,
    kind: entry.kind,
    source: entry.source,
    tier: entry.tier ?? null,
    key: description?.key ?? null,
    schema: entry.schema,
    fields: (description?.fields ?? []).map((field) => renderField(field, description?.key)),
    published_at: entry.publishedAt?.toISOString() ?? null,
    published_by: entry.publishedBy,
    sensitivity_reviewed: entry.sensitivityReviewed,
  }
}

function renderField(field: FieldSpec, key: string | undefined): z.infer<typeof StandardFieldSchema> {
  return {
    name: field.name,
    title: field.title,
    description: field.description ?? null,
    types: [...field.types],
    format: field.format ?? null,
    enum: field.enum ? [...field.enum] : null,
    enum_aliases: Object.fromEntries(Object.entries(field.enumAliases).map(([value, spellings]) => [value, [...spellings]])),
    constraints: { ...field.constraints },
    required: field.required,
    key: field.name === key,
    sensitivity: field.sensitivity,
    masked_sensitivity: field.maskedSensitivity,
    mask: field.mask ?? null,
    aliases: [...field.aliases],
    aggregatable: field.aggregatable ?? null,
    summable: field.summable === true,
    indexed: field.indexed === true,
  }
}

export function renderReport(report: CheckReport): z.infer<typeof CheckReportSchema> {
  return {
    total: report.total,
    valid: report.valid,
    invalid: report.invalid,
    warned: report.warned,
    rows: report.rows.map((row) => ({
      row: row.row,
      ...(row.key === undefined ? {} : { key: row.key }),
      errors: [...row.errors],
      ...(row.warnings === undefined ? {} : { warnings: [...row.warnings] }),
    })),
    fields: { ...report.fields },
    truncated: report.truncated,
  }
}
