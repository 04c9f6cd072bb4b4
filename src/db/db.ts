/**
 * The one database interface Qiao's repositories use. Two implementations: PostgreSQL through
 * `pg` (src/db/postgres.ts) and embedded PGlite (src/db/pglite.ts). Both return the same row
 * shapes: int8 as a JS number (ids and counters stay far below 2^53; a larger value is an error),
 * numeric as a string, timestamptz as Date, json/jsonb parsed.
 */
// `object`, not Record<string, unknown>: row interfaces have no index signature.
export type Row = object

export interface QueryResult<T extends Row = Row> {
  rows: T[]
  rowCount: number
}

export interface QueryOptions {
  /**
   * Run it as a named prepared statement where the driver can (PostgreSQL on Node), so each
   * connection parses and plans the text once and may reuse a generic plan. Only for hot statements
   * whose plan does not depend on the parameters' values: a key lookup, not an optional filter
   * written as `($1 IS NULL OR col = $1)`, whose generic plan cannot use an index.
   */
  prepare?: boolean
  /**
   * May share a connection with other statements in flight, each sent without waiting for the
   * one before (pipelining, PostgreSQL on Node; elsewhere it changes nothing). Outside a transaction
   * only, and only for a short read that waits on nothing (no lock, no write, no commit to flush):
   * a statement queued behind it on its connection waits as long as it does.
   */
  pipelined?: boolean
}

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<T>>
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export type Tx = Queryable

export interface Db extends Queryable {
  readonly driver: 'postgres' | 'pglite'
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** int8 parser shared by both drivers. */
export function parseInt8(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`)
  return value
}
