import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliverDueWebhooks } from '../../src/notify/delivery.js'
import { enqueueEvent } from '../../src/notify/events.js'
import { DEFAULT_TIER_MATRIX, CONSUMER_KINDS, TIERS } from '../../src/exchange/policy.js'
import { createTestWorld, type TestWorld } from '../support/app.js'
import { call, createActor, createCast, type Actor, type Cast } from '../support/identity.js'
import { startReceiver, type Receiver } from '../notify/receiver.js'
import { Browser, csrfOf, textOf } from './support.js'

// The administration pages in process: organisations (list, create with the services' checks
// shown beside the field, suspend and reinstate), clients (issued with the secret shown once and
// never cached, revoked), an organisation's webhook and its delivery log, the tier policy grid
// (admins edit, auditors read), and the standards with their schema view.

let world: TestWorld
let cast: Cast
let auditor: Actor
let receiver: Receiver

beforeAll(async () => {
  world = await createTestWorld({ QIAO_WEBHOOK_TIMEOUT_MS: '2000' })
  cast = await createCast(world)
  auditor = await createActor(world, cast.admin, cast.admin.orgId, ['auditor'])
  receiver = await startReceiver()
})
afterAll(async () => {
  await receiver.close()
  await world.close()
})

async function as(actor: Actor): Promise<Browser> {
  const browser = new Browser(world)
  await browser.signIn(actor)
  return browser
}

/** The grid form's fields for a matrix, every cell named `cell.<tier>.<kind>`. */
function gridFields(matrix: Record<string, Record<string, string>>): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const tier of TIERS) for (const kind of CONSUMER_KINDS) fields[`cell.${tier}.${kind}`] = matrix[tier]![kind]!
  return fields
}

const basedOn = (html: string) => /name="based_on" value="([^"]+)"/.exec(html)?.[1] ?? ''

