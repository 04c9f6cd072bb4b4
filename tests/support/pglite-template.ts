// Vitest global setup for the PGlite pass: one migrated PGlite data directory per run, dumped to a
// file that every test file's databases load (tests/support/database.ts). Starting PGlite on an
// empty directory runs initdb, about 3.5 s on this project's CI machine; loading the dump about 1 s.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite, types } from '@electric-sql/pglite'
import { parseInt8 } from '../../src/db/db.js'
import { migrate } from '../../src/db/migrate.js'
import { wrapPglite } from '../../src/db/pglite.js'
import { PGLITE_TEMPLATE_ENV, testServerUrl } from './database.js'

export default async function setup(): Promise<(() => void) | undefined> {
  if (testServerUrl) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'qiao-pglite-template-'))
  const instance = await PGlite.create({ parsers: { [types.INT8]: parseInt8 } })
  await migrate(wrapPglite(instance))
  const file = join(dir, 'migrated.tar')
  writeFileSync(file, Buffer.from(await (await instance.dumpDataDir('none')).arrayBuffer()))
  await instance.close()
  // Test files run in child processes, which inherit this environment.
  process.env[PGLITE_TEMPLATE_ENV] = file
  return () => rmSync(dir, { recursive: true, force: true })
}
