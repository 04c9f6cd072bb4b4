import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fromHex } from '../../src/audit/bytes.js'
import { chainEntries, GENESIS, type AuditEntryContent } from '../../src/audit/chain.js'
import { parseExportLine, verifyChain } from '../../src/audit/verify.js'
import { verifyCheckpoint } from '../../src/audit/checkpoint.js'
import { nodeHasher } from '../../src/audit/hasher-node.js'
import { verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js'
import { recordEvent } from '../../src/audit/recorder.js'
import { appendIfHead } from '../../src/audit/repository.js'
import { AuditWriter } from '../../src/audit/writer.js'
import { createPostgresDb } from '../../src/db/postgres.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { inRolledBackTransaction, seqScansSoFar, testDriver } from '../support/database.js'
import { registerDataset } from '../support/catalog.js'
import { call, createCast, expectStandardSecurity, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld()
  cast = await createCast(world)
})
afterAll(() => world.close())

const ctx = (i: number) => ({ requestId: `r-${i}`, actor: null, sourceIp: '127.0.0.1', at: new Date() })
const content = (seq: number): AuditEntryContent => ({
  seq, at: new Date().toISOString(), request_id: `c-${seq}`, actor_client_id: null, actor_org_id: null, action: 'test.raw',
  resource_type: null, resource_id: null, dataset_id: null, decision: null, reason: null, purpose: null, grant_id: null,
  fields: null, row_count: null, source_ip: null, details: {},
})
const verify = async (w: TestWorld) => (await call(w, 'GET', '/v1/audit/verify', { token: cast.admin.token })).body

describe('the append path', () => {
  it('keeps one valid chain under many concurrent appends (group commit)', async () => {
    const before = (await verify(world)).size as number
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => world.services.audit.append(ctx(i), { action: 'test.read', decision: 'allowed' })))
    expect(new Set(seqs).size).toBe(200)
    expect(Math.min(...seqs)).toBe(before + 1)
    expect(Math.max(...seqs)).toBe(before + 200)
    const result = await verify(world)
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, size: before + 200 })
  })

  it('answers the head its entries leave, the last one stored', async () => {
    const { db } = world.services
    const head = (await appendIfHead(db, [], null)).head
    const entries = await chainEntries(head, [content(head.seq + 1), content(head.seq + 2), content(head.seq + 3)], nodeHasher)
    const answer = await appendIfHead(db, entries, head)
    expect(answer).toEqual({ appended: true, head: { seq: head.seq + 3, hash: entries[2]!.hash } })
    expect((await appendIfHead(db, [], null)).head).toEqual(answer.head)
    expect(await appendIfHead(db, [], answer.head)).toEqual({ appended: true, head: answer.head })
  })

  it('finds the head through the primary key however small the log was when the connection first appended', async () => {
    // A plan kept from the connection's first append, made while the statistics said the log was a
    // page or two long, would read the whole log on every append after it has grown (migration 0019).
    const fresh = await createTestWorld()
    try {
      await inRolledBackTransaction(fresh.services.db, async (tx) => {
        await tx.query('ANALYZE audit_log')
        const before = (await appendIfHead(tx, [], null)).head
        await tx.query(
          `INSERT INTO audit_log (seq, at, action, content, prev_hash, hash)
           SELECT $1::bigint + i, now(), 'test.raw', '{}'::jsonb, md5(i::text) || md5(i::text), md5((i + 1)::text) || md5((i + 1)::text)
           FROM generate_series(1, 20000) i`,
          [before.seq],
        )
        const scans = await seqScansSoFar(tx, 'audit_log')
        const after = (await appendIfHead(tx, [], null)).head
        expect(after.seq).toBe(before.seq + 20000)
        expect(await seqScansSoFar(tx, 'audit_log')).toBe(scans)
      })
    } finally {
      await fresh.close()
    }
  })

  it('stores nothing when the head moved, and answers the head it found', async () => {
    const { db } = world.services
    const head = (await appendIfHead(db, [], null)).head
    const stale = { seq: head.seq - 1, hash: GENESIS.hash }
    const entries = await chainEntries(stale, [content(stale.seq + 1)], nodeHasher)
    const answer = await appendIfHead(db, entries, stale)
    expect(answer).toEqual({ appended: false, head })
    expect((await appendIfHead(db, [], null)).head).toEqual(head)
  })

  it('refuses entries that do not continue the chain at the expected head', async () => {
    const { db } = world.services
    const head = (await appendIfHead(db, [], null)).head
    const skipping = await chainEntries({ seq: head.seq + 1, hash: head.hash }, [content(head.seq + 2)], nodeHasher)
    await expect(appendIfHead(db, skipping, head)).rejects.toThrow(/do not continue the chain/)
    expect((await appendIfHead(db, [], null)).head).toEqual(head)
    expect(await verify(world)).toMatchObject({ ok: true })
  })

  it('keeps one chain when writers share a head hint, as the per-request writers of one Worker isolate do', async () => {
    const hint = {}
    const writers = [0, 1, 2].map(() => new AuditWriter(world.services.db, nodeHasher, hint))
    await Promise.all(Array.from({ length: 45 }, (_, i) => writers[i % 3]!.append(ctx(i), { action: 'test.isolate' })))
    expect(hint).toMatchObject({ head: { seq: expect.any(Number) } })
    expect(await verify(world)).toMatchObject({ ok: true })
  })

  it('keeps one chain while change transactions append beside the group commit', async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? world.services.db.transaction((tx) => recordEvent(tx, ctx(i), { action: 'test.change' }, nodeHasher))
          : world.services.audit.append(ctx(i), { action: 'test.read' }),
      ),
    )
    expect(await verify(world)).toMatchObject({ ok: true })
  })

  it.runIf(testDriver === 'postgres')('keeps one chain when two gateway instances append to one PostgreSQL', async () => {
    const other = createPostgresDb({ connectionString: world.database.url! })
    try {
      const writerB = new AuditWriter(other, nodeHasher)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          i % 2 ? world.services.audit.append(ctx(i), { action: 'test.a' }) : writerB.append(ctx(i), { action: 'test.b' }),
        ),
      )
      expect(await verify(world)).toMatchObject({ ok: true })
    } finally {
      await other.close()
    }
  })
})

