// Field masks (schemas/README.md, "Masks"), applied to records on their way to a consumer.
// WebCrypto only, so the same code runs on Workers. A masker is built once per grant and request:
// the key is imported once, each field's mask is compiled to a closure, and the HMACs of a page
// of records run concurrently; a page without hash masks is masked synchronously.

import { maskSpecSchema, type MaskSpec } from '../standards/annotations.js'

/** The mask of each field to mask; fields not listed pass through unchanged. */
export type FieldMasks = Readonly<Record<string, MaskSpec>>

/** What a masked field holds: text (masks work on a value's text), or null. */
export type MaskedValue = string | null

export type RecordValues = Readonly<Record<string, unknown>>

/** A redacted value: a fixed string, so that not even the value's length shows. */
export const REDACTED = '***'

/** Replaces each hidden code point in show-first-n and show-last-n. */
const HIDDEN = '*'

/** Runs of HIDDEN up to the length of most masked values (identifiers, phone numbers), made once. */
const HIDDEN_RUNS = Array.from({ length: 33 }, (_, n) => HIDDEN.repeat(n))

/** Hashes keep 128 bits of the HMAC-SHA-256: collisions stay negligible, the text short (22 chars). */
const HASH_BYTES = 16

/** A per-grant hash key is 32 random bytes; shorter than 16 is refused. */
export const GRANT_HASH_KEY_BYTES = 32
const MIN_HASH_KEY_BYTES = 16

/** A new per-grant hash key. Hashes are joinable within a grant and unrelated across grants. */
export function newGrantHashKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(GRANT_HASH_KEY_BYTES))
}

