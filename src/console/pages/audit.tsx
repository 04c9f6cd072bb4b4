// The audit log: search (auditors and admins see every entry; a department's publishers and
// approvers the entries about its own datasets, as GET /v1/audit shows them), one entry with
// its inclusion proof checked here against the latest signed checkpoint, the whole log's
// verification, and for departments "who read my data".

import type { JSONWebKeySet } from 'jose'
import { z } from 'zod'
import { fromHex } from '../../audit/bytes.js'
import { verifyCheckpoint } from '../../audit/checkpoint.js'
import { verifyInclusion } from '../../audit/merkle.js'
import { findCheckpoint, findEntries, type AuditRow } from '../../audit/repository.js'
import * as audit from '../../audit/service.js'
import type { Principal } from '../../http/env.js'
import { ApiError } from '../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../http/pagination.js'
import type { Role } from '../../identity/repository.js'
import type { Services } from '../../services.js'
import { consolePath, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext } from '../context.js'
import { fill, type Dict } from '../i18n.js'
import { chinaTime, CsrfField, link, Notice, Pager, Time } from '../layout.js'
import * as repo from '../repository.js'

const PAGE_SIZE = 50
const AUDIT_READERS: Role[] = ['auditor', 'admin', 'publisher', 'approver']
const AUDITORS: Role[] = ['auditor', 'admin']

function seesWholeLog(who: Principal): boolean {
  return who.roles.includes('auditor') || who.roles.includes('admin')
}

const isDepartment = (who: Principal) => who.orgKind === 'department'

/** `YYYY-MM-DDTHH:MM` from a datetime-local input, read as China time; undefined when empty or not a time. */
function chinaInstant(text: string | undefined): Date | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(text)) return undefined
  const at = new Date(`${text}:00+08:00`)
  return Number.isNaN(at.getTime()) ? undefined : at
}

const idText = (value: string | undefined) => {
  const text = (value ?? '').trim()
  return text === '' ? undefined : text.slice(0, 64)
}

