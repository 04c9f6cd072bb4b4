// Population test data without any test-runner dependency, so benchmarks can use it too:
// valid records (real citizen id checksums), NDJSON and CSV bodies, dataset registrations.

import { citizenIdCheckChar } from '../../src/standards/formats.js'

const REGIONS = ['110105', '310115', '440305', '330106', '510104', '420102', '350102', '610113']
const DAY_MS = 86_400_000
const FIRST_BIRTH_DAY = Date.UTC(1950, 0, 1)

/**
 * A valid, distinct citizen id for each n below 200 million: the sequence number, birth date and
 * region vary with n, and the check character is computed (GB 11643-1999).
 */
export function citizenId(n: number): string {
  const sequence = String(n % 1000).padStart(3, '0')
  const day = new Date(FIRST_BIRTH_DAY + (Math.floor(n / 1000) % 25_000) * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')
  const region = REGIONS[Math.floor(n / 25_000_000) % REGIONS.length]!
  const first17 = `${region}${day}${sequence}`
  return first17 + citizenIdCheckChar(first17)
}

/** A population record in standard form (field names, canonical values). */
export function person(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = citizenId(n)
  return {
    citizen_id: id,
    name: `测试${n}`,
    sex: Number(id[16]) % 2 === 1 ? '1' : '2',
    birth_date: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    household_region_code: id.slice(0, 6),
    mobile: `138${String(n % 100_000_000).padStart(8, '0')}`,
    status: 'normal',
    ...overrides,
  }
}

export function ndjson(records: readonly Record<string, unknown>[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n'
}

/** RFC 4180 CSV with a header row; every value is quoted, doubling inner quotes. */
export function csv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (value: unknown) => `"${String(value ?? '').replaceAll('"', '""')}"`
  return [columns.map(cell).join(','), ...rows.map((row) => row.map(cell).join(','))].join('\r\n') + '\r\n'
}

let codeCounter = 0
/** A unique resource code per call. */
export function resourceCode(prefix = 'T'): string {
  codeCounter++
  return `${prefix}-${process.pid}-${codeCounter}`
}

/** A valid registration of a population dataset, shared unconditionally and not opened. */
export function populationDataset(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code: resourceCode('RK'),
    name: '户籍人口基本信息',
    title: '户籍人口',
    abstract: '本市户籍人口的身份、户籍地与联系方式。',
    standard: { name: 'population', version: '1.0.0' },
    format: 'database',
    sharing: 'unconditional',
    open: 'none',
    update_cycle: 'daily',
    ...overrides,
  }
}
