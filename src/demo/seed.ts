// `qiao seed demo`: a believable small world, built through the product itself. Everything but
// the platform's two demo clients goes through the public API (createApp + app.request) with
// tokens of real clients, so every rule is enforced and every change is in the audit log; the
// two platform clients are issued by the same service `qiao init` uses, as the operator.
//
// The history runs on a clock set in the past (src/demo/timeline.ts) and moved forward step by
// step, so deadlines, lights, grant expiries and audit times all come out of the product's own
// rules: some pending requests are overdue (red) or nearly due (yellow) when the seed ends.

import { createApp } from '../app.js'
import type { ActionContext } from '../audit/recorder.js'
import { calendarFromConfig } from '../calendar/working-days.js'
import type { Db } from '../db/db.js'
import { listOrgs, type Role } from '../identity/repository.js'
import { issueClient } from '../identity/service.js'
import { processState, type Services } from '../services.js'
import { apiClient, purposeHeader, type Call } from './api.js'
import type { DemoCredential } from './credentials.js'
import { uscc } from './identifiers.js'
import { seededRandom } from './random.js'
import * as make from './records.js'
import { chinaDateOf, demoTimeline, settableClock, type SettableClock, type Timeline } from './timeline.js'
import type { AccessRequest, Aggregate, Checkpoint, Dataset, IngestReport, IssuedClient, Objection, Org, Page, Token } from './types.js'
import {
  CITY,
  DATASETS,
  DEPARTMENT_ROLES,
  DEPARTMENTS,
  MARKET_INSPECTION_STANDARD,
  MEDICAL_INSTITUTION_STANDARD,
  PLATFORM_ROLES,
  SOCIAL_ORG_ROLES,
  SOCIAL_ORGS,
  type DatasetKey,
  type DepartmentKey,
  type SocialOrgKey,
} from './world.js'

/** Refused: the database already holds a world of its own. */
export class DemoRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DemoRefusedError'
  }
}

export interface DemoOptions {
  /** The platform organisation (created by bootstrapPlatform, usually at `demoStartsAt`). */
  platform: { id: string; name: string }
  /** Seed of the record generator: the same seed gives the same people and organisations. */
  seed?: number
}

export type OrgKey = DepartmentKey | SocialOrgKey | 'platform'

export interface DemoRequestOutcome {
  key: string
  id: string
  dataset: DatasetKey
  status: AccessRequest['status']
  light: AccessRequest['light']
}

export interface DemoWorld {
  credentials: DemoCredential[]
  orgs: Record<OrgKey, { id: string; name: string }>
  datasets: Record<DatasetKey, { id: string; code: string; title: string; tier: string; records: number }>
  requests: DemoRequestOutcome[]
  /** Rows refused by validation on ingest (deliberately bad rows in one batch). */
  rejectedRows: number
  objections: { id: string; dataset: DatasetKey; status: Objection['status']; light: Objection['light'] }[]
  checkpoint: { size: number; root_hash: string }
}

export const DEFAULT_DEMO_SEED = 20_260_101

/** When the demo history starts: bootstrap the platform at this instant so the audit log reads in order. */
export function demoStartsAt(services: Pick<Services, 'config' | 'clock'>): Date {
  return demoTimeline(services.clock.now(), calendarFromConfig(services.config)).start
}

/** Refuses unless the database holds no organisation but the platform. */
export async function assertEmptyWorld(db: Db): Promise<void> {
  const others = [...(await listOrgs(db, { kind: 'department', limit: 1 })), ...(await listOrgs(db, { kind: 'social_org', limit: 1 }))]
  if (others.length > 0) {
    throw new DemoRefusedError(
      'the database already has organisations other than the platform: the demo world is only seeded into an empty database (use a new QIAO_DATA_DIR or database)',
    )
  }
}

/**
 * Seeds the demo world. `base.clock.now()` is "now": the history ends there. Refuses a database
 * that already has departments or social organisations.
 */
