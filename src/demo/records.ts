// The demo world's records: fictitious people, businesses, services, grid events, clinics and
// inspections in standard form (field names and canonical values of the standards in schemas/
// and of the two the demo publishes, src/demo/world.ts). Deterministic for a seed and a
// reference date, so two runs on the same day produce the same records.

import {
  DISTRICT_CODES,
  DISTRICTS,
  address,
  birthDate,
  citizenId,
  mobile,
  orgCodeOf,
  personName,
  streetAddress,
  uscc,
  type DistrictCode,
} from './identifiers.js'
import type { Random } from './random.js'

export type DemoRecord = Record<string, string | number | boolean>

/** What every generator shares: the random source, the ids already handed out, the reference day. */
export interface Generation {
  random: Random
  /** Citizen ids and credit codes in use, so that no two people or organisations share one. */
  taken: Set<string>
  /** The China date the world's history starts (YYYY-MM-DD); record dates lie before it. */
  today: string
}

const DAY_MS = 86_400_000

/** The ISO date `days` before `today`. */
function daysBefore(today: string, days: number): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10)
}

/** An RFC 3339 time on a date, China time. */
function at(date: string, hour: number, minute: number): string {
  return `${date}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00+08:00`
}

function addMinutes(time: string, minutes: number): string {
  const instant = new Date(Date.parse(time) + minutes * 60_000 + 8 * 3_600_000)
  return `${instant.toISOString().slice(0, 19)}+08:00`
}

function districtOf(random: Random, weights?: Partial<Record<DistrictCode, number>>): DistrictCode {
  if (!weights) return random.pick(DISTRICT_CODES)
  return random.weighted(weights as Record<DistrictCode, number>)
}

// ---- people (population standard) -----------------------------------------------------------

export interface PeopleOptions {
  count: number
  fromYear: number
  toYear: number
  /** Share of records with a mobile number. */
  withMobile: number
  districts?: Partial<Record<DistrictCode, number>>
}

export function people(gen: Generation, options: PeopleOptions): DemoRecord[] {
  const { random } = gen
  return Array.from({ length: options.count }, () => {
    const district = districtOf(random, options.districts)
    const sex = random.chance(0.5) ? '1' : '2'
    const born = birthDate(random, options.fromYear, options.toYear)
    const home = address(random, district)
    const record: DemoRecord = {
      citizen_id: citizenId(random, { region: district, birthDate: born, sex }, gen.taken),
      name: personName(random),
      sex,
      birth_date: born,
      ethnicity: random.chance(0.96) ? '01' : random.pick(['03', '04', '05', '08', '11', '15', '18']),
      marital_status: random.weighted({ '10': 2, '20': 12, '30': 2, '40': 1 }),
      household_region_code: district,
      household_address: home,
      residence_address: random.chance(0.8) ? home : address(random, districtOf(random)),
      status: random.weighted({ normal: 96, moved_out: 2, deceased: 2 }),
      updated_at: at(daysBefore(gen.today, random.int(1, 60)), random.int(8, 18), random.int(0, 59)),
    }
    if (random.chance(options.withMobile)) record.mobile = mobile(random)
    return record
  })
}

// ---- legal persons (legal-person standard) ----------------------------------------------------

const TRADE_NAMES = ['启明', '云帆', '锦程', '和煦', '青禾', '远山', '知行', '星澜', '恒信', '瑞丰', '嘉禾', '安澜', '拾光', '长风', '朗月', '北辰', '南溪', '东篱', '明德', '顺达']
const INDUSTRIES = [
  { name: '科技', scope: '技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务。' },
  { name: '贸易', scope: '日用百货销售；五金产品批发；电子产品销售；货物进出口。' },
  { name: '餐饮管理', scope: '餐饮管理；餐饮服务；食品销售。' },
  { name: '文化传媒', scope: '组织文化艺术交流活动；广告设计、代理；会议及展览服务。' },
  { name: '家政服务', scope: '家政服务；养老服务；护理机构服务（不含医疗服务）。' },
  { name: '建材', scope: '建筑材料销售；轻质建筑材料销售；建筑装饰材料销售。' },
  { name: '物业管理', scope: '物业管理；停车场服务；城市绿化管理。' },
  { name: '健康咨询', scope: '健康咨询服务（不含诊疗服务）；养生保健服务（非医疗）。' },
]
const SHOPS = ['小吃店', '便利店', '水果店', '理发店', '五金店', '面馆', '花店', '干洗店']

