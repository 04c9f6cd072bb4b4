import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runProcess } from '../support/process.js'

// The Worker bundle as `wrangler deploy --env production` would upload it: built once (no
// network, no account), then checked for what must never be in it and for its size.

/** Files that may use Node's built-ins because only the Node entry, the CLI and tests load them. */
const NODE_ONLY = ['src/node.ts', 'src/cli.ts', 'src/node-services.ts', 'src/entry.ts', 'src/db/pglite.ts', 'src/catalog/ingest-file.ts', 'src/audit/hasher-node.ts']

/** Workers' limit on a paid plan is 10 MiB compressed (3 MiB on the free plan); stay under the free one. */
const MAX_GZIP_BYTES = 3 * 1024 * 1024

interface Metafile {
  inputs: Record<string, { bytes: number; imports: Array<{ path: string; external?: boolean; original?: string }> }>
}

describe('the Worker bundle (wrangler deploy --dry-run --env production)', () => {
  let dir: string
  let meta: Metafile
  let bundle: Buffer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qiao-worker-bundle-'))
    const built = await runProcess(
      ['node_modules/wrangler/bin/wrangler.js', 'deploy', '--dry-run', '--env', 'production', '--outdir', dir, '--metafile', join(dir, 'meta.json')],
      { WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    )
    expect(built.code, built.output).toBe(0)
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile
    bundle = readFileSync(join(dir, 'worker.js'))
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const sources = () => Object.keys(meta.inputs).filter((path) => path.startsWith('src/'))

  it('is built from src/worker.ts and reaches none of the Node-only files', () => {
    expect(sources()).toContain('src/worker.ts')
    expect(sources()).toContain('src/app.ts')
    expect(sources().filter((path) => NODE_ONLY.includes(path))).toEqual([])
  })

  it('has no source file that imports a Node built-in, and no PGlite', () => {
    const builtins = new Set(builtinModules)
    const offenders = sources().flatMap((path) =>
      meta.inputs[path]!.imports.map((i) => i.original ?? i.path).filter((spec) => spec.startsWith('node:') || builtins.has(spec)).map((spec) => `${path} imports ${spec}`),
    )
    expect(offenders).toEqual([])
    expect(Object.keys(meta.inputs).filter((path) => path.includes('@electric-sql/pglite'))).toEqual([])
  })

  it('stays well within Workers’ size limit', () => {
    const gzip = gzipSync(bundle, { level: 9 }).byteLength
    console.log(`worker bundle: ${bundle.byteLength} bytes raw, ${gzip} bytes gzip (limit: 10 MiB gzip on a paid plan, 3 MiB free)`)
    expect(gzip).toBeLessThan(MAX_GZIP_BYTES)
  })
})
