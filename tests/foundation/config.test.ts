import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ PORT: 8080, QIAO_DATA_DIR: './.qiao/data', LOG_LEVEL: 'info', QIAO_TOKEN_TTL_SECONDS: 900 })
    expect(config.DATABASE_URL).toBeUndefined()
  })

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).PORT).toBe(8080)
  })

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', QIAO_SIGNING_KEY: 'abc' })
      expect.unreachable('loadConfig accepted bad values')
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const problems = (error as ConfigError).problems.join('\n')
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'QIAO_SIGNING_KEY']) expect(problems).toContain(name)
    }
  })
})