describe('organisations', () => {
  it('lists organisations, filtered by kind, for anyone signed in; only admins get the create link', async () => {
    const admin = await as(cast.admin)
    const all = await admin.get('/console/orgs')
    expect(all.status, all.text).toBe(200)
    expect(all.html).toContain(`/console/orgs/${cast.deptA.orgId}`)
    expect(all.html).toContain(`/console/orgs/${cast.social.orgId}`)
    expect(all.html).toContain('href="/console/orgs/new"')
    const social = await admin.get('/console/orgs?kind=social_org')
    expect(social.html).toContain('52440300MJL123454Y')
    expect(social.html).not.toContain(`/console/orgs/${cast.deptA.orgId}"`)

    const consumer = await as(cast.deptB.consumer)
    const listed = await consumer.get('/console/orgs?kind=department')
    expect(listed.status, listed.text).toBe(200)
    expect(listed.html).toContain(`/console/orgs/${cast.deptA.orgId}`)
    expect(listed.html).not.toContain('href="/console/orgs/new"')
    expect((await consumer.get('/console/orgs/new')).status).toBe(403)
  })

  it('creates a department, and shows the region code problem beside the field', async () => {
    const admin = await as(cast.admin)
    const bad = await admin.submit('/console/orgs/new', '/console/orgs', { kind: 'department', name: '某县农业农村局', level: 'county', region_code: '991234' })
    expect(bad.status, bad.text).toBe(400)
    expect(bad.html).toMatch(/id="dept_region_code"[^>]*aria-invalid="true"/)
    expect(bad.html).toContain('id="dept_region_code-error"')
    expect(bad.html).toContain('value="某县农业农村局"') // what was typed is kept

    const created = await admin.submit('/console/orgs/new', '/console/orgs', {
      kind: 'department',
      name: '某县农业农村局',
      level: 'county',
      region_code: '330102',
      parent_id: cast.deptA.orgId,
    })
    expect(created.status, created.text).toBe(303)
    const id = /\/console\/orgs\/(org_[a-z0-9]+)\?done=created/.exec(created.location ?? '')?.[1]
    expect(id, created.location ?? '').toBeDefined()
    const shown = textOf((await admin.get(created.location!)).html)
    expect(shown).toContain('组织已创建')
    expect(shown).toContain('330102')
    const api = await call(world, 'GET', `/v1/orgs/${id}`, { token: cast.admin.token })
    expect(api.body).toMatchObject({ kind: 'department', level: 'county', region_code: '330102', parent_id: cast.deptA.orgId, status: 'active' })
  })

  it('shows the GB 32100 check character error inline, and accepts a reviewed pilot code', async () => {
    const admin = await as(cast.admin)
    const fields = { kind: 'social_org', name: '某市慈善总会', uscc: '91350100M0001TGQXM' }
    const bad = await admin.submit('/console/orgs/new', '/console/orgs', fields)
    expect(bad.status, bad.text).toBe(400)
    expect(bad.html).toMatch(/id="so_uscc"[^>]*aria-invalid="true"/)
    const error = /<p class="field-error" id="so_uscc-error">([^<]*)<\/p>/.exec(bad.html)?.[1] ?? ''
    expect(error).toContain('91350100M0001TGQXM')
    expect(error).toContain('uscc_reviewed')
    // The department form is not blamed for the social organisation's problem.
    expect(bad.html).not.toContain('dept_name-error')

    const reviewed = await admin.submit('/console/orgs/new', '/console/orgs', { ...fields, uscc_reviewed: 'true' })
    expect(reviewed.status, reviewed.text).toBe(303)
    const id = /(org_[a-z0-9]+)/.exec(reviewed.location ?? '')?.[1]
    const api = await call(world, 'GET', `/v1/orgs/${id}`, { token: cast.admin.token })
    expect(api.body).toMatchObject({ kind: 'social_org', uscc: '91350100M0001TGQXM', uscc_reviewed: true })

    const duplicate = await admin.submit('/console/orgs/new', '/console/orgs', { kind: 'social_org', name: '重复', uscc: '52440300MJL123454Y' })
    expect(duplicate.status, duplicate.text).toBe(409)
    expect(textOf(duplicate.html)).toContain('already exists')
  })

  it('suspends and reinstates an organisation after a confirmation page; the platform cannot be suspended', async () => {
    const admin = await as(cast.admin)
    const victim = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const member = await as(victim)
    const confirm = await admin.get(`/console/orgs/${cast.deptB.orgId}/suspend`)
    expect(confirm.status, confirm.text).toBe(200)
    expect(textOf(confirm.html)).toContain('确定停用吗')
    const suspended = await admin.post(`/console/orgs/${cast.deptB.orgId}/suspend`, { csrf: csrfOf(confirm.html) })
    expect(suspended.status, suspended.text).toBe(303)
    expect(suspended.location).toBe(`/console/orgs/${cast.deptB.orgId}?done=suspended`)
    expect((await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}`, { token: cast.admin.token })).body.status).toBe('suspended')
    // The suspended organisation's console session ends with it.
    expect((await member.get('/console')).status).toBe(303)

    const reinstated = await admin.submit(`/console/orgs/${cast.deptB.orgId}/reinstate`, `/console/orgs/${cast.deptB.orgId}/reinstate`, {})
    expect(reinstated.status, reinstated.text).toBe(303)
    expect((await call(world, 'GET', `/v1/orgs/${cast.deptB.orgId}`, { token: cast.admin.token })).body.status).toBe('active')

    const platform = await admin.get(`/console/orgs/${cast.admin.orgId}/suspend`)
    expect(platform.html).not.toContain(`action="/console/orgs/${cast.admin.orgId}/suspend"`)
    const refused = await admin.post(`/console/orgs/${cast.admin.orgId}/suspend`, { csrf: csrfOf(platform.html) })
    expect(refused.status, refused.text).toBe(409)
    expect(refused.html).toContain('role="alert"')
    expect((await admin.get(`/console/orgs/org_nope/suspend`)).status).toBe(404)
  })
})

describe('clients', () => {
  it('shows the secret once, never cached, and never again', async () => {
    const admin = await as(cast.admin)
    const from = `/console/orgs/${cast.social.orgId}`
    const issued = await admin.submit(from, `${from}/clients`, { name: '志愿服务系统', roles: ['consumer'] })
    expect(issued.status, issued.text).toBe(201)
    expect(issued.headers.get('cache-control')).toBe('no-store')
    expect(issued.headers.get('pragma')).toBe('no-cache')
    const clientId = /id="issued_client_id"[^>]*value="(cli_[a-z0-9]+)"/.exec(issued.html)?.[1] ?? /value="(cli_[a-z0-9]+)"[^>]*id="issued_client_id"/.exec(issued.html)?.[1]
    const secret = /id="issued_client_secret"[^>]*value="([^"]+)"/.exec(issued.html)?.[1] ?? /value="([^"]+)"[^>]*id="issued_client_secret"/.exec(issued.html)?.[1]
    expect(clientId, issued.text).toBeDefined()
    expect(secret, issued.text).toBeDefined()
    expect(textOf(issued.html)).toContain('离开此页后将无法再次查看')
    // Switching the language leaves for the organisation's page, not for the form's POST-only address.
    expect(issued.html).toContain(`back=%2Fconsole%2Forgs%2F${cast.social.orgId}"`)

    // The secret works …
    const token = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret } })
    expect(token.status, token.text).toBe(200)
    // … and no page shows it again.
    for (const path of [from, '/console/orgs', `/console/clients/${clientId}/revoke`, '/console/audit?action=client.issued']) {
      const page = await admin.get(path)
      expect(page.status, `${path}: ${page.text}`).toBe(200)
      expect(page.html, path).not.toContain(secret!)
    }
    const listed = await admin.get(from)
    expect(listed.html).toContain(clientId!)
    expect(listed.html).toContain('志愿服务系统')
  })

  it('issues nothing when the same form is sent again (a reload of the answer)', async () => {
    const admin = await as(cast.admin)
    const from = `/console/orgs/${cast.social.orgId}`
    const form = await admin.get(from)
    const key = /name="idempotency_key" value="([^"]+)"/.exec(form.html)?.[1]
    expect(key, form.text).toBeDefined()
    const fields = { csrf: csrfOf(form.html), idempotency_key: key!, name: '重复提交测试', roles: ['consumer'] }
    const first = await admin.post(`${from}/clients`, fields)
    expect(first.status, first.text).toBe(201)
    const clientId = /value="(cli_[a-z0-9]+)"/.exec(first.html)?.[1]
    const again = await admin.post(`${from}/clients`, fields)
    expect(again.status, again.text).toBe(409)
    expect(textOf(again.html)).toContain(clientId!)
    expect(again.html).not.toContain('issued_client_secret')
    const { rows } = await world.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM clients WHERE name = '重复提交测试'`)
    expect(rows[0]!.n).toBe(1)
    // A fresh page carries a fresh key: issuing again on purpose still works.
    expect((await admin.get(from)).html).not.toContain(key!)
  })

  it('renders the issue form’s problems in place: no role, a platform-only role', async () => {
    const admin = await as(cast.admin)
    const from = `/console/orgs/${cast.deptA.orgId}`
    const none = await admin.submit(from, `${from}/clients`, { name: 'x' })
    expect(none.status, none.text).toBe(400)
    expect(none.html).toContain('id="client_roles-error"')
    expect(none.html).not.toContain('issued_client_secret')
    expect(none.html).toContain('value="x"')
    // Only the platform's clients may be admins: the form offers no such box, the service refuses a forged one.
    expect((await admin.get(from)).html).not.toContain('name="roles" value="admin"')
    const forged = await admin.submit(from, `${from}/clients`, { name: 'x', roles: ['admin'] })
    expect(forged.status, forged.text).toBe(400)
    expect(textOf(forged.html)).toContain('only for the platform organisation')
    expect((await admin.get(`/console/orgs/${cast.admin.orgId}`)).html).toContain('name="roles" value="admin"')
  })

  it('revokes a client after a confirmation page, at once', async () => {
    const admin = await as(cast.admin)
    const doomed = await createActor(world, cast.admin, cast.deptA.orgId, ['consumer'])
    const path = `/console/clients/${doomed.clientId}/revoke`
    const confirm = await admin.get(path)
    expect(confirm.status, confirm.text).toBe(200)
    expect(textOf(confirm.html)).toContain('确定吊销吗')
    const revoked = await admin.post(path, { csrf: csrfOf(confirm.html) })
    expect(revoked.status, revoked.text).toBe(303)
    expect(revoked.location).toBe(`/console/orgs/${cast.deptA.orgId}?done=client_revoked#clients`)
    const refused = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: doomed.clientId, client_secret: doomed.secret } })
    expect(refused.status).toBe(401)
    expect(textOf((await admin.get(path)).html)).toContain('该客户端已被吊销')
    expect((await admin.get('/console/clients/cli_nope/revoke')).status).toBe(404)
  })
})