export function legalPersons(gen: Generation, count: number): DemoRecord[] {
  const { random } = gen
  return Array.from({ length: count }, () => {
    const district = districtOf(random)
    const kind = random.weighted({ limited_company: 55, individual_business: 30, sole_proprietorship: 5, partnership: 3, farmers_cooperative: 3, joint_stock_company: 2, other: 2 })
    const industry = random.pick(INDUSTRIES)
    const representative = personName(random)
    const typeChar = kind === 'individual_business' ? '2' : kind === 'farmers_cooperative' ? '3' : '1'
    const code = uscc(random, '9', typeChar, district, gen.taken)
    const name =
      kind === 'individual_business'
        ? `杭州市${DISTRICTS[district]}${representative.charAt(0)}记${random.pick(SHOPS)}`
        : kind === 'farmers_cooperative'
          ? `${DISTRICTS[district]}${random.pick(TRADE_NAMES)}果蔬专业合作社`
          : `杭州${random.pick(TRADE_NAMES)}${random.pick(TRADE_NAMES)}${industry.name}${kind === 'joint_stock_company' ? '股份有限公司' : kind === 'partnership' ? '合伙企业（有限合伙）' : '有限公司'}`
    const representativeBorn = birthDate(random, 1958, 2000)
    const record: DemoRecord = {
      uscc: code,
      name,
      entity_type: kind,
      legal_representative: representative,
      legal_representative_id: citizenId(random, { region: district, birthDate: representativeBorn, sex: random.chance(0.6) ? '1' : '2' }, gen.taken),
      establishment_date: daysBefore(gen.today, random.int(30, 365 * 25)),
      registration_authority: `杭州市${DISTRICTS[district]}市场监督管理局`,
      region_code: district,
      address: streetAddress(random, district),
      business_scope: kind === 'individual_business' ? '小吃服务；食品小作坊经营；日用品零售。' : industry.scope,
      status: random.weighted({ active: 90, cancelled: 5, revoked: 3, moved_out: 2 }),
      org_code: orgCodeOf(code),
      contact_mobile: mobile(random),
      updated_at: at(daysBefore(gen.today, random.int(1, 90)), random.int(8, 18), random.int(0, 59)),
    }
    if (kind !== 'individual_business') record.registered_capital = random.pick([10, 30, 50, 100, 200, 500, 1000, 3000]) * 10_000
    return record
  })
}

// ---- social organisations' services (social-org-service standard) ------------------------------

export interface ServiceProvider {
  uscc: string
  name: string
}

const SERVICE_CONTENT: Record<string, string[]> = {
  elderly_care: ['上门测量血压、血糖，提醒按时服药', '助餐送餐服务，老人行动不便需送餐上门', '陪同就医，老人患有慢性病需定期复查', '居家安全检查，更换防滑地垫'],
  child_welfare: ['留守儿童课后陪伴与作业辅导', '困境儿童家庭走访，了解监护情况'],
  disability_support: ['康复训练陪护，服务对象下肢残疾', '辅助器具适配咨询'],
  social_assistance: ['低保家庭走访，了解家庭收支与就医负担', '临时救助对象生活物资发放'],
  community_service: ['社区环境整治与楼道清理', '邻里纠纷调解'],
  volunteering: ['社区志愿者助老活动', '垃圾分类宣传志愿服务'],
  education: ['老年智能手机使用培训', '家庭教育讲座'],
  health: ['健康讲座与义诊', '心理疏导服务，服务对象近期丧偶情绪低落'],
  other: ['政策咨询与代办服务'],
}

