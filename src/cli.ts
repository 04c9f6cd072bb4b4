import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createApp, openApiDocument } from './app.js'
import { nodeHasher } from './audit/hasher-node.js'
import { recordEvent, type ActionContext } from './audit/recorder.js'
import { allEntries, createCheckpoint, verifyLog } from './audit/service.js'
import { exportLine } from './audit/verify.js'
import { ingestFile } from './catalog/ingest-file.js'
import { credentialsTable } from './demo/credentials.js'
import { DemoRefusedError } from './demo/seed.js'
import { createNodeServices } from './node-services.js'
import type { SeededDemo } from './node.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import type { Db } from './db/db.js'
import { migrate } from './db/migrate.js'
import { openDatabase } from './db/open.js'
import { isEntrypoint } from './entry.js'
import { runDueJobs } from './jobs/scheduler.js'
import { createLogger } from './log.js'
import { bootstrapPlatform } from './identity/service.js'
import { processState, systemClock } from './services.js'

/** Thrown for a failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {}

const usage = `usage: qiao <command>

  migrate              apply pending database migrations
  init [--json]        on an empty database: create the platform organisation and an admin client
                       (--json: print only {"client_id","client_secret"})
  seed demo            on an empty database: seed the demo world (organisations, datasets, requests,
                       history) and print its credentials, also written to demo-credentials.json
                       beside the data directory
  keys rotate          sign new tokens with a new key; the old one verifies until its tokens expire
  audit verify         recompute the audit chain and Merkle root; exit 1 at the first bad entry
  audit export         write the audit log as NDJSON to stdout (--after SEQ to continue an archive)
  audit checkpoint     sign and store the current tree head
  ingest <dataset> <file> [--mode partial] [--unknown drop] [--format csv|ndjson|json]
                       stream a local CSV/NDJSON/JSON file into a dataset (progress on stderr, report on stdout)
  jobs run             run the scheduled jobs that are due now (as the server's timer does)
  openapi [--check]    write openapi/openapi.json from the routes (--check: fail if it is out of date)
  help                 this text

Configuration comes from the environment, as for the server (DATABASE_URL, QIAO_DATA_DIR, …).`

export const openApiPath = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

type Command = (args: string[], config: Config) => Promise<void>

const commands: Record<string, Command> = {
  async migrate(_args, config) {
    await withDb(config, async (db) => {
      const report = await migrate(db)
      console.log(
        report.applied.length
          ? `applied ${report.applied.join(', ')} (${report.alreadyApplied} already applied)`
          : `database is current (${report.alreadyApplied} migrations applied)`,
      )
    })
  },
  async init(args, config) {
    await withDb(config, async (db) => {
      await migrate(db)
      await processState(config, systemClock).keys.ensureActiveKey(db)
      const created = await bootstrapPlatform(db, cliContext())
      if (!created) throw new CliError('already initialised: the platform organisation exists')
      if (args.includes('--json')) {
        console.log(JSON.stringify({ client_id: created.client.id, client_secret: created.secret }))
        return
      }
      console.log(`platform organisation  ${created.org.id}`)
      console.log(`admin client_id        ${created.client.id}`)
      console.log(`admin client_secret    ${created.secret}   (shown only now)`)
    })
  },
  async seed(args, config) {
    if (args[0] !== 'demo') throw new CliError('usage: qiao seed demo')
    await withDb(config, async (db) => {
      await migrate(db)
      const services = createNodeServices(config, db, { logger: createLogger('warn') })
      await services.keys.ensureActiveKey(db)
      // The server's module (and its HTTP server) is loaded only for this command.
      const { seedDemoWorld } = await import('./node.js')
      let seeded: SeededDemo
      try {
        seeded = await seedDemoWorld(services)
      } catch (error) {
        if (error instanceof DemoRefusedError) throw new CliError(error.message)
        throw error
      } finally {
        await services.audit.idle()
      }
      console.log(demoSummary(seeded))
    })
  },
  async keys(args, config) {
    if (args[0] !== 'rotate') throw new CliError('usage: qiao keys rotate')
    await withDb(config, async (db) => {
      const { keys } = processState(config, systemClock)
      await keys.ensureActiveKey(db)
      const rotated = await db.transaction(async (tx) => {
        const result = await keys.rotate(tx)
        await recordEvent(tx, cliContext(), { action: 'key.rotated', resourceType: 'signing_key', resourceId: result.kid, details: { previous: result.previous } })
        return result
      })
      console.log(`new signing key ${rotated.kid}; ${rotated.previous ?? 'no previous key'} keeps verifying until its tokens expire`)
    })
  },
  async audit(args, config) {
    const [sub, ...rest] = args
    await withDb(config, async (db) => {
      if (sub === 'verify') {
        const started = performance.now()
        const { result, checkpoint } = await verifyLog(db, nodeHasher)
        const seconds = (performance.now() - started) / 1000
        if (!result.ok) throw new CliError(`audit log broken at seq ${result.seq}: ${result.problem} — ${result.detail}`)
        const against = checkpoint ? `, matches checkpoint ${checkpoint.size} (root ${checkpoint.root_hash.slice(0, 16)}…)` : ''
        console.log(`audit log ok: ${result.size} entries, head ${result.head.slice(0, 16)}…${against}; ${Math.round(result.size / seconds)} entries/s`)
      } else if (sub === 'export') {
        const afterIndex = rest.indexOf('--after')
        const after = afterIndex >= 0 ? Number(rest[afterIndex + 1]) : 0
        if (!Number.isSafeInteger(after) || after < 0) throw new CliError('--after takes a sequence number')
        for await (const row of allEntries(db, after)) process.stdout.write(`${exportLine(row)}\n`)
      } else if (sub === 'checkpoint') {
        const checkpoint = await createCheckpoint(createNodeServices(config, db, { logger: createLogger('silent') }))
        console.log(`checkpoint ${checkpoint.size}: root ${checkpoint.root_hash}, signed by ${checkpoint.kid}`)
      } else {
        throw new CliError('usage: qiao audit verify | export [--after SEQ] | checkpoint')
      }
    })
  },
  async ingest(args, config) {
    await withDb(config, async (db) => {
      const outcome = await ingestFile(createNodeServices(config, db, { logger: createLogger('warn') }), cliContext(), args)
      const { rejected, total } = outcome.report
      if (!outcome.stored) throw new CliError(`${rejected} of ${total} rows are invalid; nothing was stored (--mode partial stores the valid rows)`)
    })
  },
  async jobs(args, config) {
    if (args[0] !== 'run') throw new CliError('usage: qiao jobs run')
    await withDb(config, async (db) => {
      const services = createNodeServices(config, db, { logger: createLogger('warn') })
      for (const outcome of await runDueJobs(services, `cli:${process.pid}`)) console.log(`${outcome.name.padEnd(20)} ${outcome.status.padEnd(8)} ${outcome.detail}`)
    })
  },
  async openapi(args, config) {
    const text = openApiText(config)
    if (args.includes('--check')) {
      const committed = readFileSync(openApiPath, 'utf8')
      if (committed !== text) throw new CliError('openapi/openapi.json is out of date: run `npm run openapi` and commit it')
      console.log('openapi/openapi.json is up to date')
      return
    }
    writeFileSync(openApiPath, text)
    console.log(`wrote ${openApiPath}`)
  },
  async help() {
    console.log(usage)
  },
}

/** The committed OpenAPI document's text, generated from the routes without a database. */
export function openApiText(config: Config): string {
  // Route definitions need no database: the document is built without one.
  const app = createApp(createNodeServices(config, undefined as unknown as Db, { logger: createLogger('silent') }))
  return `${JSON.stringify(openApiDocument(app), null, 2)}\n`
}

