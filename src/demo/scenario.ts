// The guided scenario (`npm run demo`): the whole story through the public API, one numbered
// step at a time, each printing its HTTP calls and the key part of the answers. A department
// publishes, a social organisation requests, the approver narrows and approves, the organisation
// reads masked data, the owner sees who read it, the auditor verifies the chain and a proof.
// Runs over any `Call` (scripts/demo.ts: fetch against a gateway; tests: the app in-process) with
// the demo world's credentials; every step checks what it shows and throws when it is not so.

import type { JSONWebKeySet } from 'jose'
import { fromHex } from '../audit/bytes.js'
import { entryHash, entryLeafHashes, type AuditEntryContent } from '../audit/chain.js'
import { verifyCheckpoint } from '../audit/checkpoint.js'
import { verifyInclusion } from '../audit/merkle.js'
import { purposeHeader, type Call, type CallOptions } from './api.js'
import { credentialFor, type DemoCredential } from './credentials.js'
import { seededRandom } from './random.js'
import { gridEvents, type DemoRecord } from './records.js'
import type { AccessRequest, AuditEntry, Checkpoint, Dataset, IngestReport, InclusionProof, Org, Page, Token, Verification } from './types.js'
import { DEPARTMENTS, SOCIAL_ORGS } from './world.js'

export class ScenarioCheckError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScenarioCheckError'
  }
}

export interface ScenarioOptions {
  call: Call
  credentials: readonly DemoCredential[]
  /** One line of the story. */
  print(line: string): void
  /** Names the dataset uniquely, so the scenario can run again on the same gateway. */
  now?: () => Date
}

export interface ScenarioOutcome {
  datasetId: string
  requestId: string
  grantId: string
  /** Records the organisation received, masked. */
  delivered: Record<string, unknown>[]
  /** The audit entry of the organisation's read. */
  readSeq: number
  checkpointSize: number
}

const PURPOSE = '社区居家养老服务需求排查（引导演示）'
const WEST_LAKE = '330106'
const CSV_SAMPLE = 40