export function services(gen: Generation, providers: readonly ServiceProvider[], count: number): DemoRecord[] {
  const { random } = gen
  return Array.from({ length: count }, (_, i) => {
    const provider = random.pick(providers)
    const district = districtOf(random, { '330106': 5, '330102': 3, '330105': 3, '330108': 2, '330110': 2, '330109': 1 })
    const type = random.weighted({ elderly_care: 30, child_welfare: 10, disability_support: 8, social_assistance: 12, community_service: 12, volunteering: 12, education: 6, health: 8, other: 2 })
    const date = daysBefore(gen.today, random.int(1, 365))
    const born = type === 'elderly_care' ? birthDate(random, 1930, 1960) : type === 'child_welfare' ? birthDate(random, 2010, 2019) : birthDate(random, 1945, 2005)
    const sex = random.chance(0.5) ? '1' : '2'
    const volunteer = type === 'volunteering' || random.chance(0.3)
    const record: DemoRecord = {
      record_id: `FW${date.replaceAll('-', '')}${String(i + 1).padStart(5, '0')}`,
      org_uscc: provider.uscc,
      org_name: provider.name,
      service_type: type,
      service_date: date,
      region_code: district,
      beneficiary_citizen_id: citizenId(random, { region: district, birthDate: born, sex }, gen.taken),
      beneficiary_name: personName(random),
      people_served: random.int(1, type === 'volunteering' || type === 'education' ? 40 : 3),
      service_hours: random.int(1, 8) / 2,
      volunteer_service: volunteer,
      content: random.pick(SERVICE_CONTENT[type] ?? SERVICE_CONTENT.other!),
      recorded_at: at(date, random.int(17, 21), random.int(0, 59)),
    }
    if (random.chance(0.7)) record.beneficiary_mobile = mobile(random)
    if (!volunteer) record.funding_amount = random.int(5, 60) * 10
    return record
  })
}

/** Fictitious social organisations other than the demo's two, providing services in the records. */
export function otherProviders(gen: Generation): ServiceProvider[] {
  const names = ['杭州市上城区邻里守望互助会', '杭州市拱墅区乐龄居家养老服务中心', '杭州市滨江区阳光助残服务社', '杭州市余杭区晨曦儿童关爱中心', '杭州市萧山区同心社会工作服务社', '杭州市慈善助学基金会']
  return names.map((name, i) => ({ name, uscc: uscc(gen.random, '5', i === 5 ? '3' : i % 2 === 0 ? '1' : '2', '330100', gen.taken) }))
}

// ---- grid events (grid-event standard) ----------------------------------------------------------

const EVENT_TEMPLATES: Record<string, { summary: string; description: string }[]> = {
  public_security: [{ summary: '小区夜间有陌生人徘徊', description: '居民{r}反映近几晚有陌生人在{place}附近徘徊，请求加强巡查。' }],
  dispute: [
    { summary: '楼上漏水引发邻里纠纷', description: '{r}反映楼上住户卫生间漏水至其家中，双方协商未果。' },
    { summary: '停车位占用纠纷', description: '{r}反映其固定车位长期被他人占用。' },
  ],
  safety_hazard: [
    { summary: '楼道堆放杂物', description: '{place}楼道堆放大量纸箱杂物，存在消防隐患，由{r}上报。' },
    { summary: '电动车楼道充电', description: '{place}有住户在楼道内为电动车充电，{r}拍照上报。' },
  ],
  environment: [{ summary: '垃圾清运不及时', description: '{place}垃圾桶满溢，气味较大，{r}上报。' }],
  public_facility: [
    { summary: '路灯损坏', description: '{place}附近两盏路灯不亮，夜间出行不便，{r}上报。' },
    { summary: '单元门禁损坏', description: '{place}单元门禁无法关闭，{r}上报。' },
  ],
  livelihood: [
    { summary: '独居老人需要助餐服务', description: '网格员走访发现{place}独居老人{r}行动不便，希望获得助餐服务。' },
    { summary: '高龄老人居家安全隐患', description: '{place}高龄老人{r}家中浴室无扶手，存在跌倒风险。' },
  ],
  petition: [{ summary: '咨询老旧小区加装电梯政策', description: '{r}咨询{place}加装电梯的补助政策与办理流程。' }],
  other: [{ summary: '其他事项', description: '{r}反映的其他事项，已记录。' }],
}

