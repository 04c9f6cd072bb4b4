import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jobs, runDueJobs, type Job } from '../../src/jobs/scheduler.js'
import { createNodeServices } from '../../src/node-services.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { testDriver } from '../support/database.js'

let world: TestWorld
beforeAll(async () => {
  world = await createTestWorld()
})
afterAll(() => world.close())

const counting = (name: string) => {
  const job: Job & { calls: number } = {
    name,
    everySeconds: 60,
    calls: 0,
    async run() {
      job.calls++
      return `call ${job.calls}`
    },
  }
  return job
}

describe('scheduled jobs', () => {
  it('run once per interval, however many runners ask', async () => {
    const job = counting('test-once')
    const outcomes = await Promise.all([1, 2, 3].map((i) => runDueJobs(world.services, `runner-${i}`, [job])))
    expect(job.calls).toBe(1)
    expect(outcomes.flat().filter((o) => o.status === 'ok')).toHaveLength(1)
    await runDueJobs(world.services, 'runner-1', [job])
    expect(job.calls, 'not due yet').toBe(1)
    world.clock.advance(61_000)
    await runDueJobs(world.services, 'runner-2', [job])
    expect(job.calls).toBe(2)
  })

  it.runIf(testDriver === 'postgres')('run once per interval across two processes on one PostgreSQL', async () => {
    const job = counting('test-two-processes')
    const other = createPostgresDb({ connectionString: world.database.url! })
    try {
      const otherServices = createNodeServices(world.services.config, other, { logger: world.services.logger, clock: world.clock })
      await Promise.all([runDueJobs(world.services, 'a', [job]), runDueJobs(otherServices, 'b', [job]), runDueJobs(otherServices, 'c', [job])])
      expect(job.calls).toBe(1)
    } finally {
      await other.close()
    }
  })

  it('record a failure and keep going', async () => {
    const failing: Job = { name: 'test-fails', everySeconds: 60, run: async () => Promise.reject(new Error('downstream unavailable')) }
    const after = counting('test-after-failure')
    const outcomes = await runDueJobs(world.services, 'r', [failing, after])
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'ok'])
    const { rows } = await world.services.db.query<{ last_status: string; last_detail: string }>("SELECT last_status, last_detail FROM job_runs WHERE name = 'test-fails'")
    expect(rows[0]).toEqual({ last_status: 'failed', last_detail: 'downstream unavailable' })
  })

  it('write an audit checkpoint when the log has grown, and not otherwise', async () => {
    const checkpointJob = jobs.find((j) => j.name === 'audit-checkpoint')!
    await world.services.audit.append({ requestId: 'j', actor: null, sourceIp: null, at: new Date() }, { action: 'test.entry' })
    expect(await checkpointJob.run(world.services)).toMatch(/^checkpoint \d+ signed by key_/)
    expect(await checkpointJob.run(world.services)).toBe('log unchanged since the last checkpoint')
  })
})
