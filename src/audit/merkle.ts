/**
 * The RFC 9162 (Certificate Transparency 2.0, same tree as RFC 6962) Merkle tree over the audit
 * log, with SHA-256:
 *
 *   MTH({})      = SHA-256()
 *   MTH({d0})    = SHA-256(0x00 || d0)                                  the leaf hash
 *   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))         k: largest power of two < n
 *
 * Inclusion proofs (§2.1.3) show an entry is in a signed tree; consistency proofs (§2.1.4) show a
 * later signed tree extends an earlier one without rewriting it.
 */
import { equalBytes, fromHex } from './bytes'
import type { Bytes } from './bytes'
import { DIGEST_SIZE, digestOne, webCryptoHasher } from './hasher'
import type { Hasher } from './hasher'

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01
const NODE_MESSAGE_SIZE = 1 + 2 * DIGEST_SIZE
const EMPTY_TREE_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** The hash of the range of leaves [start, end), which proofs are built from. */
export interface SubtreeHasher {
  /**
   * MTH(D[start:end]) for 0 <= start <= end <= the tree's size; the empty range is the empty
   * tree's root. A storage-backed implementation can answer complete power-of-two subtrees from
   * stored hashes, so a proof costs O(log n) lookups instead of rehashing the log.
   */
  range(start: number, end: number): Promise<Bytes>
}

