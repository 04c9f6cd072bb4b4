import { describe, expect, it } from 'vitest'
import { bumpBetween, compareVersions, isBumpEnough, parseVersion } from '../../src/standards/semver'

describe('semver helpers', () => {
  it('parses MAJOR.MINOR.PATCH only', () => {
    expect(parseVersion('1.10.0')).toEqual({ major: 1, minor: 10, patch: 0 })
    for (const text of ['1.0', '01.0.0', '1.0.0-beta', 'v1.0.0', '1.0.0.0']) {
      expect(parseVersion(text), text).toBeUndefined()
    }
  })

  it('compares numerically, not as text', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0)
    expect(compareVersions('2.0.0', '2.0.0')).toBe(0)
    expect(() => compareVersions('x', '1.0.0')).toThrow(RangeError)
  })

  it.each([
    ['1.0.0', '2.0.0', 'major'],
    ['1.0.0', '1.1.0', 'minor'],
    ['1.1.0', '1.1.1', 'patch'],
    ['1.1.0', '1.1.0', undefined],
    ['2.0.0', '1.9.9', undefined],
    ['1.2.0', '1.1.9', undefined],
  ])('from %s to %s is a %s bump', (prev, next, expected) => {
    expect(bumpBetween(prev, next)).toBe(expected)
  })

  it('ranks bumps: a major bump is enough for anything, a patch only for a patch', () => {
    expect(isBumpEnough('major', 'minor')).toBe(true)
    expect(isBumpEnough('patch', 'minor')).toBe(false)
    expect(isBumpEnough('minor', 'minor')).toBe(true)
  })
})