describe('GET /v1/audit', () => {
  it('filters by action and actor, newest first, with a cursor', async () => {
    const res = await call(world, 'GET', `/v1/audit?action=client.issued&limit=2`, { token: cast.admin.token })
    expect(res.status, res.text).toBe(200)
    expect(res.body.items).toHaveLength(2)
    expect(res.body.items[0].seq).toBeGreaterThan(res.body.items[1].seq)
    expect(res.body.items.every((e: { content: { action: string } }) => e.content.action === 'client.issued')).toBe(true)
    const next = await call(world, 'GET', `/v1/audit?action=client.issued&limit=2&cursor=${res.body.next_cursor}`, { token: cast.admin.token })
    expect(next.body.items[0].seq).toBeLessThan(res.body.items[1].seq)
    const byActor = await call(world, 'GET', `/v1/audit?actor=${cast.admin.clientId}&decision=denied`, { token: cast.admin.token })
    expect(byActor.body.items).toEqual([])
  })

  it('shows a department only the entries about its own datasets (who read my data)', async () => {
    const own = await registerDataset(world, cast.deptA.publisher)
    const ctxFor = { requestId: 'v', actor: null, sourceIp: null, at: new Date() }
    await world.services.audit.append(ctxFor, { action: 'test.read', datasetId: own.id })
    await world.services.audit.append(ctxFor, { action: 'test.read', datasetId: 'ds_of_someone_else' })
    const res = await call(world, 'GET', '/v1/audit?limit=200', { token: cast.deptA.approver.token })
    expect(res.status, res.text).toBe(200)
    const datasets = new Set(res.body.items.map((e: { content: { dataset_id: string | null } }) => e.content.dataset_id))
    expect([...datasets]).toEqual([own.id])
    const other = await call(world, 'GET', '/v1/audit?limit=200', { token: cast.deptB.consumer.token })
    expect(other.status).toBe(403)
  })

  it('is for auditors and admins, and departments for their own datasets', async () => {
    expect((await call(world, 'GET', '/v1/audit', { token: cast.deptA.consumer.token })).status).toBe(403)
    await expectStandardSecurity(world, cast, { method: 'GET', path: '/v1/audit', role: 'auditor', orgId: cast.admin.orgId })
  })
})