describe('webhooks', () => {
  it('shows the signing secret once, keeps it on later saves, rotates it on request, and refuses an internal URL inline', async () => {
    const admin = await as(cast.admin)
    const from = `/console/orgs/${cast.deptA.orgId}`
    const internal = await admin.submit(from, `${from}/webhook`, { url: 'https://10.0.0.8/hook', active: 'true' })
    expect(internal.status, internal.text).toBe(400)
    expect(internal.html).toMatch(/id="webhook_url"[^>]*aria-invalid="true"/)
    expect(internal.html).toContain('id="webhook_url-error"')

    const created = await admin.submit(from, `${from}/webhook`, { url: `${receiver.url}/qiao`, active: 'true' })
    expect(created.status, created.text).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const secret = /value="(whsec_[^"]+)"/.exec(created.html)?.[1]
    expect(secret, created.text).toBeDefined()

    const page = await admin.get(from)
    expect(page.html).toContain(`${receiver.url}/qiao`)
    expect(page.html).not.toContain(secret!)

    const kept = await admin.submit(from, `${from}/webhook`, { url: `${receiver.url}/qiao2`, active: 'true' })
    expect(kept.status, kept.text).toBe(303)
    expect(kept.location).toBe(`${from}?done=webhook_saved#webhook`)
    const rotated = await admin.submit(from, `${from}/webhook`, { url: `${receiver.url}/qiao2`, active: 'true', rotate_secret: 'true' })
    expect(rotated.status, rotated.text).toBe(200)
    const second = /value="(whsec_[^"]+)"/.exec(rotated.html)?.[1]
    expect(second).toBeDefined()
    expect(second).not.toBe(secret)
    const api = await call(world, 'GET', `/v1/orgs/${cast.deptA.orgId}/webhook`, { token: cast.admin.token })
    expect(api.body).toMatchObject({ url: `${receiver.url}/qiao2`, active: true })
  })

  it('shows the delivery log, with each attempt, to admins and the organisation’s own members only', async () => {
    receiver.script([503], 503)
    await world.services.db.transaction((tx) =>
      enqueueEvent(tx, { type: 'access_request.overdue', org_id: cast.deptA.orgId, subject_id: 'req_console1', data: {}, at: world.clock.now() }),
    )
    await deliverDueWebhooks(world.services)
    const admin = await as(cast.admin)
    const log = await admin.get(`/console/orgs/${cast.deptA.orgId}?delivery_status=pending`)
    expect(log.status, log.text).toBe(200)
    const text = textOf(log.html)
    expect(text).toContain('access_request.overdue')
    expect(text).toContain('req_console1')
    expect(text).toContain('HTTP 503')
    expect(log.html).toContain('<details>')

    const member = await as(cast.deptA.consumer)
    const own = await member.get(`/console/orgs/${cast.deptA.orgId}`)
    expect(own.html).toContain('req_console1')
    expect(own.html).not.toContain(`action="/console/orgs/${cast.deptA.orgId}/webhook"`) // read-only
    expect(own.html).not.toContain('id="clients"') // clients are the admin's
    const stranger = await as(cast.deptB.consumer)
    const other = await stranger.get(`/console/orgs/${cast.deptA.orgId}`)
    expect(other.status, other.text).toBe(200)
    expect(other.html).not.toContain('req_console1')
    expect(other.html).not.toContain('id="webhook"')
  })

  it('removes the webhook after a confirmation page', async () => {
    const admin = await as(cast.admin)
    const path = `/console/orgs/${cast.deptA.orgId}/webhook/delete`
    const removed = await admin.submit(path, path, {})
    expect(removed.status, removed.text).toBe(303)
    expect(textOf((await admin.get(removed.location!)).html)).toContain('未设置回调地址')
    expect((await admin.get(path)).status).toBe(404)
  })
})

