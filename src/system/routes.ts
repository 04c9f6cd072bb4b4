import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.js'
import { ApiError } from '../http/errors.js'
import { errorResponses } from '../http/openapi.js'
import { readiness } from './service.js'

const HealthSchema = z
  .object({ status: z.literal('ok').openapi({ description: 'The process is up' }) })
  .openapi('Health')

const ReadySchema = z
  .object({
    status: z.literal('ready').openapi({ description: 'The gateway can serve requests' }),
    database: z.enum(['postgres', 'pglite']).openapi({ description: 'The database driver in use' }),
    migrations: z.number().int().openapi({ description: 'Migrations applied', example: 1 }),
  })
  .openapi('Ready')

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['system'],
  summary: 'Liveness',
  description: 'Answers 200 while the process is running. Touches nothing else.',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: HealthSchema } } },
    ...errorResponses(),
  },
})

const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['system'],
  summary: 'Readiness',
  description: 'Answers 200 when the database is reachable and every migration is applied, 503 otherwise.',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: ReadySchema } } },
    ...errorResponses(503),
  },
})

export function registerSystemRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(health, (c) => c.json({ status: 'ok' as const }, 200))
  app.openapi(ready, async (c) => {
    const state = await readiness(c.get('services').db)
    if (!state.ready) throw new ApiError('unavailable', state.problem)
    return c.json({ status: 'ready' as const, database: state.driver, migrations: state.applied }, 200)
  })
}
