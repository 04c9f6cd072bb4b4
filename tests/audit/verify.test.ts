import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/audit/bytes'
import { GENESIS, GENESIS_HASH, chainEntries, entryLeafHashes } from '../../src/audit/chain'
import type { StoredEntry, UnverifiedEntry } from '../../src/audit/chain'
import type { TreeHead } from '../../src/audit/checkpoint'
import { webCryptoHasher } from '../../src/audit/hasher'
import { nodeHasher } from '../../src/audit/hasher-node'
import { merkleRoot } from '../../src/audit/merkle'
import { exportLine, parseExportLine, verifyChain } from '../../src/audit/verify'
import type { ChainVerification, VerifyChainOptions } from '../../src/audit/verify'
import { altered, auditChain, auditContent, bySeq, forged, rewritten } from './fixtures'

const SIZE = 10
const chain = await auditChain(SIZE)
const hashOf = (seq: number) => bySeq(chain, seq).hash

async function* streamed(entries: readonly UnverifiedEntry[]): AsyncGenerator<UnverifiedEntry> {
  yield* entries
}

/**
 * The verdict on `entries`, which must be the same whether they arrive as an array or a stream
 * and whatever the batch size: batches of 1 to 3 put every neighbour across a batch boundary.
 */
async function verdict(entries: readonly UnverifiedEntry[], options: VerifyChainOptions = {}): Promise<ChainVerification> {
  const first = await verifyChain(entries, { hasher: nodeHasher, ...options })
  for (const batchSize of [1, 2, 3, 1024]) {
    expect(await verifyChain(entries, { hasher: nodeHasher, batchSize, ...options }), `array, batches of ${batchSize}`).toEqual(first)
    expect(await verifyChain(streamed(entries), { hasher: nodeHasher, batchSize, ...options }), `stream, batches of ${batchSize}`).toEqual(
      first,
    )
  }
  return first
}

async function checkpointFor(entries: readonly StoredEntry[], size: number): Promise<TreeHead> {
  const covered = entries.slice(0, size).map((entry) => entry.hash)
  return {
    size,
    root_hash: toHex(await merkleRoot(await entryLeafHashes(covered, nodeHasher), nodeHasher)),
    at: '2025-06-01T10:00:00.000Z',
    chain_head: covered.at(-1) ?? GENESIS_HASH,
  }
}

/** Entries renumbered from `fromSeq` on (seq + 1), as when an entry is squeezed in before them. */
function renumbered(entries: readonly StoredEntry[], fromSeq: number): StoredEntry[] {
  return entries.map((entry) =>
    entry.content.seq >= fromSeq ? { ...entry, content: { ...entry.content, seq: entry.content.seq + 1 } } : entry,
  )
}

function without(entries: readonly StoredEntry[], ...seqs: number[]): StoredEntry[] {
  return entries.filter((entry) => !seqs.includes(entry.content.seq))
}

function inOrder(...seqs: number[]): StoredEntry[] {
  return seqs.map((seq) => bySeq(chain, seq))
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index)

describe('verifyChain on an intact log', () => {
  it('vouches for the whole log and returns its size and head', async () => {
    expect(await verdict(chain)).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
  })

  it('vouches for an empty log at genesis', async () => {
    expect(await verdict([])).toEqual({ ok: true, size: 0, head: GENESIS_HASH })
  })

  it('gives the same verdict with the WebCrypto hasher', async () => {
    expect(await verifyChain(chain, { hasher: webCryptoHasher })).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
    expect(await verifyChain(altered(chain, 4, { row_count: 1000 }))).toMatchObject({ ok: false, seq: 4, problem: 'altered' })
  })

  it('continues from a trusted head', async () => {
    const from = { seq: 5, hash: hashOf(5) }
    expect(await verdict(chain.slice(5), { from })).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
    expect(await verdict([], { from })).toEqual({ ok: true, size: 5, head: hashOf(5) })
  })
})

