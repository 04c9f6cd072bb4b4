import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GENERATED_DIR, generatedTypeFiles } from '../../scripts/gen-types'

describe('generated types', () => {
  it('match the shipped standards (run `npm run gen:types` after changing schemas/)', async () => {
    const expected = await generatedTypeFiles()
    const committed = (await readdir(GENERATED_DIR)).sort()
    expect(committed, 'src/standards/generated has missing or stale files: run `npm run gen:types`').toEqual(
      [...expected.keys()].sort(),
    )
    for (const [name, contents] of expected) {
      const onDisk = await readFile(join(GENERATED_DIR, name), 'utf8')
      expect(
        onDisk === contents,
        `src/standards/generated/${name} is out of date: run \`npm run gen:types\``,
      ).toBe(true)
    }
  })
})
