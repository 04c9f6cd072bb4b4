// Daily quotas, charged in groups. A read under a grant with a daily quota is charged before it is
// answered; on a busy grant, reads that arrive while one charge is in flight wait for it and are
// then charged together, in arrival order, by one statement (grant_charge, migration 0017), so a
// grant's readers cost one statement per group rather than one each and queue once on its row lock.

import type { Db } from '../db/db.js'
import { chargeGrant } from './repository.js'

interface Pending {
  cost: number
  resolve: (used: number | undefined) => void
  reject: (error: unknown) => void
}

/** The most reads one statement charges. */
const MAX_GROUP = 500

/**
 * One per process on Node (per request on Workers, where it then charges one read at a time).
 * Charges are grouped per grant, day and quota: a grant whose quota changed between two reads is
 * charged for each under the quota that read was decided with.
 */
export class QuotaCharger {
  private readonly waiting = new Map<string, Pending[]>()

  constructor(private readonly db: Db) {}

  /** Takes `cost` from the grant's quota for `day`: the day's total after it, or undefined if it does not fit. */
  charge(grantId: string, day: string, cost: number, quota: number): Promise<number | undefined> {
    const key = JSON.stringify([grantId, day, quota])
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(key)
      if (queue) {
        queue.push({ cost, resolve, reject })
        return
      }
      this.waiting.set(key, [{ cost, resolve, reject }])
      void this.drain(key, grantId, day, quota)
    })
  }

  /** Charges the key's waiting reads group by group until none is left; the key is busy meanwhile. */
  private async drain(key: string, grantId: string, day: string, quota: number): Promise<void> {
    const queue = this.waiting.get(key)!
    while (queue.length > 0) {
      const group = queue.splice(0, MAX_GROUP)
      try {
        const { admitted, used } = await chargeGrant(this.db, grantId, day, group.map((p) => p.cost), quota)
        group.forEach((p, i) => p.resolve(admitted[i] ? used : undefined))
      } catch (error) {
        for (const p of group) p.reject(error)
      }
    }
    this.waiting.delete(key)
  }
}