describe('verifyChain locates tampering', () => {
  it.each([1, 5, SIZE])('altered: entry %i changed in place', async (seq) => {
    expect(await verdict(altered(chain, seq, { decision: 'denied' }))).toMatchObject({ ok: false, seq, problem: 'altered' })
  })

  it.each([1, 5, SIZE - 1])('altered: entry %i changed and rehashed, its successor still naming the old hash', async (seq) => {
    const result = await verdict(await rewritten(chain, seq, { purpose: 'something else' }))
    expect(result).toEqual({
      ok: false,
      seq,
      problem: 'altered',
      detail: `entry ${seq} was rewritten and rehashed: entry ${seq + 1} links to a different hash`,
    })
  })

  it('altered: an entry whose prev_hash was edited', async () => {
    const entries = chain.map((entry) => (entry.content.seq === 5 ? { ...entry, prev_hash: GENESIS_HASH } : entry))
    expect(await verdict(entries)).toMatchObject({ ok: false, seq: 5, problem: 'altered' })
  })

  it('altered: an entry rewritten with a new prev_hash and rehashed, which neither neighbour links to', async () => {
    const entry = bySeq(chain, 5)
    const replacement = await forged('f'.repeat(64), entry.content)
    const entries = chain.map((candidate) => (candidate === entry ? replacement : candidate))
    expect(await verdict(entries)).toMatchObject({
      ok: false,
      seq: 5,
      problem: 'altered',
      detail: expect.stringContaining('neither neighbour'),
    })
  })

  it('altered: entries with no valid seq or content that has no canonical form', async () => {
    const noSeq = chain.map((entry) => (entry.content.seq === 4 ? { ...entry, content: { ...entry.content, seq: '4' } } : entry))
    expect(await verdict(noSeq)).toMatchObject({ ok: false, seq: 4, problem: 'altered' })
    const notAnObject = chain.map((entry) => (entry.content.seq === 4 ? { ...entry, content: 'entry 4' } : entry))
    expect(await verdict(notAnObject)).toMatchObject({ ok: false, seq: 4, problem: 'altered' })
    // JSON.parse turns 1e400 into Infinity, which has no canonical form.
    const infinite = altered(chain, 4, { details: { page: Number.POSITIVE_INFINITY } })
    expect(await verdict(infinite)).toMatchObject({ ok: false, seq: 4, problem: 'altered' })
  })

  it.each([
    ['a middle entry', [5], 5, 'seq 5 is missing'],
    ['the first entry', [1], 1, 'seq 1 is missing'],
    ['a run of entries', [4, 5, 6], 4, 'seqs 4 to 6 are missing'],
  ])('missing: %s deleted', async (_, deleted, seq, detail) => {
    expect(await verdict(without(chain, ...deleted))).toEqual({ ok: false, seq, problem: 'missing', detail })
  })

  it.each([
    ['two middle entries swapped', inOrder(1, 2, 3, 4, 6, 5, 7, 8, 9, 10), 5],
    ['the first two swapped', inOrder(2, 1, ...range(3, SIZE)), 1],
    ['the last two swapped', inOrder(...range(1, 8), 10, 9), 9],
    ['the whole log reversed', [...chain].reverse(), 1],
    ['an old entry replayed at the end', [...chain, bySeq(chain, 2)], 2],
  ])('reordered: %s', async (_, entries, seq) => {
    expect(await verdict(entries)).toMatchObject({ ok: false, seq, problem: 'reordered' })
  })

  it('missing, not reordered: an entry moved further than its neighbour, as a streaming pass cannot see it coming', async () => {
    expect(await verdict(inOrder(1, 2, 4, 5, 6, 7, 3, 8, 9, 10))).toMatchObject({ ok: false, seq: 3, problem: 'missing' })
  })

  it('inserted: a forged entry claiming the seq of an existing one, on either side of it', async () => {
    const intruder = await forged(hashOf(5), auditContent(6, { action: 'records.delete' }))
    const before = [...inOrder(1, 2, 3, 4, 5), intruder, ...inOrder(...range(6, SIZE))]
    const after = [...inOrder(1, 2, 3, 4, 5, 6), intruder, ...inOrder(...range(7, SIZE))]
    expect(await verdict(before)).toEqual({ ok: false, seq: 6, problem: 'inserted', detail: 'a second entry claims seq 6' })
    expect(await verdict(after)).toMatchObject({ ok: false, seq: 6, problem: 'inserted' })
  })

  it('inserted: a forged entry squeezed in and the later entries renumbered without rehashing', async () => {
    const intruder = await forged(hashOf(5), auditContent(6, { action: 'records.delete' }))
    const entries = [...inOrder(1, 2, 3, 4, 5), intruder, ...renumbered(inOrder(...range(6, SIZE)), 6)]
    expect(await verdict(entries)).toEqual({
      ok: false,
      seq: 6,
      problem: 'inserted',
      detail: 'entry 6 was spliced in: entry 7 links past it to entry 5',
    })
  })

  it('inserted: the same, with the renumbered entries rehashed but still linked as before', async () => {
    const intruder = await forged(hashOf(5), auditContent(6, { action: 'records.delete' }))
    const moved = await Promise.all(renumbered(inOrder(...range(6, SIZE)), 6).map((entry) => forged(entry.prev_hash, entry.content)))
    expect(await verdict([...inOrder(1, 2, 3, 4, 5), intruder, ...moved])).toMatchObject({ ok: false, seq: 6, problem: 'inserted' })
  })

  it('inserted: a self-consistent entry with a made-up link, which the next entry skips', async () => {
    const intruder = await forged('e'.repeat(64), auditContent(6, { action: 'records.delete' }))
    const entries = [...inOrder(1, 2, 3, 4, 5), intruder, ...renumbered(inOrder(...range(6, SIZE)), 6)]
    expect(await verdict(entries)).toEqual({
      ok: false,
      seq: 6,
      problem: 'inserted',
      detail: 'entry 6 was spliced in: the entry after it links to entry 5',
    })
  })

  it('inserted: a forged first entry pushed in before the real one', async () => {
    const intruder = await forged(GENESIS_HASH, auditContent(1, { action: 'records.delete' }))
    expect(await verdict([intruder, ...renumbered(chain, 1)])).toMatchObject({ ok: false, seq: 1, problem: 'inserted' })
  })

  it('bad_genesis: a self-consistent first entry that does not start from the genesis hash', async () => {
    const first = await forged('1'.repeat(64), bySeq(chain, 1).content)
    expect(await verdict([first, ...chain.slice(1)])).toEqual({
      ok: false,
      seq: 1,
      problem: 'bad_genesis',
      detail: 'the first entry does not start from the genesis hash',
    })
  })

  it('altered, not bad_genesis: a first entry whose prev_hash was edited without rehashing', async () => {
    const first = { ...bySeq(chain, 1), prev_hash: '1'.repeat(64) }
    expect(await verdict([first, ...chain.slice(1)])).toMatchObject({ ok: false, seq: 1, problem: 'altered' })
  })

  it('reports the first problem when there are several', async () => {
    const entries = without(altered(altered(chain, 7, { row_count: 1 }), 3, { row_count: 1 }), 5)
    expect(await verdict(entries)).toMatchObject({ ok: false, seq: 3, problem: 'altered' })
  })

  it('holds a continuation to its trusted head', async () => {
    expect(await verdict(chain.slice(5), { from: { seq: 5, hash: 'a'.repeat(64) } })).toMatchObject({
      ok: false,
      seq: 6,
      problem: 'altered',
      detail: 'entry 6 does not link to the trusted head at seq 5',
    })
    expect(await verdict(chain.slice(6), { from: { seq: 5, hash: hashOf(5) } })).toMatchObject({ ok: false, seq: 6, problem: 'missing' })
    expect(await verdict(chain.slice(4), { from: { seq: 5, hash: hashOf(5) } })).toMatchObject({ ok: false, seq: 5, problem: 'reordered' })
  })
})