export async function seedDemo(base: Services, options: DemoOptions): Promise<DemoWorld> {
  await assertEmptyWorld(base.db)
  const timeline = demoTimeline(base.clock.now(), calendarFromConfig(base.config))
  const clock = settableClock(timeline.start)
  // The product's own services with the demo clock: tokens, deadlines and audit times follow it.
  const services: Services = { ...base, clock, ...processState(base.config, clock) }
  const app = createApp(services)
  const seeding = new Seeding(
    services,
    clock,
    timeline,
    apiClient(async (path, init) => app.request(path, init)),
    options,
  )
  return seeding.run()
}

interface Actor extends DemoCredential {
  token?: { value: string; expiresAt: number }
}

class Seeding {
  private readonly actors: Actor[] = []
  private readonly orgs = {} as DemoWorld['orgs']
  private readonly datasets = {} as DemoWorld['datasets']
  /** The social organisations' credit codes, as registered. */
  private readonly socialCodes = {} as Record<SocialOrgKey, string>
  private readonly requests: DemoRequestOutcome[] = []
  private readonly objections: { id: string; dataset: DatasetKey }[] = []
  /** The records ingested, by dataset: the history picks records to dispute from them. */
  private readonly records = {} as Record<DatasetKey, make.DemoRecord[]>
  private readonly random
  private readonly generation

  constructor(
    private readonly services: Services,
    private readonly clock: SettableClock,
    private readonly timeline: Timeline,
    private readonly call: Call,
    private readonly options: DemoOptions,
  ) {
    this.random = seededRandom(options.seed ?? DEFAULT_DEMO_SEED)
    this.generation = { random: this.random, taken: new Set<string>(), today: chinaDateOf(timeline.start) }
  }

  async run(): Promise<DemoWorld> {
    const { workingDaysAgo: day, minutesAgo } = this.timeline
    await this.platformClients()
    await this.organisations()
    await this.standards()
    this.at(day(16, '10:30'))
    const rejectedRows = await this.catalogue()
    await this.exchangeHistory(day)
    this.at(minutesAgo(5))
    const checkpoint = (await this.call<Checkpoint>('POST', '/v1/audit/checkpoints', { token: await this.token(this.actor('auditor', 'platform')) })).body
    return {
      credentials: this.actors.map(({ token: _token, ...credential }) => credential),
      orgs: this.orgs,
      datasets: this.datasets,
      requests: await this.currentRequests(),
      rejectedRows,
      objections: await this.currentObjections(),
      checkpoint: { size: checkpoint.size, root_hash: checkpoint.root_hash },
    }
  }

  // ---- who ------------------------------------------------------------------------------------

  private async platformClients() {
    const platform = this.options.platform
    this.orgs.platform = { id: platform.id, name: platform.name }
    const ctx: ActionContext = { requestId: 'demo-seed', actor: null, sourceIp: null, at: this.clock.now() }
    const issued = await Promise.all(PLATFORM_ROLES.map((role) => issueClient(this.services.db, ctx, platform.id, { name: `demo ${role}`, roles: [role] })))
    issued.forEach(({ client, secret }, i) => {
      this.actors.push({ role: PLATFORM_ROLES[i]!, org_id: platform.id, org_name: platform.name, org_kind: 'platform', client_id: client.id, client_secret: secret })
    })
  }

  private async organisations() {
    const admin = await this.token(this.actor('admin', 'platform'))
    this.clock.advance(60)
    const created: { org: Org; roles: readonly Role[] }[] = []
    for (const [key, department] of Object.entries(DEPARTMENTS) as [DepartmentKey, (typeof DEPARTMENTS)[DepartmentKey]][]) {
      const org = await this.call<Org>('POST', '/v1/orgs', { token: admin, body: { kind: 'department', name: department.name, level: 'city', region_code: CITY.region_code } })
      this.orgs[key] = { id: org.body.id, name: org.body.name }
      created.push({ org: org.body, roles: DEPARTMENT_ROLES })
    }
    for (const [key, social] of Object.entries(SOCIAL_ORGS) as [SocialOrgKey, (typeof SOCIAL_ORGS)[SocialOrgKey]][]) {
      const code = uscc(this.random, '5', social.type, social.division, this.generation.taken)
      const org = await this.call<Org>('POST', '/v1/orgs', { token: admin, body: { kind: 'social_org', name: social.name, uscc: code } })
      this.orgs[key] = { id: org.body.id, name: org.body.name }
      this.socialCodes[key] = code
      created.push({ org: org.body, roles: SOCIAL_ORG_ROLES })
    }
    this.clock.advance(300)
    // Issued together: hashing each new secret (PBKDF2) is most of the cost, and it runs in parallel.
    const issued = await Promise.all(
      created.flatMap(({ org, roles }) =>
        roles.map(async (role) => {
          const client = await this.call<IssuedClient>('POST', `/v1/orgs/${org.id}/clients`, { token: admin, body: { name: `demo ${role}`, roles: [role] } })
          return { role, org_id: org.id, org_name: org.name, org_kind: org.kind, client_id: client.body.client_id, client_secret: client.body.client_secret }
        }),
      ),
    )
    this.actors.push(...issued)
  }