/** The leaf hash of each leaf: SHA-256(0x00 || leaf). */
export async function leafHashes(leaves: readonly Uint8Array[], hasher: Hasher = webCryptoHasher): Promise<Bytes[]> {
  let capacity = 0
  for (const leaf of leaves) capacity += 1 + leaf.length
  const buffer = new Uint8Array(capacity)
  const messages: Bytes[] = []
  let offset = 0
  for (const leaf of leaves) {
    buffer[offset] = LEAF_PREFIX
    buffer.set(leaf, offset + 1)
    messages.push(buffer.subarray(offset, offset + 1 + leaf.length))
    offset += 1 + leaf.length
  }
  return unpacked(await hasher.digestAll(messages))
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export async function nodeHash(left: Uint8Array, right: Uint8Array, hasher: Hasher = webCryptoHasher): Promise<Bytes> {
  const message = new Uint8Array(1 + left.length + right.length)
  message[0] = NODE_PREFIX
  message.set(left, 1)
  message.set(right, 1 + left.length)
  return digestOne(hasher, message)
}

/** MTH over the given leaf hashes. */
export async function merkleRoot(leafHashes: readonly Uint8Array[], hasher: Hasher = webCryptoHasher): Promise<Bytes> {
  const frontier = new MerkleFrontier(hasher)
  await frontier.append(leafHashes)
  return frontier.root()
}

/**
 * The root of a tree that grows by appending, kept in O(log n) memory: for each height h, the
 * root of the complete 2^h-leaf subtree still waiting for its right sibling, present exactly when
 * bit h of the size is set. RFC 9162's root is these subtrees folded from the smallest up.
 * Appended leaves are hashed a level at a time, one hasher call per level.
 */
export class MerkleFrontier {
  readonly #hasher: Hasher
  readonly #waiting: (Bytes | undefined)[] = []
  #size = 0

  constructor(hasher: Hasher = webCryptoHasher) {
    this.#hasher = hasher
  }

  get size(): number {
    return this.#size
  }

  async append(leafHashes: readonly Uint8Array[]): Promise<void> {
    let level = packed(leafHashes)
    for (let height = 0; level.length > 0; height++) {
      const waiting = this.#waiting[height]
      if (waiting !== undefined) {
        level = concatenated(waiting, level)
        this.#waiting[height] = undefined
      }
      if (isOdd(level.length / DIGEST_SIZE)) this.#waiting[height] = level.slice(-DIGEST_SIZE)
      level = await parentLevel(level, this.#hasher)
    }
    this.#size += leafHashes.length
  }

  async root(): Promise<Bytes> {
    let root: Bytes | undefined
    for (const subtree of this.#waiting) {
      if (subtree === undefined) continue
      root = root === undefined ? subtree.slice() : await nodeHash(subtree, root, this.#hasher)
    }
    return root ?? fromHex(EMPTY_TREE_ROOT_HEX)
  }
}

/**
 * An in-memory `SubtreeHasher` that hashes every complete, aligned power-of-two subtree once, a
 * level at a time, and combines at most O(log n) of them for any other range. Holds the whole tree:
 * suited to tests and offline checks of an export; the gateway's proofs fold ranges from the
 * database a page at a time instead (PagedSubtreeHasher in src/audit/service.ts).
 */
export class MemorySubtreeHasher implements SubtreeHasher {
  /** levels[h] holds, back to back, the roots of the complete subtrees of 2^h leaves, left to right. */
  readonly #levels: Bytes[]
  readonly #hasher: Hasher
  readonly size: number

  private constructor(levels: Bytes[], size: number, hasher: Hasher) {
    this.#levels = levels
    this.size = size
    this.#hasher = hasher
  }

  static async build(leafHashes: readonly Uint8Array[], hasher: Hasher = webCryptoHasher): Promise<MemorySubtreeHasher> {
    let level = packed(leafHashes)
    const levels = [level]
    while (level.length > DIGEST_SIZE) {
      level = await parentLevel(level, hasher)
      levels.push(level)
    }
    return new MemorySubtreeHasher(levels, leafHashes.length, hasher)
  }

  async range(start: number, end: number): Promise<Bytes> {
    if (!isTreeSize(start) || !isTreeSize(end) || start > end || end > this.size) {
      throw new RangeError(`no range [${start}, ${end}) in a tree of ${this.size} leaves`)
    }
    return this.#subtree(start, end)
  }

  async #subtree(start: number, end: number): Promise<Bytes> {
    const width = end - start
    if (width === 0) return fromHex(EMPTY_TREE_ROOT_HEX)
    const height = exactLog2(width)
    const level = height === undefined || start % width !== 0 ? undefined : this.#levels[height]
    if (level !== undefined) {
      const offset = (start / width) * DIGEST_SIZE
      return level.slice(offset, offset + DIGEST_SIZE)
    }
    const split = start + largestPowerOfTwoBelow(width)
    const [left, right] = await Promise.all([this.#subtree(start, split), this.#subtree(split, end)])
    return nodeHash(left, right, this.#hasher)
  }
}

/** The audit path of leaf `index` in the tree of the first `size` leaves: RFC 9162 §2.1.3.1 PATH(m, D[n]). */
export async function inclusionProof(index: number, size: number, tree: SubtreeHasher): Promise<Bytes[]> {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) {
    throw new RangeError(`no leaf ${index} in a tree of ${size} leaves`)
  }
  // Walk from the root down to the leaf, noting each sibling subtree; the proof lists them leaf-up.
  const siblings: [number, number][] = []
  let start = 0
  let end = size
  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start)
    if (index < split) {
      siblings.push([split, end])
      end = split
    } else {
      siblings.push([start, split])
      start = split
    }
  }
  return Promise.all(siblings.reverse().map(([from, to]) => tree.range(from, to)))
}

/**
 * The proof that the tree of the first `n` leaves extends the tree of the first `m`:
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]); empty when m is 0 or m equals n.
 */
export async function consistencyProof(m: number, n: number, tree: SubtreeHasher): Promise<Bytes[]> {
  if (!isTreeSize(m) || !isTreeSize(n) || m > n) {
    throw new RangeError(`no consistency proof from size ${m} to size ${n}`)
  }
  if (m === 0 || m === n) return []
  // SUBPROOF(m, D[start:end], b) unrolled from the top; `wholeOldTree` is b.
  const subtrees: [number, number][] = []
  let start = 0
  let end = n
  let wholeOldTree = true
  while (m - start !== end - start) {
    const split = start + largestPowerOfTwoBelow(end - start)
    if (m <= split) {
      subtrees.push([split, end])
      end = split
    } else {
      subtrees.push([start, split])
      start = split
      wholeOldTree = false
    }
  }
  if (!wholeOldTree) subtrees.push([start, end])
  return Promise.all(subtrees.reverse().map(([from, to]) => tree.range(from, to)))
}

/** Whether `proof` shows `leafHash` at `index` in the tree of `size` leaves with `root`: RFC 9162 §2.1.3.2. */
export async function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  hasher: Hasher = webCryptoHasher,
): Promise<boolean> {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) return false
  if (!isHash(leafHash) || !isHash(root) || !proof.every(isHash)) return false
  let fn = index
  let sn = size - 1
  let r: Uint8Array = leafHash
  for (const p of proof) {
    if (sn === 0) return false
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r, hasher)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      r = await nodeHash(r, p, hasher)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && equalBytes(r, root)
}

