import { bytesMatchHex, fromHex, isSha256Hex, toHex } from './bytes'
import type { Bytes } from './bytes'
import { canonicalJsonFor } from './canonical'
import { DIGEST_SIZE, digestOne, webCryptoHasher } from './hasher'
import type { Hasher } from './hasher'
import { leafHashes } from './merkle'

export type AuditDecision = 'allowed' | 'denied'

/** What one audit entry records; `seq` is its 1-based position in the log and its Merkle leaf index plus one. */
export interface AuditEntryContent {
  seq: number
  /** ISO 8601 UTC timestamp. */
  at: string
  request_id: string
  actor_client_id: string | null
  actor_org_id: string | null
  action: string
  resource_type: string | null
  resource_id: string | null
  dataset_id: string | null
  decision: AuditDecision | null
  reason: string | null
  purpose: string | null
  grant_id: string | null
  fields: string[] | null
  row_count: number | null
  source_ip: string | null
  details: Record<string, unknown>
}

/** An entry as stored and exported: its content, the hash of the entry before it, and its own hash. */
export interface StoredEntry {
  content: AuditEntryContent
  prev_hash: string
  hash: string
}

/** An entry read back from storage or an export, not yet trusted: its content may be anything. */
export interface UnverifiedEntry {
  readonly content: unknown
  readonly prev_hash: string
  readonly hash: string
}

/** The end of a chain: its last entry's seq and hash. */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
}

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/** The head of the empty log. */
export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH }

/** Prefixes every hashed entry, so an entry hash can never be mistaken for a hash of anything else. */
export const ENTRY_HASH_DOMAIN = 'qiao-audit-v1'

// Every member of AuditEntryContent, checked by the compiler in both directions.
const ENTRY_MEMBERS: Record<keyof AuditEntryContent, true> = {
  seq: true,
  at: true,
  request_id: true,
  actor_client_id: true,
  actor_org_id: true,
  action: true,
  resource_type: true,
  resource_id: true,
  dataset_id: true,
  decision: true,
  reason: true,
  purpose: true,
  grant_id: true,
  fields: true,
  row_count: true,
  source_ip: true,
  details: true,
}

/** `canonicalJson(content)`, fast for well-formed entries and identical for anything else. */
export const entryJson = canonicalJsonFor(Object.keys(ENTRY_MEMBERS))

/**
 * The text whose SHA-256 (of its UTF-8 encoding) is an entry's hash:
 * `"qiao-audit-v1\n" + prevHash + "\n" + canonicalJson(content)`. The domain line and the fixed
 * 64-character link make the encoding unambiguous without length prefixes.
 */
export function entryHashInput(prevHash: string, content: unknown): string {
  return `${ENTRY_HASH_DOMAIN}\n${prevHash}\n${entryJson(content)}`
}

/** The hash (hex) of the entry with `content` that follows the entry whose hash is `prevHash`. */
export async function entryHash(prevHash: string, content: AuditEntryContent, hasher: Hasher = webCryptoHasher): Promise<string> {
  if (!isSha256Hex(prevHash)) throw new TypeError(`prevHash is not a SHA-256 hex digest: ${JSON.stringify(prevHash)}`)
  return toHex(await digestOne(hasher, entryHashInput(prevHash, content)))
}

/**
 * Links new entries onto the chain ending at `head`: the rows to store, in order. Each hash
 * depends on the one before, so this is inherently sequential; it is meant for a group commit of
 * the entries appended in one transaction.
 */
export async function chainEntries(
  head: ChainHead,
  contents: readonly AuditEntryContent[],
  hasher: Hasher = webCryptoHasher,
): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = []
  let prev = head
  for (const content of contents) {
    if (content.seq !== prev.seq + 1) {
      throw new RangeError(`entry seq ${content.seq} does not follow seq ${prev.seq}`)
    }
    const hash = await entryHash(prev.hash, content, hasher)
    entries.push({ content, prev_hash: prev.hash, hash })
    prev = { seq: content.seq, hash }
  }
  return entries
}

/**
 * Whether each entry is intact: its stored hash is SHA-256 of its own stored `prev_hash` and
 * content. Whether `prev_hash` is right is a separate question (the link), which is what makes
 * every entry independent of the others and lets a whole batch be hashed at once. Content with no
 * canonical JSON form is not intact.
 */
export async function intactEntries(entries: readonly UnverifiedEntry[], hasher: Hasher = webCryptoHasher): Promise<boolean[]> {
  const inputs: string[] = []
  // Where each entry's digest will be among the hashed inputs; -1 for content that cannot be hashed.
  const digestIndex = entries.map((entry) => {
    let input: string
    try {
      input = entryHashInput(entry.prev_hash, entry.content)
    } catch {
      return -1
    }
    inputs.push(input)
    return inputs.length - 1
  })
  const digests = await hasher.digestAll(inputs)
  return entries.map((entry, index) => {
    const digest = digestIndex[index] ?? -1
    return digest >= 0 && bytesMatchHex(digests, digest * DIGEST_SIZE, entry.hash)
  })
}

/** The Merkle leaf hash of each entry: SHA-256(0x00 || entry hash bytes), per RFC 9162. */
export async function entryLeafHashes(entryHashes: readonly string[], hasher: Hasher = webCryptoHasher): Promise<Bytes[]> {
  return leafHashes(entryHashes.map(fromHex), hasher)
}

/** The `seq` of an unverified entry's content, if it has a valid one. */
export function seqOf(content: unknown): number | undefined {
  if (typeof content !== 'object' || content === null || !('seq' in content)) return undefined
  const { seq } = content
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined
}
