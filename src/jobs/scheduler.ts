import { createCheckpoint } from '../audit/service.js'
import { indexStaleDatasets } from '../catalog/record-index.js'
import { chainHead, findCheckpoint } from '../audit/repository.js'
import { expireDueRequests } from '../exchange/service.js'
import { deliverDueWebhooks } from '../notify/delivery.js'
import { markOverdue } from '../notify/overdue.js'
import type { Services } from '../services.js'
import { refreshReadSums } from '../supervision/reads.js'
import { claimJob, finishJob } from './repository.js'

/**
 * Scheduled work: one implementation, two triggers (a cron trigger on Workers, an in-process
 * timer on Node). Each job says how often it may run; `runDueJobs` claims each due job in the
 * database first, so any number of processes can call it every tick.
 */
export interface Job {
  name: string
  everySeconds: number
  /** Returns a one-line summary for the job table and the log. */
  run(services: Services): Promise<string>
}

// In this order each tick: lights turn red and requests expire (their events queued), the queue is
// sent, the supervision sums catch up, and the checkpoint covers the entries all of these wrote.
export const jobs: readonly Job[] = [
  {
    name: 'mark-overdue',
    everySeconds: 60,
    async run(services) {
      const marked = await markOverdue(services.db, services.clock.now())
      return `${marked.requests} access requests and ${marked.objections} objections turned red`
    },
  },
  {
    name: 'expire-requests',
    everySeconds: 60,
    async run(services) {
      const expired = await services.db.transaction((tx) => expireDueRequests(tx, services.clock.now()))
      return `${expired.length} access requests expired`
    },
  },
  {
    name: 'deliver-webhooks',
    everySeconds: 10,
    async run(services) {
      const sent = await deliverDueWebhooks(services)
      return `${sent.attempted} attempts: ${sent.delivered} delivered, ${sent.retrying} to retry, ${sent.failed} failed`
    },
  },
  {
    name: 'refresh-supervision',
    everySeconds: 60,
    async run(services) {
      const refreshed = await refreshReadSums(services.db, services.clock.now())
      return `${refreshed.folded} audit entries folded into the read sums (through ${refreshed.throughSeq})`
    },
  },
  {
    name: 'index-records',
    everySeconds: 60,
    async run(services) {
      const indexed = await indexStaleDatasets(services)
      return `${indexed.datasets} datasets' filter index brought up to date (${indexed.rows} index rows written or deleted), ${indexed.waiting} waiting`
    },
  },
  {
    name: 'prune-auth-failures',
    everySeconds: 600,
    async run(services) {
      const pruned = await services.tokenFailures.prune(services.db, services.clock.now())
      return `${pruned} ended failed-authentication windows deleted`
    },
  },
  {
    name: 'audit-checkpoint',
    everySeconds: 300,
    async run(services) {
      const [head, latest] = await Promise.all([chainHead(services.db), findCheckpoint(services.db)])
      if (head.seq === 0 || latest?.size === head.seq) return 'log unchanged since the last checkpoint'
      const checkpoint = await createCheckpoint(services)
      return `checkpoint ${checkpoint.size} signed by ${checkpoint.kid}`
    },
  },
]

export interface JobOutcome {
  name: string
  status: 'ok' | 'failed' | 'skipped'
  detail: string
}

/** Runs every job whose interval has passed and which no other process has claimed. */
export async function runDueJobs(services: Services, runner: string, selected: readonly Job[] = jobs): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = []
  for (const job of selected) {
    const claimed = await claimJob(services.db, job.name, job.everySeconds, runner, services.clock.now())
    if (!claimed) {
      outcomes.push({ name: job.name, status: 'skipped', detail: 'not due, or claimed by another process' })
      continue
    }
    try {
      const detail = await job.run(services)
      await finishJob(services.db, job.name, 'ok', detail, services.clock.now())
      services.logger.info('job finished', { job: job.name, detail })
      outcomes.push({ name: job.name, status: 'ok', detail })
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error)
      await finishJob(services.db, job.name, 'failed', detail, services.clock.now())
      services.logger.error('job failed', { job: job.name, error: detail, stack: error instanceof Error ? error.stack : undefined })
      outcomes.push({ name: job.name, status: 'failed', detail })
    }
  }
  return outcomes
}

/** Node's trigger: a timer that runs due jobs every `tickSeconds`; stop() waits for a run in progress. */
export function startScheduler(services: Services, runner: string, tickSeconds = 15): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined
  const tick = () => {
    running ??= runDueJobs(services, runner)
      .catch((error: unknown) => services.logger.error('scheduler tick failed', { error: String(error) }))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(tick, tickSeconds * 1000)
  timer.unref?.()
  tick()
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
