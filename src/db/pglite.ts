import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { PGlite, types, type Transaction } from '@electric-sql/pglite'
import { parseInt8, type Db, type QueryResult, type Queryable, type Row } from './db.js'

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly holderPid: number) {
    super(
      `the PGlite data directory ${dataDir} is in use by process ${holderPid}. ` +
        'PGlite is single-process: stop that process, or point DATABASE_URL at PostgreSQL to run several gateways.',
    )
    this.name = 'DataDirLockedError'
  }
}

/**
 * Embedded PostgreSQL (WASM). `dataDir` undefined means in-memory (tests). A data directory is
 * guarded by a lock file holding our pid, so a second process fails fast instead of corrupting it.
 */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const release = dataDir ? lockDataDir(resolve(dataDir)) : () => {}
  try {
    const pglite = await PGlite.create(dataDir ? resolve(dataDir) : undefined, { parsers: { [types.INT8]: parseInt8 } })
    return wrapPglite(pglite, release)
  } catch (error) {
    release()
    throw error
  }
}

/** Wraps an existing PGlite instance (tests clone a migrated template this way). */
export function wrapPglite(pglite: PGlite, onClose: () => void = () => {}): Db {
  return {
    driver: 'pglite',
    ...queryableOf(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(queryableOf(tx))),
    async close() {
      if (!pglite.closed) await pglite.close()
      onClose()
    },
  }
}

function queryableOf(target: PGlite | Transaction): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await target.query<T>(sql, params as unknown[])
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length }
    },
    async exec(sql: string) {
      await target.exec(sql)
    },
  }
}

function lockDataDir(dataDir: string): () => void {
  const lockPath = join(dirname(dataDir), `${dataDir.split(/[\\/]/).pop()}.lock`)
  mkdirSync(dirname(lockPath), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10)
      if (Number.isInteger(holder) && isAlive(holder)) {
        throw new DataDirLockedError(dataDir, holder)
      }
      // The holder died without releasing the lock (SIGKILL, power loss): take it over.
      rmSync(lockPath, { force: true })
    }
  }
  throw new Error(`could not lock ${dataDir}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
