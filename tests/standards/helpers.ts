import type { JsonSchemaObject } from '../../src/standards/json-schema'
import { describeStandard } from '../../src/standards/standard'
import type { StandardDescription } from '../../src/standards/standard'
import { shippedCatalog } from '../../src/standards/registry-core'

export const shipped = shippedCatalog()

/** A record standard named `test` keyed by a string `id`, with `properties` added. */
export function testStandard(
  properties: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): JsonSchemaObject {
  const version = typeof overrides.version === 'string' ? overrides.version : '1.0.0'
  const { version: _version, ...rest } = overrides
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://qiao.example/schemas/test/${version}`,
    title: '测试 / Test',
    'x-standard': { name: 'test', version },
    'x-key': 'id',
    type: 'object',
    properties: { id: { title: '编号 / ID', type: 'string', 'x-sensitivity': 'L1' }, ...properties },
    required: ['id'],
    additionalProperties: false,
    ...rest,
  }
}

export function describeTest(
  properties: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
): StandardDescription {
  return describeStandard(testStandard(properties, overrides), shipped.documents)
}

/** Consumes an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = []
  for await (const item of items) collected.push(item)
  return collected
}
