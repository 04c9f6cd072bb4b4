// The worked example in docs/audit-algorithm.md, kept true: if a value here changes, the
// documented algorithm changed, and so must the document (and every verifier out there).
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/audit/bytes'
import { canonicalJson } from '../../src/audit/canonical'
import { GENESIS, chainEntries, entryLeafHashes } from '../../src/audit/chain'
import type { AuditEntryContent } from '../../src/audit/chain'
import { nodeHasher } from '../../src/audit/hasher-node'
import { MemorySubtreeHasher, consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from '../../src/audit/merkle'
import { exportLine, verifyChain } from '../../src/audit/verify'

const EXAMPLE_CONTENTS: AuditEntryContent[] = [
  {
    seq: 1,
    at: '2025-06-01T09:00:00.000Z',
    request_id: 'req_7Gq2',
    actor_client_id: 'cli_minzheng',
    actor_org_id: 'org_minzheng',
    action: 'records.read',
    resource_type: 'dataset',
    resource_id: 'ds_hukou',
    dataset_id: 'ds_hukou',
    decision: 'allowed',
    reason: null,
    purpose: '低保资格核验',
    grant_id: 'grt_41',
    fields: ['name', 'id_number'],
    row_count: 2,
    source_ip: '10.20.0.5',
    details: {},
  },
  {
    seq: 2,
    at: '2025-06-01T09:00:04.250Z',
    request_id: 'req_7Gq3',
    actor_client_id: 'cli_shehui_zuzhi',
    actor_org_id: 'org_shehui_zuzhi',
    action: 'records.read',
    resource_type: 'dataset',
    resource_id: 'ds_hukou',
    dataset_id: 'ds_hukou',
    decision: 'denied',
    reason: 'no_grant',
    purpose: 'research',
    grant_id: null,
    fields: ['id_number'],
    row_count: null,
    source_ip: '203.0.113.9',
    details: {},
  },
  {
    seq: 3,
    at: '2025-06-01T09:05:00.000Z',
    request_id: 'req_7Gq4',
    actor_client_id: 'cli_gongan_approver',
    actor_org_id: 'org_gongan',
    action: 'access_request.approve',
    resource_type: 'access_request',
    resource_id: 'req_81',
    dataset_id: 'ds_hukou',
    decision: null,
    reason: null,
    purpose: null,
    grant_id: 'grt_42',
    fields: ['name'],
    row_count: null,
    source_ip: '10.30.0.7',
    details: { masks: { name: 'partial' }, duration_days: 90 },
  },
]

const ENTRY_HASHES = [
  'b1da134a74b71038f8d13564e9951b7779d877c846000de7c2bd2eb2dab25d16',
  '1ff82719d2142b9b3dacfcd87b27ca57de239d3a0aa865290ea68f3cb6b2bd35',
  'da92f0afe05ffefeaa61cd4d2db16faac99365b8caa7f152cf71de532ec2c213',
] as const
const LEAF_HASHES = [
  '2ed1ea49bead59279fdb9439d9a88f5118bef6555760a4d2009dc69249db14f2',
  'aa9e81cc74964de9bc9417c59c758aeece910f7c9f0a0f748e1fe7442f6910ce',
  '139a5f9d61ac491feadea10b75d614edeb03def5ae295de6ea534301652d0bb3',
] as const
const ROOT_2 = 'ab6bce33537fb395e68963a152ff67139e7b9569245f04099c4db9dbe701549d'
const ROOT_3 = '7f062b466ee21c5e74b44e917289a0415ec13644e87fdd673e2600f7781d0277'

describe('the worked example of docs/audit-algorithm.md', () => {
  it('canonicalises entry 1 as documented', () => {
    expect(canonicalJson(EXAMPLE_CONTENTS[0])).toBe(
      '{"action":"records.read","actor_client_id":"cli_minzheng","actor_org_id":"org_minzheng","at":"2025-06-01T09:00:00.000Z",' +
        '"dataset_id":"ds_hukou","decision":"allowed","details":{},"fields":["name","id_number"],"grant_id":"grt_41",' +
        '"purpose":"低保资格核验","reason":null,"request_id":"req_7Gq2","resource_id":"ds_hukou","resource_type":"dataset",' +
        '"row_count":2,"seq":1,"source_ip":"10.20.0.5"}',
    )
  })

  it('has the documented entry hashes, leaf hashes, roots, proofs and export line', async () => {
    const entries = await chainEntries(GENESIS, EXAMPLE_CONTENTS, nodeHasher)
    expect(entries.map((entry) => entry.hash)).toEqual(ENTRY_HASHES)
    expect(entries.map((entry) => entry.prev_hash)).toEqual([GENESIS.hash, ...ENTRY_HASHES.slice(0, 2)])

    const leaves = await entryLeafHashes(ENTRY_HASHES, nodeHasher)
    expect(leaves.map(toHex)).toEqual(LEAF_HASHES)
    const tree = await MemorySubtreeHasher.build(leaves, nodeHasher)
    expect(toHex(await tree.range(0, 1))).toBe(LEAF_HASHES[0])
    expect(toHex(await tree.range(0, 2))).toBe(ROOT_2)
    expect(toHex(await tree.range(0, 3))).toBe(ROOT_3)

    expect((await inclusionProof(1, 3, tree)).map(toHex)).toEqual([LEAF_HASHES[0], LEAF_HASHES[2]])
    expect((await inclusionProof(2, 3, tree)).map(toHex)).toEqual([ROOT_2])
    expect((await consistencyProof(2, 3, tree)).map(toHex)).toEqual([LEAF_HASHES[2]])
    expect((await consistencyProof(1, 3, tree)).map(toHex)).toEqual([LEAF_HASHES[1], LEAF_HASHES[2]])
    const inclusion = [fromHex(LEAF_HASHES[0]), fromHex(LEAF_HASHES[2])]
    expect(await verifyInclusion(fromHex(LEAF_HASHES[1]), 1, 3, inclusion, fromHex(ROOT_3))).toBe(true)
    expect(await verifyConsistency(2, 3, fromHex(ROOT_2), fromHex(ROOT_3), [fromHex(LEAF_HASHES[2])])).toBe(true)

    const [, , third] = entries
    if (third === undefined) throw new Error('the example has three entries')
    expect(exportLine(third)).toBe(
      '{"content":{"action":"access_request.approve","actor_client_id":"cli_gongan_approver","actor_org_id":"org_gongan",' +
        '"at":"2025-06-01T09:05:00.000Z","dataset_id":"ds_hukou","decision":null,"details":{"duration_days":90,"masks":{"name":"partial"}},' +
        '"fields":["name"],"grant_id":"grt_42","purpose":null,"reason":null,"request_id":"req_7Gq4","resource_id":"req_81",' +
        '"resource_type":"access_request","row_count":null,"seq":3,"source_ip":"10.30.0.7"},' +
        '"hash":"da92f0afe05ffefeaa61cd4d2db16faac99365b8caa7f152cf71de532ec2c213",' +
        '"prev_hash":"1ff82719d2142b9b3dacfcd87b27ca57de239d3a0aa865290ea68f3cb6b2bd35"}',
    )
    const checkpoint = { size: 3, root_hash: ROOT_3, at: '2025-06-01T09:10:00.000Z', chain_head: ENTRY_HASHES[2] }
    expect(canonicalJson(checkpoint)).toBe(
      '{"at":"2025-06-01T09:10:00.000Z","chain_head":"da92f0afe05ffefeaa61cd4d2db16faac99365b8caa7f152cf71de532ec2c213",' +
        '"root_hash":"7f062b466ee21c5e74b44e917289a0415ec13644e87fdd673e2600f7781d0277","size":3}',
    )
    expect(await verifyChain(entries, { checkpoint })).toEqual({ ok: true, size: 3, head: ENTRY_HASHES[2] })
  })
})
