// Turns an upload (a Web ReadableStream of bytes, or any async iterable of text or bytes)
// into records one at a time, whatever its media type, without holding the whole body.
// Web-standard APIs only, so it runs on Workers as well as Node.

import { CsvSplitter } from './csv'
import { JsonArraySplitter, NdjsonSplitter } from './json-stream'
import type { ParsedRow, RecordSplitter, SplitterOptions } from './splitter'

export type RecordFormat = 'csv' | 'ndjson' | 'json'

export type RecordSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | Iterable<string>

const FORMATS_BY_MEDIA_TYPE: ReadonlyMap<string, RecordFormat> = new Map([
  ['text/csv', 'csv'],
  ['application/csv', 'csv'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
  ['application/jsonl', 'ndjson'],
  ['application/x-jsonlines', 'ndjson'],
  ['application/json', 'json'],
])

export const SUPPORTED_MEDIA_TYPES: readonly string[] = [...FORMATS_BY_MEDIA_TYPE.keys()]

export interface MediaType {
  readonly format: RecordFormat
  /** From the charset parameter; UTF-8 when absent. GB 18030 exports work where the runtime's TextDecoder knows them. */
  readonly charset: string
}

/** The record format a Content-Type header names, or undefined if Qiao can't parse it. */
export function mediaTypeOf(contentType: string): MediaType | undefined {
  const [essence = '', ...parameters] = contentType.split(';')
  const format = FORMATS_BY_MEDIA_TYPE.get(essence.trim().toLowerCase())
  if (format === undefined) return undefined
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
  return { format, charset: charset?.trim().replace(/^"(.*)"$/, '$1') || 'utf-8' }
}

export class UnsupportedMediaTypeError extends Error {
  override name = 'UnsupportedMediaTypeError'
}

/**
 * The records of `source`, parsed according to `contentType`, one at a time. Malformed input
 * is reported as rows with an `error`; only an unsupported media type or charset throws
 * (synchronously, before anything is read), and a failing source rejects as it would.
 */
export function parseRecords(
  source: RecordSource,
  contentType: string,
  options: SplitterOptions = {},
): AsyncIterable<ParsedRow> {
  const media = mediaTypeOf(contentType)
  if (media === undefined) {
    throw new UnsupportedMediaTypeError(
      `cannot read records from "${contentType}": send one of ${SUPPORTED_MEDIA_TYPES.join(', ')}`,
    )
  }
  return rowsOf(textChunks(source, decoderFor(media.charset)), splitterFor(media.format, options))
}

function decoderFor(charset: string): TextDecoder {
  try {
    return new TextDecoder(charset)
  } catch {
    throw new UnsupportedMediaTypeError(`unsupported charset "${charset}"`)
  }
}

function splitterFor(format: RecordFormat, options: SplitterOptions): RecordSplitter {
  switch (format) {
    case 'csv':
      return new CsvSplitter(options)
    case 'ndjson':
      return new NdjsonSplitter(options)
    case 'json':
      return new JsonArraySplitter(options)
  }
}

const REPLACEMENT_CHAR = '\uFFFD'
const BYTE_ORDER_MARK = 0xfeff

async function* rowsOf(chunks: AsyncIterable<string>, splitter: RecordSplitter): AsyncGenerator<ParsedRow> {
  let first = true
  // Bytes that aren't valid in the charset decode to U+FFFD: once one shows up, rows are
  // checked so a mis-declared GBK file is reported instead of stored as mojibake.
  let suspect = false
  for await (const text of chunks) {
    if (text.length === 0) continue
    const chunk = first && text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text
    first = false
    suspect ||= chunk.includes(REPLACEMENT_CHAR)
    for (const row of splitter.push(chunk)) yield suspect ? withEncodingCheck(row) : row
    if (splitter.finished) return
  }
  for (const row of splitter.end()) yield suspect ? withEncodingCheck(row) : row
}

function withEncodingCheck(row: ParsedRow): ParsedRow {
  if (row.record === undefined) return row
  const garbled = Object.entries(row.record).some(
    ([name, value]) =>
      name.includes(REPLACEMENT_CHAR) || (typeof value === 'string' && value.includes(REPLACEMENT_CHAR)),
  )
  if (!garbled) return row
  return {
    row: row.row,
    error: {
      code: 'parse.encoding',
      message:
        'the record has bytes that are not valid in the declared charset; if the file is GBK, send charset=gb18030',
    },
  }
}

async function* textChunks(source: RecordSource, decoder: TextDecoder): AsyncGenerator<string> {
  if (isReadableStream(source)) {
    yield* streamText(source, decoder)
  } else {
    for await (const chunk of source)
      yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  }
  yield decoder.decode()
}

function isReadableStream(source: RecordSource): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream<Uint8Array>).getReader === 'function'
}

async function* streamText(stream: ReadableStream<Uint8Array>, decoder: TextDecoder): AsyncGenerator<string> {
  const reader = stream.getReader()
  let done = false
  try {
    while (!done) {
      const result = await reader.read()
      done = result.done
      if (result.value !== undefined) yield decoder.decode(result.value, { stream: true })
    }
  } finally {
    // The consumer stopped early (e.g. an atomic ingest hit an error): stop the upload too.
    if (!done) await reader.cancel()
    reader.releaseLock()
  }
}
