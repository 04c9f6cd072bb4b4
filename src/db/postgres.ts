import pg from 'pg'
import { parseInt8, type Db, type QueryOptions, type QueryResult, type Queryable, type Row } from './db.js'

const INT8_OID = 20

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}

export interface PostgresOptions {
  connectionString: string
  /** Pool size; 1 on Workers, where a pool lives for one request. */
  max?: number
  applicationName?: string
  /**
   * Honour `{ prepare: true }` with named statements. On for the Node gateway's own pool; off where
   * something between the gateway and PostgreSQL may not keep a connection's statements
   * (Hyperdrive on Workers), where such queries simply run unnamed.
   */
  prepareStatements?: boolean
}

/** Distinct prepared texts per pool; past it, further texts run unnamed (each connection holds them all). */
const MAX_PREPARED = 200

export function createPostgresDb(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'qiao',
    types: typeParsers,
    connectionTimeoutMillis: 10_000,
  })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const names = new Map<string, string>()
  // Names are per pool, so every connection of the pool knows a text by the same name.
  const nameOf = (sql: string): string | undefined => {
    if (!options.prepareStatements) return undefined
    let name = names.get(sql)
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `qiao_${names.size + 1}`
      names.set(sql, name)
    }
    return name
  }
  return {
    driver: 'postgres',
    ...queryableOf(pool, nameOf),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await fn(queryableOf(client, nameOf))
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
}

function queryableOf(target: pg.Pool | pg.PoolClient, nameOf: (sql: string) => string | undefined): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
      const name = options?.prepare ? nameOf(sql) : undefined
      const result = await target.query<T>(name ? { name, text: sql, values: params as unknown[] } : { text: sql, values: params as unknown[] })
      return { rows: result.rows, rowCount: result.rowCount ?? 0 }
    },
    async exec(sql: string) {
      await target.query(sql)
    },
  }
}
