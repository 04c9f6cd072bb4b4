// SQL of the administration pages: the reads the API answers only in pieces (a client with its
// organisation, by the client's id alone) or not at all (how many times the tier policy was set).

import type { Queryable } from '../../../db/db.js'
import type { OrgKind, Role } from '../../../identity/repository.js'

/** A client with its organisation's name and kind; never its secret hash. */
export interface ClientWithOrg {
  id: string
  name: string
  roles: Role[]
  status: 'active' | 'revoked'
  created_at: Date
  revoked_at: Date | null
  org_id: string
  org_name: string
  org_kind: OrgKind
}

export async function findClientWithOrg(q: Queryable, id: string): Promise<ClientWithOrg | undefined> {
  const { rows } = await q.query<ClientWithOrg>(
    `SELECT c.id, c.name, c.roles, c.status, c.created_at, c.revoked_at, o.id AS org_id, o.name AS org_name, o.kind AS org_kind
     FROM clients c JOIN organisations o ON o.id = c.org_id WHERE c.id = $1`,
    [id],
  )
  return rows[0]
}

/**
 * How many times an admin has set the tier policy: its version number. Every change is audited in
 * the transaction that makes it (src/exchange/policy-service.ts), so the log is the count, and
 * the (action, seq) index answers it without reading the entries.
 */
