// Throughput of the standardisation hot path on 100k realistic population records, printed
// next to baselines measured in the same run. Run: npx tsx bench/standards.ts
// Figures are printed, never asserted (STYLE.md: benchmarks are scripts).

import { citizenIdCheckChar } from '../src/standards/formats'
import { shippedCatalog } from '../src/standards/registry-core'
import { standardiseRecord } from '../src/standards/standardise'
import type { StandardRecord } from '../src/standards/standardise'

const RECORDS = 100_000
const RUNS = 5

// A small deterministic generator (mulberry32), so every run measures the same data.
function randomSource(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const random = randomSource(20240305)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const digits = (count: number) => Array.from({ length: count }, () => Math.floor(random() * 10)).join('')
const pad = (n: number) => String(n).padStart(2, '0')

const REGIONS = ['110105', '310115', '440305', '330106', '510104', '420102', '350102', '610113']
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '欧阳']
const GIVEN_NAMES = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '婷', '强', '建国', '秀英']
const STREETS = ['朝阳路', '人民路', '解放路', '中山路', '建设路']

function rawPerson(): Record<string, string> {
  const year = 1940 + Math.floor(random() * 70)
  const month = 1 + Math.floor(random() * 12)
  const day = 1 + Math.floor(random() * 28)
  const region = pick(REGIONS)
  const male = random() < 0.5
  const sequence = String(Math.floor(random() * 500) * 2 + (male ? 1 : 0)).padStart(3, '0')
  const first17 = `${region}${year}${pad(month)}${pad(day)}${sequence}`
  const check = citizenIdCheckChar(first17)
  const mobile = `1${pick(['38', '39', '58', '86', '99'])}${digits(8)}`
  const roll = random()
  return {
    // About 1 in 100 ids carries a typo in the check character; 1 in 10 is a 15-digit legacy id.
    身份证号:
      roll < 0.01
        ? first17 + (check === '0' ? '1' : '0')
        : roll < 0.11
          ? `${region}${String(year).slice(2)}${pad(month)}${pad(day)}${sequence}`
          : (first17 + check).toLowerCase(),
    姓名: ` ${pick(SURNAMES)}${pick(GIVEN_NAMES)} `,
    性别: pick(male ? ['男', '1', 'M'] : ['女', '2', 'F']),
    出生日期: pick([
      `${year}-${pad(month)}-${pad(day)}`,
      `${year}/${month}/${day}`,
      `${year}${pad(month)}${pad(day)}`,
      `${year}年${month}月${day}日`,
    ]),
    户籍地: region,
    户籍地址: `${pick(STREETS)}${1 + Math.floor(random() * 300)}号`,
    手机号: pick([
      mobile,
      `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`,
      `${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`,
    ]),
    人口状态: pick(['正常', 'normal', '正常', '迁出']),
    更新时间: `2024-0${1 + Math.floor(random() * 9)}-1${Math.floor(random() * 10)} 08:${pad(Math.floor(random() * 60))}:00`,
  }
}

interface Measurement {
  readonly label: string
  readonly perSecond: number
}

function measure(
  label: string,
  records: readonly unknown[],
  work: (record: unknown) => unknown,
): Measurement {
  let sink = 0
  const rates: number[] = []
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now()
    for (const record of records) if (work(record) !== undefined) sink++
    const seconds = (performance.now() - start) / 1000
    if (run > 0) rates.push(records.length / seconds) // run 0 warms the JIT up
  }
  rates.sort((a, b) => a - b)
  if (sink === 0) throw new Error('the work was optimised away')
  return { label, perSecond: rates[Math.floor(rates.length / 2)] ?? 0 }
}

const population = shippedCatalog().compiled('population', '1.0.0')
if (population === undefined) throw new Error('population 1.0.0 is not shipped')

const raw = Array.from({ length: RECORDS }, rawPerson)
const results = raw.map((record) => standardiseRecord(population, record))
const standard: StandardRecord[] = results.flatMap((result) => (result.ok ? [result.record] : []))

const measurements = [
  measure('baseline: JSON clone of the raw record', raw, (record) => JSON.parse(JSON.stringify(record))),
  measure('validate only (records already standard)', standard, (record) =>
    population.validator.validate(record),
  ),
  measure('standardise + validate (already standard)', standard, (record) =>
    standardiseRecord(population, record),
  ),
  measure('standardise + validate (raw: aliases, messy formats)', raw, (record) =>
    standardiseRecord(population, record),
  ),
]

console.log(
  `population 1.0.0, ${RECORDS.toLocaleString('en')} records, median of ${RUNS} runs, Node ${process.version}`,
)
console.log(
  `raw records valid after standardisation: ${standard.length.toLocaleString('en')} (the rest carry check-character typos)`,
)
for (const { label, perSecond } of measurements) {
  console.log(`${label.padEnd(56)} ${Math.round(perSecond).toLocaleString('en').padStart(12)} records/s`)
}