/** What `qiao seed demo` made, and the credentials to try it with. */
function demoSummary({ world, file, milliseconds }: SeededDemo): string {
  const datasets = Object.values(world.datasets)
  const count = <T>(items: readonly T[], key: (item: T) => string) =>
    Object.entries(items.reduce<Record<string, number>>((acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }), {}))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')
  return [
    `demo world seeded in ${(milliseconds / 1000).toFixed(1)} s:`,
    `  organisations  ${Object.values(world.orgs).map((o) => o.name).join(', ')}`,
    ...datasets.map((d) => `  dataset        ${d.tier} ${d.code}  ${d.title}  (${d.records} records)`),
    `  records        ${datasets.reduce((n, d) => n + d.records, 0)} (${world.rejectedRows} rows refused by validation, on purpose)`,
    `  requests       ${count(world.requests, (r) => (r.light ? `${r.status} (${r.light})` : r.status))}`,
    `  objections     ${count(world.objections, (o) => o.status)}`,
    `  audit          checkpoint of ${world.checkpoint.size} entries, root ${world.checkpoint.root_hash.slice(0, 16)}…`,
    '',
    credentialsTable(world.credentials),
    '',
    `The secrets are also in ${file} (mode 0600). Start the gateway (npm start) and open /console.`,
  ].join('\n')
}

function cliContext(): ActionContext {
  return { requestId: `cli-${crypto.randomUUID()}`, actor: null, sourceIp: null, at: systemClock.now() }
}

async function withDb(config: Config, fn: (db: Db) => Promise<void>) {
  const db = await openDatabase(config)
  try {
    await fn(db)
  } finally {
    await db.close()
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [name = 'help', ...args] = argv
  const command = commands[name]
  if (!command) {
    console.error(`qiao: unknown command "${name}"\n\n${usage}`)
    return 2
  }
  try {
    await command(args, loadConfig(process.env))
    return 0
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CliError) {
      console.error(`qiao: ${error.message}`)
      return error instanceof ConfigError ? 2 : 1
    }
    console.error(`qiao ${name} failed: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}

if (isEntrypoint(import.meta.url)) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code))
}
