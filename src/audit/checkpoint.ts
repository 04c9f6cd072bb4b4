/**
 * Signed checkpoints (tree heads): Qiao's signature over the log's size, Merkle root and chain
 * head at a moment. Anyone holding Qiao's public JWKS can check one offline, then check an export
 * or a proof against it; a log rewritten after a checkpoint was published no longer matches it.
 */
import { CompactSign, compactVerify, createLocalJWKSet, errors } from 'jose'
import type { JSONWebKeySet } from 'jose'
import { isSha256Hex } from './bytes'
import { canonicalJson } from './canonical'

/** The signed statement. Its JWS payload is the UTF-8 canonical JSON of these four members. */
export interface TreeHead {
  /** Number of entries covered: the seq of the last one. */
  size: number
  /** Hex RFC 9162 Merkle tree hash over the entries' leaf hashes. */
  root_hash: string
  /** ISO 8601 UTC time of signing. */
  at: string
  /** Hex hash of entry `size` (the genesis hash when size is 0). */
  chain_head: string
}

/** The JWS `typ` of a checkpoint, so that no other JWS signed with the same key passes as one. */
export const CHECKPOINT_TYPE = 'qiao-checkpoint+jws'

/** Algorithms `verifyCheckpoint` accepts unless told otherwise: the ones Qiao signs with. */
export const CHECKPOINT_ALGORITHMS: readonly string[] = ['ES256', 'EdDSA']

export interface CheckpointSigningKey {
  /** JWS algorithm of the key, e.g. 'ES256' or 'EdDSA'. */
  alg: string
  /** Key id, published with the public key in the JWKS. */
  kid: string
  privateKey: CryptoKey
}

export interface VerifiedCheckpoint {
  head: TreeHead
  alg: string
  kid: string | undefined
}

const utf8 = new TextEncoder()
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/
const TREE_HEAD_MEMBERS = ['at', 'chain_head', 'root_hash', 'size']

/** The checkpoint for `head` as a compact JWS with protected header {alg, kid, typ}. */
export async function signCheckpoint(head: TreeHead, key: CheckpointSigningKey): Promise<string> {
  if (!isTreeHead(head)) throw new TypeError('not a valid tree head')
  return new CompactSign(utf8.encode(canonicalJson(head)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYPE })
    .sign(key.privateKey)
}

/**
 * The tree head a checkpoint signs, once its signature checks out against a key in `jwks` (the
 * JSON of Qiao's /.well-known/jwks.json) and it is well formed. Needs no network. Rejects with a
 * jose error (`errors.JOSEError`) otherwise: a bad signature, an unknown key, another `typ`, an
 * algorithm outside `algorithms`, or a payload that is not a tree head.
 */
export async function verifyCheckpoint(
  jws: string,
  jwks: JSONWebKeySet,
  { algorithms = CHECKPOINT_ALGORITHMS }: { algorithms?: readonly string[] } = {},
): Promise<VerifiedCheckpoint> {
  const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: [...algorithms] })
  if (protectedHeader.typ !== CHECKPOINT_TYPE) {
    throw new errors.JWSInvalid(`JWS typ is ${JSON.stringify(protectedHeader.typ)}, not ${CHECKPOINT_TYPE}`)
  }
  const head = parsedTreeHead(payload)
  if (head === undefined) throw new errors.JWSInvalid('checkpoint payload is not a tree head')
  return { head, alg: protectedHeader.alg, kid: protectedHeader.kid }
}

function parsedTreeHead(payload: Uint8Array): TreeHead | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
    return isTreeHead(value) ? value : undefined
  } catch {
    return undefined
  }
}

function isTreeHead(value: unknown): value is TreeHead {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const members = Object.keys(value).sort()
  if (members.join() !== TREE_HEAD_MEMBERS.join()) return false
  const head = value as Record<keyof TreeHead, unknown>
  return (
    typeof head.size === 'number' &&
    Number.isSafeInteger(head.size) &&
    head.size >= 0 &&
    isSha256Hex(head.root_hash) &&
    isSha256Hex(head.chain_head) &&
    typeof head.at === 'string' &&
    ISO_UTC.test(head.at) &&
    !Number.isNaN(Date.parse(head.at))
  )
}