const HANDLERS = ['街道综治中心', '社区居委会', '街道城管中队', '街道社会事务办', '社区卫生服务中心', '派出所社区警务室']

const GRID_DISTRICTS: Partial<Record<DistrictCode, number>> = { '330106': 6, '330102': 3, '330105': 3, '330108': 2, '330110': 2, '330109': 2, '330111': 1 }

export function gridEvents(gen: Generation, count: number, prefix = 'WG', districts = GRID_DISTRICTS): DemoRecord[] {
  const { random } = gen
  return Array.from({ length: count }, (_, i) => {
    const district = districtOf(random, districts)
    const category = random.weighted({ public_security: 8, dispute: 14, safety_hazard: 16, environment: 14, public_facility: 16, livelihood: 20, petition: 6, other: 6 })
    const template = random.pick(EVENT_TEMPLATES[category] ?? EVENT_TEMPLATES.other!)
    const reporter = personName(random)
    const place = streetAddress(random, district)
    const reported = at(daysBefore(gen.today, random.int(1, 120)), random.int(7, 20), random.int(0, 59))
    const status = random.weighted({ reported: 6, accepted: 6, dispatched: 6, in_progress: 10, resolved: 40, closed: 28, rejected: 4 })
    const record: DemoRecord = {
      event_id: `${prefix}${reported.slice(0, 10).replaceAll('-', '')}${String(i + 1).padStart(5, '0')}`,
      grid_code: `${district}${String(random.int(1, 12)).padStart(3, '0')}${String(random.int(1, 30)).padStart(2, '0')}`,
      region_code: district,
      category,
      summary: template.summary,
      description: template.description.replace('{r}', reporter).replace('{place}', place),
      location: place,
      longitude: Math.round((120.05 + random.next() * 0.35) * 1e6) / 1e6,
      latitude: Math.round((30.15 + random.next() * 0.2) * 1e6) / 1e6,
      status,
      reported_at: reported,
      reporter_name: reporter,
      handling_department: `${DISTRICTS[district]}${random.pick(HANDLERS)}`,
    }
    if (random.chance(0.8)) record.reporter_mobile = mobile(random)
    const steps = ['accepted', 'dispatched', 'in_progress', 'resolved', 'closed'] as const
    const reached = steps.indexOf(status as (typeof steps)[number]) + 1 // reported and rejected: no step taken
    let time = reported
    const stamps = ['accepted_at', 'dispatched_at', null, 'resolved_at', 'closed_at'] as const
    for (let step = 0; step < reached; step++) {
      time = addMinutes(time, random.int(20, 60 * 24))
      const field = stamps[step]
      if (field) record[field] = time
    }
    return record
  })
}

// ---- medical institutions (medical-institution, published by the demo) -------------------------