  private actor(role: Role, org: OrgKey): Actor {
    const orgId = this.orgs[org]?.id
    const found = this.actors.find((a) => a.role === role && a.org_id === orgId)
    if (!found) throw new Error(`no demo ${role} in ${org}`)
    return found
  }

  /** A token valid at the demo clock's time: fetched again once the clock has moved past it. */
  private async token(actor: Actor): Promise<string> {
    const now = this.clock.now().getTime()
    if (actor.token && actor.token.expiresAt - 60_000 > now) return actor.token.value
    const issued = await this.call<Token>('POST', '/v1/auth/token', {
      body: { grant_type: 'client_credentials', client_id: actor.client_id, client_secret: actor.client_secret },
    })
    actor.token = { value: issued.body.access_token, expiresAt: now + issued.body.expires_in * 1000 }
    return actor.token.value
  }

  private at(instant: Date) {
    this.clock.set(instant)
  }

  // ---- what -----------------------------------------------------------------------------------

  private async standards() {
    const admin = await this.token(this.actor('admin', 'platform'))
    for (const standard of [MEDICAL_INSTITUTION_STANDARD, MARKET_INSPECTION_STANDARD]) {
      this.clock.advance(120)
      await this.call('POST', '/v1/standards', { token: admin, body: standard })
    }
  }

  /** Registers the seven datasets and ingests their records; answers the rows validation refused. */
  private async catalogue(): Promise<number> {
    const gen = this.generation
    // The services are delivered by the two demo organisations and a few others.
    const providers = [
      ...(Object.keys(SOCIAL_ORGS) as SocialOrgKey[]).map((key) => ({ uscc: this.socialCodes[key], name: SOCIAL_ORGS[key].name })),
      ...make.otherProviders(gen),
    ]

    const legal = make.legalPersons(gen, 800)
    const contracted = make.people(gen, { count: 800, fromYear: 1938, toYear: 2022, withMobile: 0.9 })
    const records: Record<DatasetKey, make.DemoRecord[]> = {
      assistance: make.people(gen, { count: 1200, fromYear: 1935, toYear: 2015, withMobile: 0.75, districts: { '330106': 3, '330102': 2, '330105': 2, '330109': 2, '330110': 2, '330111': 1, '330122': 1, '330127': 1 } }),
      grid: make.gridEvents(gen, 600),
      services: make.services(gen, providers, 600),
      legal,
      inspections: make.inspections(gen, legal.filter((r) => r.entity_type !== 'farmers_cooperative'), 300),
      institutions: make.medicalInstitutions(gen),
      contracted,
    }

    Object.assign(this.records, records)
    let rejected = 0
    for (const key of Object.keys(DATASETS) as DatasetKey[]) {
      const plan = DATASETS[key]
      const publisher = await this.token(this.actor('publisher', plan.owner))
      this.clock.advance(90)
      const dataset = (await this.call<Dataset>('POST', '/v1/datasets', { token: publisher, body: plan.registration })).body
      if (dataset.tier !== plan.tier) throw new Error(`${key}: registered at ${dataset.tier}, the demo expects ${plan.tier}`)
      this.clock.advance(30)
      const report = await this.ingest(key, publisher, dataset.id, records[key])
      rejected += report.rejected
      this.datasets[key] = { id: dataset.id, code: dataset.code, title: dataset.title, tier: dataset.tier, records: report.inserted }
    }
    return rejected
  }

