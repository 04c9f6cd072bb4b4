import type { Role } from '../../src/identity/repository.js'

/**
 * Who may call each route, written down as data. The matrix test walks the app's own route list,
 * so a route added without an entry here fails it. `roles: 'public'` needs no token; `'any'` is
 * every authenticated role; otherwise the listed roles get through and every other role is 403.
 * `path` fills the route's parameters with values that exist in the test world (or not: a 404 is
 * fine for the roles that get through — the matrix is about the guard, not the resource).
 */
export interface AccessRule {
  roles: 'public' | 'any' | readonly Role[]
  /** A concrete path for the route; `{org}` is replaced by a department's id. */
  path?: string
  body?: unknown
  /** Routes whose anonymous callers get a narrower view rather than a 401. */
  anonymous?: 'allowed'
}

export const accessMatrix: Record<string, AccessRule> = {
  'GET /health': { roles: 'public' },
  'GET /ready': { roles: 'public' },
  'GET /openapi.json': { roles: 'public' },
  'GET /docs': { roles: 'public' },
  'GET /docs/style.css': { roles: 'public' },
  'GET /.well-known/jwks.json': { roles: 'public' },
  'POST /v1/auth/token': { roles: 'public' },
  'GET /v1/auth/whoami': { roles: 'any' },

  'POST /v1/orgs': { roles: ['admin'], body: { kind: 'department', name: 'matrix', level: 'city', region_code: '330100' } },
  'GET /v1/orgs': { roles: 'any' },
  'GET /v1/orgs/{id}': { roles: 'any', path: '/v1/orgs/{org}' },
  'POST /v1/orgs/{id}/suspend': { roles: ['admin'], path: '/v1/orgs/org_nope/suspend' },
  'POST /v1/orgs/{id}/reinstate': { roles: ['admin'], path: '/v1/orgs/org_nope/reinstate' },
  'POST /v1/orgs/{id}/clients': { roles: ['admin'], path: '/v1/orgs/org_nope/clients', body: { name: 'm', roles: ['consumer'] } },
  'GET /v1/orgs/{id}/clients': { roles: ['admin'], path: '/v1/orgs/{org}/clients' },
  'DELETE /v1/clients/{id}': { roles: ['admin'], path: '/v1/clients/cli_nope' },

  'GET /v1/standards': { roles: 'any' },
  'GET /v1/standards/{name}/{version}': { roles: 'any', path: '/v1/standards/population/1.0.0' },
  'POST /v1/standards': { roles: ['admin'], body: {} },
  'POST /v1/standards/{name}/{version}/check': { roles: ['publisher', 'admin'], path: '/v1/standards/population/1.0.0/check', body: [] },

  'GET /v1/audit': { roles: ['auditor', 'admin', 'publisher', 'approver'] },
  'GET /v1/audit/verify': { roles: ['auditor', 'admin'] },
  'GET /v1/audit/export': { roles: ['auditor', 'admin'] },
  'GET /v1/audit/checkpoints': { roles: 'any' },
  'POST /v1/audit/checkpoints': { roles: ['auditor', 'admin'] },
  'GET /v1/audit/entries/{seq}/proof': { roles: ['auditor', 'admin'], path: '/v1/audit/entries/1/proof' },
  'GET /v1/audit/consistency': { roles: 'any', path: '/v1/audit/consistency?from=1&to=1' },

  'POST /v1/datasets': { roles: ['publisher'], body: {} },
  'GET /v1/datasets': { roles: 'any', anonymous: 'allowed' },
  'GET /v1/datasets/{id}': { roles: 'any', anonymous: 'allowed', path: '/v1/datasets/ds_nope' },
  'PATCH /v1/datasets/{id}': { roles: ['publisher'], path: '/v1/datasets/ds_nope', body: {} },
  'POST /v1/datasets/{id}/retire': { roles: ['publisher', 'admin'], path: '/v1/datasets/ds_nope/retire' },
  'PUT /v1/datasets/{id}/tier': { roles: ['admin'], path: '/v1/datasets/ds_nope/tier', body: { tier: 'L4', reason: 'matrix' } },
  'GET /v1/datasets/{id}/tier': { roles: 'any', path: '/v1/datasets/ds_nope/tier' },
  'POST /v1/datasets/{id}/records': { roles: ['publisher'], path: '/v1/datasets/ds_nope/records', body: [] },
  'DELETE /v1/datasets/{id}/records/{key}': { roles: ['publisher'], path: '/v1/datasets/ds_nope/records/k' },
  'GET /v1/datasets/{id}/ingests': { roles: 'any', path: '/v1/datasets/ds_nope/ingests' },
  'GET /v1/catalog.jsonld': { roles: 'any', anonymous: 'allowed' },

  'GET /v1/policy/tiers': { roles: ['admin', 'auditor'] },
  'PUT /v1/policy/tiers': { roles: ['admin'], body: {} },

  'POST /v1/access-requests': { roles: ['consumer'], body: {} },
  'GET /v1/access-requests': { roles: ['consumer', 'approver'] },
  'GET /v1/access-requests/{id}': { roles: ['consumer', 'approver'], path: '/v1/access-requests/req_nope' },
  'POST /v1/access-requests/{id}/approve': { roles: ['approver'], path: '/v1/access-requests/req_nope/approve', body: {} },
  'POST /v1/access-requests/{id}/reject': { roles: ['approver'], path: '/v1/access-requests/req_nope/reject', body: { reason: 'matrix' } },
  'POST /v1/access-requests/{id}/withdraw': { roles: ['consumer'], path: '/v1/access-requests/req_nope/withdraw' },
  'GET /v1/grants': { roles: 'any' },
  'DELETE /v1/grants/{id}': { roles: ['approver', 'publisher', 'admin'], path: '/v1/grants/grt_nope' },
  'GET /v1/datasets/{id}/records': { roles: 'any', anonymous: 'allowed', path: '/v1/datasets/ds_nope/records' },
  'GET /v1/datasets/{id}/records/{key}': { roles: 'any', anonymous: 'allowed', path: '/v1/datasets/ds_nope/records/k' },
  'GET /v1/datasets/{id}/aggregate': { roles: 'any', anonymous: 'allowed', path: '/v1/datasets/ds_nope/aggregate?group_by=sex' },

  'PUT /v1/orgs/{id}/webhook': { roles: ['admin'], path: '/v1/orgs/org_nope/webhook', body: { url: 'https://hooks.example.com/qiao' } },
  'GET /v1/orgs/{id}/webhook': { roles: 'any', path: '/v1/orgs/{org}/webhook' },
  'DELETE /v1/orgs/{id}/webhook': { roles: ['admin'], path: '/v1/orgs/org_nope/webhook' },
  'GET /v1/orgs/{id}/webhook/deliveries': { roles: 'any', path: '/v1/orgs/{org}/webhook/deliveries' },
  'GET /v1/supervision': { roles: 'any' },

  'POST /v1/datasets/{id}/objections': { roles: ['consumer'], path: '/v1/datasets/ds_nope/objections', body: { description: 'matrix' } },
  'GET /v1/objections': { roles: ['consumer', 'publisher', 'approver', 'admin'] },
  'GET /v1/objections/{id}': { roles: ['consumer', 'publisher', 'approver', 'admin'], path: '/v1/objections/obj_nope' },
  'POST /v1/objections/{id}/accept': { roles: ['publisher', 'approver'], path: '/v1/objections/obj_nope/accept' },
  'POST /v1/objections/{id}/resolve': { roles: ['publisher', 'approver'], path: '/v1/objections/obj_nope/resolve', body: { outcome: 'rejected', note: 'matrix' } },
  'POST /v1/objections/{id}/close': { roles: ['consumer'], path: '/v1/objections/obj_nope/close', body: {} },
  'POST /v1/objections/{id}/reopen': { roles: ['consumer'], path: '/v1/objections/obj_nope/reopen', body: { reason: 'matrix' } },
  'POST /v1/access-requests/{id}/rating': { roles: ['consumer'], path: '/v1/access-requests/req_nope/rating', body: { score: 3 } },
  'GET /v1/access-requests/{id}/rating': { roles: ['consumer', 'publisher', 'approver', 'admin'], path: '/v1/access-requests/req_nope/rating' },
}
