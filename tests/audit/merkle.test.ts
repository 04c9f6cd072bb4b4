import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/audit/bytes'
import type { Bytes } from '../../src/audit/bytes'
import { webCryptoHasher } from '../../src/audit/hasher'
import type { Hasher } from '../../src/audit/hasher'
import { nodeHasher } from '../../src/audit/hasher-node'
import {
  MemorySubtreeHasher,
  MerkleFrontier,
  consistencyProof,
  inclusionProof,
  leafHashes,
  merkleRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/audit/merkle'
import { referenceConsistency, referencePath, referenceRoot, sha256 } from './rfc9162-reference'

const MAX_SIZE = 64
/** Leaf inputs of varying length, like distinct entries. */
const LEAVES = Array.from({ length: MAX_SIZE }, (_, index) => new TextEncoder().encode(`leaf ${index} ${'x'.repeat(index % 7)}`))
const REFERENCE_ROOTS = Array.from({ length: MAX_SIZE + 1 }, (_, size) => referenceRoot(LEAVES.slice(0, size)))

const hex = (hashes: readonly Uint8Array[]) => hashes.map(toHex)

function flipped(hash: Uint8Array, bit = 0): Bytes {
  const copy = new Uint8Array(hash)
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7))
  return copy
}

/** Every proof with exactly one element changed, one dropped, or one added. */
function tamperings(proof: readonly Uint8Array[]): Uint8Array[][] {
  const changed = proof.map((_, index) => proof.map((hash, at) => (at === index ? flipped(hash, index * 37) : hash)))
  const dropped = proof.map((_, index) => proof.filter((__, at) => at !== index))
  const added = [
    [...proof, sha256()],
    [sha256(), ...proof],
  ]
  return [...changed, ...dropped, ...added]
}

async function setup(hasher: Hasher) {
  const hashes = await leafHashes(LEAVES, hasher)
  const tree = await MemorySubtreeHasher.build(hashes, hasher)
  return { hashes, tree }
}

describe.each<[string, Hasher]>([
  ['WebCrypto', webCryptoHasher],
  ['Node', nodeHasher],
])('Merkle tree (%s hasher) against the RFC 9162 reference', (_, hasher) => {
  it('hashes leaves as SHA-256(0x00 || leaf)', async () => {
    const hashes = await leafHashes(LEAVES.slice(0, 3), hasher)
    expect(hex(hashes)).toEqual(LEAVES.slice(0, 3).map((leaf) => toHex(sha256(Uint8Array.of(0), leaf))))
  })

  it('computes the root of every size from 0 to 64, at once, incrementally and by range', async () => {
    const { hashes, tree } = await setup(hasher)
    const frontier = new MerkleFrontier(hasher)
    for (let size = 0; size <= MAX_SIZE; size++) {
      const expected = toHex(REFERENCE_ROOTS[size] as Uint8Array)
      expect(toHex(await merkleRoot(hashes.slice(0, size), hasher)), `merkleRoot, size ${size}`).toBe(expected)
      expect(toHex(await tree.range(0, size)), `range(0, ${size})`).toBe(expected)
      expect(frontier.size).toBe(size)
      expect(toHex(await frontier.root()), `frontier, size ${size}`).toBe(expected)
      if (size < MAX_SIZE) await frontier.append(hashes.slice(size, size + 1))
    }
  })

  it('gives the same root whichever batches the leaves are appended in', async () => {
    const { hashes } = await setup(hasher)
    for (const batch of [2, 3, 5, 8, 13, 64]) {
      const frontier = new MerkleFrontier(hasher)
      for (let start = 0; start < MAX_SIZE; start += batch) {
        await frontier.append(hashes.slice(start, start + batch))
        const size = Math.min(start + batch, MAX_SIZE)
        expect(toHex(await frontier.root()), `batches of ${batch}, size ${size}`).toBe(toHex(REFERENCE_ROOTS[size] as Uint8Array))
      }
    }
  })

  it('hashes any range of leaves as the MTH of that range', async () => {
    const { tree } = await setup(hasher)
    for (let start = 0; start <= 20; start++) {
      for (let end = start; end <= 20; end++) {
        expect(toHex(await tree.range(start, end)), `[${start}, ${end})`).toBe(toHex(referenceRoot(LEAVES.slice(start, end))))
      }
    }
  })

  it('builds and verifies the inclusion proof of every leaf in every tree up to 64 leaves', async () => {
    const { hashes, tree } = await setup(hasher)
    for (let size = 1; size <= MAX_SIZE; size++) {
      const root = REFERENCE_ROOTS[size] as Uint8Array
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(index, size, tree)
        expect(hex(proof), `PATH(${index}, D[${size}])`).toEqual(hex(referencePath(index, LEAVES.slice(0, size))))
        expect(await verifyInclusion(hashes[index] as Uint8Array, index, size, proof, root, hasher), `leaf ${index} of ${size}`).toBe(true)
      }
    }
  })

  it('builds and verifies the consistency proof for every m <= n <= 64', async () => {
    const { tree } = await setup(hasher)
    for (let n = 1; n <= MAX_SIZE; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = await consistencyProof(m, n, tree)
        const expected = m === 0 || m === n ? [] : referenceConsistency(m, LEAVES.slice(0, n))
        expect(hex(proof), `PROOF(${m}, D[${n}])`).toEqual(hex(expected))
        const valid = await verifyConsistency(m, n, REFERENCE_ROOTS[m] as Uint8Array, REFERENCE_ROOTS[n] as Uint8Array, proof, hasher)
        expect(valid, `consistency ${m} -> ${n}`).toBe(true)
      }
    }
  })
})

