import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/audit/bytes'
import { canonicalJson } from '../../src/audit/canonical'
import {
  GENESIS,
  GENESIS_HASH,
  chainEntries,
  entryHash,
  entryHashInput,
  entryJson,
  entryLeafHashes,
  intactEntries,
  seqOf,
} from '../../src/audit/chain'
import type { AuditEntryContent } from '../../src/audit/chain'
import { webCryptoHasher } from '../../src/audit/hasher'
import type { HashInput } from '../../src/audit/hasher'
import { nodeHasher } from '../../src/audit/hasher-node'
import { auditChain, auditContent } from './fixtures'
import { sha256 } from './rfc9162-reference'

const utf8 = new TextEncoder()

describe('hashers', () => {
  const messages: HashInput[] = [
    new Uint8Array(0),
    '',
    'abc',
    '社会救助 😀',
    new Uint8Array(100_000).fill(7),
    ...Array.from({ length: 2500 }, (_, index) => `message ${index}`),
  ]
  const expected = messages.map((message) => toHex(sha256(typeof message === 'string' ? utf8.encode(message) : message)))

  it.each([
    ['WebCrypto', webCryptoHasher],
    ['Node', nodeHasher],
  ])('%s computes SHA-256 of bytes and of UTF-8 text, packed in order', async (_, hasher) => {
    const digests = await hasher.digestAll(messages)
    expect(digests.length).toBe(32 * messages.length)
    const actual = messages.map((__, index) => toHex(digests.subarray(32 * index, 32 * index + 32)))
    expect(actual).toEqual(expected)
    expect(toHex(await hasher.digestAll([]))).toBe('')
  })

  it('reads byte views of a shared buffer at their own offsets', async () => {
    const shared = utf8.encode('aaabbbccc')
    const views = [shared.subarray(0, 3), shared.subarray(3, 6), shared.subarray(6)]
    for (const hasher of [webCryptoHasher, nodeHasher]) {
      const digests = await hasher.digestAll(views)
      expect(toHex(digests.subarray(32, 64))).toBe(toHex(sha256(utf8.encode('bbb'))))
    }
  })
})

describe('entry hash', () => {
  const content = auditContent(1)

  it('is SHA-256 of "qiao-audit-v1\\n" + prev hash + "\\n" + canonical JSON of the content', async () => {
    const text = `qiao-audit-v1\n${GENESIS_HASH}\n${canonicalJson(content)}`
    expect(entryHashInput(GENESIS_HASH, content)).toBe(text)
    const expected = toHex(sha256(utf8.encode(text)))
    expect(await entryHash(GENESIS_HASH, content)).toBe(expected)
    expect(await entryHash(GENESIS_HASH, content, nodeHasher)).toBe(expected)
  })

  it('starts from a genesis hash of 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64))
    expect(GENESIS).toEqual({ seq: 0, hash: GENESIS_HASH })
  })

  it('does not depend on the order members were set in', async () => {
    const reversed = Object.fromEntries(Object.entries(content).reverse()) as unknown as AuditEntryContent
    expect(await entryHash(GENESIS_HASH, reversed, nodeHasher)).toBe(await entryHash(GENESIS_HASH, content, nodeHasher))
  })

  it('changes with every member of the content and with the previous hash', async () => {
    const original = await entryHash(GENESIS_HASH, content, nodeHasher)
    const changes: Partial<AuditEntryContent>[] = [
      { seq: 2 },
      { at: '2025-06-01T09:00:01.001Z' },
      { request_id: 'req_other' },
      { actor_client_id: null },
      { actor_org_id: 'org_other' },
      { action: 'records.list' },
      { resource_type: null },
      { resource_id: 'ds_other' },
      { dataset_id: null },
      { decision: 'denied' },
      { reason: 'no grant' },
      { purpose: null },
      { grant_id: null },
      { fields: ['name'] },
      { row_count: 2 },
      { source_ip: null },
      { details: { page: 1, more: true } },
    ]
    expect(changes.flatMap(Object.keys).sort()).toEqual(Object.keys(content).sort())
    for (const change of changes) {
      expect(await entryHash(GENESIS_HASH, { ...content, ...change }, nodeHasher), JSON.stringify(change)).not.toBe(original)
    }
    expect(await entryHash('1'.repeat(64), content, nodeHasher)).not.toBe(original)
  })

  it('refuses a previous hash that is not a lower-case SHA-256 hex digest', async () => {
    for (const prev of ['', '0'.repeat(63), 'A'.repeat(64), `${'0'.repeat(63)}g`]) {
      await expect(entryHash(prev, content), JSON.stringify(prev)).rejects.toThrow(TypeError)
    }
  })

  it('canonicalises entries exactly like canonicalJson, well-formed or not', () => {
    const odd: unknown[] = [
      content,
      { ...content, details: { z: 1, a: [{ y: 2, x: 1 }], text: 'line\n"quoted"' } },
      { ...content, extra: 'member' },
      { ...content, details: undefined },
      Object.fromEntries(Object.entries(content).filter(([key]) => key !== 'reason')),
    ]
    for (const value of odd) expect(entryJson(value)).toBe(canonicalJson(value))
  })
})