export function medicalInstitutions(gen: Generation): DemoRecord[] {
  const { random } = gen
  const records: DemoRecord[] = []
  const add = (name: string, category: string, grade: string, ownership: 'public' | 'private', district: DistrictCode, beds: number) => {
    const code = ownership === 'public' ? uscc(random, '1', '2', district, gen.taken) : uscc(random, random.chance(0.5) ? '5' : '9', random.chance(0.5) ? '2' : '1', district, gen.taken)
    records.push({
      institution_uscc: code,
      name,
      category,
      grade,
      ownership,
      region_code: district,
      address: streetAddress(random, district),
      beds,
      opening_hours: category === 'clinic' ? '08:00-20:00' : category === 'community_health_centre' ? '08:00-17:00（周末上午门诊）' : '全天24小时急诊',
    })
  }
  for (let n = 1; n <= 9; n++) add(`杭州市第${'一二三四五六七八九'.charAt(n - 1)}人民医院`, 'general_hospital', n <= 4 ? 'grade3a' : 'grade3', 'public', random.pick(DISTRICT_CODES), random.int(600, 2200))
  for (const d of DISTRICT_CODES.slice(0, 6)) add(`杭州市${DISTRICTS[d]}中医院`, 'tcm_hospital', 'grade2a', 'public', d, random.int(150, 600))
  for (const d of DISTRICT_CODES.slice(0, 8)) add(`杭州市${DISTRICTS[d]}妇幼保健院`, 'maternal_child_health', 'grade2', 'public', d, random.int(60, 300))
  for (const name of ['口腔医院', '眼科医院', '精神卫生中心', '肿瘤医院', '康复医院', '儿童医院']) add(`杭州市${name}`, 'specialist_hospital', random.pick(['grade3', 'grade2a']), 'public', random.pick(DISTRICT_CODES), random.int(100, 900))
  for (const d of DISTRICT_CODES) {
    for (let k = 0; k < 4; k++) add(`杭州市${DISTRICTS[d]}${random.pick(['文澜', '明月', '春晖', '青禾', '望湖', '松林', '听涛', '云栖', '柳浪', '梅灵'])}街道社区卫生服务中心`, 'community_health_centre', 'grade1', 'public', d, random.int(0, 60))
  }
  for (const d of ['330111', '330112', '330122', '330127', '330182'] as DistrictCode[]) {
    for (let k = 0; k < 3; k++) add(`${DISTRICTS[d]}${random.pick(['新桥', '洞桥', '胥口', '渌渚', '里山', '万市'])}镇卫生院`, 'township_health_centre', 'grade1', 'public', d, random.int(10, 80))
  }
  while (records.length < 150) {
    const d = random.pick(DISTRICT_CODES)
    add(`杭州${DISTRICTS[d]}${personName(random)}${random.pick(['诊所', '中医诊所', '口腔诊所'])}`, 'clinic', 'ungraded', 'private', d, 0)
  }
  return records
}

// ---- inspections (market-inspection, published by the demo) ------------------------------------

const FINDINGS: Record<string, string[]> = {
  compliant: ['现场检查未发现问题。'],
  rectification_ordered: ['食品经营许可证未在显著位置公示，责令当场整改。', '部分商品未明码标价，负责人已签字确认并限期整改。', '从业人员健康证过期，责令三日内补办。'],
  case_filed: ['发现销售过期食品，已立案调查。', '涉嫌虚假宣传，已固定证据并立案。'],
  not_found: ['通过登记的住所或经营场所无法联系，拟列入经营异常名录。'],
}

export function inspections(gen: Generation, entities: readonly DemoRecord[], count: number): DemoRecord[] {
  const { random } = gen
  return Array.from({ length: count }, (_, i) => {
    const entity = random.pick(entities)
    const date = daysBefore(gen.today, random.int(1, 300))
    const result = random.weighted({ compliant: 62, rectification_ordered: 28, case_filed: 4, not_found: 6 })
    return {
      inspection_id: `JC${date.replaceAll('-', '')}${String(i + 1).padStart(4, '0')}`,
      entity_uscc: String(entity.uscc),
      entity_name: String(entity.name),
      region_code: String(entity.region_code),
      inspection_type: random.weighted({ random_check: 70, complaint: 20, special_campaign: 10 }),
      inspection_date: date,
      result,
      findings: random.pick(FINDINGS[result] ?? FINDINGS.compliant!),
      inspecting_unit: `杭州市${DISTRICTS[String(entity.region_code) as DistrictCode] ?? ''}市场监督管理局`,
    }
  })
}