describe('Merkle proofs that must fail', () => {
  const hasher = nodeHasher

  it('rejects every tampered, truncated or padded inclusion proof, a wrong leaf, index or size', async () => {
    const { hashes, tree } = await setup(hasher)
    for (let size = 1; size <= MAX_SIZE; size++) {
      const root = REFERENCE_ROOTS[size] as Uint8Array
      for (let index = 0; index < size; index++) {
        const leaf = hashes[index] as Uint8Array
        const proof = await inclusionProof(index, size, tree)
        const where = `leaf ${index} of ${size}`
        for (const tampered of tamperings(proof)) {
          expect(await verifyInclusion(leaf, index, size, tampered, root, hasher), `${where}, tampered proof`).toBe(false)
        }
        expect(await verifyInclusion(flipped(leaf), index, size, proof, root, hasher), `${where}, wrong leaf`).toBe(false)
        expect(await verifyInclusion(leaf, index, size, proof, flipped(root), hasher), `${where}, wrong root`).toBe(false)
        for (let other = 0; other <= size; other++) {
          if (other === index) continue
          expect(await verifyInclusion(leaf, other, size, proof, root, hasher), `${where}, claimed index ${other}`).toBe(false)
        }
        // A size is only ever claimed together with the root signed for it.
        for (const other of [size - 1, size + 1, 2 * size]) {
          if (other < 1 || other > MAX_SIZE) continue
          const otherRoot = REFERENCE_ROOTS[other] as Uint8Array
          expect(await verifyInclusion(leaf, index, other, proof, otherRoot, hasher), `${where}, claimed size ${other}`).toBe(false)
        }
      }
    }
  })

  it('rejects every tampered, truncated or padded consistency proof, wrong roots and wrong sizes', async () => {
    const { tree } = await setup(hasher)
    for (let n = 2; n <= MAX_SIZE; n++) {
      for (let m = 1; m < n; m++) {
        const rootM = REFERENCE_ROOTS[m] as Uint8Array
        const rootN = REFERENCE_ROOTS[n] as Uint8Array
        const proof = await consistencyProof(m, n, tree)
        const where = `${m} -> ${n}`
        for (const tampered of tamperings(proof)) {
          expect(await verifyConsistency(m, n, rootM, rootN, tampered, hasher), `${where}, tampered proof`).toBe(false)
        }
        expect(await verifyConsistency(m, n, flipped(rootM), rootN, proof, hasher), `${where}, wrong old root`).toBe(false)
        expect(await verifyConsistency(m, n, rootM, flipped(rootN), proof, hasher), `${where}, wrong new root`).toBe(false)
        expect(await verifyConsistency(m, n, rootN, rootM, proof, hasher), `${where}, roots swapped`).toBe(false)
        for (const [otherM, otherN] of [
          [m - 1, n],
          [m + 1, n],
          [m, n - 1],
          [m, n + 1],
        ] as const) {
          if (otherM < 1 || otherN > MAX_SIZE || otherM >= otherN) continue
          const claimed = `${where}, claimed as ${otherM} -> ${otherN}`
          const valid = await verifyConsistency(
            otherM,
            otherN,
            REFERENCE_ROOTS[otherM] as Uint8Array,
            REFERENCE_ROOTS[otherN] as Uint8Array,
            proof,
            hasher,
          )
          expect(valid, claimed).toBe(false)
        }
      }
    }
  })

  it('does not stretch a proof over a bigger tree than it reaches, even paired with the real root', async () => {
    // Proofs bind to roots, and a checkpoint signs size and root together; but a size that the
    // proof's path cannot reach (beyond the next power of two) must fail on the final "sn is 0".
    const { hashes, tree } = await setup(hasher)
    const nextPowerOfTwo = (size: number) => 2 ** Math.ceil(Math.log2(size))
    for (let n = 1; n <= 32; n++) {
      const rootN = REFERENCE_ROOTS[n] as Uint8Array
      for (let claimed = nextPowerOfTwo(n) + 1; claimed <= MAX_SIZE; claimed++) {
        for (let index = 0; index < n; index++) {
          const proof = await inclusionProof(index, n, tree)
          const valid = await verifyInclusion(hashes[index] as Uint8Array, index, claimed, proof, rootN, hasher)
          expect(valid, `leaf ${index} of ${n} claimed in ${claimed}`).toBe(false)
        }
        for (let m = 1; m < n; m++) {
          const proof = await consistencyProof(m, n, tree)
          const valid = await verifyConsistency(m, claimed, REFERENCE_ROOTS[m] as Uint8Array, rootN, proof, hasher)
          expect(valid, `${m} -> ${n} claimed as ${m} -> ${claimed}`).toBe(false)
        }
      }
    }
  })

  it('treats the edges RFC 9162 leaves open strictly', async () => {
    const root = REFERENCE_ROOTS[5] as Uint8Array
    const empty = REFERENCE_ROOTS[0] as Uint8Array
    expect(toHex(empty)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(await verifyConsistency(5, 5, root, root, [], hasher)).toBe(true)
    expect(await verifyConsistency(5, 5, root, flipped(root), [], hasher)).toBe(false)
    expect(await verifyConsistency(5, 5, root, root, [root], hasher)).toBe(false)
    expect(await verifyConsistency(0, 5, empty, root, [], hasher)).toBe(true)
    expect(await verifyConsistency(0, 5, root, root, [], hasher)).toBe(false)
    expect(await verifyConsistency(0, 5, empty, root, [root], hasher)).toBe(false)
    expect(await verifyConsistency(6, 5, root, root, [], hasher)).toBe(false)
    expect(await verifyConsistency(-1, 5, empty, root, [], hasher)).toBe(false)
    expect(await verifyConsistency(1.5, 5, empty, root, [], hasher)).toBe(false)
    expect(await verifyConsistency(2, 5, root.subarray(1), root, [root], hasher)).toBe(false)

    const leaf = sha256(Uint8Array.of(0), LEAVES[0] as Uint8Array)
    const single = REFERENCE_ROOTS[1] as Uint8Array
    expect(await verifyInclusion(leaf, 0, 1, [], single, hasher)).toBe(true)
    expect(await verifyInclusion(leaf, 1, 1, [], single, hasher)).toBe(false)
    expect(await verifyInclusion(leaf, -1, 1, [], single, hasher)).toBe(false)
    expect(await verifyInclusion(leaf, 0, 0, [], single, hasher)).toBe(false)
    expect(await verifyInclusion(leaf.subarray(1), 0, 1, [], single, hasher)).toBe(false)
    expect(await verifyInclusion(leaf, 0, 2, [single.subarray(2)], single, hasher)).toBe(false)
  })

  it('refuses to prove what is not in the tree', async () => {
    const { tree } = await setup(hasher)
    await expect(inclusionProof(5, 5, tree)).rejects.toThrow(RangeError)
    await expect(inclusionProof(-1, 5, tree)).rejects.toThrow(RangeError)
    await expect(inclusionProof(0, 65, tree)).rejects.toThrow(RangeError)
    await expect(consistencyProof(6, 5, tree)).rejects.toThrow(RangeError)
    await expect(consistencyProof(1, 65, tree)).rejects.toThrow(RangeError)
    await expect(tree.range(3, 2)).rejects.toThrow(RangeError)
    await expect(tree.range(0.5, 2)).rejects.toThrow(RangeError)
    await expect(new MerkleFrontier(hasher).append([new Uint8Array(31)])).rejects.toThrow(RangeError)
    await expect(MemorySubtreeHasher.build([new Uint8Array(64)], hasher)).rejects.toThrow(RangeError)
  })

  it('hands out copies, so a caller mutating a proof cannot corrupt the tree', async () => {
    const { tree } = await setup(hasher)
    const proof = await inclusionProof(0, 8, tree)
    const before = toHex(await tree.range(0, 8))
    for (const hash of proof) hash.fill(0)
    expect(toHex(await tree.range(0, 8))).toBe(before)
    expect(hex(await inclusionProof(0, 8, tree))).toEqual(hex(referencePath(0, LEAVES.slice(0, 8))))
  })
})
