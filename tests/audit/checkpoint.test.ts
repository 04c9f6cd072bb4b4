import { CompactSign, decodeProtectedHeader, errors, exportJWK, generateKeyPair } from 'jose'
import type { JSONWebKeySet, JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../../src/audit/canonical'
import { CHECKPOINT_TYPE, signCheckpoint, verifyCheckpoint } from '../../src/audit/checkpoint'
import type { CheckpointSigningKey, TreeHead } from '../../src/audit/checkpoint'

const head: TreeHead = {
  size: 3,
  root_hash: 'a1'.repeat(32),
  at: '2025-06-01T10:00:00.000Z',
  chain_head: 'b2'.repeat(32),
}

async function signingKey(alg: string, kid: string): Promise<{ key: CheckpointSigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { key: { alg, kid, privateKey }, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

const current = await signingKey('ES256', 'qiao-2025-06')
const previous = await signingKey('ES256', 'qiao-2025-01')
// What an outsider holds: the JSON of /.well-known/jwks.json, during a rotation.
const jwks: JSONWebKeySet = JSON.parse(JSON.stringify({ keys: [previous.jwk, current.jwk] }))

const utf8 = new TextEncoder()
const base64url = (text: string) => Buffer.from(text).toString('base64url')

/** A JWS signed with the current key, but with any header and payload. */
async function signedRaw(
  payload: string,
  header: Record<string, string> = { alg: 'ES256', kid: current.key.kid, typ: CHECKPOINT_TYPE },
): Promise<string> {
  return new CompactSign(utf8.encode(payload)).setProtectedHeader({ alg: 'ES256', ...header }).sign(current.key.privateKey)
}

describe('checkpoints', () => {
  it('sign the canonical JSON of the tree head as a compact JWS with {alg, kid, typ}', async () => {
    const jws = await signCheckpoint(head, current.key)
    const [header, payload, signature] = jws.split('.')
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: 'qiao-2025-06', typ: 'qiao-checkpoint+jws' })
    expect(Buffer.from(payload ?? '', 'base64url').toString()).toBe(canonicalJson(head))
    expect(header).toBeTruthy()
    expect(signature).toBeTruthy()
  })

  it('verify offline against the JWKS, whichever of its keys signed them', async () => {
    expect(await verifyCheckpoint(await signCheckpoint(head, current.key), jwks)).toEqual({ head, alg: 'ES256', kid: 'qiao-2025-06' })
    expect(await verifyCheckpoint(await signCheckpoint(head, previous.key), jwks)).toEqual({ head, alg: 'ES256', kid: 'qiao-2025-01' })
  })

  it('verify with EdDSA keys too', async () => {
    const ed = await signingKey('EdDSA', 'qiao-ed')
    const verified = await verifyCheckpoint(await signCheckpoint(head, ed.key), { keys: [ed.jwk] })
    expect(verified).toEqual({ head, alg: 'EdDSA', kid: 'qiao-ed' })
  })

  it('fail when signed by a key the JWKS does not hold, under a known or unknown kid', async () => {
    const impostor = await signingKey('ES256', 'qiao-2025-06')
    await expect(verifyCheckpoint(await signCheckpoint(head, impostor.key), jwks)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    )
    const stranger = await signingKey('ES256', 'someone-else')
    await expect(verifyCheckpoint(await signCheckpoint(head, stranger.key), jwks)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
  })

  it('fail when the payload or the signature was tampered with', async () => {
    const [header, payload, signature] = (await signCheckpoint(head, current.key)).split('.') as [string, string, string]
    const biggerTree = base64url(canonicalJson({ ...head, size: 4 }))
    await expect(verifyCheckpoint(`${header}.${biggerTree}.${signature}`, jwks)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    )
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    await expect(verifyCheckpoint(`${header}.${payload}.${flipped}`, jwks)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed)
    await expect(verifyCheckpoint(`${header}.${payload}`, jwks)).rejects.toBeInstanceOf(errors.JWSInvalid)
  })

  it('fail for a JWS of another type signed with the same key', async () => {
    const payload = canonicalJson(head)
    await expect(verifyCheckpoint(await signedRaw(payload, { kid: current.key.kid, typ: 'JWT' }), jwks)).rejects.toThrow(/typ/)
    await expect(verifyCheckpoint(await signedRaw(payload, { kid: current.key.kid }), jwks)).rejects.toBeInstanceOf(errors.JWSInvalid)
  })

  it('fail for a properly signed payload that is not a tree head', async () => {
    const payloads = [
      'not json',
      canonicalJson([head]),
      canonicalJson({ ...head, extra: 1 }),
      canonicalJson({ size: head.size, root_hash: head.root_hash, at: head.at }),
      canonicalJson({ ...head, size: -1 }),
      canonicalJson({ ...head, size: 1.5 }),
      canonicalJson({ ...head, size: '3' }),
      canonicalJson({ ...head, root_hash: head.root_hash.toUpperCase() }),
      canonicalJson({ ...head, chain_head: 'b2' }),
      canonicalJson({ ...head, at: '2025-06-01 10:00:00' }),
      canonicalJson({ ...head, at: '2025-13-45T99:00:00Z' }),
    ]
    for (const payload of payloads) {
      await expect(verifyCheckpoint(await signedRaw(payload), jwks), payload).rejects.toThrow(/not a tree head/)
    }
  })

  it('accept only the algorithms Qiao signs with, unless told otherwise', async () => {
    const es384 = await signingKey('ES384', 'qiao-es384')
    const jws = await signCheckpoint(head, es384.key)
    await expect(verifyCheckpoint(jws, { keys: [es384.jwk] })).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed)
    expect((await verifyCheckpoint(jws, { keys: [es384.jwk] }, { algorithms: ['ES384'] })).head).toEqual(head)
  })

  it('are not signed for a malformed tree head', async () => {
    await expect(signCheckpoint({ ...head, root_hash: 'nope' }, current.key)).rejects.toThrow(TypeError)
    await expect(signCheckpoint({ ...head, size: Number.NaN }, current.key)).rejects.toThrow(TypeError)
  })
})