export async function runScenario(options: ScenarioOptions): Promise<ScenarioOutcome> {
  const { credentials, print } = options
  const now = options.now ?? (() => new Date())
  const call = loggingCall(options.call, print)
  const publisher = credentialFor(credentials, 'publisher', DEPARTMENTS.civil.name)
  const approver = credentialFor(credentials, 'approver', DEPARTMENTS.civil.name)
  const consumer = credentialFor(credentials, 'consumer', SOCIAL_ORGS.elderly.name)
  const auditor = credentialFor(credentials, 'auditor')
  const tokens = new Map<string, string>()
  const token = async (who: DemoCredential) => {
    let value = tokens.get(who.client_id)
    if (!value) {
      const issued = await call<Token>('POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: who.client_id, client_secret: who.client_secret } })
      value = issued.body.access_token
      tokens.set(who.client_id, value)
    }
    return value
  }
  let stepNumber = 0
  const step = (title: string) => print(`\n${++stepNumber}. ${title}`)

  // 1 ------------------------------------------------------------------------------------------
  step(`${publisher.org_name} (publisher) registers a dataset on the shipped grid-event standard`)
  const stamp = now()
  const dataset = (
    await call<Dataset>('POST', '/v1/datasets', {
      token: await token(publisher),
      body: {
        code: `330100/MZ-DEMO-${stamp.getTime().toString(36).toUpperCase()}`,
        name: `西湖区网格事件（引导演示 ${stamp.toISOString().slice(0, 16).replace('T', ' ')} UTC）`,
        title: '西湖区网格事件',
        abstract: '西湖区网格员上报的事件，供承接社区服务的社会组织申请使用。',
        standard: { name: 'grid-event', version: '1.0.0' },
        format: 'database',
        sharing: 'unconditional',
        open: 'conditional',
        open_conditions: '经审批后向承接社区服务的社会组织提供脱敏数据',
        update_cycle: 'daily',
      },
    })
  ).body
  detail(print, `${dataset.id}  “${dataset.title}”  tier ${dataset.tier} (computed from its fields' sensitivity, 就高从严)`)
  detail(print, `sharing ${dataset.sharing}, open ${dataset.open}: social organisations may apply`)
  check(dataset.tier === 'L3', `the grid-event standard should make the dataset L3, got ${dataset.tier}`)

  // 2 ------------------------------------------------------------------------------------------
  step('The publisher ingests its CSV export, local column names and all: each row is standardised and validated')
  const rows = gridEvents({ random: seededRandom(stamp.getTime() % 100_000), taken: new Set(), today: stamp.toISOString().slice(0, 10) }, CSV_SAMPLE - 2, 'XH', { [WEST_LAKE]: 3, '330102': 1 })
  const csv = gridEventCsv([...rows.slice(0, 10), badRow(rows[10]!, 'mobile'), ...rows.slice(10, 20), badRow(rows[20]!, 'date'), ...rows.slice(20)])
  detail(print, `header: ${csv.split('\r\n')[0]!.split(',').slice(0, 7).join(', ')}, …`)
  const report = (await call<IngestReport>('POST', `/v1/datasets/${dataset.id}/records?mode=partial`, { token: await token(publisher), body: csv, contentType: 'text/csv; charset=utf-8' })).body
  detail(print, `validation report: ${report.total} rows, ${report.inserted} stored, ${report.rejected} rejected`)
  for (const row of report.errors) for (const error of row.errors) detail(print, `  row ${row.row}${row.key ? ` (${row.key})` : ''}: ${error.path} ${error.code} — ${error.message}`)
  check(report.inserted === CSV_SAMPLE - 2 && report.rejected === 2, `expected ${CSV_SAMPLE - 2} stored and 2 rejected, got ${report.inserted} and ${report.rejected}`)

  // 3 ------------------------------------------------------------------------------------------
  step(`${consumer.org_name} (a social organisation) finds the dataset and applies for access`)
  const found = (await call<Page<Dataset>>('GET', `/v1/datasets?q=${encodeURIComponent(dataset.code)}`, { token: await token(consumer) })).body.items
  check(found.some((d) => d.id === dataset.id), 'the catalogue should show the dataset to the social organisation')
  detail(print, `the catalogue shows ${dataset.code} at ${dataset.tier}, open on application`)
  const requested = ['event_id', 'region_code', 'category', 'summary', 'description', 'location', 'status', 'reported_at', 'reporter_name', 'reporter_mobile']
  const filed = (
    await call<AccessRequest>('POST', '/v1/access-requests', {
      token: await token(consumer),
      body: {
        dataset_id: dataset.id,
        purpose: PURPOSE,
        legal_basis: '《浙江省社区居家养老服务条例》；西湖区民政局居家养老服务购买合同',
        fields: requested,
        duration_days: 90,
      },
    })
  ).body
  detail(print, `${filed.id}: ${filed.status}, mode ${filed.mode} (the tier policy for a social organisation at ${dataset.tier}), decide by ${chinaTime(filed.deadline)} (10 working days), light ${filed.light}`)
  detail(print, `purpose “${filed.purpose}”; fields ${filed.fields.join(', ')}`)
  check(filed.status === 'pending' && filed.mode === 'approval_masked', `expected a pending, masked request, got ${filed.status} / ${filed.mode}`)

  // 4 ------------------------------------------------------------------------------------------
  step(`${approver.org_name} (approver) narrows the fields, sets masks and a row filter, and approves`)
  const incoming = (await call<Page<AccessRequest>>('GET', '/v1/access-requests?box=incoming&status=pending&limit=100', { token: await token(approver) })).body.items
  detail(print, `incoming pending requests: ${incoming.length} (${lightCounts(incoming)})`)
  const granted = ['event_id', 'region_code', 'category', 'summary', 'location', 'status', 'reported_at', 'reporter_mobile']
  const approved = (
    await call<AccessRequest>('POST', `/v1/access-requests/${filed.id}/approve`, {
      token: await token(approver),
      body: {
        fields: granted,
        masks: {
          reporter_mobile: { type: 'show-first-n', n: 3, last: 4 },
          location: { type: 'show-first-n', n: 6 },
          summary: { type: 'show-first-n', n: 12 },
        },
        row_filter: [{ field: 'region_code', op: 'eq', value: WEST_LAKE }],
        daily_quota: 500,
        note: '同意。仅西湖区事件；不提供事件描述与上报人姓名，联系电话、地址脱敏。',
      },
    })
  ).body
  check(approved.status === 'approved' && approved.grant_id !== null, `expected an approval with a grant, got ${approved.status}`)
  detail(print, `${approved.status}: grant ${approved.grant_id}`)
  detail(print, `dropped: ${requested.filter((f) => !granted.includes(f)).join(', ')}; masked: reporter_mobile 3+4, location first 6, summary first 12; only region_code = ${WEST_LAKE}`)

  // 5 ------------------------------------------------------------------------------------------
  step(`${consumer.org_name} reads the records: projected, filtered and masked as granted`)
  const page = (await call<Page<Record<string, unknown>>>('GET', `/v1/datasets/${dataset.id}/records?limit=100`, { token: await token(consumer), headers: purposeHeader(PURPOSE) })).body
  const westLake = rows.filter((r) => r.region_code === WEST_LAKE).length
  detail(print, `${page.items.length} records (of ${report.inserted} stored, the ${westLake} in 西湖区)`)
  for (const record of page.items.slice(0, 2)) detail(print, JSON.stringify(record))
  check(page.items.length === westLake, `expected the ${westLake} West Lake records, got ${page.items.length}`)
  for (const record of page.items) {
    check(record.region_code === WEST_LAKE, `a record outside the row filter was delivered: ${JSON.stringify(record)}`)
    check(!('description' in record) && !('reporter_name' in record), `a field outside the grant was delivered: ${JSON.stringify(record)}`)
    if (typeof record.reporter_mobile === 'string') check(/^\d{3}\*{4}\d{4}$/.test(record.reporter_mobile), `reporter_mobile is not masked: ${record.reporter_mobile}`)
  }

  // 6 ------------------------------------------------------------------------------------------
  step(`${publisher.org_name} (the owner) asks the audit log who read its dataset`)
  const reads = (await call<Page<AuditEntry>>('GET', `/v1/audit?dataset=${dataset.id}&action=dataset.read`, { token: await token(publisher) })).body.items
  const names = new Map<string, string>()
  for (const entry of reads) {
    const orgId = entry.content.actor_org_id
    if (orgId && !names.has(orgId)) names.set(orgId, (await call<Org>('GET', `/v1/orgs/${orgId}`, { token: await token(publisher) })).body.name)
    detail(print, `#${entry.seq} ${chinaTime(entry.content.at)}  ${names.get(orgId ?? '') ?? 'anonymous'} (${entry.content.actor_client_id ?? '-'})  ${entry.content.decision} ${entry.content.row_count ?? 0} rows  purpose “${entry.content.purpose ?? ''}”  grant ${entry.content.grant_id ?? '-'}`)
  }
  const read = reads.find((e) => e.content.actor_org_id === consumer.org_id && e.content.decision === 'allowed')
  check(read !== undefined, "the organisation's read is not in the owner's audit view")
  check(read!.content.row_count === page.items.length, `the audit entry says ${read!.content.row_count} rows, the read returned ${page.items.length}`)

  // 7 ------------------------------------------------------------------------------------------
  step('The auditor verifies the whole chain, signs a checkpoint, and checks the read against it')
  const verification = (await call<Verification>('GET', '/v1/audit/verify', { token: await token(auditor) })).body
  check(verification.ok, `the audit chain does not verify: ${verification.problem} at ${verification.seq}: ${verification.detail}`)
  detail(print, `chain ok: ${verification.size} entries, head ${verification.head?.slice(0, 16)}…`)
  const checkpoint = (await call<Checkpoint>('POST', '/v1/audit/checkpoints', { token: await token(auditor) })).body
  const jwks = (await call<JSONWebKeySet>('GET', '/.well-known/jwks.json')).body
  const signed = await verifyCheckpoint(checkpoint.jws, jwks)
  check(signed.head.size === checkpoint.size && signed.head.root_hash === checkpoint.root_hash, 'the checkpoint signature does not cover its size and root')
  detail(print, `checkpoint of ${checkpoint.size} entries, root ${checkpoint.root_hash.slice(0, 16)}…, signature by ${signed.kid} verified against /.well-known/jwks.json`)
  const proof = (await call<InclusionProof>('GET', `/v1/audit/entries/${read!.seq}/proof`, { token: await token(auditor) })).body
  const recomputed = await entryHash(proof.entry.prev_hash, proof.entry.content as unknown as AuditEntryContent)
  check(recomputed === proof.entry.hash, `entry ${read!.seq} does not hash to its stored hash`)
  const [leaf] = await entryLeafHashes([recomputed])
  const included = await verifyInclusion(leaf!, read!.seq - 1, proof.checkpoint.size, proof.proof.map(fromHex), fromHex(proof.checkpoint.root_hash))
  check(included, `the inclusion proof of entry ${read!.seq} does not lead to the signed root`)
  detail(print, `entry #${read!.seq} (the read) rehashed, and its ${proof.proof.length}-hash inclusion proof leads to the signed root: it is in the log for good`)

  return { datasetId: dataset.id, requestId: filed.id, grantId: approved.grant_id!, delivered: page.items, readSeq: read!.seq, checkpointSize: checkpoint.size }
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new ScenarioCheckError(message)
}

function detail(print: ScenarioOptions['print'], line: string) {
  print(`     ${line}`)
}

/** Prints each call as it happens: `→ METHOD path  status`. */
function loggingCall(call: Call, print: ScenarioOptions['print']): Call {
  return async <T>(method: string, path: string, options?: CallOptions) => {
    const answer = await call<T>(method, path, options)
    print(`   → ${method} ${decodeURIComponent(path)}  ${answer.status}`)
    return answer
  }
}

/** An ISO instant as China time, the way people here read deadlines: 2026-12-07 23:59 (UTC+8). */
function chinaTime(iso: string): string {
  return `${new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} (UTC+8)`
}

function lightCounts(requests: readonly AccessRequest[]): string {
  const counts = { red: 0, yellow: 0, green: 0 }
  for (const r of requests) if (r.light) counts[r.light]++
  return `${counts.red} red, ${counts.yellow} yellow, ${counts.green} green`
}

// ---- the department's CSV ----------------------------------------------------------------------

const COLUMNS: Record<string, string> = {
  event_id: '事件编号',
  grid_code: '网格编码',
  region_code: '行政区划代码',
  category: '事件类别',
  summary: '事件标题',
  description: '事件描述',
  location: '发生地址',
  longitude: '经度',
  latitude: '纬度',
  status: '处置状态',
  reported_at: '上报时间',
  accepted_at: '受理时间',
  dispatched_at: '派遣时间',
  resolved_at: '办结时间',
  closed_at: '归档时间',
  reporter_name: '上报人',
  reporter_mobile: '上报人电话',
  handling_department: '处置部门',
}

const LOCAL_VALUES: Record<string, Record<string, string>> = {
  category: { public_security: '社会治安', dispute: '矛盾纠纷', safety_hazard: '安全隐患', environment: '环境卫生', public_facility: '公共设施', livelihood: '民生服务', petition: '信访诉求', other: '其他' },
  status: { reported: '已上报', accepted: '已受理', dispatched: '已派遣', in_progress: '处置中', resolved: '已办结', closed: '已归档', rejected: '不予受理' },
}

/** The events as a department's system exports them: Chinese headers and values, local times without an offset. */
function gridEventCsv(records: readonly DemoRecord[]): string {
  const fields = Object.keys(COLUMNS)
  const local = (record: DemoRecord, field: string): string => {
    const value = record[field]
    if (value === undefined) return ''
    if (field in LOCAL_VALUES) return LOCAL_VALUES[field]![String(value)] ?? String(value)
    if (field.endsWith('_at')) return String(value).slice(0, 16).replace('T', ' ') // 2025-03-05 09:30, China time
    return String(value)
  }
  const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text)
  return [fields.map((f) => COLUMNS[f]!).join(','), ...records.map((r) => fields.map((f) => cell(local(r, f))).join(','))].join('\r\n') + '\r\n'
}

/** A row the validator must refuse: a landline in the mobile column, or a day that does not exist. */
function badRow(record: DemoRecord, kind: 'mobile' | 'date'): DemoRecord {
  const id = `${String(record.event_id)}B`
  return kind === 'mobile' ? { ...record, event_id: id, reporter_mobile: '0571-8765432' } : { ...record, event_id: id, reported_at: `${String(record.reported_at).slice(0, 4)}-02-30T10:00:00+08:00` }
}
