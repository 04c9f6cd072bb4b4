// Fictitious people and organisations with identifiers that pass the national checks: the check
// characters are computed with the product's own functions (src/standards/formats.ts), so a
// generated id is valid by the same rule that validates ingested ones.

import { citizenIdCheckChar, orgCodeCheckChar, usccCheckChar } from '../standards/formats.js'
import type { Random } from './random.js'

/** Districts and counties of the demo city (杭州市, GB/T 2260 330100). */
export const DISTRICTS = {
  '330102': '上城区',
  '330105': '拱墅区',
  '330106': '西湖区',
  '330108': '滨江区',
  '330109': '萧山区',
  '330110': '余杭区',
  '330111': '富阳区',
  '330112': '临安区',
  '330113': '临平区',
  '330114': '钱塘区',
  '330122': '桐庐县',
  '330127': '淳安县',
  '330182': '建德市',
} as const
export type DistrictCode = keyof typeof DISTRICTS
export const DISTRICT_CODES = Object.keys(DISTRICTS) as DistrictCode[]

const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严戴孔汤']
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯晨欣怡婷雪琳梓涵子轩雨桐佳慧思远嘉铭俊峰晓燕海燕志强春梅']
const STREETS = ['文澜路', '明月街', '春晖路', '青禾巷', '望湖路', '松林街', '听涛路', '云栖路', '柳浪巷', '梅灵路', '竹溪街', '桂香路', '银杏巷', '和煦路', '星河街']
const COMMUNITIES = ['春江花苑', '明湖小区', '翠苑新村', '云溪家园', '枫林公寓', '金桂园', '和园', '望江苑', '清波里', '紫荆小区']

/** A fictitious person's name: a common surname and one or two given-name characters. */
export function personName(random: Random): string {
  const given = random.chance(0.7) ? random.pick(GIVEN) + random.pick(GIVEN) : random.pick(GIVEN)
  return random.pick(SURNAMES) + given
}

/** A fictitious address in the district. */
export function address(random: Random, district: DistrictCode): string {
  return `浙江省杭州市${DISTRICTS[district]}${random.pick(STREETS)}${random.int(1, 399)}号${random.pick(COMMUNITIES)}${random.int(1, 32)}幢${random.int(1, 28)}0${random.int(1, 4)}室`
}

export function streetAddress(random: Random, district: DistrictCode): string {
  return `杭州市${DISTRICTS[district]}${random.pick(STREETS)}${random.int(1, 399)}号`
}

/** A mobile number in the cn-mobile shape. Random, so it may belong to someone: it is never dialled. */
export function mobile(random: Random): string {
  return `1${random.pick(['3', '5', '7', '8', '9'])}${random.int(0, 9)}${String(random.int(0, 99_999_999)).padStart(8, '0')}`
}

export interface CitizenIdParts {
  region: string
  /** YYYY-MM-DD */
  birthDate: string
  sex: '1' | '2'
}

/**
 * A GB 11643 citizen id: address code, birth date, a sequence whose last digit is odd for men and
 * even for women, and the MOD 11-2 check character. `taken` keeps ids distinct within a world.
 */
export function citizenId(random: Random, parts: CitizenIdParts, taken: Set<string>): string {
  for (;;) {
    const parity = parts.sex === '1' ? 1 : 0
    const sequence = String(random.int(0, 49) * 2 + parity + random.int(0, 9) * 100).padStart(3, '0')
    const first17 = `${parts.region}${parts.birthDate.replaceAll('-', '')}${sequence}`
    const id = first17 + citizenIdCheckChar(first17)
    if (!taken.has(id)) {
      taken.add(id)
      return id
    }
  }
}

/** A birth date between two years, as YYYY-MM-DD. */
export function birthDate(random: Random, fromYear: number, toYear: number): string {
  const year = random.int(fromYear, toYear)
  const month = random.int(1, 12)
  const day = random.int(1, new Date(Date.UTC(year, month, 0)).getUTCDate())
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

// GB 32100 characters (no I, O, Z, S, V); GB 11714 bodies take any of them too.
const CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'

/**
 * A GB 32100 unified social credit code: registering authority (5 civil affairs, 9 market
 * regulation, 1 staffing), organisation type, the division, a GB 11714 organisation code with
 * its own check character, and the MOD 31 check character. Codes registered since 2016 carry an
 * organisation code starting with M (MJ for social organisations).
 */
export function uscc(random: Random, authority: '1' | '5' | '9', type: string, division: string, taken: Set<string>): string {
  for (;;) {
    const lead = authority === '5' ? 'MJ' : authority === '9' ? 'MA' : ''
    let body = lead
    while (body.length < 8) body += CODE_CHARS.charAt(random.int(0, CODE_CHARS.length - 1))
    const first17 = `${authority}${type}${division}${body}${orgCodeCheckChar(body)}`
    const code = first17 + usccCheckChar(first17)
    if (!taken.has(code)) {
      taken.add(code)
      return code
    }
  }
}

/** The GB 11714 organisation code inside a credit code, written XXXXXXXX-C. */
export function orgCodeOf(usccCode: string): string {
  return `${usccCode.slice(8, 16)}-${usccCode.charAt(16)}`
}