/** The WebCrypto HMAC-SHA-256 key for a grant's key bytes: import it once and reuse it. */
export async function importHashKey(bytes: Uint8Array): Promise<CryptoKey> {
  if (bytes.byteLength < MIN_HASH_KEY_BYTES) {
    throw new RangeError(`a hash key needs at least ${MIN_HASH_KEY_BYTES} bytes, got ${bytes.byteLength}`)
  }
  return crypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

type HashText = (text: string) => Promise<string>
type CompiledMask = (value: unknown, hash: HashText) => MaskedValue | Promise<MaskedValue>

export interface Masker {
  /** The record with each listed field masked; other fields as they were, absent (or undefined) ones absent. */
  mask(record: RecordValues): Promise<Record<string, unknown>>
  /**
   * Many records at once, each first narrowed to `fields` (in that order; absent or undefined ones stay absent)
   * when given; equal values in the page are hashed once.
   */
  maskAll(records: readonly RecordValues[], fields?: readonly string[]): Promise<Record<string, unknown>[]>
}

/**
 * Compiles `fieldMasks` into a masker. The key (bytes, or a key from `importHashKey`) is needed
 * only when some field is hashed; without one such a mask is refused here, not at the first record.
 * Without a hash mask every mask is synchronous, and a page is masked in one pass without promises.
 */
export async function createMasker(fieldMasks: FieldMasks, key?: Uint8Array | CryptoKey): Promise<Masker> {
  const masks = new Map<string, CompiledMask>()
  for (const [field, spec] of Object.entries(fieldMasks)) masks.set(field, compiledMask(field, spec))
  const needsKey = Object.values(fieldMasks).some((spec) => spec.type === 'hash')
  // One plan for a page whose fields are named, else each record's own keys.
  const planner = (fields: readonly string[] | undefined) => {
    const plan = fields && planOf(fields, masks)
    return (record: RecordValues) => plan ?? planOf(Object.keys(record), masks)
  }
  if (!needsKey) {
    const maskSync = (record: RecordValues, plan: Plan) => maskFields(record, plan, refuseHashing) as Record<string, unknown>
    return {
      mask: async (record) => maskSync(record, planOf(Object.keys(record), masks)),
      maskAll: async (records, fields) => {
        const shaped = fields && shapedMasker(planOf(fields, masks))
        if (shaped) return records.map(shaped)
        const planFor = planner(fields)
        return records.map((record) => maskSync(record, planFor(record)))
      },
    }
  }
  const hmac = hmacText(await hashKey(key))
  return {
    mask: async (record) => maskFields(record, planOf(Object.keys(record), masks), memoised(hmac)),
    maskAll: (records, fields) => {
      const hash = memoised(hmac)
      const planFor = planner(fields)
      return Promise.all(records.map((record) => maskFields(record, planFor(record), hash)))
    },
  }
}

/** One record, one-off. For a page of records build a masker once (`createMasker`). */
export async function maskRecord(record: RecordValues, fieldMasks: FieldMasks, hmacKey?: Uint8Array | CryptoKey): Promise<Record<string, unknown>> {
  return (await createMasker(fieldMasks, hmacKey)).mask(record)
}

/**
 * One value under one mask. null stays null and undefined (absent) stays undefined: there is
 * nothing to hide. Numbers and booleans are masked as their text; any other value (objects,
 * which flat records never hold) becomes null rather than risk showing something.
 */
export async function maskValue(value: unknown, spec: MaskSpec, key?: CryptoKey): Promise<MaskedValue | undefined> {
  const mask = compileMask(checkedSpec('value', spec))
  if (value === undefined) return undefined
  return mask(value, spec.type === 'hash' ? hmacText(await hashKey(key)) : refuseHashing)
}

/** Masks compiled so far, by their spec's JSON: grants and standards use a handful of distinct specs. */
const compiledMasks = new Map<string, CompiledMask>()
const COMPILED_MASKS_KEPT = 1000

/**
 * And by the spec object itself: reads meet the very same objects again (a grant's masks kept with
 * its read context, a standard's), and then skip writing the spec's JSON to look it up.
 */
const compiledBySpec = new WeakMap<MaskSpec, CompiledMask>()

/** The spec checked and compiled, once per distinct spec rather than once per request. */
function compiledMask(field: string, spec: MaskSpec): CompiledMask {
  let mask = compiledBySpec.get(spec)
  if (mask !== undefined) return mask
  const text = JSON.stringify(spec)
  mask = compiledMasks.get(text)
  if (mask === undefined) {
    mask = compileMask(checkedSpec(field, spec))
    if (compiledMasks.size >= COMPILED_MASKS_KEPT) compiledMasks.clear()
    compiledMasks.set(text, mask)
  }
  compiledBySpec.set(spec, mask)
  return mask
}

/**
 * Masks come from grants (stored JSON) as well as standards: a malformed one (say a negative n,
 * which would show everything) is refused rather than applied.
 */
function checkedSpec(field: string, spec: MaskSpec): MaskSpec {
  const parsed = maskSpecSchema.safeParse(spec)
  if (!parsed.success) throw new TypeError(`the mask of ${field} is not a valid mask: ${JSON.stringify(spec)}`)
  return parsed.data
}

async function hashKey(key: Uint8Array | CryptoKey | undefined): Promise<CryptoKey> {
  if (key === undefined) throw new TypeError('a hash mask needs the grant’s hash key')
  return key instanceof Uint8Array ? importHashKey(key) : key
}

/**
 * The fields a record is narrowed to, in order, each with its mask if it has one, and whether
 * `record[field]` could find it on Object.prototype (`constructor`, `__proto__`…), where only an
 * own property counts.
 */
type Plan = readonly PlanField[]
interface PlanField {
  field: string
  mask: CompiledMask | undefined
  inherited: boolean
}

function planOf(fields: readonly string[], masks: ReadonlyMap<string, CompiledMask>): Plan {
  return fields.map((field) => ({ field, mask: masks.get(field), inherited: field in Object.prototype }))
}

/**
 * The record narrowed to the plan's fields with its masked fields replaced: synchronously when no
 * mask on it is asynchronous (hash), else a promise. A field absent (or undefined) stays absent.
 */
function maskFields(record: RecordValues, plan: Plan, hash: HashText): Record<string, unknown> | Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  let pending: Promise<void>[] | undefined
  for (const { field, mask, inherited } of plan) {
    const value = record[field]
    if (value === undefined || (inherited && !Object.hasOwn(record, field))) continue
    const masked = mask ? mask(value, hash) : value
    if (masked instanceof Promise) {
      // The field takes its place now and its hash later, so that the record keeps the plan's order.
      setField(out, field, null, inherited)
      ;(pending ??= []).push(masked.then((text) => setField(out, field, text, inherited)))
    } else {
      setField(out, field, masked, inherited)
    }
  }
  return pending ? Promise.all(pending).then(() => out) : out
}

/**
 * Masks records that carry every field of the plan, as a dataset's records do, with synchronous
 * masks. Each answer starts as a copy of one object that has the plan's fields in order, so it is
 * made with its final shape at once, and its fields are then assigned. Adding them one by one, as
 * maskFields does, grew each record's property storage step by step: a 50-record page of the
 * delivery benchmark allocated 43 KB rather than 24 KB, and masked in 20.1 rather than 17.1 µs
 * together with the loops below (docs/benchmarks.md, "Delivery"). A record without some field goes
 * through maskFields. None when a field's name is inherited (`__proto__`…), which must be defined.
 */
function shapedMasker(plan: Plan): ((record: RecordValues) => Record<string, unknown>) | undefined {
  if (plan.some((f) => f.inherited)) return undefined
  const shape: Record<string, unknown> = {}
  for (const { field } of plan) shape[field] = null
  return (record) => {
    const out = { ...shape }
    for (const { field, mask } of plan) {
      const value = record[field]
      if (value === undefined) return maskFields(record, plan, refuseHashing) as Record<string, unknown>
      out[field] = mask ? mask(value, refuseHashing) : value
    }
    return out
  }
}

