import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { actionContext, requireAuth, requireRole } from '../identity/middleware.js'
import { DEFAULT_TIER_MATRIX, TIER_CEILINGS, tierMatrixSchema } from './policy.js'
import { loadTierPolicy, replaceTierPolicy, type TierPolicy } from './policy-service.js'

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const policyReaders = [requireAuth(), requireRole('admin', 'auditor')]
const adminOnly = [requireAuth(), requireRole('admin')]

// zod's own metadata rather than .openapi(): the schema is built in policy.ts, which may load
// before @hono/zod-openapi has extended zod; an `id` makes it a named component all the same.
const TierMatrixSchema = tierMatrixSchema.meta({
  id: 'TierMatrix',
  description:
    'For each tier (L1–L4) and kind of consumer, how it may reach a dataset that is shared and opened unconditionally: ' +
    'direct (raw, no application), approval (raw, with a grant), approval_masked (masked, with a grant), ' +
    'aggregate_only (counts with small groups suppressed, with a grant) or none. Conditional sharing or opening narrows a cell to at least approval. ' +
    'A same_region_department shares the provider’s prefecture (first four digits of the GB/T 2260 code).',
  example: DEFAULT_TIER_MATRIX,
})

const TierPolicySchema = z
  .object({
    tiers: TierMatrixSchema,
    source: z.enum(['default', 'configured']).openapi({ description: 'default: nothing set, the built-in defaults apply; configured: set by an admin' }),
    updated_at: z.string().nullable().openapi({ description: 'When an admin last set it (ISO 8601)', example: '2026-11-23T08:00:00.000Z' }),
    updated_by: z.string().nullable().openapi({ description: 'The client that set it', example: 'cli_4m2…' }),
    defaults: TierMatrixSchema,
    ceilings: TierMatrixSchema,
  })
  .openapi('TierPolicy')

const TierPolicyUpdateSchema = z
  .strictObject({
    tiers: TierMatrixSchema,
    reason: z.string().trim().min(1).max(2000).optional().openapi({ description: 'Why: recorded in the audit log', example: '社会组织L3数据一律经审批脱敏后提供' }),
  })
  .openapi('TierPolicyUpdate')

const getTiersRoute = createRoute({
  method: 'get',
  path: '/v1/policy/tiers',
  tags: ['policy'],
  summary: 'Read the tier policy matrix',
  description: 'The matrix in force, the built-in defaults and the ceilings no setting may exceed. Admins and auditors.',
  security: bearerSecurity,
  middleware: policyReaders,
  responses: { 200: json(TierPolicySchema, 'The tier policy'), ...errorResponses(401, 403) },
})

const putTiersRoute = createRoute({
  method: 'put',
  path: '/v1/policy/tiers',
  tags: ['policy'],
  summary: 'Replace the tier policy matrix',
  description:
    'The whole matrix, every cell present and within its ceiling; each bad cell is named in the 400 answer (path body.tiers.<tier>.<consumer kind>). ' +
    'Takes effect for every decision from the next request on, and is audited with the matrix before and after. Admin only.',
  security: bearerSecurity,
  middleware: adminOnly,
  request: { body: { required: true, content: { 'application/json': { schema: TierPolicyUpdateSchema } } } },
  responses: { 200: json(TierPolicySchema, 'The tier policy now in force'), ...errorResponses(400, 401, 403, 415) },
})

export function registerPolicyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(getTiersRoute, async (c) => {
    return c.json(renderTierPolicy(await loadTierPolicy(c.get('services').db)), 200)
  })

  app.openapi(putTiersRoute, async (c) => {
    const { tiers, reason } = c.req.valid('json')
    const policy = await replaceTierPolicy(c.get('services').db, actionContext(c), { matrix: tiers, reason })
    return c.json(renderTierPolicy(policy), 200)
  })
}

function renderTierPolicy(policy: TierPolicy): z.infer<typeof TierPolicySchema> {
  return {
    tiers: policy.matrix,
    source: policy.source,
    updated_at: policy.updatedAt?.toISOString() ?? null,
    updated_by: policy.updatedBy,
    defaults: DEFAULT_TIER_MATRIX,
    ceilings: TIER_CEILINGS,
  }
}
