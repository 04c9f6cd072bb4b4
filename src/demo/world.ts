// Who and what the demo world holds: one city (杭州市, 330100) with three departments, two social
// organisations, and seven datasets at every tier. Five datasets use the standards shipped in
// schemas/; the shipped ones are all L3 or L4, so the admin first publishes two small standards
// built on the shipped base elements — an L1 directory and an L2 result list — the way any admin
// would (POST /v1/standards).

import type { Role } from '../identity/repository.js'

export const CITY = { name: '杭州市', region_code: '330100' } as const

export type DepartmentKey = 'civil' | 'market' | 'health'
export type SocialOrgKey = 'elderly' | 'volunteers'

export const DEPARTMENTS: Record<DepartmentKey, { name: string; english: string }> = {
  civil: { name: '杭州市民政局', english: 'civil affairs' },
  market: { name: '杭州市市场监督管理局', english: 'market regulation' },
  health: { name: '杭州市卫生健康委员会', english: 'health' },
}

/** Social organisations register with civil affairs: credit codes start 5, then 1 (社会团体) or 2 (民办非企业单位). */
export const SOCIAL_ORGS: Record<SocialOrgKey, { name: string; english: string; type: '1' | '2'; division: string }> = {
  elderly: { name: '杭州市西湖区颐和居家养老服务中心', english: 'home elderly care centre', type: '2', division: '330106' },
  volunteers: { name: '杭州市青禾志愿者协会', english: 'volunteers association', type: '1', division: '330100' },
}

/** One client per role and organisation, so each role can be tried on its own. */
export const DEPARTMENT_ROLES: readonly Role[] = ['publisher', 'approver', 'consumer']
export const SOCIAL_ORG_ROLES: readonly Role[] = ['consumer']
export const PLATFORM_ROLES: readonly Role[] = ['admin', 'auditor']

/** An L1 directory: every field public. */
export const MEDICAL_INSTITUTION_STANDARD = {
  name: 'medical-institution',
  version: '1.0.0',
  title: '医疗机构名录 / Medical institution directory',
  schema: {
    description: 'One record per licensed medical institution: the public directory (医疗机构名录) health commissions publish.',
    'x-key': 'institution_uscc',
    type: 'object',
    properties: {
      institution_uscc: {
        $ref: '../base/1.0.0#/$defs/uscc',
        title: '机构统一社会信用代码 / Institution credit code',
        'x-aliases': ['机构统一社会信用代码', '统一社会信用代码', 'jgdm'],
      },
      name: { title: '机构名称 / Name', type: 'string', minLength: 1, maxLength: 200, 'x-sensitivity': 'L1', 'x-aliases': ['机构名称', '医疗机构名称', 'jgmc'] },
      category: {
        title: '机构类别 / Category',
        type: 'string',
        enum: ['general_hospital', 'tcm_hospital', 'specialist_hospital', 'maternal_child_health', 'community_health_centre', 'township_health_centre', 'clinic'],
        'x-enum-aliases': {
          general_hospital: ['综合医院'],
          tcm_hospital: ['中医医院'],
          specialist_hospital: ['专科医院'],
          maternal_child_health: ['妇幼保健院'],
          community_health_centre: ['社区卫生服务中心'],
          township_health_centre: ['乡镇卫生院'],
          clinic: ['诊所'],
        },
        'x-sensitivity': 'L1',
        'x-aliases': ['机构类别', 'jglb'],
        'x-aggregatable': 'value',
      },
      grade: {
        title: '医院等级 / Grade',
        type: 'string',
        enum: ['grade3a', 'grade3', 'grade2a', 'grade2', 'grade1', 'ungraded'],
        'x-enum-aliases': { grade3a: ['三级甲等'], grade3: ['三级'], grade2a: ['二级甲等'], grade2: ['二级'], grade1: ['一级'], ungraded: ['未定级'] },
        'x-sensitivity': 'L1',
        'x-aliases': ['医院等级', 'yydj'],
        'x-aggregatable': 'value',
      },
      ownership: {
        title: '举办性质 / Ownership',
        type: 'string',
        enum: ['public', 'private'],
        'x-enum-aliases': { public: ['公立'], private: ['民营', '社会办'] },
        'x-sensitivity': 'L1',
        'x-aliases': ['举办性质', 'jbxz'],
        'x-aggregatable': 'value',
      },
      region_code: { $ref: '../base/1.0.0#/$defs/region_code', title: '所在行政区划 / Division' },
      address: {
        $ref: '../base/1.0.0#/$defs/address',
        title: '机构地址 / Address',
        description: 'Published in the directory, hence L1.',
        'x-sensitivity': 'L1',
        'x-masked-sensitivity': 'L1',
        'x-aliases': ['机构地址', '地址', 'jgdz'],
      },
      beds: { title: '核定床位 / Licensed beds', type: 'integer', minimum: 0, 'x-sensitivity': 'L1', 'x-aliases': ['核定床位', '床位数', 'cws'] },
      opening_hours: { title: '服务时间 / Opening hours', type: 'string', maxLength: 100, 'x-sensitivity': 'L1', 'x-aliases': ['服务时间', 'fwsj'] },
    },
    required: ['institution_uscc', 'name', 'category', 'ownership', 'region_code'],
    additionalProperties: false,
  },
} as const

