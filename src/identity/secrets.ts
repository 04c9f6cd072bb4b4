/**
 * Client secrets: random, shown once, stored only as PBKDF2-SHA256 (WebCrypto, so it runs on
 * Node and Workers alike; 100 000 iterations is the most Workers' WebCrypto allows).
 */
const ITERATIONS = 100_000
const SCHEME = 'pbkdf2-sha256'

export function newClientSecret(): string {
  return `qs_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(secret, salt, ITERATIONS)
  return `${SCHEME}$${ITERATIONS}$${base64url(salt)}$${base64url(hash)}`
}

/** Compares in constant time; a malformed stored hash never matches. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split('$')
  if (scheme !== SCHEME || !iterations || !salt || !hash) return false
  const expected = fromBase64url(hash)
  const actual = await derive(secret, fromBase64url(salt), Number(iterations))
  return constantTimeEqual(actual, expected)
}

/** A hash to verify against when the client does not exist, so timing does not reveal that. */
export const decoyHash = `${SCHEME}$${ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`

async function derive(secret: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations }, key, 256)
  return new Uint8Array(bits)
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i % b.length] ?? 0)
  return diff === 0
}

export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
}
