import { z } from '@hono/zod-openapi'
import type { SupervisionReport } from './service.js'

const count = (description: string) => z.int().openapi({ description })

const ReadCountSchema = z
  .object({
    reads: count('Answered reads (record pages, single records, aggregates)'),
    records: count('Records delivered (aggregate answers count as reads only)'),
  })
  .openapi('ReadCount')

const DepartmentSupervisionSchema = z
  .object({
    org_id: z.string().openapi({ example: 'org_7x2k9q…' }),
    name: z.string(),
    level: z.string().nullable(),
    region_code: z.string().nullable(),
    status: z.enum(['active', 'suspended']),
    light: z.enum(['green', 'yellow', 'red']).openapi({ description: 'red: a request or objection is overdue now; yellow: the nearest open deadline is within QIAO_LIGHT_YELLOW_WORKING_DAYS working days; green otherwise' }),
    datasets: z.object({
      active: count('Datasets in the catalogue now (not retired)'),
      by_tier: z.object({ L1: z.int(), L2: z.int(), L3: z.int(), L4: z.int() }).openapi({ description: 'Active datasets by the tier in force' }),
      below_computed_tier: count('Active datasets whose tier an override set below what their fields call for'),
    }),
    ingests: z.object({
      stored: count('Batches stored (in the period)'),
      refused: count('Atomic batches refused for invalid rows'),
      rows_received: count('Rows received'),
      rows_rejected: count('Rows that failed the standard'),
      conformance_rate: z.number().nullable().openapi({ description: '(rows_received − rows_rejected) / rows_received, to 4 places; null without rows', example: 0.9875 }),
    }),
    access_requests: z.object({
      received: count('Requests filed for its datasets (in the period)'),
      decided: count('Decided by its approvers: approved + rejected (in the period)'),
      approved: count('Approved by its approvers'),
      rejected: count('Rejected by its approvers'),
      direct: count('Approved at once by the tier policy (no decision needed)'),
      withdrawn: count('Withdrawn by the requester'),
      expired: count('Expired undecided'),
      pending: count('Waiting for a decision now'),
      overdue: count('Waiting now, past the deadline'),
      median_decision_working_days: z.number().nullable().openapi({ description: 'Median working days from filing to the approvers’ decision (Civil Code counting: the filing day is not counted); null without decisions', example: 3 }),
    }),
    objections: z.object({
      raised: count('Objections raised to its data (in the period)'),
      open: count('Raised or accepted now'),
      overdue: count('Open now, past the step’s deadline'),
    }),
    ratings: z.object({
      count: count('Ratings of how it handled requests and objections (in the period)'),
      average: z.number().nullable().openapi({ description: 'Average score 1–5, to 2 places; null without ratings', example: 4.5 }),
    }),
    reads_served: z
      .object({ department: ReadCountSchema, social_org: ReadCountSchema, platform: ReadCountSchema, anonymous: ReadCountSchema })
      .openapi({ description: 'Reads of its datasets by other organisations (in the period), by the reader’s kind; its own reads are not counted' }),
    tier_overrides: z.object({ lowered: count('Admin overrides (in the period) that set one of its datasets below its computed tier') }),
  })
  .openapi('DepartmentSupervision')

const SocialOrgSupervisionSchema = z
  .object({
    org_id: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    grants_held: count('Grants in force now (active, not expired)'),
    reads: ReadCountSchema,
    reads_by_purpose: z.array(ReadCountSchema.extend({ purpose: z.string().openapi({ description: 'The purpose stated (X-Purpose)', example: 'volunteer-matching' }) })).openapi({ description: 'Most reads first' }),
  })
  .openapi('SocialOrgSupervision')

export const SupervisionSchema = z
  .object({
    as_of: z.string().openapi({ description: 'When the figures were computed (ISO 8601); "now" for the figures marked so' }),
    period: z.object({ from: z.string(), to: z.string() }).nullable().openapi({ description: 'The China days (inclusive) the period figures cover; null: all time' }),
    departments: z.array(DepartmentSupervisionSchema),
    social_orgs: z.array(SocialOrgSupervisionSchema),
  })
  .openapi('Supervision')

export function renderSupervision(report: SupervisionReport): z.infer<typeof SupervisionSchema> {
  return { ...report, as_of: report.as_of.toISOString() }
}