describe('export, checkpoints and proofs', () => {
  it('signs the same root whatever the page size it folds the log in', async () => {
    const { createCheckpoint } = await import('../../src/audit/service.js')
    const { entryLeafHashes } = await import('../../src/audit/chain.js')
    const { merkleRoot } = await import('../../src/audit/merkle.js')
    const { toHex } = await import('../../src/audit/bytes.js')
    const w = await createTestWorld()
    try {
      for (let i = 0; i < 23; i++) await w.services.audit.append(ctx(i), { action: 'test.page', details: { i } })
      const { rows } = await w.services.db.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq')
      const expected = toHex(await merkleRoot(await entryLeafHashes(rows.map((r) => r.hash), nodeHasher), nodeHasher))
      const paged = await createCheckpoint(w.services, 4)
      expect(paged).toMatchObject({ size: rows.length, root_hash: expected, chain_head: rows.at(-1)!.hash })
      // Unchanged log: the same checkpoint, whatever the page size.
      expect((await createCheckpoint(w.services, 1000)).jws).toBe(paged.jws)
    } finally {
      await w.close()
    }
  })

  it('answers proofs from ranges folded a page at a time, equal to the whole tree’s', async () => {
    const { PagedSubtreeHasher } = await import('../../src/audit/service.js')
    const { entryLeafHashes } = await import('../../src/audit/chain.js')
    const { MemorySubtreeHasher, inclusionProof, consistencyProof } = await import('../../src/audit/merkle.js')
    const { toHex } = await import('../../src/audit/bytes.js')
    const w = await createTestWorld()
    try {
      for (let i = 0; i < 21; i++) await w.services.audit.append(ctx(i), { action: 'test.page', details: { i } })
      const { rows } = await w.services.db.query<{ hash: string }>('SELECT hash FROM audit_log ORDER BY seq')
      const size = rows.length
      const whole = await MemorySubtreeHasher.build(await entryLeafHashes(rows.map((r) => r.hash), nodeHasher), nodeHasher)
      const paged = new PagedSubtreeHasher(w.services.db, nodeHasher, size, 4)
      const hex = (proof: Uint8Array[]) => proof.map(toHex)
      for (const [start, end] of [[0, size], [0, 1], [3, 4], [4, 8], [5, 19], [size - 1, size], [7, 7]] as const) {
        expect(toHex(await paged.range(start, end)), `[${start}, ${end})`).toBe(toHex(await whole.range(start, end)))
      }
      // Leaves and sizes on both sides of page and subtree boundaries.
      for (const index of [0, 1, 3, 4, 7, 8, 12, size - 2, size - 1]) {
        expect(hex(await inclusionProof(index, size, paged)), `leaf ${index}`).toEqual(hex(await inclusionProof(index, size, whole)))
      }
      for (const m of [1, 2, 4, 5, 8, 13, 16, size - 1]) expect(hex(await consistencyProof(m, size, paged)), `from ${m}`).toEqual(hex(await consistencyProof(m, size, whole)))
      await expect(paged.range(3, size + 1)).rejects.toThrow(RangeError)
    } finally {
      await w.close()
    }
  })

  it('exports NDJSON that verifies offline', async () => {
    const res = await world.app.request('/v1/audit/export', { headers: { authorization: `Bearer ${cast.admin.token}` } })
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = (await res.text()).trim().split('\n')
    const result = await verifyChain(lines.map(parseExportLine))
    expect(result).toMatchObject({ ok: true, size: lines.length })
  })

  it('signs checkpoints verifiable with the JWKS; inclusion and consistency proofs verify, tampered ones fail', async () => {
    const jwks = (await call(world, 'GET', '/.well-known/jwks.json')).body
    const first = await call(world, 'POST', '/v1/audit/checkpoints', { token: cast.admin.token })
    expect(first.status, first.text).toBe(201)
    const verified = await verifyCheckpoint(first.body.jws, jwks)
    expect(verified.head).toMatchObject({ size: first.body.size, root_hash: first.body.root_hash })

    await world.services.audit.append(ctx(1), { action: 'test.more' })
    const second = (await call(world, 'POST', '/v1/audit/checkpoints', { token: cast.admin.token })).body
    expect(second.size).toBe(first.body.size + 1)

    const proof = await call(world, 'GET', `/v1/audit/entries/3/proof?size=${first.body.size}`, { token: cast.deptA.consumer.token })
    expect(proof.status).toBe(403)
    const ok = (await call(world, 'GET', `/v1/audit/entries/3/proof?size=${first.body.size}`, { token: cast.admin.token })).body
    const path = ok.proof.map((h: string) => fromHex(h))
    expect(await verifyInclusion(fromHex(ok.leaf_hash), 2, first.body.size, path, fromHex(first.body.root_hash))).toBe(true)
    const tampered = [...path]
    tampered[0] = fromHex('00'.repeat(32))
    expect(await verifyInclusion(fromHex(ok.leaf_hash), 2, first.body.size, tampered, fromHex(first.body.root_hash))).toBe(false)

    const consistency = (await call(world, 'GET', `/v1/audit/consistency?from=${first.body.size}&to=${second.size}`, { token: cast.deptB.consumer.token })).body
    const cproof = consistency.proof.map((h: string) => fromHex(h))
    expect(await verifyConsistency(first.body.size, second.size, fromHex(first.body.root_hash), fromHex(second.root_hash), cproof)).toBe(true)
    expect(await verifyConsistency(first.body.size, second.size, fromHex(second.root_hash), fromHex(second.root_hash), cproof)).toBe(false)

    const newer = await call(world, 'GET', `/v1/audit/entries/${second.size + 5}/proof`, { token: cast.admin.token })
    expect(newer.status).toBe(404)
  })
})

