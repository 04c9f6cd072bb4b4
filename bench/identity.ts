/**
 * What authentication costs. Prints, in one run:
 *  - ES256 access-token verification with jose (µs per token), beside signing for scale;
 *  - the gateway's req/s on an authenticated no-op route (/v1/auth/whoami: token verify + cached
 *    client check) against an unauthenticated one (/health), same server, same load.
 * Usage: npm run bench:identity [-- --seconds 5 --concurrency 32]   (DATABASE_URL selects PostgreSQL)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SignJWT, generateKeyPair, jwtVerify } from 'jose'
import { startGateway } from '../tests/support/process.js'
import { formatLoad, runLoad } from './load.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '32' } } })
const seconds = Number(values.seconds)
const concurrency = Number(values.concurrency)

async function tokenCost() {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const sign = () =>
    new SignJWT({ org: 'org_x', org_kind: 'department', roles: ['consumer'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'at+jwt' })
      .setIssuer('http://localhost:8080')
      .setAudience('qiao')
      .setSubject('cli_x')
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(crypto.randomUUID())
      .sign(privateKey)
  const n = 5000
  const tokens: string[] = []
  let t = performance.now()
  for (let i = 0; i < n; i++) tokens.push(await sign())
  const signUs = ((performance.now() - t) * 1000) / n
  t = performance.now()
  for (const token of tokens) {
    await jwtVerify(token, publicKey, { issuer: 'http://localhost:8080', audience: 'qiao', algorithms: ['ES256'], typ: 'at+jwt' })
  }
  const verifyUs = ((performance.now() - t) * 1000) / n
  console.log(`ES256 sign    ${signUs.toFixed(1).padStart(7)} µs/token   (${n} tokens)`)
  console.log(`ES256 verify  ${verifyUs.toFixed(1).padStart(7)} µs/token   (${n} tokens; paid once per authenticated request)`)
}

async function gatewayThroughput() {
  const dataDir = mkdtempSync(join(tmpdir(), 'qiao-bench-'))
  const env: Record<string, string> = { QIAO_DATA_DIR: join(dataDir, 'data'), LOG_LEVEL: 'warn' }
  if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL
  const gateway = await startGateway(env)
  try {
    const id = /client_id\s+(\S+)/.exec(gateway.output())?.[1]
    const secret = /client_secret\s+(\S+)/.exec(gateway.output())?.[1]
    if (!id || !secret) throw new Error('run against an empty database: the bench needs the bootstrap credentials')
    const tokenRes = await fetch(`${gateway.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
    })
    const { access_token } = (await tokenRes.json()) as { access_token: string }
    const auth = { authorization: `Bearer ${access_token}` }
    await runLoad(`${gateway.url}/health`, {}, { concurrency, seconds: 1 }) // warm-up
    const open = await runLoad(`${gateway.url}/health`, {}, { concurrency, seconds })
    const authed = await runLoad(`${gateway.url}/v1/auth/whoami`, auth, { concurrency, seconds })
    console.log(`\ngateway on ${env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${concurrency} concurrent clients, ${seconds} s each (load from ${open.generator}, same 2 cores):`)
    console.log(formatLoad('GET /health (no auth)', open))
    console.log(formatLoad('GET /v1/auth/whoami (bearer token)', authed))
    console.log(`authenticated / unauthenticated throughput: ${(authed.rps / open.rps).toFixed(2)}`)
  } finally {
    await gateway.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await tokenCost()
await gatewayThroughput()
