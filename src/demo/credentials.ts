// The demo world's credentials: one client per role and organisation. Secrets are generated at
// seed time (src/identity), printed once, and kept in a file beside the data directory so later
// starts can print them again (src/node.ts reads and writes it; this module only shapes it).

import { z } from 'zod'
import { ROLES } from '../identity/service.js'

export const DemoCredentialSchema = z.object({
  role: z.enum(ROLES),
  org_id: z.string(),
  org_name: z.string(),
  org_kind: z.enum(['department', 'social_org', 'platform']),
  client_id: z.string(),
  client_secret: z.string(),
})
export type DemoCredential = z.infer<typeof DemoCredentialSchema>

export const DemoCredentialsFileSchema = z.object({
  version: z.literal(1),
  created_at: z.string(),
  platform_org_id: z.string(),
  credentials: z.array(DemoCredentialSchema).min(1),
})
export type DemoCredentialsFile = z.infer<typeof DemoCredentialsFileSchema>

export const DEMO_CREDENTIALS_FILE_NAME = 'demo-credentials.json'

/** The file's text: pretty JSON, so a person can read it too. */
export function credentialsFileText(platformOrgId: string, credentials: readonly DemoCredential[], at: Date): string {
  const file: DemoCredentialsFile = { version: 1, created_at: at.toISOString(), platform_org_id: platformOrgId, credentials: [...credentials] }
  return `${JSON.stringify(file, null, 2)}\n`
}

/** The file's contents, or a message saying what is wrong with it. */
export function parseCredentialsFile(text: string): DemoCredentialsFile | { problem: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { problem: 'not JSON' }
  }
  const parsed = DemoCredentialsFileSchema.safeParse(json)
  return parsed.success ? parsed.data : { problem: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }
}

/** The first credential with a role (in an organisation kind, or a named organisation). */
export function credentialFor(credentials: readonly DemoCredential[], role: DemoCredential['role'], orgName?: string): DemoCredential {
  const found = credentials.find((c) => c.role === role && (orgName === undefined || c.org_name === orgName))
  if (!found) throw new Error(`the demo credentials hold no ${role}${orgName ? ` of ${orgName}` : ''}`)
  return found
}

/** A plain-text table: role, organisation, client_id, client_secret. */
export function credentialsTable(credentials: readonly DemoCredential[]): string {
  const rows = credentials.map((c) => [c.role, c.org_name, c.client_id, c.client_secret])
  const header = ['role', 'organisation', 'client id', 'client secret']
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]!))))
  const line = (cells: string[]) => `  ${cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ')}`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

// Chinese characters take two columns in a terminal.
function displayWidth(text: string): number {
  let width = 0
  for (const char of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(char) ? 2 : 1
  return width
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)))
}