  private async ingest(key: DatasetKey, token: string, datasetId: string, records: make.DemoRecord[]): Promise<IngestReport> {
    const path = `/v1/datasets/${datasetId}/records`
    if (key === 'legal') {
      // Market regulation exports CSV with Chinese column names and values: the standard's aliases map them.
      return (await this.call<IngestReport>('POST', path, { token, body: legalPersonCsv(records), contentType: 'text/csv; charset=utf-8' })).body
    }
    if (key === 'contracted') {
      // Stored in part: the report names the three bad rows, the valid ones are kept.
      const bad = badPopulationRows(make.people(this.generation, { count: 3, fromYear: 1950, toYear: 2000, withMobile: 1 }))
      return (await this.call<IngestReport>('POST', `${path}?mode=partial`, { token, body: [...records.slice(0, 400), ...bad, ...records.slice(400)] })).body
    }
    return (await this.call<IngestReport>('POST', path, { token, body: records })).body
  }

  // ---- the exchange's history ----------------------------------------------------------------

  private async exchangeHistory(day: Timeline['workingDaysAgo']) {
    this.at(day(15, '14:10'))
    const healthAssistance = await this.request('health-assistance', 'health', 'assistance', {
      purpose: PURPOSES.healthAssistance,
      legal_basis: '《社会救助暂行办法》第二十八条；《关于推进家庭医生签约服务的指导意见》（国医改办发〔2016〕1号）',
      fields: ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'mobile', 'status'],
      duration_days: 365,
    })

    this.at(day(14, '10:20'))
    await this.approve('civil', healthAssistance, {
      fields: ['citizen_id', 'name', 'sex', 'birth_date', 'household_region_code', 'status'],
      masks: { citizen_id: { type: 'show-first-n', n: 6, last: 4 }, name: { type: 'show-first-n', n: 1 } },
      row_filter: [{ field: 'status', op: 'eq', value: 'normal' }],
      daily_quota: 5000,
      note: '同意。按最小必要原则不提供联系方式；仅提供在册（正常）人员，身份号码、姓名脱敏。',
    })

    this.at(day(13, '15:00'))
    const elderlyGrid = await this.request('elderly-grid', 'elderly', 'grid', {
      purpose: PURPOSES.elderlyGrid,
      legal_basis: '《浙江省社区居家养老服务条例》；西湖区民政局居家养老服务购买合同（西民〔2025〕17号）',
      fields: ['event_id', 'region_code', 'category', 'summary', 'description', 'location', 'status', 'reported_at', 'reporter_name', 'reporter_mobile'],
      duration_days: 180,
    })
    await this.read('health', 'assistance', PURPOSES.healthAssistance, 50)
    this.at(day(13, '16:00'))
    await this.call('POST', `/v1/access-requests/${healthAssistance.id}/rating`, {
      token: await this.token(this.actor('consumer', 'health')),
      body: { score: 4, comment: '审批及时；未提供联系方式，但满足核验需要。' },
    })

    this.at(day(12, '09:40'))
    const volunteersGrid = await this.request('volunteers-grid', 'volunteers', 'grid', {
      purpose: PURPOSES.volunteersGrid,
      legal_basis: '本协会章程第三条',
      fields: ['event_id', 'region_code', 'category', 'summary', 'location', 'reporter_name', 'reporter_mobile'],
      duration_days: 365,
    })
    this.at(day(12, '11:05'))
    await this.request('civil-legal', 'civil', 'legal', {
      purpose: PURPOSES.civilLegal,
      legal_basis: '《社会组织登记管理条例》第二十八条；民政部门与市场监管部门信息共享机制',
      fields: ['uscc', 'name', 'entity_type', 'legal_representative', 'legal_representative_id', 'status', 'region_code'],
      duration_days: 365,
    })

    // An objection that goes round the whole loop: raised, accepted, corrected, closed with a rating.
    this.at(day(12, '14:00'))
    const movedAway = this.records.assistance.find((r) => r.status === 'normal' && r.household_region_code === '330106')!
    const corrected = await this.raiseObjection('health', 'assistance', {
      record_key: String(movedAway.citizen_id),
      description: '签约核验时发现该人员已于上月迁出本市（户籍迁往绍兴市），名单中仍为“正常”，请核实更新。',
      proposed_value: { status: 'moved_out' },
    })
    this.at(day(12, '16:00'))
    await this.objectionStep('civil', corrected, 'accept')

