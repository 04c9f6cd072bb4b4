// Standards are versioned MAJOR.MINOR.PATCH (semantic versioning without pre-release or
// build parts: a published version is final and immutable).

export interface Version {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

export type Bump = 'major' | 'minor' | 'patch'

const VERSION_SHAPE = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/

export function parseVersion(text: string): Version | undefined {
  const m = VERSION_SHAPE.exec(text)
  if (m === null) return undefined
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) }
}

export function isVersion(text: string): boolean {
  return VERSION_SHAPE.test(text)
}

function versionOf(text: string): Version {
  const version = parseVersion(text)
  if (version === undefined) throw new RangeError(`"${text}" is not a MAJOR.MINOR.PATCH version`)
  return version
}

/** Negative if a < b, 0 if equal, positive if a > b. */
export function compareVersions(a: string, b: string): number {
  const x = versionOf(a)
  const y = versionOf(b)
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch
}

/** Which part grew from `prev` to `next`; undefined when `next` is not greater. */
export function bumpBetween(prev: string, next: string): Bump | undefined {
  const x = versionOf(prev)
  const y = versionOf(next)
  if (y.major !== x.major) return y.major > x.major ? 'major' : undefined
  if (y.minor !== x.minor) return y.minor > x.minor ? 'minor' : undefined
  return y.patch > x.patch ? 'patch' : undefined
}

const BUMP_RANK: Readonly<Record<Bump, number>> = { patch: 0, minor: 1, major: 2 }

export function isBumpEnough(actual: Bump, required: Bump): boolean {
  return BUMP_RANK[actual] >= BUMP_RANK[required]
}
