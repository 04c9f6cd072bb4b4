import type { Role } from '../identity/repository.js'
import type { Context } from 'hono'
import type { Services } from '../services.js'

/** Who is calling; set by the auth middleware (src/identity/middleware.ts). */
export interface Principal {
  clientId: string
  orgId: string
  orgKind: 'department' | 'social_org' | 'platform'
  roles: readonly Role[]
}

export type AppEnv = {
  Bindings: Record<string, unknown>
  Variables: {
    requestId: string
    /** The headers every response to this request carries (src/http/middleware.ts responseHeaders). */
    responseHeaders: Record<string, string>
    services: Services
    principal?: Principal
  }
}

export type AppContext = Context<AppEnv>

/** Node and tests pass one Services; the Worker builds one per request (I/O can't cross requests there). */
export type ServicesSource = Services | ((c: AppContext) => Services)
