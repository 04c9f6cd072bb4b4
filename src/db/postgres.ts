import pg from 'pg'
import { parseInt8, type Db, type QueryResult, type Queryable, type Row } from './db.js'

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
}

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
  return {
    driver: 'postgres',
    ...queryableOf(pool),
    async transaction(fn) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await fn(queryableOf(client))
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

function queryableOf(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      const result = await target.query<T>(sql, params as unknown[])
      return { rows: result.rows, rowCount: result.rowCount ?? 0 }
    },
    async exec(sql: string) {
      await target.query(sql)
    },
  }
}
