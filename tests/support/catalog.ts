// Catalogue test helpers: dataset registration through the API, an L1 standard for open
// datasets, and (re-exported from population.ts) population records and upload bodies.

import { expect } from 'vitest'
import type { TestWorld } from './app.js'
import { call, type Actor } from './identity.js'
import { populationDataset, resourceCode } from './population.js'

export { citizenId, csv, ndjson, person, populationDataset, resourceCode } from './population.js'

export async function registerDataset(world: TestWorld, publisher: Actor, body: Record<string, unknown> = populationDataset()) {
  const res = await call(world, 'POST', '/v1/datasets', { token: publisher.token, body })
  expect(res.status, res.text).toBe(201)
  return res.body as { id: string; code: string; tier: string; [member: string]: unknown }
}

/** A record standard whose fields are all L1: datasets on it can be opened to the public. */
export const SERVICE_POINT_STANDARD = {
  name: 'service-point',
  version: '1.0.0',
  title: '便民服务点 / Public service point',
  schema: {
    'x-key': 'point_id',
    type: 'object',
    properties: {
      point_id: { title: '服务点编号 / Point ID', type: 'string', pattern: '^SP[0-9]{4}$', 'x-sensitivity': 'L1', 'x-aliases': ['编号'] },
      point_name: { title: '服务点名称 / Name', type: 'string', minLength: 1, maxLength: 100, 'x-sensitivity': 'L1', 'x-aliases': ['名称'] },
      region_code: { $ref: '../base/1.0.0#/$defs/region_code' },
      opening_hours: { title: '开放时间 / Opening hours', type: 'string', maxLength: 200, 'x-sensitivity': 'L1', 'x-aliases': ['开放时间'] },
    },
    required: ['point_id', 'point_name', 'region_code'],
    additionalProperties: false,
  },
}

/** Publishes SERVICE_POINT_STANDARD once per world. */
export async function publishServicePointStandard(world: TestWorld, admin: Actor): Promise<void> {
  const res = await call(world, 'POST', '/v1/standards', { token: admin.token, body: SERVICE_POINT_STANDARD })
  expect([201, 409], res.text).toContain(res.status)
}

export function servicePointDataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code: resourceCode('FW'),
    name: '便民服务点目录',
    title: '便民服务点',
    abstract: '全市便民服务点的名称、所在区划与开放时间。',
    standard: { name: 'service-point', version: '1.0.0' },
    format: 'spreadsheet',
    sharing: 'unconditional',
    open: 'unconditional',
    update_cycle: 'monthly',
    ...overrides,
  }
}

export function servicePoint(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { point_id: `SP${String(n).padStart(4, '0')}`, point_name: `服务点${n}`, region_code: '330106', ...overrides }
}
