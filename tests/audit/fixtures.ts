// Synthetic audit entries and ways to tamper with them, shared by the audit tests.
import { GENESIS, chainEntries, entryHash } from '../../src/audit/chain'
import type { AuditEntryContent, StoredEntry } from '../../src/audit/chain'
import type { Hasher } from '../../src/audit/hasher'
import { nodeHasher } from '../../src/audit/hasher-node'

export function auditContent(seq: number, overrides: Partial<AuditEntryContent> = {}): AuditEntryContent {
  return {
    seq,
    at: new Date(Date.UTC(2025, 5, 1, 9) + seq * 1000).toISOString(),
    request_id: `req_${String(seq).padStart(6, '0')}`,
    actor_client_id: 'cli_civil_affairs',
    actor_org_id: 'org_civil_affairs',
    action: 'records.read',
    resource_type: 'dataset',
    resource_id: 'ds_household',
    dataset_id: 'ds_household',
    decision: 'allowed',
    reason: null,
    purpose: '社会救助资格核验',
    grant_id: 'grt_subsidy',
    fields: ['name', 'id_number'],
    row_count: seq % 7,
    source_ip: '10.20.0.5',
    details: { page: seq },
    ...overrides,
  }
}

export async function auditChain(size: number, hasher: Hasher = nodeHasher): Promise<StoredEntry[]> {
  return chainEntries(
    GENESIS,
    Array.from({ length: size }, (_, index) => auditContent(index + 1)),
    hasher,
  )
}

/** An entry whose own hash is consistent with its content and prev_hash, as a forger would make it. */
export async function forged(prevHash: string, content: AuditEntryContent): Promise<StoredEntry> {
  return { content, prev_hash: prevHash, hash: await entryHash(prevHash, content, nodeHasher) }
}

/** The entry at `seq` with its content changed, hash left as stored. */
export function altered(entries: readonly StoredEntry[], seq: number, change: Partial<AuditEntryContent>): StoredEntry[] {
  return entries.map((entry) => (entry.content.seq === seq ? { ...entry, content: { ...entry.content, ...change } } : entry))
}

/** The entry at `seq` with its content changed and its own hash recomputed; later entries untouched. */
export async function rewritten(entries: readonly StoredEntry[], seq: number, change: Partial<AuditEntryContent>): Promise<StoredEntry[]> {
  return Promise.all(entries.map((entry) => (entry.content.seq === seq ? forged(entry.prev_hash, { ...entry.content, ...change }) : entry)))
}

export function bySeq(entries: readonly StoredEntry[], seq: number): StoredEntry {
  const entry = entries.find((candidate) => candidate.content.seq === seq)
  if (entry === undefined) throw new Error(`no entry ${seq}`)
  return entry
}
