import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv, Principal } from '../http/env.js'
import { bearerSecurity, errorResponses } from '../http/openapi.js'
import { decodeCursor, page, pageQuery } from '../http/pagination.js'
import { principalOf, requireAuth, requireRole } from '../identity/middleware.js'
import { exportLine } from './verify.js'
import type { AuditRow, CheckpointRow } from './repository.js'
import * as audit from './service.js'

const auditors = [requireAuth(), requireRole('auditor', 'admin')]
// A department's publishers and approvers see the entries about their own datasets, nothing else.
const auditReaders = [requireAuth(), requireRole('auditor', 'admin', 'publisher', 'approver')]
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

const EntrySchema = z
  .object({
    seq: z.number().int().openapi({ example: 42 }),
    content: z.record(z.string(), z.unknown()).openapi({ description: 'The canonical entry: who, what, why, decision, when, request id, source address' }),
    prev_hash: z.string().openapi({ description: 'Hex SHA-256 of the previous entry' }),
    hash: z.string().openapi({ description: 'Hex SHA-256 of this entry (docs/audit-algorithm.md)' }),
  })
  .openapi('AuditEntry')

const CheckpointSchema = z
  .object({
    size: z.number().int().openapi({ description: 'Entries covered (the seq of the last one)' }),
    root_hash: z.string().openapi({ description: 'RFC 9162 Merkle tree hash, hex' }),
    chain_head: z.string().openapi({ description: 'Hash of entry `size`, hex' }),
    at: z.string().openapi({ description: 'When it was signed (ISO 8601)' }),
    kid: z.string().openapi({ description: 'The signing key, in /.well-known/jwks.json' }),
    jws: z.string().openapi({ description: 'Compact JWS (typ qiao-checkpoint+jws) over the canonical tree head' }),
  })
  .openapi('AuditCheckpoint')

const renderEntry = (row: AuditRow) => ({ seq: row.seq, content: row.content as unknown as Record<string, unknown>, prev_hash: row.prev_hash, hash: row.hash })
const renderCheckpoint = (c: CheckpointRow) => ({ size: c.size, root_hash: c.root_hash, chain_head: c.chain_head, at: c.at.toISOString(), kid: c.kid, jws: c.jws })

const listRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'Query the audit log',
  description:
    "Newest first, filtered by time range, actor, organisation, dataset, action and decision. Auditors and admins see every entry; a department's publishers and approvers see the entries about its own datasets (who read my data, when and why).",
  security: bearerSecurity,
  middleware: auditReaders,
  request: {
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'At or after (ISO 8601)' }),
      to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Before (ISO 8601)' }),
      actor: z.string().max(64).optional().openapi({ description: 'Client id' }),
      org: z.string().max(64).optional().openapi({ description: "Actor's organisation id" }),
      dataset: z.string().max(64).optional().openapi({ description: 'Dataset id' }),
      action: z.string().max(64).optional().openapi({ description: 'e.g. org.created, auth.token_refused' }),
      decision: z.enum(['allowed', 'denied']).optional(),
      ...pageQuery,
    }),
  },
  responses: { 200: json(z.object({ items: z.array(EntrySchema), next_cursor: z.string().nullable() }).openapi('AuditPage'), 'A page of entries'), ...errorResponses(400, 401, 403) },
})

const verifyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  tags: ['audit'],
  summary: 'Verify the whole log',
  description: 'Recomputes every entry hash and link and, against the latest checkpoint, the Merkle root. Reports ok or the first bad seq and why.',
  security: bearerSecurity,
  middleware: auditors,
  responses: {
    200: json(
      z
        .object({
          ok: z.boolean(),
          size: z.number().int().optional().openapi({ description: 'Entries verified (when ok)' }),
          head: z.string().optional().openapi({ description: 'Hash of the last entry (when ok)' }),
          seq: z.number().int().optional().openapi({ description: 'The first bad entry (when not ok)' }),
          problem: z.enum(['altered', 'missing', 'reordered', 'inserted', 'bad_genesis', 'checkpoint_mismatch']).optional(),
          detail: z.string().optional(),
          checkpoint: z.object({ size: z.number().int(), root_hash: z.string() }).nullable(),
        })
        .openapi('AuditVerification'),
      'The verdict',
    ),
    ...errorResponses(401, 403),
  },
})

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/audit/export',
  tags: ['audit'],
  summary: 'Export the log as NDJSON',
  description: 'Streams every entry from `after` on, one canonical JSON line {content, hash, prev_hash} each, for archiving and offline verification.',
  security: bearerSecurity,
  middleware: auditors,
  request: { query: z.object({ after: z.coerce.number().int().min(0).default(0).openapi({ description: 'Start after this seq' }) }) },
  responses: { 200: { description: 'NDJSON', content: { 'application/x-ndjson': { schema: z.string() } } }, ...errorResponses(400, 401, 403) },
})

