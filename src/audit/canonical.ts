/**
 * Canonical JSON: the exact text that gets hashed, so that an entry's hash depends only on its
 * data, never on key insertion order, whitespace or number formatting. It follows RFC 8785 (JCS):
 *
 * - object members sorted by key, comparing UTF-16 code units (what `Array#sort` does by default);
 * - no whitespace;
 * - numbers in ECMAScript's shortest round-trip form (`-0` becomes `0`); NaN and ±Infinity throw;
 * - strings escaped exactly as `JSON.stringify` escapes them; strings with a lone surrogate throw
 *   (I-JSON, RFC 7493), because they do not survive a round trip through UTF-8 or PostgreSQL;
 * - members whose value is `undefined` are omitted and `undefined` array elements become `null`,
 *   as `JSON.stringify` does, so `canonicalJson(JSON.parse(JSON.stringify(v))) === canonicalJson(v)`
 *   and an entry hashed before it is stored still verifies after it is read back or exported.
 *
 * Only JSON data is accepted: plain objects, arrays, strings, finite numbers, booleans and null.
 * Anything else (a Date, a Map, a class instance, a bigint, a function, a cycle) throws a
 * `CanonicalJsonError` instead of being converted silently.
 */
export function canonicalJson(value: unknown): string {
  return valueJson(value, [])
}

/** Why a value has no canonical JSON form, and where in it (`$.details.items[2]`). */
export class CanonicalJsonError extends TypeError {
  readonly reason: string
  #path: (string | number)[] = []

  constructor(reason: string) {
    super(`${reason} at $`)
    this.name = 'CanonicalJsonError'
    this.reason = reason
  }

  get path(): string {
    return `$${this.#path.map(pathSegment).join('')}`
  }

  /** Records, while the error unwinds, the member or element it came from. */
  within(segment: string | number): this {
    this.#path.unshift(segment)
    this.message = `${this.reason} at ${this.path}`
    return this
  }
}

/**
 * `canonicalJson` specialised for records with a fixed set of members, such as audit entries.
 * Enumerating and sorting keys is most of the cost of canonicalising a flat record, and
 * verification canonicalises millions of them, so the key order and the quoted keys are computed
 * once here. A value without exactly these own members (all defined) goes through `canonicalJson`,
 * so the result is always identical to `canonicalJson(value)`.
 */
export function canonicalJsonFor(keys: readonly string[]): (value: unknown) => string {
  const members = [...new Set(keys)].sort().map((key, index) => ({ key, prefix: `${index === 0 ? '' : ','}${stringJson(key)}:` }))
  return (value) => {
    if (!isPlainObject(value) || !hasExactlyMembers(value, members)) return canonicalJson(value)
    const ancestors: object[] = [value]
    let json = '{'
    for (const { key, prefix } of members) json += prefix + memberJson(value, key, ancestors)
    return `${json}}`
  }
}

function pathSegment(segment: string | number): string {
  if (typeof segment === 'number') return `[${segment}]`
  return /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`
}

const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function stringJson(text: string): string {
  // The regex test is the common, cheap case: most audit strings are ids and need no escaping.
  if (!NEEDS_ESCAPE.test(text)) return `"${text}"`
  if (LONE_SURROGATE.test(text)) throw new CanonicalJsonError('string with a lone surrogate')
  return JSON.stringify(text)
}

function valueJson(value: unknown, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return stringJson(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number ${value}`)
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      return value === null ? 'null' : containerJson(value, ancestors)
    default:
      throw new CanonicalJsonError(`${typeof value} is not JSON data`)
  }
}

function containerJson(value: object, ancestors: object[]): string {
  if (ancestors.includes(value)) throw new CanonicalJsonError('cycle')
  ancestors.push(value)
  const json = Array.isArray(value) ? arrayJson(value, ancestors) : objectJson(value, ancestors)
  ancestors.pop()
  return json
}

function arrayJson(items: readonly unknown[], ancestors: object[]): string {
  let json = '['
  for (let index = 0; index < items.length; index++) {
    if (index > 0) json += ','
    try {
      json += items[index] === undefined ? 'null' : valueJson(items[index], ancestors)
    } catch (error) {
      throw error instanceof CanonicalJsonError ? error.within(index) : error
    }
  }
  return `${json}]`
}

function objectJson(value: object, ancestors: object[]): string {
  if (!isPlainObject(value)) {
    throw new CanonicalJsonError(`${value.constructor?.name ?? 'object'} is not a plain object`)
  }
  let json = '{'
  let separator = ''
  for (const key of sortedKeys(value)) {
    if (value[key] === undefined) continue
    json += `${separator}${stringJson(key)}:${memberJson(value, key, ancestors)}`
    separator = ','
  }
  return `${json}}`
}

function memberJson(record: Record<string, unknown>, key: string, ancestors: object[]): string {
  try {
    return valueJson(record[key], ancestors)
  } catch (error) {
    throw error instanceof CanonicalJsonError ? error.within(key) : error
  }
}

function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record)
  // Records built in a fixed order (or parsed from canonical JSON) are often already sorted.
  let previous = ''
  for (const key of keys) {
    if (key < previous) return keys.sort()
    previous = key
  }
  return keys
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function hasExactlyMembers(record: Record<string, unknown>, members: readonly { key: string }[]): boolean {
  if (Object.keys(record).length !== members.length) return false
  for (const { key } of members) {
    if (!Object.hasOwn(record, key) || record[key] === undefined) return false
  }
  return true
}