export function registerAuditPages(app: ConsoleApp) {
  app.get('/audit', signedIn(AUDIT_READERS), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const query = {
      action: idText(c.req.query('action')),
      dataset: idText(c.req.query('dataset')),
      org: idText(c.req.query('org')),
      actor: idText(c.req.query('actor')),
      decision: (['allowed', 'denied'] as const).find((d) => d === c.req.query('decision')),
      from: c.req.query('from') ?? '',
      to: c.req.query('to') ?? '',
    }
    const cursor = c.req.query('cursor') || undefined
    const after = decodeCursor(cursor, z.object({ seq: z.number().int() }))
    const rows = await findEntries(services.db, {
      from: chinaInstant(query.from),
      to: chinaInstant(query.to),
      actorClientId: query.actor,
      actorOrgId: query.org,
      datasetId: query.dataset,
      action: query.action,
      decision: query.decision,
      beforeSeq: after?.seq,
      aboutDatasetsOf: seesWholeLog(who) ? undefined : who.orgId,
      limit: PAGE_SIZE + 1,
    })
    const shown = rows.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const next = rows.length > PAGE_SIZE && last ? link('/console/audit', { ...query, cursor: encodeCursor({ seq: last.seq }) }) : null
    const names = await repo.namesOf(services.db, shown.flatMap((r) => [String(r.content.actor_org_id ?? ''), String(r.content.dataset_id ?? '')]))
    const body = (
      <>
        {!seesWholeLog(who) && <p class="hint">{t['audit.scope_own']}</p>}
        {seesWholeLog(who) && (
          <p>
            <a href="/console/audit/verify">{t['audit.verify']}</a>
          </p>
        )}
        <form class="filters" method="get" action="/console/audit" role="search" aria-label={t['audit.search']}>
          <TextField id="action" label={t['audit.action']} value={query.action} />
          <TextField id="dataset" label={t['audit.dataset']} value={query.dataset} />
          <TextField id="org" label={t['audit.org']} value={query.org} />
          <TextField id="actor" label={t['audit.actor']} value={query.actor} />
          <div class="field">
            <label for="decision">{t['audit.decision']}</label>
            <select id="decision" name="decision">
              <option value="">{t['catalogue.any']}</option>
              {(['allowed', 'denied'] as const).map((d) => (
                <option value={d} selected={query.decision === d}>
                  {t[`decision.${d}`]}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="from">{t['audit.from']}</label>
            <input type="datetime-local" id="from" name="from" value={query.from} />
          </div>
          <div class="field">
            <label for="to">{t['audit.to']}</label>
            <input type="datetime-local" id="to" name="to" value={query.to} />
          </div>
          <button type="submit">{t['app.search']}</button>
        </form>
        {shown.length === 0 ? <p>{t['audit.empty']}</p> : <EntryTable rows={shown} names={names} t={t} />}
        <Pager next={next} first={cursor ? link('/console/audit', query) : undefined} t={t} />
      </>
    )
    return page(c, t['audit.title'], body, { section: 'audit' })
  })

  app.get('/audit/verify', signedIn(AUDITORS), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const run = c.req.query('run') === '1'
    const verdict = run ? await audit.verifyLog(services.db, services.hasher) : undefined
    const result = verdict?.result
    const body = (
      <>
        <p>{t['audit.verify_intro']}</p>
        <form method="get" action="/console/audit/verify">
          <input type="hidden" name="run" value="1" />
          <button type="submit">{t['audit.verify_run']}</button>
        </form>
        {result && (
          <section aria-labelledby="verdict" role="status">
            <h2 id="verdict">{t['audit.verify']}</h2>
            {result.ok ? (
              <>
                <p class="verdict-ok">{fill(t['audit.verify_ok'], { size: result.size })}</p>
                <p>{verdict.checkpoint ? fill(t['audit.verify_checkpoint'], { size: verdict.checkpoint.size }) : t['audit.verify_no_checkpoint']}</p>
                <dl class="facts">
                  <dt>{t['audit.hash']}</dt>
                  <dd class="mono">{result.head}</dd>
                </dl>
              </>
            ) : (
              <p class="verdict-bad">
                {fill(t['audit.verify_failed'], { seq: result.seq, problem: result.problem, detail: result.detail })}{' '}
                <a href={`/console/audit/${result.seq}`}>#{result.seq}</a>
              </p>
            )}
          </section>
        )}
      </>
    )
    return page(c, t['audit.verify'], body, { section: 'audit' })
  })

  app.get('/audit/readers', signedIn(['publisher', 'approver'], isDepartment), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const from = c.req.query('from') ?? ''
    const to = c.req.query('to') ?? ''
    const rows = await repo.readersOf(services.db, who.orgId, { from: chinaInstant(from), to: chinaInstant(to) })
    const body = (
      <>
        <p>{t['audit.readers_intro']}</p>
        <form class="filters" method="get" action="/console/audit/readers">
          <div class="field">
            <label for="from">{t['audit.from']}</label>
            <input type="datetime-local" id="from" name="from" value={from} />
          </div>
          <div class="field">
            <label for="to">{t['audit.to']}</label>
            <input type="datetime-local" id="to" name="to" value={to} />
          </div>
          <button type="submit">{t['app.search']}</button>
        </form>
        {rows.length === 0 ? (
          <p>{t['audit.readers_empty']}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t['audit.reader_org']}</th>
                <th scope="col">{t['request.dataset']}</th>
                <th scope="col">{t['request.purpose']}</th>
                <th scope="col">{t['audit.decision']}</th>
                <th scope="col" class="num">
                  {t['audit.reads']}
                </th>
                <th scope="col" class="num">
                  {t['audit.rows']}
                </th>
                <th scope="col">{t['audit.last_read']}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  <th scope="row">{r.org_name ?? r.actor_org_id ?? '—'}</th>
                  <td>
                    <a href={`/console/datasets/${encodeURIComponent(r.dataset_id)}`}>{r.dataset_title}</a>
                  </td>
                  <td>{r.purpose ?? '—'}</td>
                  <td>{r.decision ? t[`decision.${r.decision as 'allowed' | 'denied'}`] ?? r.decision : '—'}</td>
                  <td class="num">{r.reads}</td>
                  <td class="num">{r.rows_returned}</td>
                  <td>
                    <a href={link('/console/audit', { action: 'dataset.read', dataset: r.dataset_id, org: r.actor_org_id ?? undefined })}>
                      <Time at={r.last_at} />
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    )
    return page(c, t['audit.readers'], body, { section: 'readers' })
  })

  app.get('/audit/:seq{[0-9]{1,15}}', signedIn(AUDIT_READERS), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const seq = Number(c.req.param('seq'))
    const entry = await visibleEntry(services, who, seq)
    const content = entry.content as unknown as Record<string, unknown>
    const names = await repo.namesOf(services.db, [String(content.actor_org_id ?? ''), String(content.dataset_id ?? '')])
    const inclusion = seesWholeLog(who) ? await inclusionOf(services, seq) : undefined
    const done = c.req.query('done') === 'checkpoint' ? c.req.query('size') : undefined
    const body = (
      <>
        <Notice text={done ? fill(t['audit.checkpoint_signed'], { size: done }) : undefined} />
        <h2>{t['audit.content']}</h2>
        <dl class="facts">
          {Object.entries(content).map(([key, value]) => (
            <>
              <dt class="mono">{key}</dt>
              <dd>
                {value === null ? '—' : typeof value === 'object' ? <code>{JSON.stringify(value)}</code> : key === 'at' ? <Time at={String(value)} /> : String(value)}
                {(key === 'actor_org_id' || key === 'dataset_id') && typeof value === 'string' && names.has(value) ? ` (${names.get(value)})` : ''}
              </dd>
            </>
          ))}
          <dt>{t['audit.prev_hash']}</dt>
          <dd class="mono">{entry.prev_hash}</dd>
          <dt>{t['audit.hash']}</dt>
          <dd class="mono">{entry.hash}</dd>
        </dl>
        <h2>{t['audit.inclusion']}</h2>
        {inclusion === undefined ? (
          <p>{t['audit.proof_for_auditors']}</p>
        ) : (
          <InclusionVerdict inclusion={inclusion} seq={seq} csrf={sessionOf(c).csrfToken} t={t} />
        )}
        <p>
          <a href="/console/audit">{t['app.back']}</a>
        </p>
      </>
    )
    return page(c, fill(t['audit.entry_title'], { seq }), body, { section: 'audit' })
  })

  app.post('/audit/checkpoints', signedIn(AUDITORS), formChecked(), async (c) => {
    const checkpoint = await audit.createCheckpoint(c.get('services'))
    const back = consolePath(single(c.get('form')!, 'back'), '/console/audit')
    const target = new URL(back, 'http://console.invalid')
    target.searchParams.set('done', 'checkpoint')
    target.searchParams.set('size', String(checkpoint.size))
    return c.redirect(target.pathname + target.search, 303)
  })
}

