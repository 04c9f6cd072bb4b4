// An outsider's verification, as docs/audit-algorithm.md describes it: nothing but the published
// JWKS, a signed checkpoint and an NDJSON export, all as text, checked with the default
// (WebCrypto) hasher that any runtime has.
import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/audit/bytes'
import { entryLeafHashes } from '../../src/audit/chain'
import type { StoredEntry } from '../../src/audit/chain'
import { signCheckpoint, verifyCheckpoint } from '../../src/audit/checkpoint'
import { nodeHasher } from '../../src/audit/hasher-node'
import { MemorySubtreeHasher, consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from '../../src/audit/merkle'
import { exportLine, parseExportLine, verifyChain } from '../../src/audit/verify'
import { auditChain } from './fixtures'

// Qiao's side: a log of 25 entries, checkpoints at 12 and 20, its public keys, an export.
const entries = await auditChain(25)
const tree = await MemorySubtreeHasher.build(
  await entryLeafHashes(
    entries.map((entry) => entry.hash),
    nodeHasher,
  ),
  nodeHasher,
)
const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
const jwksText = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'qiao-2025-06', alg: 'ES256', use: 'sig' }] })

async function publishedCheckpoint(size: number): Promise<string> {
  const head = {
    size,
    root_hash: toHex(await tree.range(0, size)),
    at: '2025-06-01T10:00:00.000Z',
    chain_head: entries[size - 1]?.hash ?? '',
  }
  return signCheckpoint(head, { alg: 'ES256', kid: 'qiao-2025-06', privateKey })
}

const ndjson = (log: readonly StoredEntry[]) => log.map((entry) => `${exportLine(entry)}\n`).join('')

/** The outsider's side: verify the checkpoint, then the export against it. */
async function verifyExport(exportText: string, checkpointJws: string) {
  const { head } = await verifyCheckpoint(checkpointJws, JSON.parse(jwksText))
  const lines = exportText.split('\n').filter((line) => line !== '')
  return verifyChain(lines.map(parseExportLine), { checkpoint: head })
}

describe('offline verification by an outsider', () => {
  it('verifies an export against a signed checkpoint with only the JWKS', async () => {
    expect(await verifyExport(ndjson(entries), await publishedCheckpoint(20))).toEqual({ ok: true, size: 25, head: entries[24]?.hash })
  })

  it('locates an entry edited in the export', async () => {
    const edited = ndjson(entries).replace('"request_id":"req_000007"', '"request_id":"req_000070"')
    expect(await verifyExport(edited, await publishedCheckpoint(20))).toMatchObject({ ok: false, seq: 7, problem: 'altered' })
  })

  it('notices entries the export leaves out at the end', async () => {
    expect(await verifyExport(ndjson(entries.slice(0, 15)), await publishedCheckpoint(20))).toMatchObject({
      ok: false,
      seq: 16,
      problem: 'missing',
    })
  })

  it('checks that an entry is in a checkpointed tree, and that a later checkpoint extends an earlier one', async () => {
    const jwks = JSON.parse(jwksText)
    const { head: earlier } = await verifyCheckpoint(await publishedCheckpoint(12), jwks)
    const { head: later } = await verifyCheckpoint(await publishedCheckpoint(20), jwks)
    // What Qiao would serve as hex: the entry's hash, its audit path, the consistency path.
    const entry = entries[6]
    if (entry === undefined) throw new Error('short log')
    const path = (await inclusionProof(6, later.size, tree)).map(toHex)
    const consistency = (await consistencyProof(earlier.size, later.size, tree)).map(toHex)

    const [leaf] = await entryLeafHashes([entry.hash])
    if (leaf === undefined) throw new Error('no leaf hash')
    expect(await verifyInclusion(leaf, entry.content.seq - 1, later.size, path.map(fromHex), fromHex(later.root_hash))).toBe(true)
    expect(await verifyInclusion(leaf, entry.content.seq, later.size, path.map(fromHex), fromHex(later.root_hash))).toBe(false)
    const consistent = await verifyConsistency(
      earlier.size,
      later.size,
      fromHex(earlier.root_hash),
      fromHex(later.root_hash),
      consistency.map(fromHex),
    )
    expect(consistent).toBe(true)
  })
})
