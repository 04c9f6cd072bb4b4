import { describe, expect, it } from 'vitest'
import { UnsupportedMediaTypeError, mediaTypeOf, parseRecords } from '../../src/standards/parse-records'
import { collect } from './helpers'

const encoder = new TextEncoder()

function byteStream(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
}

/** The bytes cut at every position into two chunks. */
function byteSplits(bytes: Uint8Array): Uint8Array[][] {
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.slice(0, i), bytes.slice(i)])
}

describe('mediaTypeOf', () => {
  it.each([
    ['text/csv', { format: 'csv', charset: 'utf-8' }],
    ['Text/CSV; charset="GB18030"', { format: 'csv', charset: 'GB18030' }],
    ['application/x-ndjson', { format: 'ndjson', charset: 'utf-8' }],
    ['application/jsonl; charset=utf-8', { format: 'ndjson', charset: 'utf-8' }],
    ['application/json;charset=UTF-8', { format: 'json', charset: 'UTF-8' }],
  ])('reads %s', (contentType, expected) => {
    expect(mediaTypeOf(contentType)).toEqual(expected)
  })

  it('knows nothing of other types', () => {
    expect(mediaTypeOf('application/xml')).toBeUndefined()
  })
})

describe('parseRecords', () => {
  it('throws before reading for an unsupported media type or charset', () => {
    expect(() => parseRecords([], 'application/xml')).toThrow(UnsupportedMediaTypeError)
    expect(() => parseRecords([], 'text/csv; charset=klingon')).toThrow(/unsupported charset/)
  })

  it('strips a UTF-8 byte order mark from text and from bytes', async () => {
    const expected = [{ row: 1, record: { 姓名: '张三' } }]
    expect(await collect(parseRecords(['\uFEFF姓名\n张三\n'], 'text/csv'))).toEqual(expected)
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('姓名\n张三\n')])
    expect(await collect(parseRecords(byteStream([bytes]), 'text/csv'))).toEqual(expected)
  })

  it('decodes a multi-byte character cut between two chunks', async () => {
    const bytes = encoder.encode('姓名,地址\r\n张三,"北京市\r\n朝阳区"\r\n')
    for (const chunks of byteSplits(bytes)) {
      const rows = await collect(parseRecords(byteStream(chunks), 'text/csv'))
      expect(rows, `cut after byte ${chunks[0]?.length}`).toEqual([
        { row: 1, record: { 姓名: '张三', 地址: '北京市\r\n朝阳区' } },
      ])
    }
  })

  it('reads an async iterable of byte chunks', async () => {
    async function* chunks() {
      yield encoder.encode('{"a":1}\n{"a"')
      yield encoder.encode(':2}\n')
    }
    expect(await collect(parseRecords(chunks(), 'application/x-ndjson'))).toEqual([
      { row: 1, record: { a: 1 } },
      { row: 2, record: { a: 2 } },
    ])
  })

  it('decodes a declared GB 18030 body', async () => {
    const gbk = new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb, 0x0a, 0xd5, 0xc5, 0xc8, 0xfd, 0x0a]) // 姓名\n张三\n
    expect(await collect(parseRecords(byteStream([gbk]), 'text/csv; charset=gb18030'))).toEqual([
      { row: 1, record: { 姓名: '张三' } },
    ])
  })

  it('reports rows whose bytes are not valid in the declared charset (GBK sent as UTF-8)', async () => {
    const header = encoder.encode('id,name\n1,ok\n2,')
    const gbkName = new Uint8Array([0xd5, 0xc5, 0xc8, 0xfd])
    const rows = await collect(parseRecords(byteStream([header, gbkName, encoder.encode('\n')]), 'text/csv'))
    expect(rows.map((row) => row.error?.code ?? row.record)).toEqual([
      { id: '1', name: 'ok' },
      'parse.encoding',
    ])
    expect(rows[1]?.error?.message).toContain('gb18030')
  })

  it('streams JSON arrays', async () => {
    const rows = await collect(parseRecords(['[{"a":1}', ',{"a":2}]'], 'application/json'))
    expect(rows).toEqual([
      { row: 1, record: { a: 1 } },
      { row: 2, record: { a: 2 } },
    ])
  })

  it('cancels the upload when the consumer stops early', async () => {
    let cancelled = false
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode('{"a":1}\n'))
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const row of parseRecords(stream, 'application/x-ndjson')) {
      expect(row.record).toEqual({ a: 1 })
      break
    }
    expect(cancelled, 'the endless stream was cancelled').toBe(true)
  })

  it('stops reading once the input cannot be parsed further', async () => {
    let pulls = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++
        controller.enqueue(encoder.encode(pulls === 1 ? 'a,a\n' : '1,2\n'))
      },
    })
    const rows = await collect(parseRecords(stream, 'text/csv'))
    expect(rows.map((row) => row.error?.code)).toEqual(['parse.csv.header'])
  })
})
