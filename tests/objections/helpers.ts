// Objection test helpers: raising and moving objections through their states over the API.

import { expect } from 'vitest'
import type { TestWorld } from '../support/app.js'
import { call, type Actor } from '../support/identity.js'

export interface Objection {
  id: string
  status: string
  deadline: string
  light: string | null
  overdue: boolean
  record_key: string | null
  [member: string]: unknown
}

export async function raise(world: TestWorld, actor: Actor, datasetId: string, body: Record<string, unknown> = { description: '数据有误' }): Promise<Objection> {
  const res = await call(world, 'POST', `/v1/datasets/${datasetId}/objections`, { token: actor.token, body })
  expect(res.status, res.text).toBe(201)
  return res.body as Objection
}

export function transition(world: TestWorld, actor: Actor, id: string, step: 'accept' | 'resolve' | 'close' | 'reopen', body?: unknown) {
  return call(world, 'POST', `/v1/objections/${id}/${step}`, { token: actor.token, body })
}

export async function moved(world: TestWorld, actor: Actor, id: string, step: 'accept' | 'resolve' | 'close' | 'reopen', body?: unknown): Promise<Objection> {
  const res = await transition(world, actor, id, step, body)
  expect(res.status, res.text).toBe(200)
  return res.body as Objection
}

/** Posts records and answers the ingest report (its id is what a correction links to). */
export async function ingestReport(world: TestWorld, publisher: Actor, datasetId: string, records: readonly Record<string, unknown>[]) {
  const res = await call(world, 'POST', `/v1/datasets/${datasetId}/records`, { token: publisher.token, body: records })
  expect(res.status, res.text).toBe(200)
  return res.body as { id: string; inserted: number; updated: number; unchanged: number }
}

/** China time: `at('2026-09-29T10:00')`. */
export const at = (local: string) => new Date(`${local}+08:00`)
