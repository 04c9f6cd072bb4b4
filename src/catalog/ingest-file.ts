// `qiao ingest <dataset> <file>`: streams a local CSV / NDJSON / JSON file through the same
// ingest service as POST /v1/datasets/{id}/records, straight into the database, with a progress
// line on stderr and the report on stdout. Node only (files, streams).

import { createReadStream, statSync } from 'node:fs'
import { extname } from 'node:path'
import type { ActionContext } from '../audit/recorder.js'
import { ingestRecords, type IngestMode, type IngestOutcome } from './ingest.js'
import type { Deps } from './service.js'

export const ingestUsage =
  'usage: qiao ingest <dataset id or resource code> <file.csv|file.ndjson|file.json> [--mode atomic|partial] [--unknown reject|drop] [--format csv|ndjson|json] [--charset gb18030] [--idempotency-key KEY]'

const MEDIA_TYPES: Record<string, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson', json: 'application/json' }

interface Output {
  write(text: string): unknown
  isTTY?: boolean
}

export async function ingestFile(
  deps: Deps,
  ctx: ActionContext,
  args: string[],
  io: { stdout: Output; stderr: Output } = { stdout: process.stdout, stderr: process.stderr },
): Promise<IngestOutcome> {
  const options = parseArgs(args)
  const size = fileSize(options.file)
  const progress = new ProgressLine(io.stderr, size)
  const body = countingChunks(createReadStream(options.file), (bytes) => progress.bytesRead(bytes))
  const contentType = `${options.mediaType}${options.charset ? `; charset=${options.charset}` : ''}`
  const outcome = await ingestRecords(deps, ctx, 'operator', options.dataset, { body, contentType }, {
    mode: options.mode,
    unknown: options.unknown,
    idempotencyKey: options.idempotencyKey,
    onProgress: (rows) => progress.rowsRead(rows),
  })
  progress.done(outcome.report.total)
  io.stdout.write(`${JSON.stringify(outcome.report, null, 2)}\n`)
  return outcome
}

interface IngestFileArgs {
  dataset: string
  file: string
  mediaType: string
  charset?: string
  mode: IngestMode
  unknown: 'reject' | 'drop'
  idempotencyKey?: string
}

function parseArgs(args: string[]): IngestFileArgs {
  const positional: string[] = []
  const flags = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const value = args[++i]
    if (value === undefined) throw new Error(`${arg} needs a value\n${ingestUsage}`)
    flags.set(arg.slice(2), value)
  }
  const [dataset, file, ...extra] = positional
  if (!dataset || !file || extra.length > 0) throw new Error(ingestUsage)
  const known = ['mode', 'unknown', 'format', 'charset', 'idempotency-key']
  const unknownFlag = [...flags.keys()].find((flag) => !known.includes(flag))
  if (unknownFlag) throw new Error(`unknown option --${unknownFlag}\n${ingestUsage}`)
  const mode = flags.get('mode') ?? 'atomic'
  const unknown = flags.get('unknown') ?? 'reject'
  if (mode !== 'atomic' && mode !== 'partial') throw new Error(`--mode is atomic or partial\n${ingestUsage}`)
  if (unknown !== 'reject' && unknown !== 'drop') throw new Error(`--unknown is reject or drop\n${ingestUsage}`)
  const format = flags.get('format') ?? extname(file).slice(1).toLowerCase()
  const mediaType = MEDIA_TYPES[format]
  if (!mediaType) throw new Error(`cannot tell the format of ${file}: name it .csv, .ndjson or .json, or pass --format`)
  return { dataset, file, mediaType, charset: flags.get('charset'), mode, unknown, idempotencyKey: flags.get('idempotency-key') }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
  }
}

async function* countingChunks(stream: AsyncIterable<Buffer>, onBytes: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    onBytes(chunk.length)
    yield chunk
  }
}

/**
 * "  412,000 rows  51,230 rows/s  41%  ETA 0:12" on stderr: rewritten in place on a terminal
 * (at most ten times a second), a new line every five seconds otherwise (logs, CI). The ETA
 * comes from the bytes read so far against the file size.
 */
class ProgressLine {
  private readonly started = performance.now()
  private bytes = 0
  private rows = 0
  private lastDrawn = 0

  constructor(
    private readonly out: Output,
    private readonly size: number,
  ) {}

  bytesRead(bytes: number): void {
    this.bytes += bytes
  }

  rowsRead(rows: number): void {
    this.rows = rows
    const now = performance.now()
    if (now - this.lastDrawn < (this.out.isTTY ? 100 : 5000)) return
    this.lastDrawn = now
    this.draw(now)
  }

  done(rows: number): void {
    this.rows = rows
    this.bytes = this.size
    this.draw(performance.now())
    if (this.out.isTTY) this.out.write('\n')
  }

  private draw(now: number): void {
    const seconds = (now - this.started) / 1000
    const rate = seconds > 0 ? this.rows / seconds : 0
    const fraction = this.size > 0 ? Math.min(1, this.bytes / this.size) : 1
    const byteRate = seconds > 0 ? this.bytes / seconds : 0
    const eta = byteRate > 0 ? (this.size - this.bytes) / byteRate : undefined
    const line = `  ${this.rows.toLocaleString('en-US')} rows  ${Math.round(rate).toLocaleString('en-US')} rows/s  ${Math.floor(fraction * 100)}%  ETA ${eta === undefined ? '–' : clock(eta)}`
    this.out.write(this.out.isTTY ? `\r${line.padEnd(60)}` : `${line}\n`)
  }
}

function clock(seconds: number): string {
  const total = Math.round(seconds)
  const minutes = Math.floor(total / 60)
  const hours = Math.floor(minutes / 60)
  const ss = String(total % 60).padStart(2, '0')
  return hours > 0 ? `${hours}:${String(minutes % 60).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`
}
