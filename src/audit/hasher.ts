import type { Bytes } from './bytes'

/** Bytes in a SHA-256 digest. */
export const DIGEST_SIZE = 32

/** What gets hashed: bytes, or text, which is hashed as its UTF-8 encoding. */
export type HashInput = Bytes | string

/**
 * SHA-256, the only hash the audit log uses, behind an interface so the runtime can choose the
 * implementation: WebCrypto everywhere (Workers included), or a faster synchronous one on Node
 * (`nodeHasher` in hasher-node.ts).
 *
 * It is batched because WebCrypto is asynchronous only: verifying millions of entries with one
 * `await` per hash would spend its time in the microtask queue, while one per batch costs nothing
 * measurable; a synchronous implementation hashes the batch and resolves. Digests come back packed
 * in one buffer because allocating a buffer per 32-byte digest costs more than computing it. Text
 * is accepted as is because each runtime has its own fastest way to encode it.
 *
 * Byte messages may be views into one shared buffer: an implementation reads them before its
 * promise settles and keeps no reference to them.
 */
export interface Hasher {
  /** The SHA-256 digests of the messages, back to back: digest i is bytes [32i, 32i + 32). */
  digestAll(messages: readonly HashInput[]): Promise<Bytes>
}

/** How many WebCrypto digests are in flight at once: enough to keep its thread pool busy, few enough to bound memory for huge batches. */
const WEBCRYPTO_CONCURRENCY = 1024

/** The runtime-neutral default: `crypto.subtle`, on Node 20+, Workers and browsers alike. */
export const webCryptoHasher: Hasher = {
  async digestAll(messages) {
    const digests = new Uint8Array(messages.length * DIGEST_SIZE)
    for (let start = 0; start < messages.length; start += WEBCRYPTO_CONCURRENCY) {
      const chunk = utf8Encoded(messages.slice(start, start + WEBCRYPTO_CONCURRENCY))
      const buffers = await Promise.all(chunk.map((message) => crypto.subtle.digest('SHA-256', message)))
      buffers.forEach((buffer, index) => digests.set(new Uint8Array(buffer), (start + index) * DIGEST_SIZE))
    }
    return digests
  },
}

/** The digest of a single message; for the places that hash one thing at a time (appends, proof checks). */
export async function digestOne(hasher: Hasher, message: HashInput): Promise<Bytes> {
  return hasher.digestAll([message])
}

const utf8 = new TextEncoder()

/** The messages as bytes, every text encoded into one shared buffer: one allocation per batch rather than per text. */
function utf8Encoded(messages: readonly HashInput[]): Bytes[] {
  let capacity = 0
  for (const message of messages) if (typeof message === 'string') capacity += message.length * 3
  const buffer = new Uint8Array(capacity)
  let offset = 0
  return messages.map((message) => {
    if (typeof message !== 'string') return message
    const { written } = utf8.encodeInto(message, buffer.subarray(offset))
    offset += written
    return buffer.subarray(offset - written, offset)
  })
}
