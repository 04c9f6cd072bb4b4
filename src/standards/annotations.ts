// Qiao's `x-` annotations on data elements: how sensitive a field is, how it is masked by
// default, and how it may be grouped in aggregates. schemas/README.md explains each one.

import { z } from 'zod'

export const SENSITIVITY_LEVELS = ['L1', 'L2', 'L3', 'L4'] as const

/** Public-data grading L1 (not sensitive) … L4 (sensitive), as in DB33/T 2350-2021. */
export type Sensitivity = (typeof SENSITIVITY_LEVELS)[number]

export function isSensitivity(value: unknown): value is Sensitivity {
  return (SENSITIVITY_LEVELS as readonly unknown[]).includes(value)
}

export function sensitivityRank(level: Sensitivity): number {
  return SENSITIVITY_LEVELS.indexOf(level) + 1
}

/** The highest of the levels ("take the higher grade when in doubt"); L1 for none. */
export function highestSensitivity(levels: Iterable<Sensitivity>): Sensitivity {
  let highest: Sensitivity = 'L1'
  for (const level of levels) if (sensitivityRank(level) > sensitivityRank(highest)) highest = level
  return highest
}

const count = z.int().min(0)

// Ranger's vocabulary. `show-first-n` may also keep the last `last` characters, which is how
// the common citizen id display (first 6 and last 4) is written.
export const maskSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('redact') }),
  z.strictObject({ type: z.literal('show-first-n'), n: count, last: count.optional() }),
  z.strictObject({ type: z.literal('show-last-n'), n: count }),
  z.strictObject({ type: z.literal('hash') }),
  z.strictObject({ type: z.literal('nullify') }),
  z.strictObject({ type: z.literal('date-year') }),
  z.strictObject({ type: z.literal('region-prefix-n'), n: z.union([z.literal(2), z.literal(4)]) }),
])

export type MaskSpec = z.infer<typeof maskSpecSchema>

export const AGGREGATIONS = ['value', 'region-prefix', 'age-band', 'month'] as const

/**
 * How a field may be used as an aggregate dimension: `value` groups by the value itself
 * (enumerations, booleans), `region-prefix` by the province or prefecture part of a GB/T
 * 2260 code, `age-band` by age computed from a birth date, `month` by calendar month.
 */
export type Aggregation = (typeof AGGREGATIONS)[number]

export function isAggregation(value: unknown): value is Aggregation {
  return (AGGREGATIONS as readonly unknown[]).includes(value)
}
