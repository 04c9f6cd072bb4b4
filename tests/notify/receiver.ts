// A real HTTP server on 127.0.0.1 that receives webhooks: it keeps every request (headers and
// the raw body, as a receiver must verify the signature over the bytes it got) and answers each
// as the test scripts it: a status, or no answer at all (so the sender's timeout fires).

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/** What to do with one request: answer with a status, or hold it until the server closes. */
export type Reply = number | 'hang'

export interface Receiver {
  url: string
  received: Received[]
  /** Replies for the next requests, in order; afterwards every request gets `fallback`. */
  script(replies: Reply[], fallback?: Reply): void
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = []
  let queue: Reply[] = []
  let fallback: Reply = 200
  const held: ServerResponse[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const reply = queue.shift() ?? fallback
      if (reply === 'hang') {
        held.push(res)
        return
      }
      res.writeHead(reply, { 'content-type': 'text/plain' }).end(reply >= 200 && reply < 300 ? 'ok' : 'not now')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/qiao`,
    received,
    script(replies, otherwise = 200) {
      queue = [...replies]
      fallback = otherwise
    },
    async close() {
      for (const res of held) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
