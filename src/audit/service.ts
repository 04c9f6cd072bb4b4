import type { Db } from '../db/db.js'
import { ApiError } from '../http/errors.js'
import type { Services } from '../services.js'
import { toHex } from './bytes.js'
import { entryLeafHashes, GENESIS_HASH, type UnverifiedEntry } from './chain.js'
import { signCheckpoint, type TreeHead } from './checkpoint.js'
import type { Hasher } from './hasher.js'
import { consistencyProof, inclusionProof, MemorySubtreeHasher, MerkleFrontier } from './merkle.js'
import * as repo from './repository.js'
import { verifyChain, type ChainVerification } from './verify.js'

const PAGE = 5_000

/** Every entry in seq order, read a page at a time (constant memory). */
export async function* allEntries(db: Db, afterSeq = 0): AsyncGenerator<repo.AuditRow> {
  let after = afterSeq
  for (;;) {
    const rows = await repo.entriesFrom(db, after, PAGE)
    yield* rows
    if (rows.length < PAGE) return
    after = rows.at(-1)!.seq
  }
}

export interface LogVerification {
  result: ChainVerification
  /** The latest checkpoint the log was held to, if any. */
  checkpoint: { size: number; root_hash: string } | null
}

/** Recomputes the chain and, against the latest checkpoint, the Merkle root; reports the first bad seq. */
export async function verifyLog(db: Db, hasher: Hasher): Promise<LogVerification> {
  const latest = await repo.findCheckpoint(db)
  const checkpoint: TreeHead | undefined = latest
    ? { size: latest.size, root_hash: latest.root_hash, chain_head: latest.chain_head, at: latest.at.toISOString() }
    : undefined
  const entries = (async function* (): AsyncGenerator<UnverifiedEntry> {
    for await (const row of allEntries(db)) yield { content: row.content, prev_hash: row.prev_hash, hash: row.hash }
  })()
  const result = await verifyChain(entries, { hasher, checkpoint })
  return { result, checkpoint: latest ? { size: latest.size, root_hash: latest.root_hash } : null }
}

/** Entry hashes a checkpoint reads per statement while it folds them into the root. */
const CHECKPOINT_PAGE = 10_000

/**
 * Signs the current tree head and stores it. Idempotent for an unchanged log. The root is folded
 * from the entry hashes a page at a time (MerkleFrontier keeps O(log n) subtree roots), so signing
 * needs memory for one page whatever the log's size: it fits a Worker isolate as well as a Node
 * process. Entries become visible in seq order (each append holds the chain lock until it
 * commits), so the pages read a prefix of the log; entries appended meanwhile simply join it.
 */
export async function createCheckpoint(services: Services, pageSize = CHECKPOINT_PAGE): Promise<repo.CheckpointRow> {
  const { db, hasher, keys, clock } = services
  const frontier = new MerkleFrontier(hasher)
  let head = { seq: 0, hash: GENESIS_HASH }
  for (;;) {
    const page = await repo.entryHashesAfter(db, head.seq, pageSize)
    if (page.length > 0) {
      if (page[0]!.seq !== head.seq + 1) throw new Error(`the audit log has a gap after seq ${head.seq}`)
      await frontier.append(await entryLeafHashes(page.map((entry) => entry.hash), hasher))
      head = page.at(-1)!
    }
    if (page.length < pageSize) break
  }
  const size = frontier.size
  const existing = await repo.findCheckpoint(db, size)
  if (existing) return existing
  const root = await frontier.root()
  const tree: TreeHead = { size, root_hash: toHex(root), chain_head: head.hash, at: clock.now().toISOString() }
  const signer = await keys.signingKey(db)
  const jws = await signCheckpoint(tree, { alg: signer.alg, kid: signer.kid, privateKey: signer.privateKey })
  const row: repo.CheckpointRow = { size, root_hash: tree.root_hash, chain_head: tree.chain_head, at: new Date(tree.at), kid: signer.kid, jws }
  await repo.insertCheckpoint(db, row)
  return (await repo.findCheckpoint(db, size)) ?? row
}

async function treeOf(db: Db, size: number, hasher: Hasher) {
  return MemorySubtreeHasher.build(await entryLeafHashes(await repo.entryHashesUpTo(db, size), hasher), hasher)
}

async function checkpointAt(db: Db, size: number | undefined): Promise<repo.CheckpointRow> {
  const checkpoint = await repo.findCheckpoint(db, size)
  if (!checkpoint) throw new ApiError('not_found', size === undefined ? 'no checkpoint has been written yet' : `no checkpoint of size ${size}`)
  return checkpoint
}

/** RFC 9162 inclusion proof of entry `seq` (leaf seq−1) in the tree a checkpoint signs. */
export async function entryProof(services: Services, seq: number, size?: number) {
  const { db, hasher } = services
  const entry = await repo.findEntry(db, seq)
  if (!entry) throw new ApiError('not_found', `no audit entry ${seq}`)
  const checkpoint = await checkpointAt(db, size)
  if (checkpoint.size < seq) {
    throw new ApiError('conflict', `entry ${seq} is newer than checkpoint ${checkpoint.size}: write a checkpoint first (POST /v1/audit/checkpoints)`)
  }
  const [leaf] = await entryLeafHashes([entry.hash], hasher)
  const proof = await inclusionProof(seq - 1, checkpoint.size, await treeOf(db, checkpoint.size, hasher))
  return { entry, leafHash: toHex(leaf!), checkpoint, proof: proof.map(toHex) }
}

/** RFC 9162 consistency proof between two checkpoints. */
export async function checkpointConsistency(services: Services, from: number, to: number) {
  const { db, hasher } = services
  if (from > to) throw new ApiError('validation_failed', 'from must not be larger than to', { errors: [{ path: 'query.from', message: 'larger than to' }] })
  const [older, newer] = [await checkpointAt(db, from), await checkpointAt(db, to)]
  const proof = from === 0 || from === to ? [] : await consistencyProof(from, to, await treeOf(db, to, hasher))
  return { from: older, to: newer, proof: proof.map(toHex) }
}

export { findEntries, listCheckpoints } from './repository.js'
