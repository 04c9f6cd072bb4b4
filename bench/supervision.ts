/**
 * GET /v1/supervision at scale: 10k datasets over 200 departments, 1M audit entries (900k of them
 * reads), 50k ingests, 20k access requests, 5k grants, 2k objections, 3k ratings, seeded with
 * set-based SQL (generate_series). Prints, in one run:
 *  - the first refresh of the read sums (folding the whole log once, as after an upgrade);
 *  - p50/p99 of the report (admin: every organisation; one department; a 30-day period), called
 *    in-process through the app with a fresh window of unfolded reads to top up, beside the
 *    baselines of a bare `SELECT count(*) FROM audit_log` and of the naive report query that
 *    scans the log per request (what the sums avoid).
 * Usage: DATABASE_URL=postgres://… npm run bench:supervision [-- --calls 50 --audit 1000000 --datasets 10000 --keep]
 * Creates its own database and drops it (unless --keep, to look at the plans afterwards).
 */
import { parseArgs } from 'node:util'
import { createApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { Db } from '../src/db/db.js'
import { bootstrapPlatform } from '../src/identity/service.js'
import { createLogger } from '../src/log.js'
import { createNodeServices } from '../src/node-services.js'
import { refreshReadSums } from '../src/supervision/reads.js'
import { createTestDatabase } from '../tests/support/database.js'

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '50' },
    audit: { type: 'string', default: '1000000' },
    datasets: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
  },
})
const calls = Number(values.calls)
const auditRows = Number(values.audit)
const datasetCount = Number(values.datasets)
const DEPARTMENTS = 200
const SOCIAL_ORGS = 50
const DAYS = 180

const serverUrl = process.env.DATABASE_URL
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there)')
process.env.TEST_DATABASE_URL = serverUrl

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const result = await fn()
  return [result, performance.now() - started]
}

async function latencies(fn: () => Promise<unknown>, n = calls): Promise<{ p50: number; p99: number; mean: number }> {
  await fn() // warm-up
  const samples: number[] = []
  for (let i = 0; i < n; i++) samples.push((await timed(fn))[1])
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length }
}

const ms = (v: number) => `${v.toFixed(2)} ms`
const row = (label: string, l: { p50: number; p99: number }) => console.log(`| ${label} | ${ms(l.p50)} | ${ms(l.p99)} |`)