    this.at(day(11, '16:00'))
    await this.approve('civil', elderlyGrid, {
      fields: ['event_id', 'region_code', 'category', 'summary', 'location', 'status', 'reported_at'],
      masks: { summary: { type: 'show-first-n', n: 12 }, location: { type: 'show-first-n', n: 6 } },
      row_filter: [
        { field: 'region_code', op: 'eq', value: '330106' },
        { field: 'category', op: 'in', values: ['livelihood', 'public_facility', 'safety_hazard'] },
      ],
      daily_quota: 2000,
      note: '同意。限西湖区民生服务、公共设施、安全隐患类事件；不提供事件描述与上报人信息，地址仅到区。',
    })
    this.at(day(11, '16:30'))
    await this.reject('civil', volunteersGrid, '用途为宣传推广，不属于履职或公共服务需要；申请的上报人姓名、联系电话超出必要范围（《个人信息保护法》第六条）。可调整用途和字段后重新申请。')

    this.at(day(10, '09:15'))
    await this.read('elderly', 'grid', PURPOSES.elderlyGrid, 100)
    this.at(day(10, '10:00'))
    const volunteersServices = await this.request('volunteers-services', 'volunteers', 'services', {
      purpose: PURPOSES.volunteersServices,
      legal_basis: '《杭州市志愿服务条例》第十五条；本协会与市民政局志愿服务合作协议',
      fields: ['service_type', 'region_code', 'service_date'],
      duration_days: 90,
    })
    this.at(day(10, '11:00'))
    const correction = await this.call<IngestReport>('POST', `/v1/datasets/${this.datasets.assistance.id}/records`, {
      token: await this.token(this.actor('publisher', 'civil')),
      body: [{ ...movedAway, status: 'moved_out', updated_at: isoChinaTime(this.clock.now()) }],
    })
    await this.objectionStep('civil', corrected, 'resolve', { outcome: 'corrected', note: '经核实，该人员已迁出本市，已更新人口状态并停止低保待遇。', ingest_id: correction.body.id })
    this.at(day(10, '14:30'))
    // Without a grant for this purpose: refused, and the refusal is in the audit log.
    await this.read('volunteers', 'grid', PURPOSES.volunteersGrid, 20, [403])

    this.at(day(9, '09:30'))
    await this.objectionStep('health', corrected, 'close', { rating: 5, comment: '处理及时，已更正。' })
    this.at(day(9, '14:00'))
    await this.request('health-legal', 'health', 'legal', {
      purpose: PURPOSES.healthLegal,
      legal_basis: '《医疗机构管理条例》第十五条；卫生健康与市场监管部门信息共享机制',
      fields: ['uscc', 'name', 'entity_type', 'legal_representative', 'status', 'region_code'],
      duration_days: 180,
    })

    this.at(day(8, '11:00'))
    await this.approve('civil', volunteersServices, { note: '同意。仅提供统计结果（5 条以下的分组不予显示）。' })
    this.at(day(7, '09:30'))
    await this.aggregate('volunteers', 'services', PURPOSES.volunteersServices, 'service_type,region_code')

    this.at(day(6, '10:10'))
    await this.read('elderly', 'grid', PURPOSES.elderlyGrid, 50)
    await this.read('market', 'institutions', '药品经营许可现场核查', 100)
    this.at(day(5, '15:20'))
    await this.read('health', 'assistance', PURPOSES.healthAssistance, 200)
    this.at(day(4, '11:45'))
    await this.read(undefined, 'institutions', undefined, 20)

