/**
 * The delivery benchmark's baseline: a bare Hono + pg route running the same page query as
 * Qiao's delivery (live records of a dataset in key order, 50 a page or `?limit=`), with no authentication,
 * policy, grant, quota, masking or audit; and the catalogue benchmark's, one dataset's row by id.
 * Started by bench/delivery.ts and bench/catalogue.ts as its own process.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import pg from 'pg'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
// BARE_PIPELINES=n: the page's SELECT goes over n pipelined connections in turn instead of the
// pool, as the gateway sends a read's statement (QIAO_DB_PIPELINES), to compare like with like.
const pipelines = Array.from({ length: Number(process.env.BARE_PIPELINES ?? 0) }, () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, pipeline: true })
  return client.connect().then(() => client)
})
let turn = 0
const pageQuery = async (text: string, values: unknown[]) =>
  pipelines.length > 0 ? (await pipelines[turn++ % pipelines.length]!).query(text, values) : pool.query(text, values)
const app = new Hono()
app.get('/records/:dataset', async (c) => {
  const { rows } = await pageQuery(
    `SELECT r.key, r.version, r.data FROM records r
     WHERE r.dataset_id = $1 AND r.deleted_at IS NULL AND ($2::text IS NULL OR r.key > $2::text) AND true
     ORDER BY r.key LIMIT $3`,
    [c.req.param('dataset'), null, Number(c.req.query('limit') ?? 50)],
  )
  return c.json({ items: rows.map((r) => r.data), next_cursor: null })
})
// The catalogue benchmark's baseline: one dataset's row with its provider's name, by id.
app.get('/datasets/:id', async (c) => {
  const { rows } = await pool.query('SELECT d.*, o.name AS provider_name FROM datasets d JOIN organisations o ON o.id = d.provider_id WHERE d.id = $1', [c.req.param('id')])
  return rows[0] ? c.json(rows[0]) : c.json({ error: 'not found' }, 404)
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`bare server listening on http://127.0.0.1:${info.port}`))
process.once('SIGTERM', () => server.close(() => Promise.all([pool.end(), ...pipelines.map((p) => p.then((client) => client.end()))]).then(() => process.exit(0))))
