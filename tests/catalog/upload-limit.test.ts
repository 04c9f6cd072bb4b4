import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { ndjson, person, registerDataset } from '../support/catalog.js'
import { createCast, type Cast } from '../support/identity.js'

let world: TestWorld
let cast: Cast
beforeAll(async () => {
  world = await createTestWorld({ QIAO_MAX_UPLOAD_BYTES: String(64 * 1024) })
  cast = await createCast(world)
})
afterAll(() => world.close())

/** A body with no Content-Length: the bytes arrive as a stream, as with chunked transfer encoding. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(offset, offset + 4096))
      offset += 4096
    },
  })
}

describe('upload size limit', () => {
  it('refuses a chunked upload once it passes QIAO_MAX_UPLOAD_BYTES, storing nothing', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const body = ndjson(Array.from({ length: 2000 }, (_, i) => person(i)))
    expect(body.length).toBeGreaterThan(64 * 1024)
    const res = await world.app.request(`/v1/datasets/${dataset.id}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.deptA.publisher.token}`, 'content-type': 'application/x-ndjson' },
      body: chunked(body),
      duplex: 'half',
    } as RequestInit)
    expect(res.status, await res.clone().text()).toBe(413)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const { rows } = await world.services.db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM records WHERE dataset_id = $1', [dataset.id])
    expect(rows[0]?.n).toBe(0)
  })

  it('takes a chunked upload under the limit', async () => {
    const dataset = await registerDataset(world, cast.deptA.publisher)
    const res = await world.app.request(`/v1/datasets/${dataset.id}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cast.deptA.publisher.token}`, 'content-type': 'application/x-ndjson' },
      body: chunked(ndjson(Array.from({ length: 20 }, (_, i) => person(i)))),
      duplex: 'half',
    } as RequestInit)
    expect(res.status, await res.clone().text()).toBe(200)
    expect(((await res.json()) as { inserted: number }).inserted).toBe(20)
  })
})