/** An L2 result list: public facts plus inspectors' free-text findings (L2, redacted when masked). */
export const MARKET_INSPECTION_STANDARD = {
  name: 'market-inspection',
  version: '1.0.0',
  title: '市场监管检查结果 / Market inspection result',
  schema: {
    description: 'One record per inspection of a market entity (双随机、一公开 and complaint checks): who, when, the result, and the inspectors’ findings.',
    'x-key': 'inspection_id',
    type: 'object',
    properties: {
      inspection_id: { title: '检查编号 / Inspection number', type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$', 'x-sensitivity': 'L1', 'x-aliases': ['检查编号', 'jcbh'] },
      entity_uscc: { $ref: '../base/1.0.0#/$defs/uscc', title: '被检查主体统一社会信用代码 / Inspected entity credit code', 'x-aliases': ['被检查主体统一社会信用代码', '统一社会信用代码', 'ztdm'] },
      entity_name: { title: '被检查主体名称 / Inspected entity', type: 'string', minLength: 1, maxLength: 200, 'x-sensitivity': 'L1', 'x-aliases': ['被检查主体名称', '主体名称', 'ztmc'] },
      region_code: { $ref: '../base/1.0.0#/$defs/region_code', title: '所在行政区划 / Division' },
      inspection_type: {
        title: '检查类型 / Inspection type',
        type: 'string',
        enum: ['random_check', 'complaint', 'special_campaign'],
        'x-enum-aliases': { random_check: ['双随机抽查'], complaint: ['投诉举报核查'], special_campaign: ['专项检查'] },
        'x-sensitivity': 'L1',
        'x-aliases': ['检查类型', 'jclx'],
        'x-aggregatable': 'value',
      },
      inspection_date: { $ref: '../base/1.0.0#/$defs/date', title: '检查日期 / Inspection date', 'x-sensitivity': 'L1', 'x-aliases': ['检查日期', 'jcrq'], 'x-aggregatable': 'month' },
      result: {
        title: '检查结果 / Result',
        type: 'string',
        enum: ['compliant', 'rectification_ordered', 'case_filed', 'not_found'],
        'x-enum-aliases': { compliant: ['未发现问题'], rectification_ordered: ['责令整改'], case_filed: ['立案调查'], not_found: ['通过登记的住所或经营场所无法联系'] },
        'x-sensitivity': 'L1',
        'x-aliases': ['检查结果', 'jcjg'],
        'x-aggregatable': 'value',
      },
      findings: {
        title: '检查情况 / Findings',
        description: 'Inspectors’ notes; may name staff met on site.',
        type: 'string',
        maxLength: 2000,
        'x-sensitivity': 'L2',
        'x-masked-sensitivity': 'L1',
        'x-mask': { type: 'redact' },
        'x-aliases': ['检查情况', 'jcqk'],
      },
      inspecting_unit: { title: '检查机关 / Inspecting unit', type: 'string', maxLength: 100, 'x-sensitivity': 'L1', 'x-aliases': ['检查机关', 'jcjg_dw'] },
    },
    required: ['inspection_id', 'entity_uscc', 'entity_name', 'region_code', 'inspection_type', 'inspection_date', 'result'],
    additionalProperties: false,
  },
} as const

export type DatasetKey = 'assistance' | 'grid' | 'services' | 'legal' | 'inspections' | 'institutions' | 'contracted'

export interface DatasetPlan {
  owner: DepartmentKey
  tier: 'L1' | 'L2' | 'L3' | 'L4'
  registration: Record<string, unknown>
}

const standard = (name: string) => ({ name, version: '1.0.0' })

/** The catalogue entries, as each department's publisher registers them (POST /v1/datasets). */
export const DATASETS: Record<DatasetKey, DatasetPlan> = {
  assistance: {
    owner: 'civil',
    tier: 'L4',
    registration: {
      code: '330100/MZ-00001',
      name: '杭州市最低生活保障及特困供养人员基本信息',
      title: '低保特困人员',
      abstract: '全市低保、特困供养对象的身份、户籍地与联系方式，按月更新。用于社会救助、医疗救助等资格核查。',
      standard: standard('population'),
      format: 'database',
      sharing: 'conditional',
      sharing_conditions: '用于社会救助、医疗救助、费用减免等资格核查，按最小必要原则提供',
      legal_basis: '《社会救助暂行办法》第六十六条：对履行社会救助职责过程中获悉的公民个人信息，除按照规定应当公示的信息外，应当予以保密',
      open: 'none',
      update_cycle: 'monthly',
    },
  },
  grid: {
    owner: 'civil',
    tier: 'L3',
    registration: {
      code: '330100/MZ-00002',
      name: '杭州市城乡社区网格事件',
      title: '网格事件',
      abstract: '城乡社区网格员上报的事件：类别、地点、处置状态与各环节时间，每日更新。',
      standard: standard('grid-event'),
      format: 'database',
      sharing: 'unconditional',
      open: 'conditional',
      open_conditions: '经审批后向承接社区服务的社会组织提供脱敏数据',
      update_cycle: 'daily',
    },
  },
  services: {
    owner: 'civil',
    tier: 'L4',
    registration: {
      code: '330100/MZ-00003',
      name: '杭州市社会组织服务记录',
      title: '社会组织服务记录',
      abstract: '社会组织开展养老、助残、救助、志愿等服务的记录，含服务对象信息，按月汇交。',
      standard: standard('social-org-service'),
      format: 'database',
      sharing: 'unconditional',
      open: 'conditional',
      open_conditions: '经审批后向社会组织提供统计结果',
      update_cycle: 'monthly',
    },
  },
  legal: {
    owner: 'market',
    tier: 'L4',
    registration: {
      code: '330100/SJ-00001',
      name: '杭州市市场主体登记信息',
      title: '市场主体',
      abstract: '企业、个体工商户、农民专业合作社的登记信息，每日更新。法人基础信息，无条件共享。',
      standard: standard('legal-person'),
      format: 'database',
      sharing: 'unconditional',
      open: 'conditional',
      open_conditions: '经审批后向社会提供统计结果',
      update_cycle: 'daily',
    },
  },
  inspections: {
    owner: 'market',
    tier: 'L2',
    registration: {
      code: '330100/SJ-00002',
      name: '杭州市市场监管检查结果',
      title: '检查结果',
      abstract: '“双随机、一公开”抽查与投诉核查的检查结果，按月更新。检查情况为执法人员记录。',
      standard: standard('market-inspection'),
      format: 'database',
      sharing: 'unconditional',
      open: 'conditional',
      open_conditions: '经审批后向社会组织提供，检查情况脱敏',
      update_cycle: 'monthly',
    },
  },
  institutions: {
    owner: 'health',
    tier: 'L1',
    registration: {
      code: '330100/WJ-00001',
      name: '杭州市医疗机构名录',
      title: '医疗机构名录',
      abstract: '全市医疗机构的名称、类别、等级、地址、床位与服务时间。向社会无条件开放。',
      standard: standard('medical-institution'),
      format: 'spreadsheet',
      sharing: 'unconditional',
      open: 'unconditional',
      update_cycle: 'monthly',
    },
  },
  contracted: {
    owner: 'health',
    tier: 'L4',
    registration: {
      code: '330100/WJ-00002',
      name: '杭州市家庭医生签约居民基本信息',
      title: '家庭医生签约居民',
      abstract: '与家庭医生团队签约的居民身份与联系方式，按周更新。',
      standard: standard('population'),
      format: 'database',
      sharing: 'conditional',
      sharing_conditions: '用于基本公共卫生服务与医疗保障相关的资格核查',
      legal_basis: '《基本医疗卫生与健康促进法》第九十二条：国家保护公民个人健康信息',
      open: 'none',
      update_cycle: 'weekly',
    },
  },
}
