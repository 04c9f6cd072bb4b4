import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose'
import type { Clock } from '../services.js'
import type { Db, Queryable } from '../db/db.js'
import { newId } from '../ids.js'
import { activeKeyRows, demoteActiveKeys, insertKey, type SigningKeyRow } from './repository.js'

export const SIGNING_ALG = 'ES256'

export interface SigningKey {
  kid: string
  alg: string
  privateKey: CryptoKey
}

export interface PublicKey {
  kid: string
  jwk: JWK
  key: CryptoKey
}

export interface KeyStoreOptions {
  /** QIAO_SIGNING_KEY: a private JWK or PKCS#8 PEM; without it keys are generated and kept in the database. */
  configuredKey?: string
  /** How long a replaced key keeps verifying: the token lifetime plus clock tolerance. */
  retireAfterSeconds: number
  clock: Clock
  /** How often to re-read the key table, so a rotation by another process is seen. */
  refreshSeconds?: number
}

/**
 * Qiao's token signing keys. One instance per process (per isolate on Workers): it caches the
 * imported keys and re-reads the table every `refreshSeconds`, or at once on an unknown `kid`.
 */
export class KeyStore {
  private cache?: { at: number; signer?: SigningKey; verifiers: Map<string, PublicKey> }
  private configured?: Promise<{ signer: SigningKey; publicJwk: JWK }>

  constructor(private readonly options: KeyStoreOptions) {}

  /** Makes sure there is an active key: records the configured one, or generates one on first start. */
  async ensureActiveKey(db: Db): Promise<void> {
    const configured = await this.configuredKey()
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK])
      const active = (await activeKeyRows(tx)).find((row) => row.status === 'active')
      if (configured) {
        if (active?.kid === configured.signer.kid) return
        await this.replaceActive(tx, { kid: configured.signer.kid, publicJwk: configured.publicJwk, privateJwk: null })
      } else if (!active?.private_jwk) {
        await this.replaceActive(tx, await generatedKey())
      }
    })
    this.cache = undefined
  }

  /** Generates a new signing key; the previous one keeps verifying until its tokens have expired. */
  async rotate(tx: Queryable): Promise<{ kid: string; previous: string | null }> {
    if (this.options.configuredKey) {
      throw new Error('the signing key comes from QIAO_SIGNING_KEY: rotate by setting a new key there and restarting')
    }
    await tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK])
    const previous = (await activeKeyRows(tx)).find((row) => row.status === 'active')?.kid ?? null
    const key = await generatedKey()
    await this.replaceActive(tx, key)
    this.cache = undefined
    return { kid: key.kid, previous }
  }

  async signingKey(db: Queryable): Promise<SigningKey> {
    const signer = (await this.load(db)).signer
    if (!signer) throw new Error('no active signing key: start the gateway or run `qiao migrate` first')
    return signer
  }

  /** The key for a token's `kid`, re-reading the table once if it is not known yet. */
  async verificationKey(db: Queryable, kid: string): Promise<PublicKey | undefined> {
    const known = (await this.load(db)).verifiers.get(kid)
    if (known) return known
    return (await this.load(db, true)).verifiers.get(kid)
  }

  /** The public keys that currently verify tokens, for /.well-known/jwks.json. */
  async jwks(db: Queryable): Promise<{ keys: JWK[] }> {
    const { verifiers } = await this.load(db)
    return { keys: [...verifiers.values()].map((v) => v.jwk) }
  }

  private async replaceActive(tx: Queryable, key: { kid: string; publicJwk: JWK; privateJwk: JWK | null }) {
    const retireAfter = new Date(this.options.clock.now().getTime() + this.options.retireAfterSeconds * 1000)
    await demoteActiveKeys(tx, retireAfter)
    await insertKey(tx, { kid: key.kid, alg: SIGNING_ALG, publicJwk: key.publicJwk, privateJwk: key.privateJwk })
  }

  private async load(db: Queryable, force = false) {
    const now = this.options.clock.now().getTime()
    const fresh = this.cache && now - this.cache.at < (this.options.refreshSeconds ?? 30) * 1000
    if (this.cache && fresh && !force) return this.cache
    const rows = await activeKeyRows(db, this.options.clock.now())
    const verifiers = new Map<string, PublicKey>()
    for (const row of rows) verifiers.set(row.kid, await publicKeyOf(row))
    const configured = await this.configuredKey()
    const active = rows.find((row) => row.status === 'active')
    let signer: SigningKey | undefined
    if (configured && active?.kid === configured.signer.kid) signer = configured.signer
    else if (active?.private_jwk) {
      signer = { kid: active.kid, alg: active.alg, privateKey: (await importJWK(active.private_jwk, active.alg)) as CryptoKey }
    }
    this.cache = { at: now, signer, verifiers }
    return this.cache
  }

  private configuredKey() {
    const text = this.options.configuredKey
    if (!text) return Promise.resolve(undefined)
    this.configured ??= importConfiguredKey(text)
    return this.configured
  }
}

// Serialises key changes between processes.
const KEY_LOCK = 7_411_203_818

async function generatedKey() {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
  const kid = newId('key')
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALG, use: 'sig' }
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG }
  return { kid, publicJwk, privateJwk }
}

async function importConfiguredKey(text: string): Promise<{ signer: SigningKey; publicJwk: JWK }> {
  const trimmed = text.trim()
  const privateKey = trimmed.startsWith('{')
    ? ((await importJWK(JSON.parse(trimmed) as JWK, SIGNING_ALG, { extractable: true })) as CryptoKey)
    : await importPKCS8(trimmed, SIGNING_ALG, { extractable: true })
  const { d: _private, ...publicPart } = await exportJWK(privateKey)
  // The kid is derived from the public key, so every process with the same key agrees on it.
  const kid = `key_${(await calculateJwkThumbprint(publicPart, 'sha256')).slice(0, 26)}`
  return { signer: { kid, alg: SIGNING_ALG, privateKey }, publicJwk: { ...publicPart, kid, alg: SIGNING_ALG, use: 'sig' } }
}

async function publicKeyOf(row: SigningKeyRow): Promise<PublicKey> {
  return { kid: row.kid, jwk: row.public_jwk, key: (await importJWK(row.public_jwk, row.alg)) as CryptoKey }
}
