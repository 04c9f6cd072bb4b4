import { request } from 'node:http'
import { expect } from 'vitest'
import { runProcess } from './process.js'

/** Calls a running gateway over HTTP and fails the test with the answer when it is not 2xx. */
export function liveApi(base: () => string) {
  return async (method: string, path: string, bearer: string | undefined, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const json = (await res.json()) as Record<string, any>
    expect(res.ok, `${method} ${path} → ${res.status} ${JSON.stringify(json)}`).toBe(true)
    return json
  }
}

/** The admin credentials a gateway printed on its first start. */
export function bootstrapCredentials(output: string): { id: string; secret: string } {
  const id = /client_id\s+(\S+)/.exec(output)?.[1]
  const secret = /client_secret\s+(\S+)/.exec(output)?.[1]
  if (!id || !secret) throw new Error(`the gateway printed no bootstrap credentials:\n${output}`)
  return { id, secret }
}

/** What a live gateway answered: status, headers, the body parsed as JSON when it is JSON, and the raw text. */
export interface LiveAnswer {
  status: number
  headers: Headers
  body: any
  text: string
}

export interface LiveCallOptions {
  token?: string
  /** A value to send as JSON, a string (sent as is), or a stream (sent chunked). */
  body?: unknown
  type?: string
  headers?: Record<string, string>
}

/**
 * A client for a running gateway that keeps every answer it got, so a suite can check things
 * about all of them at the end (every error is problem+json). Never fails by itself.
 */
export function liveClient(base: () => string) {
  const answers: Array<{ method: string; path: string; status: number; contentType: string | null; body: any }> = []
  const call = async (method: string, path: string, options: LiveCallOptions = {}): Promise<LiveAnswer> => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: BodyInit | undefined
    if (options.body instanceof ReadableStream) body = options.body
    else if (typeof options.body === 'string') body = options.body
    else if (options.body !== undefined) body = JSON.stringify(options.body)
    if (body !== undefined) headers['content-type'] ??= options.type ?? 'application/json'
    const res = await fetch(`${base()}${path}`, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit)
    const text = await res.text()
    let parsed: any
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = text
    }
    answers.push({ method, path, status: res.status, contentType: res.headers.get('content-type'), body: parsed })
    return { status: res.status, headers: res.headers, body: parsed, text: `${method} ${path} → ${res.status} ${text.slice(0, 2000)}` }
  }
  return { call, answers }
}

/** `qiao init --json` against a database: migrates it and answers the admin credentials it created. */
export async function initPlatform(databaseUrl: string, env: Record<string, string> = {}): Promise<{ id: string; secret: string }> {
  const { code, output } = await runProcess(['bin/qiao.mjs', 'init', '--json'], { ...env, DATABASE_URL: databaseUrl })
  const line = output.split('\n').find((l) => l.startsWith('{"client_id"'))
  if (code !== 0 || !line) throw new Error(`qiao init --json failed (${code}):\n${output}`)
  const { client_id, client_secret } = JSON.parse(line) as { client_id: string; client_secret: string }
  return { id: client_id, secret: client_secret }
}

/**
 * Sends a request the way a client that listens while it uploads does: headers first, then the
 * chunks one at a time, each once the socket took the previous one, stopping as soon as an answer
 * arrives. A gateway may answer an oversized upload before reading it all and then close the
 * connection; fetch reports that as a network error, this resolves with the answer.
 */
export function sendUntilAnswered(url: string, method: string, headers: Record<string, string>, chunks: Iterable<string | Uint8Array>): Promise<LiveAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false
    let onAnswer = () => {}
    const answer = new Promise<void>((r) => (onAnswer = r))
    const req = request(url, { method, headers })
    req.on('response', (res) => {
      answered = true
      onAnswer()
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('error', reject)
      res.on('end', () => {
        req.destroy()
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value)
        let body: any
        try {
          body = text ? JSON.parse(text) : undefined
        } catch {
          body = text
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body, text: `${method} ${new URL(url).pathname} → ${res.statusCode} ${text.slice(0, 2000)}` })
      })
    })
    req.on('error', (error) => {
      if (!answered) reject(error)
    })
    req.flushHeaders()
    const send = async () => {
      for (const chunk of chunks) {
        // A macrotask between chunks lets an answer that has arrived stop the upload.
        await new Promise((r) => setTimeout(r, 0))
        if (answered) return
        if (!req.write(chunk)) await Promise.race([new Promise((r) => req.once('drain', r)), answer])
      }
      if (!answered) req.end()
    }
    send().catch(() => req.destroy())
  })
}