describe('the tier policy grid', () => {
  it('lets an admin change one cell with a reason, showing who set it and its version', async () => {
    const admin = await as(cast.admin)
    const form = await admin.get('/console/policy')
    expect(form.status, form.text).toBe(200)
    expect(form.html.match(/<select id="cell_/g)?.length).toBe(16)
    expect(form.html).toContain('<label for="cell_L3_social_org" class="sr-only">')
    const matrix = structuredClone(DEFAULT_TIER_MATRIX) as Record<string, Record<string, string>>
    matrix.L3!.social_org = 'aggregate_only'
    const saved = await admin.post('/console/policy', { csrf: csrfOf(form.html), based_on: basedOn(form.html), ...gridFields(matrix), reason: '社会组织 L3 数据只提供统计结果' })
    expect(saved.status, saved.text).toBe(303)
    expect(saved.location).toBe('/console/policy?done=saved')
    const api = await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })
    expect(api.body.tiers.L3.social_org).toBe('aggregate_only')
    expect(api.body.updated_by).toBe(cast.admin.clientId)
    const after = textOf((await admin.get(saved.location!)).html)
    expect(after).toContain('策略已保存')
    expect(after).toContain('第 1 版')
    expect(after).toContain(cast.admin.clientId)
    const { rows } = await world.services.db.query<{ reason: string }>(
      "SELECT content->'details'->>'reason' AS reason FROM audit_log WHERE action = 'tier_policy.updated' ORDER BY seq DESC LIMIT 1",
    )
    expect(rows[0]?.reason).toBe('社会组织 L3 数据只提供统计结果')
  })

  it('shows the service’s refusal of a cell wider than its ceiling in that cell, and saves nothing', async () => {
    const admin = await as(cast.admin)
    const form = await admin.get('/console/policy')
    const before = (await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })).body
    const matrix = structuredClone(before.tiers) as Record<string, Record<string, string>>
    matrix.L4!.social_org = 'direct'
    const refused = await admin.post('/console/policy', { csrf: csrfOf(form.html), based_on: basedOn(form.html), ...gridFields(matrix), reason: '试图放宽' })
    expect(refused.status, refused.text).toBe(400)
    expect(refused.html).toMatch(/id="cell_L4_social_org"[^>]*aria-invalid="true"/)
    const error = /<p class="field-error" id="cell_L4_social_org-error">([^<]*)<\/p>/.exec(refused.html)?.[1] ?? ''
    expect(error).toContain('wider than the ceiling')
    expect(refused.html).toMatch(/<option value="direct" selected="">/) // the choice is kept to be corrected
    expect((await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })).body).toEqual(before)

    const noReason = await admin.post('/console/policy', { csrf: csrfOf(form.html), based_on: basedOn(form.html), ...gridFields(before.tiers), reason: ' ' })
    expect(noReason.status, noReason.text).toBe(400)
    expect(noReason.html).toContain('id="reason-error"')
  })

  it('refuses a save based on a policy someone changed meanwhile', async () => {
    const admin = await as(cast.admin)
    const stale = await admin.get('/console/policy')
    const current = (await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })).body
    const changed = structuredClone(current.tiers)
    changed.L2.social_org = 'aggregate_only'
    const other = await call(world, 'PUT', '/v1/policy/tiers', { token: cast.admin.token, body: { tiers: changed, reason: 'meanwhile' } })
    expect(other.status, other.text).toBe(200)
    const conflict = await admin.post('/console/policy', { csrf: csrfOf(stale.html), based_on: basedOn(stale.html), ...gridFields(current.tiers), reason: '覆盖' })
    expect(conflict.status, conflict.text).toBe(409)
    expect(textOf(conflict.html)).toContain('策略已被他人修改')
    expect(textOf(conflict.html)).toContain('现行：仅统计结果') // the cell that changed is marked
    expect((await call(world, 'GET', '/v1/policy/tiers', { token: cast.admin.token })).body.tiers.L2.social_org).toBe('aggregate_only')
  })

  it('shows auditors the grid read-only, and refuses their saves and everyone else’s look', async () => {
    const reader = await as(auditor)
    const page = await reader.get('/console/policy')
    expect(page.status, page.text).toBe(200)
    expect(page.html).not.toContain('<select id="cell_')
    expect(page.html).not.toContain('action="/console/policy"')
    expect(textOf(page.html)).toContain('审计员只能查看策略')
    expect(page.html).toMatch(/<th scope="row">L4/)
    const token = csrfOf(page.html)
    const refused = await reader.post('/console/policy', { csrf: token, ...gridFields(DEFAULT_TIER_MATRIX as never), reason: 'x' })
    expect(refused.status, refused.text).toBe(403)
    expect((await (await as(cast.deptA.approver)).get('/console/policy')).status).toBe(403)
  })
})

