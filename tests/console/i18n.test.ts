import { describe, expect, it } from 'vitest'
import { dictionaries, fill, LANGS } from '../../src/console/i18n.js'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the console dictionaries', () => {
  it('have exactly the same keys in every language, none empty', () => {
    const zh = Object.keys(dictionaries.zh).sort()
    for (const lang of LANGS) {
      expect(Object.keys(dictionaries[lang]).sort(), lang).toEqual(zh)
      const empty = Object.entries(dictionaries[lang]).filter(([, text]) => text.trim() === '')
      expect(empty, lang).toEqual([])
    }
  })

  it('use the same placeholders for a key in every language', () => {
    const mismatched = Object.keys(dictionaries.zh).filter(
      (key) => JSON.stringify(placeholders(dictionaries.zh[key as keyof typeof dictionaries.zh])) !== JSON.stringify(placeholders(dictionaries.en[key as keyof typeof dictionaries.en])),
    )
    expect(mismatched).toEqual([])
  })

  it('fills placeholders and leaves unknown ones', () => {
    expect(fill('{a} of {b}, {c}', { a: 1, b: 'two' })).toBe('1 of two, {c}')
  })

  it('are really translated: no Chinese text is left in English', () => {
    // Language-neutral labels (HTTP, JWKS, L1…) may be the same in both.
    const untranslated = Object.keys(dictionaries.en).filter((key) => /[\u4e00-\u9fff]/.test(dictionaries.en[key as keyof typeof dictionaries.en].replace(/中文/, '')))
    expect(untranslated).toEqual([])
  })
})