/** Defines an inherited name's property (so that a field named __proto__ stays a field); sets any other. */
function setField(record: Record<string, unknown>, field: string, value: unknown, inherited: boolean): void {
  if (inherited) Object.defineProperty(record, field, { value, enumerable: true, writable: true, configurable: true })
  else record[field] = value
}

function compileMask(spec: MaskSpec): CompiledMask {
  const onText = (apply: (text: string, hash: HashText) => MaskedValue | Promise<MaskedValue>): CompiledMask => {
    return (value, hash) => {
      if (value === null) return null
      const text = textOf(value)
      return text === undefined ? null : apply(text, hash)
    }
  }
  switch (spec.type) {
    case 'redact':
      return onText(() => REDACTED)
    case 'show-first-n':
      return onText((text) => keepEnds(text, spec.n, spec.last ?? 0))
    case 'show-last-n':
      return onText((text) => keepEnds(text, 0, spec.n))
    case 'hash':
      return onText((text, hash) => hash(text))
    case 'nullify':
      return () => null
    case 'date-year':
      return onText(yearOf)
    case 'region-prefix-n':
      return onText((text) => regionPrefix(text, spec.n))
  }
}

function textOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value)
    default:
      return undefined
  }
}

/**
 * The first `first` and last `last` code points, the rest as `*` (one per code point, so
 * `110105********002X` keeps the id's length, as the usual display does). A value too short for
 * the mask shows fewer characters: at least one is always hidden (`张` with n 1 is `*`).
 */
export function keepEnds(text: string, first: number, last: number): string {
  // Without surrogate pairs every UTF-16 unit is one code point, and the text slices as it is.
  const chars = hasSurrogates(text) ? Array.from(text) : undefined
  const length = chars?.length ?? text.length
  if (length === 0) return ''
  const shownFirst = Math.min(first, length - 1)
  const shownLast = Math.min(last, length - 1 - shownFirst)
  const count = length - shownFirst - shownLast
  const hidden = HIDDEN_RUNS[count] ?? HIDDEN.repeat(count)
  if (!chars) return text.slice(0, shownFirst) + hidden + text.slice(length - shownLast)
  return chars.slice(0, shownFirst).join('') + hidden + chars.slice(length - shownLast).join('')
}

// The checks below are loops, not regular expressions: each test of one allocated about 55 bytes,
// 11 KB for the masks of a 50-record page.

/** Whether some UTF-16 unit of the text is half of a surrogate pair (/[\uD800-\uDFFF]/). */
function hasSurrogates(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdfff) return true
  }
  return false
}

/** Whether the `count` units from `from` are ASCII digits (\d). */
function digitsAt(text: string, from: number, count: number): boolean {
  for (let i = from; i < from + count; i++) {
    const unit = text.charCodeAt(i)
    if (!(unit >= 0x30 && unit <= 0x39)) return false
  }
  return true
}

/** `1990-03-07` (or a date-time) → `1990`; anything not starting with a date → null. */
function yearOf(text: string): MaskedValue {
  return startsWithDate(text) ? text.slice(0, 4) : null
}

/** /^\d{4}-\d{2}-\d{2}/ */
function startsWithDate(text: string): boolean {
  return text.length >= 10 && digitsAt(text, 0, 4) && text[4] === '-' && digitsAt(text, 5, 2) && text[7] === '-' && digitsAt(text, 8, 2)
}

/**
 * A GB/T 2260 code generalised to its province (n 2) or prefecture (n 4), zero-filled to six
 * digits: `330102` → `330100`. The result is the enclosing division's own code, so it stays a valid
 * `cn-admin-division` value and groups like the aggregates' region-prefix. Not six digits → null.
 */
function regionPrefix(text: string, n: 2 | 4): MaskedValue {
  return text.length === 6 && digitsAt(text, 0, 6) ? text.slice(0, n).padEnd(6, '0') : null
}

function hmacText(key: CryptoKey): HashText {
  const encoder = new TextEncoder()
  return async (text) => {
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)))
    return base64url(mac.subarray(0, HASH_BYTES))
  }
}

const refuseHashing: HashText = () => Promise.reject(new TypeError('no hash key'))

/** Equal values within one page are hashed once; the memo lives only as long as the page. */
function memoised(hash: HashText): HashText {
  const seen = new Map<string, Promise<string>>()
  return (text) => {
    let result = seen.get(text)
    if (!result) {
      result = hash(text)
      seen.set(text, result)
    }
    return result
  }
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
