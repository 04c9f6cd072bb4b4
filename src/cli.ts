import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createApp, openApiDocument } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import type { Db } from './db/db.js'
import { migrate } from './db/migrate.js'
import { openDatabase } from './db/open.js'
import { isEntrypoint } from './entry.js'
import { createLogger } from './log.js'
import { systemClock, type Services } from './services.js'

/** Thrown for a failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {}

const usage = `usage: qiao <command>

  migrate              apply pending database migrations
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
  const offline = { config, logger: createLogger('silent'), clock: systemClock } as Omit<Services, 'db'>
  const app = createApp({ ...offline, db: undefined as unknown as Db })
  return `${JSON.stringify(openApiDocument(app), null, 2)}\n`
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
