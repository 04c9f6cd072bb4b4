/**
 * Verifying the audit chain: a streaming pass over the entries in seq order, in constant memory,
 * that either vouches for the whole log or names the first entry that is wrong and how.
 *
 * Every stored entry carries its own `prev_hash`, which separates two questions:
 * - is the entry intact? its hash equals SHA-256 of its own `prev_hash` and content;
 * - is it linked? its `prev_hash` equals the hash of the entry before it.
 * Intactness needs no neighbour, so a whole batch is hashed at once; links are string compares.
 * The first failure is classified (see docs/audit-algorithm.md, "Verifying the chain"):
 *
 * - `missing`     a seq is skipped (reported: the first skipped seq);
 * - `reordered`   a seq lower than its predecessor's, or a gap filled by the very next entry
 *                 (two entries swapped; reported: the first seq out of place);
 * - `inserted`    two entries claim the same seq, or the same predecessor: an entry spliced into the
 *                 chain, whose neighbours still link past it (reported: the spliced entry's seq);
 * - `altered`     an entry that is not intact, or one rewritten and rehashed, which its successor
 *                 still contradicts by linking to its original hash (reported: that entry's seq);
 * - `bad_genesis` an intact first entry whose `prev_hash` is not the genesis hash;
 * - `checkpoint_mismatch`  the log verifies, but its chain head or Merkle root at the checkpoint's
 *                 size is not the signed one: history up to that size was rewritten wholesale.
 */
import { isSha256Hex, toHex } from './bytes'
import { canonicalJson } from './canonical'
import { GENESIS, GENESIS_HASH, entryLeafHashes, intactEntries, seqOf } from './chain'
import type { ChainHead, StoredEntry, UnverifiedEntry } from './chain'
import type { TreeHead } from './checkpoint'
import { webCryptoHasher } from './hasher'
import type { Hasher } from './hasher'
import { MerkleFrontier } from './merkle'

export type ChainProblem = 'altered' | 'missing' | 'reordered' | 'inserted' | 'bad_genesis' | 'checkpoint_mismatch'

export interface ChainFailure {
  ok: false
  /** Where the log first goes wrong. */
  seq: number
  problem: ChainProblem
  /** A sentence for the auditor. */
  detail: string
}

export type ChainVerification = { ok: true; size: number; head: string } | ChainFailure

export interface VerifyChainOptions {
  /** Defaults to WebCrypto; pass `nodeHasher` on Node for several times the speed. */
  hasher?: Hasher
  /** A trusted head to continue from, to verify only entries after it. Defaults to genesis. */
  from?: ChainHead
  /**
   * A verified checkpoint to hold the log to: the entry at its size must have its chain head, and
   * the Merkle root over the entries up to it must be its root. Needs `from` to be genesis.
   */
  checkpoint?: TreeHead
  /** Entries hashed per hasher call. */
  batchSize?: number
}

const DEFAULT_BATCH_SIZE = 1024

/**
 * Verifies entries given in seq order (from storage, or parsed from an export), continuing from
 * `from`. On success: the size (last seq) and head hash of the verified log.
 */
