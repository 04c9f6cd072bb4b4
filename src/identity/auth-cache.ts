import type { Db } from '../db/db.js'
import type { Principal } from '../http/env.js'
import { findClientAuth } from './repository.js'

/**
 * Whether a client and its organisation are still active, cached for QIAO_AUTH_CACHE_SECONDS per
 * process: the bound on how long a revocation made through another process takes to be seen.
 */
export class AuthCache {
  private entries = new Map<string, { until: number; orgId: string; active: boolean }>()

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  async isActive(db: Db, principal: Principal): Promise<boolean> {
    const cached = this.entries.get(principal.clientId)
    if (cached && cached.until > this.now()) return cached.active
    const row = await findClientAuth(db, principal.clientId)
    const active = row !== undefined && row.client_status === 'active' && row.org_status === 'active'
    if (this.ttlSeconds > 0) {
      if (this.entries.size > 10_000) this.entries.clear()
      this.entries.set(principal.clientId, { until: this.now() + this.ttlSeconds * 1000, orgId: principal.orgId, active })
    }
    return active
  }

  forgetClient(clientId: string) {
    this.entries.delete(clientId)
  }

  forgetOrg(orgId: string) {
    for (const [clientId, entry] of this.entries) if (entry.orgId === orgId) this.entries.delete(clientId)
  }
}

