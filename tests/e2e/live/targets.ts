// The servers the live scenarios run against: a Node gateway process and the Worker in workerd
// (`wrangler dev`), each on its own throwaway PostgreSQL database, configured alike.

import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { createTestDatabase, type TestDatabase } from '../../support/database.js'
import { bootstrapCredentials, initPlatform } from '../../support/live-api.js'
import { startGateway } from '../../support/process.js'
import { freePort, startWorker } from '../../support/worker.js'

export interface LiveTarget {
  name: 'node' | 'workerd'
  baseUrl: string
  /** The platform admin created on the target's database (first start on Node, `qiao init` for the Worker). */
  admin: { id: string; secret: string }
  /** The private key the target signs tokens with (QIAO_SIGNING_KEY): lets a test forge expired tokens with a valid signature. */
  signingKey: JWK
  settings: LiveSettings
  /**
   * Runs the scheduled jobs the way the runtime does, and resolves once they have run: the Node
   * process's own scheduler ticks at start; the Worker's cron trigger is fired through
   * `wrangler dev --test-scheduled`.
   */
  runScheduledJobs(): Promise<void>
  output(): string
  stop(): Promise<void>
}

/** Configuration both targets get, so the scenarios can count on it. */
export interface LiveSettings {
  tokenFailuresPerMinute: number
  maxUploadBytes: number
}

const settings: LiveSettings = { tokenFailuresPerMinute: 5, maxUploadBytes: 256 * 1024 }

async function sharedEnvironment(): Promise<{ env: Record<string, string>; signingKey: JWK }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const signingKey = await exportJWK(privateKey)
  return {
    signingKey,
    env: {
      QIAO_SIGNING_KEY: JSON.stringify(signingKey),
      QIAO_TOKEN_FAILURES_PER_MINUTE: String(settings.tokenFailuresPerMinute),
      QIAO_MAX_UPLOAD_BYTES: String(settings.maxUploadBytes),
    },
  }
}

/** `src/node.ts` as a process on an empty database: it migrates, creates its key and bootstraps the platform itself. */
export async function startNodeTarget(): Promise<LiveTarget> {
  const database = await createTestDatabase({ migrated: false })
  const { env, signingKey } = await sharedEnvironment()
  const gateway = await startGateway({ ...env, DATABASE_URL: database.url!, QIAO_SCHEDULER: 'on' }).catch(async (error: unknown) => {
    await database.drop()
    throw error
  })
  return {
    name: 'node',
    baseUrl: gateway.url,
    admin: bootstrapCredentials(gateway.output()),
    signingKey,
    settings,
    runScheduledJobs: () => untilPrinted(gateway.output, /"msg":"job finished","job":"audit-checkpoint"/),
    output: gateway.output,
    stop: () => stopAll(database, () => gateway.stop().then(() => undefined)),
  }
}

/** The Worker in workerd on a database prepared the way the README says: `qiao init` (which migrates) from a machine that reaches it. */
export async function startWorkerdTarget(): Promise<LiveTarget> {
  const database = await createTestDatabase({ migrated: false })
  const { env, signingKey } = await sharedEnvironment()
  try {
    const admin = await initPlatform(database.url!, env)
    const worker = await startWorker(database.url!, await freePort(), { vars: env, logLevel: 'log' })
    return {
      name: 'workerd',
      baseUrl: worker.url,
      admin,
      signingKey,
      settings,
      async runScheduledJobs() {
        const res = await worker.scheduled()
        if (!res.ok) throw new Error(`/__scheduled answered ${res.status}: ${await res.text()}\n${worker.output()}`)
      },
      output: worker.output,
      stop: () => stopAll(database, worker.stop),
    }
  } catch (error) {
    await database.drop()
    throw error
  }
}

async function stopAll(database: TestDatabase, stopServer: () => Promise<void>) {
  try {
    await stopServer()
  } finally {
    await database.drop()
  }
}

/** Resolves once the process printed a line matching `pattern` (bounded: a process that never does fails the test). */
async function untilPrinted(output: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`the gateway did not print ${pattern} within ${timeoutMs} ms:\n${output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