/**
 * Whether `proof` shows the tree of `n` leaves with `rootN` extends the tree of `m` leaves with
 * `rootM`: RFC 9162 §2.1.4.2 for 0 < m < n. Outside that range the RFC defines no proof: equal
 * sizes need an empty proof and equal roots, and size 0 an empty proof and the empty tree's root.
 */
export async function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
  hasher: Hasher = webCryptoHasher,
): Promise<boolean> {
  if (!isTreeSize(m) || !isTreeSize(n) || m > n) return false
  if (!isHash(rootM) || !isHash(rootN) || !proof.every(isHash)) return false
  if (m === n) return proof.length === 0 && equalBytes(rootM, rootN)
  if (m === 0) return proof.length === 0 && equalBytes(rootM, fromHex(EMPTY_TREE_ROOT_HEX))

  // Steps 1 and 2: an empty proof fails; the old root itself starts the path when m is a power of two.
  const [first, ...rest] = proof.length === 0 ? [] : isPowerOfTwo(m) ? [rootM, ...proof] : proof
  if (first === undefined) return false
  let fn = m - 1
  let sn = n - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = first
  let sr = first
  for (const c of rest) {
    if (sn === 0) return false
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr, hasher)
      sr = await nodeHash(c, sr, hasher)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      sr = await nodeHash(sr, c, hasher)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return equalBytes(fr, rootM) && equalBytes(sr, rootN) && sn === 0
}

/** The parents of consecutive pairs of nodes in a packed level, hashed in one batch; an odd last node has none yet. */
async function parentLevel(level: Bytes, hasher: Hasher): Promise<Bytes> {
  const pairs = half(level.length / DIGEST_SIZE)
  const buffer = new Uint8Array(pairs * NODE_MESSAGE_SIZE)
  const messages: Bytes[] = []
  for (let pair = 0; pair < pairs; pair++) {
    const offset = pair * NODE_MESSAGE_SIZE
    buffer[offset] = NODE_PREFIX
    buffer.set(level.subarray(2 * pair * DIGEST_SIZE, 2 * (pair + 1) * DIGEST_SIZE), offset + 1)
    messages.push(buffer.subarray(offset, offset + NODE_MESSAGE_SIZE))
  }
  return hasher.digestAll(messages)
}

/** Hashes back to back in one buffer: a level of a million nodes is one allocation, not a million. */
function packed(hashes: readonly Uint8Array[]): Bytes {
  const buffer = new Uint8Array(hashes.length * DIGEST_SIZE)
  hashes.forEach((hash, index) => {
    if (hash.length !== DIGEST_SIZE) throw new RangeError(`a hash is ${DIGEST_SIZE} bytes, not ${hash.length}`)
    buffer.set(hash, index * DIGEST_SIZE)
  })
  return buffer
}

function concatenated(first: Uint8Array, second: Uint8Array): Bytes {
  const buffer = new Uint8Array(first.length + second.length)
  buffer.set(first)
  buffer.set(second, first.length)
  return buffer
}

/** Views of each digest in a packed buffer. */
function unpacked(digests: Bytes): Bytes[] {
  return Array.from({ length: digests.length / DIGEST_SIZE }, (_, index) =>
    digests.subarray(index * DIGEST_SIZE, (index + 1) * DIGEST_SIZE),
  )
}

// Tree sizes can pass 2^32, so these use arithmetic rather than 32-bit bitwise operators.
function isTreeSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

function isHash(value: Uint8Array): boolean {
  return value.length === DIGEST_SIZE
}

function isOdd(value: number): boolean {
  return value % 2 === 1
}

function half(value: number): number {
  return Math.floor(value / 2)
}

function isPowerOfTwo(value: number): boolean {
  return exactLog2(value) !== undefined
}

/** h such that 2^h = value, if value is a power of two. */
function exactLog2(value: number): number | undefined {
  let height = 0
  for (let power = 1; power <= value; power *= 2, height++) {
    if (power === value) return height
  }
  return undefined
}

/** The largest power of two strictly below `value` (> 1): where RFC 9162 splits a tree of `value` leaves. */
function largestPowerOfTwoBelow(value: number): number {
  let power = 1
  while (power * 2 < value) power *= 2
  return power
}
