// On Node, c.req.header() reads the IncomingMessage (src/http/middleware.ts nodeRequestHeaders)
// rather than the WHATWG Headers @hono/node-server would build. Over real HTTP, with repeated and
// oddly cased fields, it must answer exactly what Headers does.
import { connect, type AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeRequestHeaders } from '../../src/http/middleware.js'
import type { AppEnv } from '../../src/http/env.js'

/** What a handler sees of the request's headers: some by name (in any case), and all of them. */
function echo(app: Hono<AppEnv>): Hono<AppEnv> {
  app.get('/headers', (c) =>
    c.json({
      purpose: c.req.header('x-purpose') ?? null,
      Purpose: c.req.header('X-Purpose') ?? null,
      authorization: c.req.header('Authorization') ?? null,
      accept: c.req.header('accept') ?? null,
      missing: c.req.header('if-none-match') ?? null,
      all: c.req.header(),
      // Whether nodeRequestHeaders replaced the reader.
      fromIncoming: Object.hasOwn(c.req, 'header'),
    }),
  )
  return app
}

const servers: ReturnType<typeof serve>[] = []
let viaHeaders: string
let viaIncoming: string

function listen(app: Hono<AppEnv>): Promise<string> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`127.0.0.1:${info.port}`))
    servers.push(server)
  })
}

beforeAll(async () => {
  viaHeaders = await listen(echo(new Hono<AppEnv>()))
  const fast = new Hono<AppEnv>()
  fast.use('*', nodeRequestHeaders())
  viaIncoming = await listen(echo(fast))
})
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))))

/** One GET over a raw socket, so that the header lines go out exactly as written. */
function rawGet(address: string, headerLines: string[]): Promise<unknown> {
  const [host, port] = address.split(':')
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) }, () => {
      socket.end(['GET /headers HTTP/1.1', 'Host: qiao.test', 'Connection: close', ...headerLines, '', ''].join('\r\n'))
    })
    let response = ''
    socket.on('data', (chunk) => (response += chunk.toString()))
    socket.on('end', () => resolve(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''))))
    socket.on('error', reject)
  })
}

describe('request headers on Node', () => {
  it.each([
    ['one of each', ['X-Purpose: 补贴资格核验', 'Authorization: Bearer abc.def.ghi', 'Accept: application/json']],
    ['repeated fields, joined in order', ['x-purpose: first', 'X-PURPOSE: second', 'Authorization: Bearer a', 'authorization: Bearer b', 'Accept: text/html', 'accept: */*']],
    ['empty and padded values', ['X-Purpose:', 'Accept:   application/json  ', 'X-Extra: a,b']],
  ])('%s: the same as the WHATWG Headers', async (_, lines) => {
    const expected = (await rawGet(viaHeaders, lines)) as Record<string, unknown>
    const actual = (await rawGet(viaIncoming, lines)) as Record<string, unknown>
    expect([expected.fromIncoming, actual.fromIncoming]).toEqual([false, true])
    expect({ ...actual, fromIncoming: undefined }).toEqual({ ...expected, fromIncoming: undefined })
    expect(Object.keys(actual.all as object).length).toBeGreaterThan(2)
  })
})
