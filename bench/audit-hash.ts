/**
 * Audit hashing throughput: chain verification with the WebCrypto and the Node hasher side by
 * side, and Merkle root computation, over a million synthetic entries. Prints figures; asserts
 * nothing. Run: npx tsx bench/audit-hash.ts [entries]
 *
 * With a million entries resident, young-generation GC is a large share of the time; a bigger
 * semi-space (NODE_OPTIONS=--max-semi-space-size=64) shows what a long-running verifier gets.
 */
import os from 'node:os'
import { GENESIS, chainEntries, entryHashInput, entryLeafHashes } from '../src/audit/chain'
import type { AuditEntryContent, StoredEntry } from '../src/audit/chain'
import { toHex } from '../src/audit/bytes'
import { webCryptoHasher } from '../src/audit/hasher'
import type { Hasher } from '../src/audit/hasher'
import { nodeHasher } from '../src/audit/hasher-node'
import { MemorySubtreeHasher, consistencyProof, inclusionProof, merkleRoot } from '../src/audit/merkle'
import { verifyChain } from '../src/audit/verify'

const ENTRIES = Number(process.argv[2] ?? 1_000_000)
const HASHERS: [string, Hasher][] = [
  ['webcrypto', webCryptoHasher],
  ['node', nodeHasher],
]

function syntheticContent(seq: number): AuditEntryContent {
  const read = seq % 5 !== 0
  return {
    seq,
    at: new Date(Date.UTC(2025, 0, 1) + seq * 250).toISOString(),
    request_id: `req_${seq.toString(36).padStart(10, '0')}`,
    actor_client_id: `cli_${(seq % 97).toString(36).padStart(8, '0')}`,
    actor_org_id: `org_${(seq % 31).toString(36).padStart(8, '0')}`,
    action: read ? 'records.read' : 'access_request.approve',
    resource_type: 'dataset',
    resource_id: `ds_${(seq % 211).toString(36).padStart(8, '0')}`,
    dataset_id: `ds_${(seq % 211).toString(36).padStart(8, '0')}`,
    decision: seq % 13 === 0 ? 'denied' : 'allowed',
    reason: seq % 13 === 0 ? 'no grant covers field id_number' : null,
    purpose: read ? '社会救助资格核验' : null,
    grant_id: read ? `grt_${(seq % 503).toString(36).padStart(8, '0')}` : null,
    fields: read ? ['name', 'id_number', 'address'] : null,
    row_count: read ? seq % 100 : null,
    source_ip: `10.${seq % 256}.${(seq >> 8) % 256}.${(seq >> 16) % 256}`,
    details: read ? { page: seq % 40, filter: { region_code: '330106' } } : { masks: { id_number: 'partial' } },
  }
}

async function* streamed(entries: readonly StoredEntry[]): AsyncGenerator<StoredEntry> {
  // Rows arrive a page at a time from a database cursor; yield them one by one like one would.
  yield* entries
}

function rate(count: number, ms: number): string {
  const perSecond = Math.round((count / ms) * 1000).toLocaleString('en-US')
  return `${perSecond.padStart(11)} entries/s  (${seconds(ms)})`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await run()
  return [result, performance.now() - start]
}

const cpu = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}`
const nodeOptions = process.env.NODE_OPTIONS ? `NODE_OPTIONS=${process.env.NODE_OPTIONS}` : 'no NODE_OPTIONS'
console.log(`Node ${process.version}, ${cpu}, ${nodeOptions}; ${ENTRIES.toLocaleString('en-US')} entries`)

const contents = Array.from({ length: ENTRIES }, (_, index) => syntheticContent(index + 1))
const [entries, chainMs] = await timed(() => chainEntries(GENESIS, contents, nodeHasher))
console.log(`build chain (node, sequential):  ${rate(ENTRIES, chainMs)}`)

console.log('\nchain verification (streamed, batches of 1024)')
let hashingMs = 0
for (let start = 0; start < ENTRIES; start += 1024) {
  const inputs = entries.slice(start, start + 1024).map((entry) => entryHashInput(entry.prev_hash, entry.content))
  hashingMs += (await timed(() => nodeHasher.digestAll(inputs)))[1]
}
console.log(`  floor: SHA-256 of the prepared entry texts alone (node): ${rate(ENTRIES, hashingMs)}`)
for (const [name, hasher] of HASHERS) {
  const [result, ms] = await timed(() => verifyChain(streamed(entries), { hasher }))
  if (!result.ok) throw new Error(`bench chain failed to verify: ${result.detail}`)
  console.log(`  ${name.padEnd(10)} ${rate(ENTRIES, ms)}`)
}

const entryHashes = entries.map((entry) => entry.hash)
console.log(`\nMerkle root over ${ENTRIES.toLocaleString('en-US')} leaves (leaf hashes + tree)`)
let root = ''
for (const [name, hasher] of HASHERS) {
  const [hex, ms] = await timed(async () => toHex(await merkleRoot(await entryLeafHashes(entryHashes, hasher), hasher)))
  root = hex
  console.log(`  ${name.padEnd(10)} ${seconds(ms).padStart(8)}`)
}

const checkpoint = { size: ENTRIES, root_hash: root, at: new Date().toISOString(), chain_head: entryHashes.at(-1) ?? '' }
const [checked, checkedMs] = await timed(() => verifyChain(streamed(entries), { hasher: nodeHasher, checkpoint }))
if (!checked.ok) throw new Error(`bench chain failed its checkpoint: ${checked.detail}`)
console.log(`\nchain verification + checkpoint root (node): ${rate(ENTRIES, checkedMs)}`)

const [tree, buildMs] = await timed(async () => MemorySubtreeHasher.build(await entryLeafHashes(entryHashes, nodeHasher), nodeHasher))
const [, proofMs] = await timed(async () => {
  for (let i = 0; i < 1000; i++) {
    const size = ENTRIES - i
    await inclusionProof((i * 7919) % size, size, tree)
    await consistencyProof(size - 1 - ((i * 104729) % (size - 1)), size, tree)
  }
})
console.log(`\nin-memory proof tree (node): built in ${seconds(buildMs)}`)
console.log(`  1000 inclusion + 1000 consistency proofs at sizes near ${ENTRIES.toLocaleString('en-US')}: ${proofMs.toFixed(0)} ms`)
