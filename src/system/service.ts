import type { Db } from '../db/db.js'
import { pendingMigrations } from '../db/migrate.js'
import { migrations } from '../db/migrations.generated.js'

export type Readiness =
  | { ready: true; driver: Db['driver']; applied: number }
  | { ready: false; problem: string }

export async function readiness(db: Db): Promise<Readiness> {
  let pending: string[]
  try {
    pending = await pendingMigrations(db)
  } catch {
    return { ready: false, problem: 'the database is not reachable' }
  }
  if (pending.length > 0) {
    return { ready: false, problem: `migrations not applied: ${pending.join(', ')} (run \`qiao migrate\`)` }
  }
  return { ready: true, driver: db.driver, applied: migrations.length }
}