/** Seeds the world with set-based statements; `now` is the end of the 180 days. */
async function seed(db: Db, adminClient: string, now: Date) {
  const start = new Date(now.getTime() - DAYS * 86_400_000)
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params)
  await q(
    `INSERT INTO organisations (id, kind, name, level, region_code, created_at)
     SELECT 'org_dept' || i, 'department', '部门' || i, 'city', lpad((110000 + i)::text, 6, '0'), $1 FROM generate_series(1, $2) i`,
    [start, DEPARTMENTS],
  )
  await q(
    `INSERT INTO organisations (id, kind, name, uscc, created_at)
     SELECT 'org_soc' || i, 'social_org', '社会组织' || i, 'USCC' || i, $1 FROM generate_series(1, $2) i`,
    [start, SOCIAL_ORGS],
  )
  // Datasets: tiers spread 30/30/25/15 %; every 37th lowered below its computed tier by an override.
  await q(
    `INSERT INTO datasets (id, code, name, title, abstract, provider_id, standard_name, standard_version, key_field, format, sharing,
       legal_basis, open, update_cycle, published_on, computed_tier, tier, tier_override_reason, tier_overridden_at, status, created_at, updated_at,
       retired_at, ingests_stored, ingests_refused, rows_received, rows_rejected)
     SELECT 'ds_' || i, 'B-' || i, '数据集' || i, '数据集' || i, '基准测试数据集', 'org_dept' || (1 + i % $2), 'population', '1.0.0', 'citizen_id',
       'database', 'unconditional', '基准', 'none', 'monthly', '2026-01-01',
       t.computed, CASE WHEN i % 37 = 0 AND t.computed > 'L1' THEN 'L1' ELSE t.computed END,
       CASE WHEN i % 37 = 0 AND t.computed > 'L1' THEN '基准测试' END, CASE WHEN i % 37 = 0 AND t.computed > 'L1' THEN $3::timestamptz END,
       CASE WHEN i % 97 = 0 THEN 'retired' ELSE 'active' END, $3, $3, CASE WHEN i % 97 = 0 THEN $3::timestamptz END, 0, 0, 0, 0
     FROM generate_series(1, $1) i,
       LATERAL (SELECT CASE WHEN (i / $2) % 20 < 6 THEN 'L1' WHEN (i / $2) % 20 < 12 THEN 'L2' WHEN (i / $2) % 20 < 17 THEN 'L3' ELSE 'L4' END AS computed) t`,
    [datasetCount, DEPARTMENTS, start],
  )
  await q(
    `INSERT INTO dataset_tier_changes (dataset_id, at, cause, standard_version, computed_tier, tier_before, tier_after, reason)
     SELECT id, created_at, 'registered', '1.0.0', computed_tier, NULL, computed_tier, NULL FROM datasets
     UNION ALL
     SELECT id, tier_overridden_at, 'override', '1.0.0', computed_tier, computed_tier, tier, tier_override_reason FROM datasets WHERE tier_overridden_at IS NOT NULL`,
  )
  // Five ingests per dataset, one in ten refused; the dataset counters agree with them.
  await q(
    `INSERT INTO ingests (id, dataset_id, fingerprint, mode, outcome, standard_version, total, inserted, rejected, started_at, finished_at)
     SELECT 'ing_' || d || '_' || k, 'ds_' || d, 'f', 'atomic', CASE WHEN (d + k) % 10 = 0 THEN 'refused' ELSE 'stored' END, '1.0.0',
       100, CASE WHEN (d + k) % 10 = 0 THEN 0 ELSE 100 END, CASE WHEN (d + k) % 10 = 0 THEN 3 ELSE 0 END,
       $2::timestamptz + (((d * 5 + k) % $3) || ' days')::interval, $2::timestamptz + (((d * 5 + k) % $3) || ' days')::interval
     FROM generate_series(1, $1) d, generate_series(1, 5) k`,
    [datasetCount, start, DAYS],
  )
  await q(
    `UPDATE datasets d SET ingests_stored = s.stored, ingests_refused = s.refused, rows_received = s.received, rows_rejected = s.rejected
     FROM (SELECT dataset_id, count(*) FILTER (WHERE outcome = 'stored') stored, count(*) FILTER (WHERE outcome = 'refused') refused,
             sum(total) received, sum(rejected) rejected FROM ingests GROUP BY dataset_id) s
     WHERE s.dataset_id = d.id`,
  )
  // 20k requests: decided at 1–9 days, some pending (some overdue), withdrawn, expired.
  await q(
    `INSERT INTO access_requests (id, dataset_id, provider_id, consumer_org_id, requested_by, purpose, legal_basis, fields, duration_days, mode, status,
       deadline, expires_at, created_at, decided_at, decided_by, reason)
     SELECT 'req_' || i, d.id, d.provider_id, CASE WHEN i % 3 = 0 THEN 'org_soc' || (1 + i % $2) ELSE 'org_dept' || (1 + (i * 7) % $3) END, NULL,
       'purpose-' || (i % 12), '基准', ARRAY['name'], 30, 'approval', s.status,
       c.at + interval '14 days', c.at + interval '28 days', c.at,
       CASE WHEN s.status IN ('approved', 'rejected', 'withdrawn') THEN c.at + ((1 + i % 9) || ' days')::interval END,
       CASE WHEN s.status IN ('approved', 'rejected') THEN $4 END, NULL
     FROM generate_series(1, 20000) i
     JOIN datasets d ON d.id = 'ds_' || (1 + i % $1),
     LATERAL (SELECT $5::timestamptz - ((i % $6) || ' days')::interval AS at) c,
     LATERAL (SELECT CASE WHEN (i / 7) % 10 < 5 THEN 'approved' WHEN (i / 7) % 10 < 7 THEN 'rejected' WHEN (i / 7) % 10 = 7 THEN 'withdrawn'
                          WHEN c.at + interval '28 days' <= $5 THEN 'expired' ELSE 'pending' END AS status) s`,
    [datasetCount, SOCIAL_ORGS, DEPARTMENTS, adminClient, now, DAYS],
  )
  await q(
    `INSERT INTO grants (id, dataset_id, provider_id, consumer_org_id, request_id, purpose, mode, fields, status, hash_key, created_at, expires_at)
     SELECT 'grt_' || r.id, r.dataset_id, r.provider_id, r.consumer_org_id, r.id, r.purpose, 'approval', r.fields, 'active', '\\x00'::bytea, r.decided_at,
       r.decided_at + interval '30 days'
     FROM access_requests r WHERE r.status = 'approved' AND r.id IN (SELECT 'req_' || i FROM generate_series(1, 20000, 2) i)`,
  )
  await q(
    `INSERT INTO objections (id, dataset_id, provider_id, raiser_org_id, description, status, deadline, created_at, accepted_at, outcome, resolution_note, resolved_at, closed_at)
     SELECT 'obj_' || i, d.id, d.provider_id, 'org_soc' || (1 + i % $2), '基准', s.status, c.at + interval '5 days', c.at,
       CASE WHEN s.status <> 'raised' THEN c.at + interval '1 day' END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN 'rejected' END, CASE WHEN s.status IN ('resolved', 'closed') THEN '基准' END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN c.at + interval '2 days' END, CASE WHEN s.status = 'closed' THEN c.at + interval '3 days' END
     FROM generate_series(1, 2000) i JOIN datasets d ON d.id = 'ds_' || (1 + (i * 13) % $1),
     LATERAL (SELECT $3::timestamptz - ((i % $4) || ' days')::interval AS at) c,
     LATERAL (SELECT (ARRAY['raised', 'accepted', 'resolved', 'closed'])[1 + i % 4] AS status) s`,
    [datasetCount, SOCIAL_ORGS, now, DAYS],
  )
  await q(
    `INSERT INTO ratings (id, subject_kind, subject_id, provider_id, rater_org_id, score, created_at)
     SELECT 'rat_' || r.id, 'access_request', r.id, r.provider_id, r.consumer_org_id, 1 + (length(r.id) * 7 + ascii(right(r.id, 1))) % 5, r.decided_at
     FROM access_requests r WHERE r.decided_at IS NOT NULL AND r.status IN ('approved', 'rejected') LIMIT 3000`,
  )
  // The audit log: 90 % reads by departments, social organisations and the public, the rest other actions.
  const base = ((await q('SELECT COALESCE(max(seq), 0)::bigint AS seq FROM audit_log')).rows[0] as { seq: number }).seq
  await q(
    `INSERT INTO audit_log (seq, at, action, actor_client_id, actor_org_id, resource_type, resource_id, dataset_id, decision, content, prev_hash, hash)
     SELECT $1::bigint + i, $3::timestamptz + ((i::float8 / $2::int) * $4 || ' days')::interval,
       CASE WHEN i % 10 = 0 THEN 'access_request.created' ELSE 'dataset.read' END, NULL,
       CASE WHEN i % 10 = 0 THEN 'org_dept1' WHEN i % 7 = 0 THEN NULL WHEN i % 3 = 0 THEN 'org_soc' || (1 + i % $5) ELSE 'org_dept' || (1 + (i * 11) % $6) END,
       NULL, NULL, 'ds_' || (1 + (i * 31) % $7), CASE WHEN i % 10 = 0 THEN NULL WHEN i % 50 = 1 THEN 'denied' ELSE 'allowed' END,
       jsonb_build_object('purpose', CASE WHEN i % 7 = 0 THEN NULL ELSE 'purpose-' || (i % 12) END, 'row_count', i % 51, 'details', '{}'::jsonb),
       md5(i::text) || md5(i::text), md5(i::text) || md5(i::text)
     FROM generate_series(1, $2::int) i`,
    [base, auditRows, start, DAYS, SOCIAL_ORGS, DEPARTMENTS, datasetCount],
  )
  await q('ANALYZE')
}