describe('chainEntries', () => {
  it('links each entry to the one before, starting from genesis', async () => {
    const entries = await auditChain(4)
    expect(entries.map((entry) => entry.content.seq)).toEqual([1, 2, 3, 4])
    expect(entries[0]?.prev_hash).toBe(GENESIS_HASH)
    for (let index = 1; index < entries.length; index++) {
      expect(entries[index]?.prev_hash).toBe(entries[index - 1]?.hash)
    }
    for (const entry of entries) expect(entry.hash).toBe(await entryHash(entry.prev_hash, entry.content))
  })

  it('continues from a head, and gives the same hashes as linking everything at once', async () => {
    const all = await auditChain(5)
    const head = all[2]
    if (head === undefined) throw new Error('short chain')
    const continued = await chainEntries({ seq: 3, hash: head.hash }, [auditContent(4), auditContent(5)], webCryptoHasher)
    expect(continued).toEqual(all.slice(3))
  })

  it('refuses entries whose seq does not follow the head', async () => {
    await expect(chainEntries(GENESIS, [auditContent(2)])).rejects.toThrow(/seq 2 does not follow seq 0/)
    await expect(chainEntries(GENESIS, [auditContent(1), auditContent(1)])).rejects.toThrow(RangeError)
  })
})

describe('intactEntries', () => {
  it('tells entries whose hash matches their own prev_hash and content from those that do not', async () => {
    const [first, second, third, fourth, fifth] = await auditChain(5)
    if (first === undefined || second === undefined || third === undefined || fourth === undefined || fifth === undefined) {
      throw new Error('short chain')
    }
    const verdicts = await intactEntries(
      [
        first,
        { ...second, content: { ...second.content, row_count: 99 } },
        { ...third, prev_hash: GENESIS_HASH },
        { ...fourth, hash: fourth.hash.toUpperCase() },
        { ...fifth, content: { ...fifth.content, details: { size: Number.POSITIVE_INFINITY } } },
        { content: 'not an object', prev_hash: GENESIS_HASH, hash: GENESIS_HASH },
        fifth,
      ],
      nodeHasher,
    )
    expect(verdicts).toEqual([true, false, false, false, false, false, true])
  })
})

describe('leaf hashes and seq', () => {
  it('hashes an entry into the tree as SHA-256(0x00 || entry hash bytes)', async () => {
    const [entry] = await auditChain(1)
    if (entry === undefined) throw new Error('empty chain')
    const [leaf] = await entryLeafHashes([entry.hash])
    expect(toHex(leaf ?? new Uint8Array())).toBe(toHex(sha256(Uint8Array.of(0), fromHex(entry.hash))))
  })

  it('reads a valid seq only', () => {
    expect(seqOf({ seq: 3 })).toBe(3)
    for (const content of [{ seq: 0 }, { seq: -1 }, { seq: 1.5 }, { seq: '3' }, { seq: 2 ** 53 }, {}, null, 'seq', [3]]) {
      expect(seqOf(content), JSON.stringify(content)).toBeUndefined()
    }
  })
})
