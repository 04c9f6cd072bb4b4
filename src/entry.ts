import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Whether the module at `moduleUrl` is the script Node was started with (not an import). */
export function isEntrypoint(moduleUrl: string): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}