/** Fresh reads after the watermark: what a report tops up between two refreshes. */
async function recentReads(db: Db, count: number, now: Date) {
  await db.query(
    `INSERT INTO audit_log (seq, at, action, actor_org_id, dataset_id, decision, content, prev_hash, hash)
     SELECT m.seq + i, $2::timestamptz - interval '1 minute', 'dataset.read', 'org_soc' || (1 + i % $3), 'ds_' || (1 + (i * 17) % $4), 'allowed',
       jsonb_build_object('purpose', 'purpose-' || (i % 12), 'row_count', 50), md5(i::text) || md5(i::text), md5(i::text) || md5(i::text)
     FROM generate_series(1, $1) i, (SELECT max(seq) AS seq FROM audit_log) m`,
    [count, now, SOCIAL_ORGS, datasetCount],
  )
}

const database = await createTestDatabase()
try {
  const config = loadConfig({ LOG_LEVEL: 'warn', QIAO_SCHEDULER: 'off' })
  const now = new Date()
  const services = createNodeServices(config, database.db, { logger: createLogger('warn'), clock: { now: () => now } })
  await services.keys.ensureActiveKey(database.db)
  const app = createApp(services)
  const platform = (await bootstrapPlatform(database.db, { requestId: 'bench', actor: null, sourceIp: null, at: now }))!
  const token = async (clientId: string, secret: string) => {
    const res = await app.request('/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }) })
    return ((await res.json()) as { access_token: string }).access_token
  }
  const admin = await token(platform.client.id, platform.secret)

  const [, seedMs] = await timed(() => seed(database.db, platform.client.id, now))
  const counts = (await database.db.query<Record<string, number>>(
    `SELECT (SELECT count(*) FROM datasets)::int AS datasets, (SELECT count(*) FROM audit_log)::int AS audit,
       (SELECT count(*) FROM ingests)::int AS ingests, (SELECT count(*) FROM access_requests)::int AS requests,
       (SELECT count(*) FROM grants)::int AS grants, (SELECT count(*) FROM objections)::int AS objections, (SELECT count(*) FROM ratings)::int AS ratings`,
  )).rows[0]!
  console.log(`seeded in ${(seedMs / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`)

  const [folded, foldMs] = await timed(() => refreshReadSums(database.db, now))
  const sums = (await database.db.query<{ daily: number; total: number }>('SELECT (SELECT count(*) FROM supervision_reads_daily)::int AS daily, (SELECT count(*) FROM supervision_reads_total)::int AS total')).rows[0]!
  console.log(`first refresh: ${folded.folded} entries folded in ${(foldMs / 1000).toFixed(2)} s → ${sums.daily} daily rows, ${sums.total} total rows`)
  await recentReads(database.db, 5000, now)
  const [, stepMs] = await timed(() => refreshReadSums(database.db, now))
  console.log(`a refresh after 5,000 new reads (the job's steady state): ${ms(stepMs)}`)
  await recentReads(database.db, 5000, now) // left unfolded: every report below tops these up

  const dept = await (async () => {
    const res = await app.request('/v1/orgs/org_dept7/clients', { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', roles: ['approver'] }) })
    const issued = (await res.json()) as { client_id: string; client_secret: string }
    return token(issued.client_id, issued.client_secret)
  })()
  const get = (path: string, bearer: string) => async () => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${bearer}` } })
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${await res.text()}`)
    return res.json()
  }
  const sample = (await get('/v1/supervision', admin)()) as { departments: Array<Record<string, unknown>>; social_orgs: unknown[] }
  console.log(`report: ${sample.departments.length} departments, ${sample.social_orgs.length} social organisations; department 1: ${JSON.stringify(sample.departments[0]).slice(0, 400)}…`)

  const from = new Date(now.getTime() - 30 * 86_400_000).toISOString().slice(0, 10)
  const to = now.toISOString().slice(0, 10)
  const countAudit = await latencies(() => database.db.query('SELECT count(*) FROM audit_log'))
  const naive = await latencies(
    () =>
      database.db.query(
        `SELECT d.provider_id, COALESCE(o.kind, 'anonymous'), count(*), sum((a.content->>'row_count')::bigint)
         FROM audit_log a JOIN datasets d ON d.id = a.dataset_id LEFT JOIN organisations o ON o.id = a.actor_org_id
         WHERE a.action = 'dataset.read' AND a.decision = 'allowed' AND a.actor_org_id IS DISTINCT FROM d.provider_id GROUP BY 1, 2`,
      ),
    Math.min(calls, 5),
  )
  const all = await latencies(get('/v1/supervision', admin))
  const one = await latencies(get('/v1/supervision', dept))
  const period = await latencies(get(`/v1/supervision?from=${from}&to=${to}`, admin))

  console.log(`\n${counts.datasets} datasets, ${counts.audit} audit entries, PostgreSQL, ${calls} calls each (in-process app.request, 5,000 reads past the watermark):`)
  console.log('| what | p50 | p99 |\n|---|---|---|')
  row('baseline: `SELECT count(*) FROM audit_log`', countAudit)
  row('naive: reads by provider and kind, scanning the audit log', naive)
  row('GET /v1/supervision, admin (every organisation)', all)
  row('GET /v1/supervision, one department', one)
  row(`GET /v1/supervision?from=${from}&to=${to}, admin`, period)
} finally {
  if (values.keep) {
    console.log(`kept the database: ${database.url}`)
    await database.db.close()
  } else {
    await database.drop()
  }
}
