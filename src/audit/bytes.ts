/** Bytes backed by a plain ArrayBuffer: what WebCrypto accepts (`BufferSource`) and what every hash here is. */
export type Bytes = Uint8Array<ArrayBuffer>

const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))
const HEX_DIGITS = '0123456789abcdef'
/** The char codes of each byte's two hex digits, and the value of each hex digit by char code (-1: not one). */
const HEX_HIGH_CODE = Array.from({ length: 256 }, (_, byte) => HEX_DIGITS.charCodeAt(byte >> 4))
const HEX_LOW_CODE = Array.from({ length: 256 }, (_, byte) => HEX_DIGITS.charCodeAt(byte & 15))
const HEX_VALUE = Array.from({ length: 128 }, (_, code) => HEX_DIGITS.indexOf(String.fromCharCode(code)))
const SHA256_HEX = /^[0-9a-f]{64}$/

/** Lower-case hex, the only textual form of a hash in the audit log. */
export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += HEX_BYTE[byte]
  return hex
}

/** The bytes of lower-case hex; anything else throws a TypeError. */
export function fromHex(hex: string): Bytes {
  if (hex.length % 2 !== 0) throw new TypeError(`odd-length hex: ${JSON.stringify(hex.slice(0, 80))}`)
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) {
    const high = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1
    const low = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1
    if (high < 0 || low < 0) throw new TypeError(`not lower-case hex: ${JSON.stringify(hex.slice(0, 80))}`)
    bytes[i] = high * 16 + low
  }
  return bytes
}

/** Whether `bytes[offset, offset + hex.length / 2)` is exactly what lower-case `hex` spells; compares without building a string. */
export function bytesMatchHex(bytes: Uint8Array, offset: number, hex: string): boolean {
  if (hex.length % 2 !== 0 || offset + hex.length / 2 > bytes.length) return false
  for (let i = 0; i < hex.length / 2; i++) {
    const byte = bytes[offset + i] ?? 0
    if (hex.charCodeAt(2 * i) !== HEX_HIGH_CODE[byte] || hex.charCodeAt(2 * i + 1) !== HEX_LOW_CODE[byte]) return false
  }
  return true
}

/** Whether `value` is a SHA-256 digest in the log's textual form (64 lower-case hex digits). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value)
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
