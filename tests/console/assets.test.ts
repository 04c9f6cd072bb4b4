import { describe, expect, it } from 'vitest'
import { consoleCss } from '../../src/console/assets.js'

// WCAG 2.x contrast of the console's text colours on the backgrounds they are used on.
function luminance(hex: string): number {
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(1 + i, 3 + i), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
const contrast = (a: string, b: string) => {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (high! + 0.05) / (low! + 0.05)
}

describe('the console stylesheet', () => {
  const vars = Object.fromEntries([...consoleCss.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1]!, m[2]!]))
  const pairs: Array<[string, string, string]> = [
    ['text', vars.ink!, vars.paper!],
    ['muted text', vars.muted!, vars.paper!],
    ['muted text on a band', vars.muted!, vars.band!],
    ['links', vars.link!, vars.paper!],
    ['links on a band', vars.link!, vars.band!],
    ['the header', '#ffffff', vars.brand!],
    ['a green light', vars.ok!, vars['ok-bg']!],
    ['a yellow light', vars.warn!, vars['warn-bg']!],
    ['a red light', vars.bad!, vars['bad-bg']!],
    ['a danger button', '#ffffff', vars.bad!],
    ['the skip link', vars.ink!, vars.focus!],
  ]

  it('keeps every text colour at a contrast of at least 4.5:1', () => {
    const low = pairs.filter(([, fg, bg]) => contrast(fg, bg) < 4.5).map(([what, fg, bg]) => `${what}: ${contrast(fg, bg).toFixed(2)}`)
    expect(low).toEqual([])
  })

  it('shows where the keyboard focus is', () => {
    expect(consoleCss).toMatch(/:focus-visible \{ outline: 3px solid/)
  })

  it('loads nothing from elsewhere', () => {
    expect(consoleCss).not.toMatch(/url\(|@import|https?:/)
  })
})
