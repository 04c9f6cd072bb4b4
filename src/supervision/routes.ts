import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { principalOf, requireAuth } from '../identity/middleware.js'
import { renderSupervision, SupervisionSchema } from './schemas.js'
import { supervisionReport } from './service.js'

const date = (description: string) => z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD').optional().openapi({ description, example: '2026-01-31' })

const supervisionRoute = createRoute({
  method: 'get',
  path: '/v1/supervision',
  tags: ['supervision'],
  summary: 'Supervision figures',
  description:
    'Per department: datasets by tier, ingest conformance, access requests received, decided and overdue with the median decision time in working days, objections open and overdue, the average rating, reads served by the reader’s kind, and tier overrides that lowered a tier; with a light. ' +
    'Per social organisation: grants held and reads by purpose. Platform admins and auditors see every organisation; a department’s or social organisation’s members see their own row only. ' +
    'With from and to (China days, inclusive) the flow figures cover that period; stock figures (datasets, pending, open, overdue, grants held) are as of now. docs/supervision.md defines each figure.',
  security: bearerSecurity,
  middleware: [requireAuth()],
  request: {
    query: z.object({
      from: date('First day of the period (with to)'),
      to: date('Last day of the period (with from)'),
    }),
  },
  responses: { 200: { description: 'The figures', content: { 'application/json': { schema: SupervisionSchema } } }, ...errorResponses(400, 401, 403) },
})

export function registerSupervisionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(supervisionRoute, async (c) => {
    const { from, to } = c.req.valid('query')
    if ((from === undefined) !== (to === undefined)) {
      const missing = from === undefined ? 'from' : 'to'
      throw new ApiError('validation_failed', `a period needs both from and to`, { errors: [{ path: `query.${missing}`, message: 'required with the other end of the period', code: 'incomplete_period' }] })
    }
    const report = await supervisionReport(c.get('services'), principalOf(c), from !== undefined && to !== undefined ? { from, to } : undefined)
    return c.json(renderSupervision(report), 200)
  })
}