    this.at(day(2, '15:00'))
    await this.read('elderly', 'grid', PURPOSES.elderlyGrid, 20)
    // An objection still open: accepted, being checked; reads of the record carry _flags: ["disputed"].
    this.at(day(2, '16:00'))
    const stale = this.records.grid.find((r) => r.region_code === '330106' && r.category === 'livelihood' && r.status === 'in_progress')
    const open = await this.raiseObjection('elderly', 'grid', {
      record_key: String(stale?.event_id ?? this.records.grid[0]!.event_id),
      description: '该事件所涉老人已由我中心于上周开通助餐服务，事件仍显示“处置中”，请核实后更新为已办结。',
      proposed_value: { status: 'resolved' },
    })
    this.at(day(1, '09:30'))
    await this.objectionStep('civil', open, 'accept')

    this.at(day(1, '10:00'))
    // L4 to a social organisation: aggregates only, so it asks for dimensions, not records.
    await this.request('elderly-legal', 'elderly', 'legal', {
      purpose: PURPOSES.elderlyLegal,
      legal_basis: '《浙江省社区居家养老服务条例》第二十二条；助餐服务合作商户遴选办法',
      fields: ['entity_type', 'region_code', 'status'],
      duration_days: 90,
    })
  }

  private async raiseObjection(raiser: OrgKey, dataset: DatasetKey, body: Record<string, unknown>): Promise<{ id: string; dataset: DatasetKey }> {
    const token = await this.token(this.actor('consumer', raiser))
    const raised = await this.call<Objection>('POST', `/v1/datasets/${this.datasets[dataset].id}/objections`, { token, body })
    this.objections.push({ id: raised.body.id, dataset })
    return { id: raised.body.id, dataset }
  }

  /** accept and resolve are the owner's publisher's; close is the raiser's consumer's. */
  private async objectionStep(org: OrgKey, objection: { id: string }, step: 'accept' | 'resolve' | 'close', body: Record<string, unknown> = {}) {
    const token = await this.token(this.actor(step === 'close' ? 'consumer' : 'publisher', org))
    await this.call<Objection>('POST', `/v1/objections/${objection.id}/${step}`, { token, body })
  }

  private async request(key: string, consumer: OrgKey, dataset: DatasetKey, body: Record<string, unknown>): Promise<{ key: string; id: string; dataset: DatasetKey }> {
    const token = await this.token(this.actor('consumer', consumer))
    const filed = await this.call<AccessRequest>('POST', '/v1/access-requests', { token, body: { dataset_id: this.datasets[dataset].id, ...body } })
    this.requests.push({ key, id: filed.body.id, dataset, status: filed.body.status, light: filed.body.light })
    return { key, id: filed.body.id, dataset }
  }

  private async approve(approver: DepartmentKey, request: { id: string }, terms: Record<string, unknown>) {
    const token = await this.token(this.actor('approver', approver))
    await this.call<AccessRequest>('POST', `/v1/access-requests/${request.id}/approve`, { token, body: terms })
  }

  private async reject(approver: DepartmentKey, request: { id: string }, reason: string) {
    const token = await this.token(this.actor('approver', approver))
    await this.call<AccessRequest>('POST', `/v1/access-requests/${request.id}/reject`, { token, body: { reason } })
  }

  /** A read of records: by a consumer with its purpose, or anonymously (undefined). */
  private async read(reader: OrgKey | undefined, dataset: DatasetKey, purpose: string | undefined, limit: number, expect?: number[]) {
    const token = reader ? await this.token(this.actor('consumer', reader)) : undefined
    await this.call<Page<Record<string, unknown>>>('GET', `/v1/datasets/${this.datasets[dataset].id}/records?limit=${limit}`, {
      token,
      headers: purpose ? purposeHeader(purpose) : {},
      expect,
    })
    this.clock.advance(40)
  }

  private async aggregate(reader: OrgKey, dataset: DatasetKey, purpose: string, groupBy: string) {
    const token = await this.token(this.actor('consumer', reader))
    await this.call<Aggregate>('GET', `/v1/datasets/${this.datasets[dataset].id}/aggregate?group_by=${groupBy}`, { token, headers: purposeHeader(purpose) })
  }

  /** Requests as they stand now (the platform's view of every request, through each approver). */
  private async currentRequests(): Promise<DemoRequestOutcome[]> {
    const current: DemoRequestOutcome[] = []
    for (const request of this.requests) {
      const owner = DATASETS[request.dataset].owner
      const token = await this.token(this.actor('approver', owner))
      const view = (await this.call<AccessRequest>('GET', `/v1/access-requests/${request.id}`, { token })).body
      current.push({ ...request, status: view.status, light: view.light })
    }
    return current
  }

  /** Objections as they stand now, through each owner's publisher. */
  private async currentObjections(): Promise<DemoWorld['objections']> {
    const current: DemoWorld['objections'] = []
    for (const objection of this.objections) {
      const token = await this.token(this.actor('publisher', DATASETS[objection.dataset].owner))
      const view = (await this.call<Objection>('GET', `/v1/objections/${objection.id}`, { token })).body
      current.push({ id: view.id, dataset: objection.dataset, status: view.status, light: view.light })
    }
    return current
  }
}