describe('tampering is detected and located', () => {
  let victim: TestWorld | undefined
  afterEach(async () => {
    await victim?.close()
    victim = undefined
  })

  async function chainOf(n: number) {
    victim = await createTestWorld()
    for (let i = 0; i < n; i++) await victim.services.audit.append(ctx(i), { action: 'test.entry', details: { i } })
    return victim
  }
  const verdict = async (w: TestWorld) => (await import('../../src/audit/service.js')).verifyLog(w.services.db, w.services.hasher)

  it('an edited entry', async () => {
    const w = await chainOf(8)
    await w.services.db.query(`UPDATE audit_log SET content = jsonb_set(content, '{action}', '"test.forged"') WHERE seq = 5`)
    expect((await verdict(w)).result).toMatchObject({ ok: false, seq: 5, problem: 'altered' })
  })

  it('a deleted entry', async () => {
    const w = await chainOf(8)
    await w.services.db.query('DELETE FROM audit_log WHERE seq = 4')
    expect((await verdict(w)).result).toMatchObject({ ok: false, seq: 4, problem: 'missing' })
  })

  it('swapped entries', async () => {
    const w = await chainOf(8)
    await w.services.db.transaction(async (tx) => {
      await tx.query('UPDATE audit_log SET seq = -6 WHERE seq = 6')
      await tx.query('UPDATE audit_log SET seq = 6 WHERE seq = 7')
      await tx.query('UPDATE audit_log SET seq = 7 WHERE seq = -6')
    })
    expect((await verdict(w)).result).toMatchObject({ ok: false, seq: 6 })
  })

  it('an inserted entry', async () => {
    const w = await chainOf(8)
    // A forger appends a well-formed entry in the middle: shift the tail and chain the forgery on seq 3.
    const prev = (await w.services.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = 3')).rows[0]!.hash
    const original = (await w.services.db.query<{ content: AuditEntryContent }>('SELECT content FROM audit_log WHERE seq = 4')).rows[0]!.content
    const [forged] = await chainEntries({ seq: 3, hash: prev }, [{ ...original, action: 'test.forged' }])
    await w.services.db.transaction(async (tx) => {
      await tx.query('UPDATE audit_log SET seq = -seq WHERE seq >= 4')
      await tx.query('UPDATE audit_log SET seq = -seq + 1 WHERE seq <= -4')
      await tx.query('INSERT INTO audit_log (seq, at, action, content, prev_hash, hash) VALUES (4, now(), $1, $2, $3, $4)', [
        'test.forged',
        JSON.stringify(forged!.content),
        forged!.prev_hash,
        forged!.hash,
      ])
    })
    expect((await verdict(w)).result).toMatchObject({ ok: false, seq: 4, problem: 'inserted' })
  })

  it('history rewritten with every hash recomputed, after a checkpoint', async () => {
    const w = await chainOf(6)
    const checkpoint = await (await import('../../src/audit/service.js')).createCheckpoint(w.services)
    const { rows } = await w.services.db.query<{ content: AuditEntryContent }>('SELECT content FROM audit_log ORDER BY seq')
    const rewritten = await chainEntries(GENESIS, rows.map((r, i) => (i === 2 ? { ...r.content, action: 'test.rewritten' } : r.content)), nodeHasher)
    await w.services.db.transaction(async (tx) => {
      await tx.query('DELETE FROM audit_log')
      for (const e of rewritten) {
        await tx.query('INSERT INTO audit_log (seq, at, action, content, prev_hash, hash) VALUES ($1, now(), $2, $3, $4, $5)', [e.content.seq, e.content.action, JSON.stringify(e.content), e.prev_hash, e.hash])
      }
    })
    const result = (await verdict(w)).result
    expect(result, `checkpoint ${checkpoint.size}: ${JSON.stringify(result)}`).toMatchObject({ ok: false, problem: 'checkpoint_mismatch' })
  })
})
