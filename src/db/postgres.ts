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
  /**
   * Connections kept apart for statements asked to run `pipelined`: each is written on one of these
   * without waiting for the statements already in flight there, so that PostgreSQL answers several
   * per wake-up rather than one (docs/benchmarks.md, "Delivery"). 0: every statement takes a
   * connection of the pool to itself.
   */
  pipelines?: number
}

/** Statements in flight on one pipelined connection beyond which the next goes to the pool. */
const MAX_PIPELINED = 16

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
  const pooled = queryableOf(pool, nameOf)
  const pipelines = new Pipelines(options, nameOf)
  return {
    driver: 'postgres',
    ...pooled,
    query(sql, params, queryOptions) {
      const pipeline = queryOptions?.pipelined ? pipelines.least() : undefined
      return (pipeline ?? pooled).query(sql, params, queryOptions)
    },
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
    close: async () => {
      await Promise.all([pool.end(), pipelines.close()])
    },
  }
}

/** A pipelined connection: statements sent on it and not yet answered. */
interface Pipeline {
  inFlight: number
  client: pg.Client
  query: Queryable['query']
}

/**
 * The connections for pipelined statements, opened on first use. Each statement goes to the one
 * with the fewest in flight, or to the pool (`least` answers undefined) when even that one has
 * MAX_PIPELINED: a slow statement then holds up a bounded queue. A connection that fails is
 * dropped, with the statements in flight on it (they fail, as they would on a pooled connection),
 * and a new one is opened for the next statement.
 */
class Pipelines {
  private readonly open: Pipeline[] = []

  constructor(
    private readonly options: PostgresOptions,
    private readonly nameOf: (sql: string) => string | undefined,
  ) {}

  least(): Pipeline | undefined {
    if (this.open.length < (this.options.pipelines ?? 0)) return this.add()
    let least = this.open[0]
    for (const pipeline of this.open) if (pipeline.inFlight < least!.inFlight) least = pipeline
    return least && least.inFlight < MAX_PIPELINED ? least : undefined
  }

  async close(): Promise<void> {
    const closing = this.open.splice(0).map((pipeline) => pipeline.client.end().catch(() => {}))
    await Promise.all(closing)
  }

  private add(): Pipeline {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: `${this.options.applicationName ?? 'qiao'}-pipelined`,
      types: typeParsers,
      connectionTimeoutMillis: 10_000,
      // Kept open however long it sits idle (the pool closes its idle connections): TCP keepalives
      // find a connection that a firewall or NAT dropped meanwhile before a statement waits on it.
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      pipeline: true,
    })
    const drop = () => {
      const at = this.open.indexOf(pipeline)
      if (at >= 0) this.open.splice(at, 1)
    }
    client.on('error', drop)
    client.on('end', drop)
    const connected = client.connect().catch((error: unknown) => {
      drop()
      throw error
    })
    // Its statements see the failure; this keeps it from counting as unhandled when none awaits it.
    connected.catch(() => {})
    const queryable = queryableOf(client, this.nameOf)
    const pipeline: Pipeline = {
      client,
      inFlight: 0,
      async query(sql, params, queryOptions) {
        pipeline.inFlight++
        try {
          await connected
          return await queryable.query(sql, params, queryOptions)
        } finally {
          pipeline.inFlight--
        }
      },
    }
    this.open.push(pipeline)
    return pipeline
  }
}

function queryableOf(target: pg.Pool | pg.PoolClient | pg.Client, nameOf: (sql: string) => string | undefined): Queryable {
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
