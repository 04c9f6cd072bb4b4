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


/** What a verified token said, and until when it holds. */
export interface VerifiedToken {
  principal: Principal
  kid: string
  /** `exp` and `nbf`, in seconds since the epoch. */
  expiresAt: number
  notBefore: number | undefined
}

/**
 * Access tokens whose signature and claims verified, kept until they expire, so that the next
 * request with the same token skips the ECDSA check and claim parsing. What can change after the
 * first check is still checked on every use: the time (exp, nbf) and whether the signing key still
 * verifies (a retired or removed key ends its tokens at once). Bounded: cleared when full.
 */
export class VerifiedTokens {
  private entries = new Map<string, VerifiedToken>()

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token)
  }

  set(token: string, verified: VerifiedToken) {
    if (this.entries.size >= this.maxEntries) this.entries.clear()
    this.entries.set(token, verified)
  }

  delete(token: string) {
    this.entries.delete(token)
  }
}
