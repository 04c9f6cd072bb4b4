import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface GatewayProcess {
  url: string
  child: ChildProcess
  output(): string
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts `src/node.ts` as a real process and waits until it says where it listens. */
export function startGateway(env: Record<string, string>, timeoutMs = 30_000): Promise<GatewayProcess> {
  // GATEWAY_NODE_OPTIONS passes flags NODE_OPTIONS refuses (e.g. --cpu-prof) to the gateway's node.
  const nodeFlags = process.env.GATEWAY_NODE_OPTIONS?.split(/\s+/).filter(Boolean) ?? []
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'src/node.ts'], {
    cwd: root,
    // The demo world (QIAO_DEMO) stays off unless a test asks for it: tests expect an empty world.
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: '', QIAO_DEMO: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway did not start in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Qiao is listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve({
          url: match[1],
          child,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal)
            return exited
          },
        })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`gateway exited with ${code} before listening:\n${output}`))
    })
  })
}

/** Runs a command to completion: exit code and everything it printed. */
export function runProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, DATABASE_URL: '', QIAO_DEMO: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.once('exit', (code) => resolve({ code, output }))
  })
}