describe('verifyChain against a checkpoint', () => {
  it('accepts a log that matches the checkpoint, and entries after it', async () => {
    expect(await verdict(chain, { checkpoint: await checkpointFor(chain, SIZE) })).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
    expect(await verdict(chain, { checkpoint: await checkpointFor(chain, 6) })).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
    expect(await verdict([], { checkpoint: await checkpointFor(chain, 0) })).toEqual({ ok: true, size: 0, head: GENESIS_HASH })
  })

  it('catches history rewritten wholesale, which the chain alone cannot', async () => {
    const history = chain.map((entry) => entry.content)
    const rewrittenHistory = await chainEntries(
      GENESIS,
      [...history.slice(0, 3), { ...auditContent(4), decision: 'denied' }, ...history.slice(4)],
      nodeHasher,
    )
    expect(await verdict(rewrittenHistory)).toMatchObject({ ok: true })
    expect(await verdict(rewrittenHistory, { checkpoint: await checkpointFor(chain, 8) })).toMatchObject({
      ok: false,
      seq: 8,
      problem: 'checkpoint_mismatch',
      detail: expect.stringContaining('chain head'),
    })
    // The checkpoint vouches for its own prefix only.
    expect(await verdict(rewrittenHistory, { checkpoint: await checkpointFor(chain, 3) })).toMatchObject({ ok: true })
  })

  it('catches the last entry rewritten and rehashed', async () => {
    const entries = await rewritten(chain, SIZE, { row_count: 0 })
    expect(await verdict(entries)).toMatchObject({ ok: true })
    expect(await verdict(entries, { checkpoint: await checkpointFor(chain, SIZE) })).toMatchObject({
      ok: false,
      seq: SIZE,
      problem: 'checkpoint_mismatch',
    })
  })

  it('catches a checkpoint whose root does not belong to its entries', async () => {
    const checkpoint = { ...(await checkpointFor(chain, 7)), root_hash: (await checkpointFor(chain, 6)).root_hash }
    expect(await verdict(chain, { checkpoint })).toMatchObject({
      ok: false,
      seq: 7,
      problem: 'checkpoint_mismatch',
      detail: 'the Merkle root over entries 1 to 7 is not the one the checkpoint signed',
    })
  })

  it('catches entries deleted from the end, which the chain alone cannot', async () => {
    const truncated = chain.slice(0, 7)
    expect(await verdict(truncated)).toMatchObject({ ok: true, size: 7 })
    expect(await verdict(truncated, { checkpoint: await checkpointFor(chain, 9) })).toEqual({
      ok: false,
      seq: 8,
      problem: 'missing',
      detail: 'the log ends at seq 7 but the checkpoint covers 9 entries',
    })
  })

  it('holds even an empty log to its checkpoint', async () => {
    const empty = await checkpointFor(chain, 0)
    expect(await verdict([], { checkpoint: { ...empty, chain_head: hashOf(1) } })).toMatchObject({
      ok: false,
      seq: 0,
      problem: 'checkpoint_mismatch',
    })
    expect(await verdict(chain, { checkpoint: { ...empty, root_hash: 'c'.repeat(64) } })).toMatchObject({
      ok: false,
      seq: 0,
      problem: 'checkpoint_mismatch',
    })
  })

  it('reports a checkpoint mismatch before a later problem', async () => {
    const checkpoint = { ...(await checkpointFor(chain, 4)), chain_head: hashOf(3) }
    expect(await verdict(altered(chain, 8, { row_count: 1 }), { checkpoint })).toMatchObject({ seq: 4, problem: 'checkpoint_mismatch' })
  })
})

