import type { Db } from '../db/db.js'
import { ApiError } from '../http/errors.js'
import type { Services } from '../services.js'
import { toHex, type Bytes } from './bytes.js'
import { entryLeafHashes, GENESIS_HASH, type UnverifiedEntry } from './chain.js'
import { signCheckpoint, type TreeHead } from './checkpoint.js'
import type { Hasher } from './hasher.js'
import { consistencyProof, inclusionProof, MerkleFrontier, type SubtreeHasher } from './merkle.js'
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

/** Entry hashes read per statement while a checkpoint or a proof folds them. */
const TREE_PAGE = 10_000

/**
 * Folds the leaves of entries `afterSeq`+1 … `afterSeq`+`count` (all later ones when `count` is
 * undefined) into `frontier`, a page at a time, so memory holds one page whatever the log's size.
 * Answers the last entry folded. Entries become visible in seq order (each append holds the chain
 * lock until it commits), so the pages read a run of the log without holes; a gap is corruption.
 */
async function foldEntries(db: Db, hasher: Hasher, frontier: MerkleFrontier, afterSeq: number, count: number | undefined, pageSize: number) {
  let last: { seq: number; hash: string } | undefined
  let next = afterSeq
  for (;;) {
    const want = count === undefined ? pageSize : Math.min(pageSize, afterSeq + count - next)
    if (want === 0) break
    const page = await repo.entryHashesAfter(db, next, want)
    if (page.length > 0) {
      if (page[0]!.seq !== next + 1) throw new Error(`the audit log has a gap after seq ${next}`)
      await frontier.append(await entryLeafHashes(page.map((entry) => entry.hash), hasher))
      last = page.at(-1)!
      next = last.seq
    }
    if (page.length < want) break
  }
  if (count !== undefined && next !== afterSeq + count) throw new Error(`the audit log ends at seq ${next}, before ${afterSeq + count}`)
  return last
}

/**
 * Signs the current tree head and stores it. Idempotent for an unchanged log. The root is folded
 * from the entry hashes a page at a time (MerkleFrontier keeps O(log n) subtree roots), so signing
 * needs memory for one page whatever the log's size: it fits a Worker isolate as well as a Node
 * process. Entries appended while it reads simply join the tree it signs.
 */
export async function createCheckpoint(services: Services, pageSize = TREE_PAGE): Promise<repo.CheckpointRow> {
  const { db, hasher, keys, clock } = services
  const frontier = new MerkleFrontier(hasher)
  const head = (await foldEntries(db, hasher, frontier, 0, undefined, pageSize)) ?? { seq: 0, hash: GENESIS_HASH }
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

/**
 * The tree of the first `size` entries as proofs ask it: each range's hash is folded from its
 * entries a page at a time, in constant memory. A proof asks for O(log n) ranges that do not
 * overlap, so it reads each entry hash at most once, as building the whole tree would, but never
 * holds more than a page of them: proofs over any log size fit a Worker isolate. Ranges are
 * answered one after another, so concurrent asks do not each hold a page.
 */
export class PagedSubtreeHasher implements SubtreeHasher {
  #queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly db: Db,
    private readonly hasher: Hasher,
    readonly size: number,
    private readonly pageSize = TREE_PAGE,
  ) {}

  range(start: number, end: number): Promise<Bytes> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > this.size) {
      return Promise.reject(new RangeError(`no range [${start}, ${end}) in a tree of ${this.size} leaves`))
    }
    const answer = this.#queue.then(async () => {
      const frontier = new MerkleFrontier(this.hasher)
      await foldEntries(this.db, this.hasher, frontier, start, end - start, this.pageSize)
      return frontier.root()
    })
    this.#queue = answer.catch(() => undefined)
    return answer
  }
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
  const proof = await inclusionProof(seq - 1, checkpoint.size, new PagedSubtreeHasher(db, hasher, checkpoint.size))
  return { entry, leafHash: toHex(leaf!), checkpoint, proof: proof.map(toHex) }
}

/** RFC 9162 consistency proof between two checkpoints. */
export async function checkpointConsistency(services: Services, from: number, to: number) {
  const { db, hasher } = services
  if (from > to) throw new ApiError('validation_failed', 'from must not be larger than to', { errors: [{ path: 'query.from', message: 'larger than to' }] })
  const [older, newer] = [await checkpointAt(db, from), await checkpointAt(db, to)]
  const proof = from === 0 || from === to ? [] : await consistencyProof(from, to, new PagedSubtreeHasher(db, hasher, to))
  return { from: older, to: newer, proof: proof.map(toHex) }
}

export { findEntries, listCheckpoints } from './repository.js'