describe('standards', () => {
  it('lists every version with its field count, for anyone signed in', async () => {
    const consumer = await as(cast.social.consumer)
    const list = await consumer.get('/console/standards')
    expect(list.status, list.text).toBe(200)
    expect(list.html).toContain('href="/console/standards/population/1.0.0"')
    expect(list.html).toContain('href="/console/standards/base/1.0.0"')
    expect(list.html).toMatch(/population\/1\.0\.0"[\s\S]*?<td class="num">\d+<\/td>/)
  })

  it('shows a schema view: each field’s type, format, sensitivity, default mask, aggregation, and the JSON Schema', async () => {
    const consumer = await as(cast.social.consumer)
    const view = await consumer.get('/console/standards/population/1.0.0')
    expect(view.status, view.text).toBe(200)
    const text = textOf(view.html)
    expect(text).toContain('citizen_id')
    expect(text).toContain('cn-citizen-id')
    expect(text).toContain('保留前 6 位和后 4 位')
    expect(text).toContain('按取值') // marital_status is aggregatable by value
    expect(view.html).toContain('<pre class="schema" tabindex="0"')
    expect(text).toContain('"x-key": "citizen_id"')
    const library = await consumer.get('/console/standards/base/1.0.0')
    expect(textOf(library.html)).toContain('数据元库')
    for (const missing of ['/console/standards/population/9.9.9', '/console/standards/population/latest', '/console/standards/NOPE/1.0.0']) {
      expect((await consumer.get(missing)).status, missing).toBe(404)
    }
  })
})

describe('every admin form', () => {
  it('needs the session’s CSRF token and this origin; a refused form changes nothing', async () => {
    const admin = await as(cast.admin)
    const token = csrfOf((await admin.get('/console/orgs')).html)
    const doomed = await createActor(world, cast.admin, cast.deptB.orgId, ['consumer'])
    const forms: Array<[string, Record<string, string | string[]>]> = [
      ['/console/orgs', { kind: 'department', name: '伪造的部门', level: 'city', region_code: '330100' }],
      [`/console/orgs/${cast.deptB.orgId}/suspend`, {}],
      [`/console/orgs/${cast.deptB.orgId}/reinstate`, {}],
      [`/console/orgs/${cast.deptB.orgId}/clients`, { name: '伪造', roles: ['consumer'] }],
      [`/console/clients/${doomed.clientId}/revoke`, {}],
      [`/console/orgs/${cast.deptB.orgId}/webhook`, { url: 'https://evil.example.com/', active: 'true' }],
      [`/console/orgs/${cast.deptB.orgId}/webhook/delete`, {}],
      ['/console/policy', { ...gridFields(DEFAULT_TIER_MATRIX as never), reason: '伪造' }],
    ]
    const auditBefore = (await world.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n
    for (const [path, fields] of forms) {
      const missing = await admin.post(path, fields)
      expect(missing.status, `${path} without a token: ${missing.text}`).toBe(403)
      const wrong = await admin.post(path, { ...fields, csrf: 'x'.repeat(43) })
      expect(wrong.status, `${path} with a wrong token`).toBe(403)
      const elsewhere = await admin.post(path, { ...fields, csrf: token }, { origin: 'https://evil.example.com' })
      expect(elsewhere.status, `${path} from another origin`).toBe(403)
      expect(textOf(elsewhere.html)).toContain('表单已失效或来自其他网站')
    }
    const auditAfter = (await world.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n
    expect(auditAfter, 'nothing was done, so nothing was audited').toBe(auditBefore)
    const token2 = await call(world, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: doomed.clientId, client_secret: doomed.secret } })
    expect(token2.status, 'the client was not revoked').toBe(200)
  })

  it('is refused to every role but admin, with the console’s forbidden page', async () => {
    const people = [auditor, cast.deptA.publisher, cast.deptA.approver, cast.deptA.consumer]
    for (const who of people) {
      const browser = await as(who)
      const token = csrfOf((await browser.get('/console')).html)
      for (const [method, path] of [
        ['GET', '/console/orgs/new'],
        ['POST', '/console/orgs'],
        ['GET', `/console/orgs/${cast.deptB.orgId}/suspend`],
        ['POST', `/console/orgs/${cast.deptB.orgId}/clients`],
        ['GET', `/console/clients/${cast.deptB.consumer.clientId}/revoke`],
        ['POST', `/console/orgs/${cast.deptB.orgId}/webhook`],
        ['POST', '/console/policy'],
      ] as const) {
        const res = method === 'GET' ? await browser.get(path) : await browser.post(path, { csrf: token })
        expect(res.status, `${method} ${path} as ${who.roles.join('+')}`).toBe(403)
        expect(res.headers.get('content-type')).toMatch(/^text\/html/)
        expect(textOf(res.html)).toContain('您的角色不能使用此页面')
      }
    }
  })
})
