import { z } from 'zod'
import { isIsoDate, isWeekend } from './calendar/working-days.js'

/** Everything Qiao reads from its environment, validated once at start-up. */
const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  QIAO_DATA_DIR: z.string().min(1).default('./.qiao/data'),
  QIAO_ISSUER: z.string().url('must be a URL, e.g. https://qiao.example.gov.cn').default('http://localhost:8080'),
  QIAO_AUDIENCE: z.string().min(1).default('qiao'),
  QIAO_SIGNING_KEY: z
    .string()
    .refine((v) => v.trim().startsWith('{') || v.includes('-----BEGIN PRIVATE KEY-----'), 'must be a private JWK (JSON) or a PKCS#8 PEM')
    .optional(),
  QIAO_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  QIAO_TOKEN_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  QIAO_AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  QIAO_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/]+$/, 'each origin must look like https://host[:port]'))),
  QIAO_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(20),
  QIAO_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024 * 1024),
  QIAO_SCHEDULER: z.enum(['on', 'off']).default('on'),
  QIAO_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  // PostgreSQL on Node: connections over which reads' statements are pipelined (src/db/postgres.ts).
  QIAO_DB_PIPELINES: z.coerce.number().int().min(0).max(16).default(2),
  // HTTP proxies (load balancers) in front of a Node gateway that append X-Forwarded-For: the
  // client address for the audit log and the token brake is the one the outermost of them saw.
  QIAO_TRUSTED_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  // The demo world (src/demo) on the first start of an empty database. Unset: on with embedded
  // PGlite (`npm start` on a fresh machine), off with DATABASE_URL (a real deployment).
  QIAO_DEMO: z.enum(['on', 'off']).optional(),
  // Webhooks (src/notify): how long one delivery attempt may take before it counts as failed.
  QIAO_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  // Deadlines count working days: these name the year's public holidays and make-up working
  // days (调休) from the State Council's notice, as comma-separated ISO dates.
  QIAO_HOLIDAYS: isoDateList(),
  QIAO_WORKDAYS: isoDateList().refine(
    (dates) => dates.every((date) => !isIsoDate(date) || isWeekend(date)),
    'each make-up working day (调休) must be a Saturday or Sunday',
  ),
  // Lights on open access requests and objections: yellow when at most this many working days
  // are left (src/calendar/deadlines.ts).
  QIAO_LIGHT_YELLOW_WORKING_DAYS: z.coerce.number().int().min(0).max(60).default(2),
  // Objections (数据异议): working days the owning department has to accept one once raised, and
  // to resolve it once accepted (or reopened).
  QIAO_OBJECTION_ACCEPT_WORKING_DAYS: z.coerce.number().int().min(0).max(60).default(3),
  QIAO_OBJECTION_WORKING_DAYS: z.coerce.number().int().min(1).max(250).default(10),
  // Web console sessions (src/console/session.ts): signed out after this long unused, and in any
  // case this long after signing in.
  QIAO_CONSOLE_IDLE_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  QIAO_CONSOLE_SESSION_HOURS: z.coerce.number().int().min(1).max(168).default(12),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
})

export type Config = z.infer<typeof configSchema>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Reads configuration from a plain string map (process.env on Node, the bindings on Workers). */
export function loadConfig(source: Record<string, unknown>): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape).map((key) => [key, emptyToUndefined(source[key])]),
  )
  const parsed = configSchema.safeParse(known)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    )
  }
  return parsed.data
}

function isoDateList() {
  return z
    .string()
    .default('')
    .transform((v) => v.split(',').map((d) => d.trim()).filter(Boolean))
    .pipe(z.array(z.iso.date('each must be a real date, YYYY-MM-DD')))
}

function emptyToUndefined(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value
}