describe('verifyChain options', () => {
  it('refuses options it cannot honour', async () => {
    await expect(verifyChain(chain, { batchSize: 0 })).rejects.toThrow(RangeError)
    await expect(verifyChain(chain, { from: { seq: 0, hash: 'a'.repeat(64) } })).rejects.toThrow(RangeError)
    await expect(verifyChain(chain, { from: { seq: -1, hash: GENESIS_HASH } })).rejects.toThrow(RangeError)
    await expect(verifyChain(chain, { from: { seq: 2, hash: 'not hex' } })).rejects.toThrow(RangeError)
    const checkpoint = await checkpointFor(chain, 5)
    await expect(verifyChain(chain.slice(2), { from: { seq: 2, hash: hashOf(2) }, checkpoint })).rejects.toThrow(/from genesis/)
  })
})

describe('NDJSON export lines', () => {
  it('are the canonical JSON of {content, hash, prev_hash} and parse back to what verifies', async () => {
    const entry = bySeq(chain, 1)
    const line = exportLine(entry)
    expect(line).toMatch(/^\{"content":\{"action":"records\.read",.*\},"hash":"[0-9a-f]{64}","prev_hash":"0{64}"\}$/)
    expect(line).not.toContain('\n')
    const parsed = chain.map((stored) => parseExportLine(exportLine(stored)))
    expect(parsed).toEqual(chain)
    expect(await verdict(parsed)).toEqual({ ok: true, size: SIZE, head: hashOf(SIZE) })
  })

  it('refuse lines that are not entries', () => {
    expect(() => parseExportLine('not json')).toThrow(SyntaxError)
    for (const line of [
      '[]',
      'null',
      '{"content":{},"hash":"x"}',
      '{"content":"x","hash":"x","prev_hash":"y"}',
      '{"content":{},"hash":1,"prev_hash":"y"}',
    ]) {
      expect(() => parseExportLine(line), line).toThrow(/not an audit export line/)
    }
  })
})
