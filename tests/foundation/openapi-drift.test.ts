import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openApiPath, openApiText } from '../../src/cli.js'
import { loadConfig } from '../../src/config.js'

describe('openapi/openapi.json', () => {
  it('is generated from the current routes (run `npm run openapi` when this fails)', () => {
    const committed = readFileSync(openApiPath, 'utf8')
    expect(committed === openApiText(loadConfig({})), 'openapi/openapi.json is out of date: run `npm run openapi` and commit it').toBe(true)
  })
})
