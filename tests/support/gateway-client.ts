// Talking to a real gateway process (tests/support/process.ts) over HTTP: its first-start admin
// credentials, a department publisher, and uploads streamed with backpressure. Used by the crash
// test, the CLI test and bench/ingest.ts.

import { once } from 'node:events'
import { request } from 'node:http'
import type { GatewayProcess } from './process.js'

export interface Credentials {
  clientId: string
  secret: string
}

/** The admin client the gateway printed on its first start. */
export function bootstrapCredentials(gateway: GatewayProcess): Credentials {
  const output = gateway.output()
  const clientId = /client_id\s+(cli_\w+)/.exec(output)?.[1]
  const secret = /client_secret\s+(\S+)/.exec(output)?.[1]
  if (!clientId || !secret) throw new Error(`no bootstrap credentials in the gateway output:\n${output}`)
  return { clientId, secret }
}

export async function fetchJson(url: string, method: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

export async function accessToken(baseUrl: string, credentials: Credentials): Promise<string> {
  const res = await fetchJson(`${baseUrl}/v1/auth/token`, 'POST', {
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.secret,
  })
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.access_token as string
}

/** Creates a department and a publisher client in it; answers the publisher's token. */
export async function departmentPublisher(baseUrl: string, adminToken: string): Promise<{ orgId: string; token: string }> {
  const org = await fetchJson(`${baseUrl}/v1/orgs`, 'POST', { kind: 'department', name: `某市公安局 ${Date.now()}`, level: 'city', region_code: '330100' }, adminToken)
  if (org.status !== 201) throw new Error(`org: ${org.status} ${JSON.stringify(org.body)}`)
  const client = await fetchJson(`${baseUrl}/v1/orgs/${org.body.id}/clients`, 'POST', { name: 'population feed', roles: ['publisher'] }, adminToken)
  if (client.status !== 201) throw new Error(`client: ${client.status} ${JSON.stringify(client.body)}`)
  return { orgId: org.body.id, token: await accessToken(baseUrl, { clientId: client.body.client_id, secret: client.body.client_secret }) }
}

export interface StreamedUpload {
  /** Resolves with the gateway's answer (or rejects if the connection breaks). */
  response: Promise<{ status: number; body: any }>
  /** Bytes handed to the socket so far. */
  written(): number
}

/**
 * POSTs `chunks` with a Content-Length, honouring backpressure: the next chunk is written only
 * once the socket has taken the previous one, so `written()` trails what the gateway has read by
 * no more than the socket buffers, and the sender never holds more than a chunk.
 */
export function streamUpload(
  url: string,
  options: { token: string; contentType: string; contentLength: number; headers?: Record<string, string> },
  chunks: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>,
): StreamedUpload {
  let written = 0
  const req = request(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token}`,
      'content-type': options.contentType,
      'content-length': String(options.contentLength),
      ...options.headers,
    },
  })
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  const send = async () => {
    for await (const chunk of chunks) {
      written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
      if (!req.write(chunk)) await once(req, 'drain')
    }
    req.end()
  }
  // A broken connection ends the writing; the response promise carries the error.
  send().catch(() => req.destroy())
  return { response, written: () => written }
}