export async function verifyChain(
  entries: AsyncIterable<UnverifiedEntry> | Iterable<UnverifiedEntry>,
  { hasher = webCryptoHasher, from = GENESIS, checkpoint, batchSize = DEFAULT_BATCH_SIZE }: VerifyChainOptions = {},
): Promise<ChainVerification> {
  if (!Number.isSafeInteger(from.seq) || from.seq < 0 || !isSha256Hex(from.hash) || (from.seq === 0 && from.hash !== GENESIS_HASH)) {
    throw new RangeError(`not a chain head: ${JSON.stringify(from)}`)
  }
  if (checkpoint !== undefined && from.seq !== 0) throw new RangeError('a checkpoint can only be checked from genesis')
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`)

  const walk = new ChainWalk(from)
  const signed = checkpoint === undefined ? undefined : new CheckpointMatch(checkpoint, hasher)
  const emptyMismatch = await signed?.extend([])
  if (emptyMismatch !== undefined) return emptyMismatch
  for await (const { batch, next } of lookaheadBatches(entries, batchSize)) {
    const intact = await intactEntries(batch, hasher)
    const linked: string[] = []
    let failure: ChainFailure | undefined
    for (const [index, entry] of batch.entries()) {
      failure = walk.step(entry, intact[index] === true, batch[index + 1] ?? next)
      if (failure !== undefined) break
      linked.push(entry.hash)
    }
    // The checkpoint covers entries before any later failure, so its verdict comes first.
    const mismatch = await signed?.extend(linked)
    if (mismatch !== undefined) return mismatch
    if (failure !== undefined) return failure
  }
  const head = walk.head
  if (checkpoint !== undefined && head.seq < checkpoint.size) {
    return failed('missing', head.seq + 1, `the log ends at seq ${head.seq} but the checkpoint covers ${checkpoint.size} entries`)
  }
  return { ok: true, size: head.seq, head: head.hash }
}

/** One line of the NDJSON export (without its newline): the canonical JSON of {content, hash, prev_hash}. */
export function exportLine(entry: StoredEntry): string {
  return canonicalJson({ content: entry.content, prev_hash: entry.prev_hash, hash: entry.hash })
}

/**
 * The entry on one line of an NDJSON export. Throws a SyntaxError if the line is not an export
 * line at all; the content itself is left for `verifyChain` to judge.
 */
export function parseExportLine(line: string): UnverifiedEntry {
  const value: unknown = JSON.parse(line)
  if (typeof value === 'object' && value !== null && 'content' in value && 'prev_hash' in value && 'hash' in value) {
    const { content, prev_hash, hash } = value
    if (typeof content === 'object' && content !== null && typeof prev_hash === 'string' && typeof hash === 'string') {
      return { content, prev_hash, hash }
    }
  }
  throw new SyntaxError('not an audit export line: expected {"content": {…}, "hash": "…", "prev_hash": "…"}')
}

interface Link {
  seq: number
  hash: string
}

/** The chain as walked so far: the last two accepted links, which is all classification needs. */
class ChainWalk {
  readonly #anchor: Link
  #last: Link
  #beforeLast: Link | undefined

  constructor(anchor: ChainHead) {
    this.#anchor = { seq: anchor.seq, hash: anchor.hash }
    this.#last = this.#anchor
  }

  get head(): ChainHead {
    return this.#last
  }

  /**
   * Accepts `entry` as the next link, or describes the first thing wrong at this point. `intact`
   * says whether its hash matches its own content and `prev_hash`; `next`, the entry after it,
   * tells an entry spliced in from one rewritten.
   */
  step(entry: UnverifiedEntry, intact: boolean, next: UnverifiedEntry | undefined): ChainFailure | undefined {
    const last = this.#last
    const expected = last.seq + 1
    const seq = seqOf(entry.content)
    if (seq === undefined) return failed('altered', expected, `the entry after seq ${last.seq} has no valid seq`)
    if (seq === last.seq && last !== this.#anchor) return failed('inserted', seq, `a second entry claims seq ${seq}`)
    if (seq < expected) return failed('reordered', seq, `seq ${seq} comes after seq ${last.seq}`)
    if (seq > expected) return gapFailure(expected, seq, next)

    if (entry.prev_hash !== last.hash) return this.#brokenLink(entry, seq, intact, next)
    if (!intact) return failed('altered', seq, `entry ${seq} does not match its hash`)
    this.#beforeLast = last
    this.#last = { seq, hash: entry.hash }
    return undefined
  }

  #brokenLink(entry: UnverifiedEntry, seq: number, intact: boolean, next: UnverifiedEntry | undefined): ChainFailure {
    const last = this.#last
    if (this.#beforeLast !== undefined && entry.prev_hash === this.#beforeLast.hash) {
      return failed('inserted', last.seq, `entry ${last.seq} was spliced in: entry ${seq} links past it to entry ${this.#beforeLast.seq}`)
    }
    if (!intact) return failed('altered', seq, `entry ${seq} does not match its hash`)
    if (last === this.#anchor) {
      return last.seq === 0
        ? failed('bad_genesis', seq, `the first entry does not start from the genesis hash`)
        : failed('altered', seq, `entry ${seq} does not link to the trusted head at seq ${last.seq}`)
    }
    if (next?.prev_hash === last.hash) {
      return failed('inserted', seq, `entry ${seq} was spliced in: the entry after it links to entry ${last.seq}`)
    }
    if (next !== undefined && next.prev_hash !== entry.hash) {
      return failed('altered', seq, `entry ${seq} was rewritten: neither neighbour links to its hash`)
    }
    return failed('altered', last.seq, `entry ${last.seq} was rewritten and rehashed: entry ${seq} links to a different hash`)
  }
}