/** The purposes consumers state when they apply, and again (X-Purpose) on every read. */
export const PURPOSES = {
  healthAssistance: '家庭医生签约服务费减免资格核验',
  elderlyGrid: '社区居家养老服务需求排查',
  volunteersGrid: '志愿服务活动宣传推广',
  civilLegal: '社会组织登记信息比对',
  healthLegal: '医疗机构主体资格核验',
  volunteersServices: '志愿服务需求分析',
  elderlyLegal: '养老助餐合作商户分布统计',
} as const

const LEGAL_PERSON_COLUMNS: Record<string, string> = {
  uscc: '统一社会信用代码',
  name: '企业名称',
  entity_type: '主体类型',
  legal_representative: '法定代表人',
  legal_representative_id: '法定代表人身份证号',
  registered_capital: '注册资本',
  establishment_date: '成立日期',
  registration_authority: '登记机关',
  region_code: '行政区划代码',
  address: '住所',
  business_scope: '经营范围',
  status: '登记状态',
  org_code: '组织机构代码',
  contact_mobile: '联系电话',
  updated_at: '更新时间',
}

const ENTITY_TYPE_NAMES: Record<string, string> = {
  limited_company: '有限责任公司',
  joint_stock_company: '股份有限公司',
  sole_proprietorship: '个人独资企业',
  partnership: '合伙企业',
  individual_business: '个体工商户',
  farmers_cooperative: '农民专业合作社',
  other: '其他',
}
const STATUS_NAMES: Record<string, string> = { active: '存续', revoked: '吊销', cancelled: '注销', moved_out: '迁出' }

/** The legal persons as market regulation's CSV export: Chinese headers and values, dates as 2019/3/5. */
function legalPersonCsv(records: readonly make.DemoRecord[]): string {
  const fields = Object.keys(LEGAL_PERSON_COLUMNS)
  const cell = (value: unknown) => (value === undefined ? '' : /[",\r\n]/.test(String(value)) ? `"${String(value).replaceAll('"', '""')}"` : String(value))
  const local = (record: make.DemoRecord, field: string): unknown => {
    const value = record[field]
    if (field === 'entity_type') return ENTITY_TYPE_NAMES[String(value)]
    if (field === 'status') return STATUS_NAMES[String(value)]
    if (field === 'establishment_date') return String(value).split('-').map(Number).join('/')
    return value
  }
  const lines = [fields.map((f) => cell(LEGAL_PERSON_COLUMNS[f])).join(','), ...records.map((r) => fields.map((f) => cell(local(r, f))).join(','))]
  return `${lines.join('\r\n')}\r\n`
}

/**
 * Three rows as they arrive in real feeds, each wrong in one way: a mistyped check character, an
 * impossible birth date, a landline in the mobile column. Built from people not in `records`.
 */
/** RFC 3339 in China time, as feeds send it. */
function isoChinaTime(instant: Date): string {
  return `${new Date(instant.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`
}

function badPopulationRows(people: readonly make.DemoRecord[]): make.DemoRecord[] {
  const [a, b, c] = [people[0]!, people[1]!, people[2]!]
  const id = String(a.citizen_id)
  return [
    { ...a, citizen_id: id.slice(0, 17) + (id[17] === '0' ? '1' : '0') },
    { ...b, birth_date: `${String(b.birth_date).slice(0, 4)}-02-30` },
    { ...c, mobile: '0571-87654321' },
  ]
}