const checkpointsRoute = createRoute({
  method: 'get',
  path: '/v1/audit/checkpoints',
  tags: ['audit'],
  summary: 'Signed checkpoints',
  description: 'Newest first. Each is a JWS any holder of the JWKS can verify offline.',
  security: bearerSecurity,
  middleware: [requireAuth()],
  request: { query: z.object(pageQuery) },
  responses: { 200: json(z.object({ items: z.array(CheckpointSchema), next_cursor: z.string().nullable() }).openapi('AuditCheckpointPage'), 'Checkpoints'), ...errorResponses(400, 401) },
})

const writeCheckpointRoute = createRoute({
  method: 'post',
  path: '/v1/audit/checkpoints',
  tags: ['audit'],
  summary: 'Write a checkpoint now',
  description: 'Signs the current tree head (also done on a schedule). Returns the existing one when nothing was appended since. Auditors and admins.',
  security: bearerSecurity,
  middleware: auditors,
  responses: { 201: json(CheckpointSchema, 'The checkpoint'), ...errorResponses(401, 403) },
})

const proofRoute = createRoute({
  method: 'get',
  path: '/v1/audit/entries/{seq}/proof',
  tags: ['audit'],
  summary: 'Inclusion proof of an entry',
  description: 'RFC 9162 audit path of the entry (leaf index seq−1) in the tree signed by a checkpoint (the latest unless `size` is given).',
  security: bearerSecurity,
  middleware: auditors,
  request: {
    params: z.object({ seq: z.coerce.number().int().min(1).openapi({ param: { name: 'seq', in: 'path' }, example: 42 }) }),
    query: z.object({ size: z.coerce.number().int().min(1).optional().openapi({ description: 'Checkpoint size' }) }),
  },
  responses: {
    200: json(
      z
        .object({ entry: EntrySchema, leaf_index: z.number().int(), leaf_hash: z.string(), checkpoint: CheckpointSchema, proof: z.array(z.string()) })
        .openapi('AuditInclusionProof'),
      'The proof',
    ),
    ...errorResponses(400, 401, 403, 404, 409),
  },
})

const consistencyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/consistency',
  tags: ['audit'],
  summary: 'Consistency proof between two checkpoints',
  description: 'RFC 9162 proof that the tree of size `to` extends the tree of size `from` (nothing before `from` was changed).',
  security: bearerSecurity,
  middleware: [requireAuth()],
  request: { query: z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }) },
  responses: {
    200: json(z.object({ from: CheckpointSchema, to: CheckpointSchema, proof: z.array(z.string()) }).openapi('AuditConsistencyProof'), 'The proof'),
    ...errorResponses(400, 401, 404),
  },
})

function seesWholeLog(principal: Principal): boolean {
  return principal.roles.includes('auditor') || principal.roles.includes('admin')
}

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query')
    const after = decodeCursor(q.cursor, z.object({ seq: z.number().int() }))
    const rows = await audit.findEntries(c.get('services').db, {
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      actorClientId: q.actor,
      actorOrgId: q.org,
      datasetId: q.dataset,
      action: q.action,
      decision: q.decision,
      beforeSeq: after?.seq,
      aboutDatasetsOf: seesWholeLog(principalOf(c)) ? undefined : principalOf(c).orgId,
      limit: q.limit + 1,
    })
    return c.json(page(rows, q.limit, renderEntry, (r) => ({ seq: r.seq })), 200)
  })

  app.openapi(verifyRoute, async (c) => {
    const { db, hasher } = c.get('services')
    const { result, checkpoint } = await audit.verifyLog(db, hasher)
    return c.json({ ...result, checkpoint }, 200)
  })

  app.openapi(exportRoute, (c) => {
    const { db } = c.get('services')
    const entries = audit.allEntries(db, c.req.valid('query').after)
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await entries.next()
        if (next.done) return controller.close()
        controller.enqueue(encoder.encode(`${exportLine(next.value)}\n`))
      },
      async cancel() {
        await entries.return(undefined)
      },
    })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' } }) as never
  })

  app.openapi(checkpointsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query')
    const before = decodeCursor(cursor, z.object({ size: z.number().int() }))
    const rows = await audit.listCheckpoints(c.get('services').db, before?.size, limit + 1)
    return c.json(page(rows, limit, renderCheckpoint, (r) => ({ size: r.size })), 200)
  })

  app.openapi(writeCheckpointRoute, async (c) => c.json(renderCheckpoint(await audit.createCheckpoint(c.get('services'))), 201))

  app.openapi(proofRoute, async (c) => {
    const proof = await audit.entryProof(c.get('services'), c.req.valid('param').seq, c.req.valid('query').size)
    return c.json(
      { entry: renderEntry(proof.entry), leaf_index: proof.entry.seq - 1, leaf_hash: proof.leafHash, checkpoint: renderCheckpoint(proof.checkpoint), proof: proof.proof },
      200,
    )
  })

  app.openapi(consistencyRoute, async (c) => {
    const { from, to } = c.req.valid('query')
    const result = await audit.checkpointConsistency(c.get('services'), from, to)
    return c.json({ from: renderCheckpoint(result.from), to: renderCheckpoint(result.to), proof: result.proof }, 200)
  })
}