/** A seq gap: a swap when the very next entry fills it, else entries are missing. */
function gapFailure(expected: number, seq: number, next: UnverifiedEntry | undefined): ChainFailure {
  const nextSeq = next === undefined ? undefined : seqOf(next.content)
  if (nextSeq !== undefined && nextSeq >= expected && nextSeq < seq) {
    return failed('reordered', expected, `seq ${seq} comes before seq ${nextSeq}`)
  }
  const missing = seq === expected + 1 ? `seq ${expected} is` : `seqs ${expected} to ${seq - 1} are`
  return failed('missing', expected, `${missing} missing`)
}

/** Holds a verified log to a checkpoint, accumulating the Merkle root in O(log n) memory. */
class CheckpointMatch {
  readonly #checkpoint: TreeHead
  readonly #frontier: MerkleFrontier
  readonly #hasher: Hasher
  #head = GENESIS_HASH
  #settled = false

  constructor(checkpoint: TreeHead, hasher: Hasher) {
    this.#checkpoint = checkpoint
    this.#frontier = new MerkleFrontier(hasher)
    this.#hasher = hasher
  }

  /**
   * Takes the hashes of the next verified entries (none, to start); once the log reaches the
   * checkpoint's size, says whether it matches.
   */
  async extend(entryHashes: readonly string[]): Promise<ChainFailure | undefined> {
    const { size, chain_head, root_hash } = this.#checkpoint
    if (this.#settled) return undefined
    const covered = entryHashes.slice(0, size - this.#frontier.size)
    if (covered.length > 0) {
      await this.#frontier.append(await entryLeafHashes(covered, this.#hasher))
      this.#head = covered.at(-1) ?? this.#head
    }
    if (this.#frontier.size < size) return undefined
    this.#settled = true
    if (this.#head !== chain_head) {
      return failed(
        'checkpoint_mismatch',
        size,
        `entry ${size} is not the chain head the checkpoint signed: the log up to it was rewritten`,
      )
    }
    if (toHex(await this.#frontier.root()) !== root_hash) {
      return failed('checkpoint_mismatch', size, `the Merkle root over entries 1 to ${size} is not the one the checkpoint signed`)
    }
    return undefined
  }
}

/** Entries in batches, each with the entry that follows it, so the last of a batch has a successor to compare. */
async function* lookaheadBatches(
  entries: AsyncIterable<UnverifiedEntry> | Iterable<UnverifiedEntry>,
  batchSize: number,
): AsyncGenerator<{ batch: UnverifiedEntry[]; next: UnverifiedEntry | undefined }> {
  let batch: UnverifiedEntry[] = []
  for await (const entry of entries) {
    if (batch.length === batchSize) {
      yield { batch, next: entry }
      batch = []
    }
    batch.push(entry)
  }
  if (batch.length > 0) yield { batch, next: undefined }
}

function failed(problem: ChainProblem, seq: number, detail: string): ChainFailure {
  return { ok: false, seq, problem, detail }
}