/** The entry, if this principal may see it: auditors and admins any; departments those about their datasets. */
async function visibleEntry(services: Services, who: Principal, seq: number): Promise<AuditRow> {
  const [row] = await findEntries(services.db, { beforeSeq: seq + 1, aboutDatasetsOf: seesWholeLog(who) ? undefined : who.orgId, limit: 1 })
  if (!row || row.seq !== seq) throw new ApiError('not_found', `no audit entry ${seq}`)
  return row
}

type Inclusion =
  | { state: 'no_checkpoint' }
  | { state: 'newer'; size: number }
  | { state: 'included'; size: number; at: Date; kid: string }
  | { state: 'not_included'; why: string }

/**
 * Checks, here and now, that the entry is in the tree the latest checkpoint signs: the
 * checkpoint's signature against its key, the signed head against the stored one, and the
 * RFC 9162 audit path from the entry's leaf to the signed root.
 */
async function inclusionOf(services: Services, seq: number): Promise<Inclusion> {
  const latest = await findCheckpoint(services.db)
  if (!latest) return { state: 'no_checkpoint' }
  if (latest.size < seq) return { state: 'newer', size: latest.size }
  const proof = await audit.entryProof(services, seq, latest.size)
  const key = await repo.publicKeyOf(services.db, proof.checkpoint.kid)
  const jwks = (key ? { keys: [key] } : await services.keys.jwks(services.db)) as JSONWebKeySet
  let signed
  try {
    signed = await verifyCheckpoint(proof.checkpoint.jws, jwks)
  } catch (error) {
    return { state: 'not_included', why: `the checkpoint's signature does not verify (${error instanceof Error ? error.message : String(error)})` }
  }
  if (signed.head.size !== proof.checkpoint.size || signed.head.root_hash !== proof.checkpoint.root_hash) {
    return { state: 'not_included', why: 'the stored checkpoint differs from the tree head it signs' }
  }
  const included = await verifyInclusion(fromHex(proof.leafHash), seq - 1, signed.head.size, proof.proof.map(fromHex), fromHex(signed.head.root_hash), services.hasher)
  if (!included) return { state: 'not_included', why: `the audit path from entry ${seq} does not lead to the signed root of checkpoint ${signed.head.size}` }
  return { state: 'included', size: signed.head.size, at: proof.checkpoint.at, kid: proof.checkpoint.kid }
}

