// `npm run demo`: the guided scenario (src/demo/scenario.ts) against a gateway. With QIAO_URL
// (default http://localhost:8080) answering, it uses that gateway and the demo credentials its
// first start wrote (QIAO_DEMO_CREDENTIALS, default beside QIAO_DATA_DIR: .qiao/demo-credentials.json).
// When nothing answers there, it starts a gateway of its own on a throwaway PGlite data directory
// (which seeds the demo world) and stops it at the end. Exit code 0 only if every step held.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { apiClient, httpSend } from '../src/demo/api.js'
import { DEMO_CREDENTIALS_FILE_NAME, parseCredentialsFile, type DemoCredential } from '../src/demo/credentials.js'
import { runScenario } from '../src/demo/scenario.js'

const root = fileURLToPath(new URL('../', import.meta.url))

interface Gateway {
  url: string
  credentialsFile: string
  /** Ours to stop; undefined for a gateway that was already running. */
  stop?: () => Promise<void>
}

async function main(): Promise<number> {
  const wanted = (process.env.QIAO_URL ?? 'http://localhost:8080').replace(/\/+$/, '')
  const gateway = (await answers(wanted))
    ? { url: wanted, credentialsFile: process.env.QIAO_DEMO_CREDENTIALS ?? join(dirname(resolve(process.env.QIAO_DATA_DIR ?? './.qiao/data')), DEMO_CREDENTIALS_FILE_NAME) }
    : await startOwnGateway(wanted)
  try {
    const credentials = readCredentials(gateway.credentialsFile)
    console.log(`Qiao guided scenario against ${gateway.url}${gateway.stop ? ' (a gateway started for this run, on a throwaway database)' : ''}`)
    const outcome = await runScenario({ call: apiClient(httpSend(gateway.url)), credentials, print: (line) => console.log(line) })
    console.log(`\n✔ every step held: dataset ${outcome.datasetId}, request ${outcome.requestId}, grant ${outcome.grantId}, read audited as entry #${outcome.readSeq}.`)
    if (!gateway.stop) console.log(`  See it in the console: ${gateway.url}/console`)
    return 0
  } catch (error) {
    console.error(`\n✘ ${error instanceof Error ? error.message : String(error)}`)
    return 1
  } finally {
    await gateway.stop?.()
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })
    return response.ok
  } catch {
    return false
  }
}

function readCredentials(file: string): DemoCredential[] {
  if (!existsSync(file)) {
    throw new Error(`no demo credentials at ${file}: the gateway writes them when its first start seeds the demo world (npm start on an empty data directory), or set QIAO_DEMO_CREDENTIALS`)
  }
  const parsed = parseCredentialsFile(readFileSync(file, 'utf8'))
  if ('problem' in parsed) throw new Error(`${file} is not a demo credentials file: ${parsed.problem}`)
  return parsed.credentials
}

/** `src/node.ts` on a fresh data directory in the temp folder: its first start seeds the demo world. */
async function startOwnGateway(wanted: string): Promise<Gateway> {
  console.log(`No gateway answers at ${wanted}: starting one on a throwaway database…`)
  const scratch = mkdtempSync(join(tmpdir(), 'qiao-demo-'))
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: '', QIAO_DATA_DIR: join(scratch, 'data'), QIAO_DEMO: 'on', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = async () => {
    await stopChild(child)
    rmSync(scratch, { recursive: true, force: true })
  }
  try {
    const url = await listeningUrl(child)
    return { url, credentialsFile: join(scratch, DEMO_CREDENTIALS_FILE_NAME), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function listeningUrl(child: ChildProcess, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`the gateway did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Qiao is listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolvePromise(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the gateway exited with ${code} before listening:\n${output}`))
    })
  })
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolvePromise) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolvePromise()
    })
    child.kill('SIGTERM')
  })
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`✘ ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  },
)