function InclusionVerdict({ inclusion, seq, csrf, t }: { inclusion: Inclusion; seq: number; csrf: string; t: Dict }) {
  const signButton = (
    <form method="post" action="/console/audit/checkpoints">
      <CsrfField token={csrf} />
      <input type="hidden" name="back" value={`/console/audit/${seq}`} />
      <button type="submit">{t['audit.sign_checkpoint']}</button>
    </form>
  )
  switch (inclusion.state) {
    case 'no_checkpoint':
      return (
        <>
          <p>{t['audit.no_checkpoint']}</p>
          {signButton}
        </>
      )
    case 'newer':
      return (
        <>
          <p>{fill(t['audit.newer_than_checkpoint'], { size: inclusion.size })}</p>
          {signButton}
        </>
      )
    case 'included':
      return (
        <p class="verdict-ok" role="status">
          {fill(t['audit.included'], { size: inclusion.size, at: chinaTime(inclusion.at), kid: inclusion.kid })}
        </p>
      )
    case 'not_included':
      return (
        <p class="verdict-bad" role="status">
          {fill(t['audit.not_included'], { why: inclusion.why })}
        </p>
      )
  }
}

function TextField({ id, label, value }: { id: string; label: string; value: string | undefined }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input type="text" id={id} name={id} value={value ?? ''} maxlength={64} spellcheck={false} />
    </div>
  )
}

function EntryTable({ rows, names, t }: { rows: AuditRow[]; names: Map<string, string>; t: Dict }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col" class="num">
            {t['audit.seq']}
          </th>
          <th scope="col">{t['audit.at']}</th>
          <th scope="col">{t['audit.action']}</th>
          <th scope="col">{t['audit.org']}</th>
          <th scope="col">{t['audit.dataset']}</th>
          <th scope="col">{t['audit.decision']}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const content = row.content as unknown as Record<string, string | null>
          const org = content.actor_org_id
          const dataset = content.dataset_id
          return (
            <tr>
              <th scope="row" class="num">
                <a href={`/console/audit/${row.seq}`}>#{row.seq}</a>
              </th>
              <td>
                <Time at={content.at} />
              </td>
              <td class="mono">{content.action}</td>
              <td>{org ? (names.get(org) ?? org) : '—'}</td>
              <td>{dataset ? (names.get(dataset) ?? dataset) : '—'}</td>
              <td>{content.decision ? t[`decision.${content.decision as 'allowed' | 'denied'}`] : '—'}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
