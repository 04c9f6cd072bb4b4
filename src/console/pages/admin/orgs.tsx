// Organisations: the list (any signed-in person, as GET /v1/orgs), filtered by kind and status;
// creating a department or a social organisation (admins, through identity.createOrg, which
// checks the GB/T 2260 region code and the GB 32100 check character); one organisation's page;
// suspending and reinstating one after a confirmation page.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { ApiError } from '../../../http/errors.js'
import { decodeCursor, encodeCursor } from '../../../http/pagination.js'
import type { OrgRow } from '../../../identity/repository.js'
import { CreateOrgSchema } from '../../../identity/schemas.js'
import * as identity from '../../../identity/service.js'
import { consoleAction, correctable, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext, type FormFields } from '../../context.js'
import { fill, type Dict } from '../../i18n.js'
import { CsrfField, ErrorBox, link, Pager, Time, type ShownProblem } from '../../layout.js'
import { OrgFacts, orgPage, OrgStatus } from './org-page.js'
import { ADMIN, answeringFor, FieldError, formProblem, invalidProps, isAdmin, issuesOf, LEVELS, levelLabel, ORG_KINDS, ORG_STATUSES, orgKindLabel, pick } from './shared.js'

const PAGE_SIZE = 25
/** Parents offered in the department form; a longer list is cut here (the API takes any id). */
const PARENT_CHOICES = 500

export function registerOrgPages(app: ConsoleApp) {
  app.get('/orgs', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const admin = isAdmin(principal(c))
    const kind = pick(ORG_KINDS, c.req.query('kind'))
    const status = pick(ORG_STATUSES, c.req.query('status'))
    const cursor = c.req.query('cursor') || undefined
    const after = decodeCursor(cursor, z.object({ id: z.string() }))
    const orgs = await identity.listOrgs(services.db, { kind, status, after: after?.id, limit: PAGE_SIZE + 1 })
    const shown = orgs.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const next = orgs.length > PAGE_SIZE && last ? link('/console/orgs', { kind, status, cursor: encodeCursor({ id: last.id }) }) : null
    const body = (
      <>
        {admin && (
          <p>
            <a class="button" href="/console/orgs/new">
              {t['orgs.new']}
            </a>
          </p>
        )}
        <form class="filters" method="get" action="/console/orgs">
          <div class="field">
            <label for="kind">{t['orgs.kind']}</label>
            <select id="kind" name="kind">
              <option value="">{t['catalogue.any']}</option>
              {ORG_KINDS.map((k) => (
                <option value={k} selected={k === kind}>
                  {orgKindLabel(k, t)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="status">{t['orgs.status']}</label>
            <select id="status" name="status">
              <option value="">{t['catalogue.any']}</option>
              {ORG_STATUSES.map((s) => (
                <option value={s} selected={s === status}>
                  {t[`org.status.${s}`]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t['app.search']}</button>
        </form>
        {shown.length === 0 ? <p>{t['orgs.empty']}</p> : <OrgTable orgs={shown} admin={admin} t={t} />}
        <Pager next={next} first={cursor ? link('/console/orgs', { kind, status }) : undefined} t={t} />
      </>
    )
    return page(c, t['orgs.title'], body, { section: 'orgs' })
  })

  app.get('/orgs/new', signedIn(ADMIN), async (c) => newOrgPage(c, {}))

  app.post('/orgs', signedIn(ADMIN), formChecked(), async (c) => {
    const form = c.get('form')!
    let created: OrgRow
    try {
      const parsed = CreateOrgSchema.safeParse(orgInputOf(form))
      if (!parsed.success) throw formProblem(issuesOf(parsed.error.issues))
      created = await identity.createOrg(c.get('services').db, consoleAction(c), parsed.data)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      return newOrgPage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    return c.redirect(`/console/orgs/${encodeURIComponent(created.id)}?done=created`, 303)
  })

  app.get('/orgs/:id', signedIn(), async (c) => orgPage(c))

  for (const action of ['suspend', 'reinstate'] as const) {
    app.get(`/orgs/:id/${action}`, signedIn(ADMIN), async (c) => statusPage(c, action, {}))
    app.post(`/orgs/:id/${action}`, signedIn(ADMIN), formChecked(), async (c) => {
      const id = c.req.param('id') ?? ''
      try {
        await identity.setOrgStatus(c.get('services'), consoleAction(c), id, action === 'suspend' ? 'suspended' : 'active')
      } catch (error) {
        const problem = correctable(error)
        if (!problem) throw error
        return statusPage(c, action, { problem, status: (error as ApiError).status })
      }
      return c.redirect(`/console/orgs/${encodeURIComponent(id)}?done=${action === 'suspend' ? 'suspended' : 'reinstated'}`, 303)
    })
  }
}

/** What the API's CreateOrgSchema is given: the members of the submitted kind's form, blanks left out. */
function orgInputOf(form: FormFields): Record<string, unknown> {
  const text = (name: string) => {
    const value = (single(form, name) ?? '').trim()
    return value === '' ? undefined : value
  }
  const kind = single(form, 'kind')
  if (kind === 'social_org') return { kind, name: text('name') ?? '', uscc: text('uscc') ?? '', uscc_reviewed: single(form, 'uscc_reviewed') === 'true' ? true : undefined }
  return { kind, name: text('name') ?? '', level: text('level'), region_code: text('region_code') ?? '', parent_id: text('parent_id') }
}

const OrgTable: FC<{ orgs: OrgRow[]; admin: boolean; t: Dict }> = ({ orgs, admin, t }) => (
  <table>
    <thead>
      <tr>
        <th scope="col">{t['orgs.name']}</th>
        <th scope="col">{t['orgs.kind']}</th>
        <th scope="col">{t['orgs.level']}</th>
        <th scope="col">{t['orgs.region_code']}</th>
        <th scope="col">{t['orgs.uscc']}</th>
        <th scope="col">{t['orgs.status']}</th>
        <th scope="col">{t['orgs.created_at']}</th>
        {admin && <th scope="col">{t['app.actions']}</th>}
      </tr>
    </thead>
    <tbody>
      {orgs.map((org) => (
        <tr>
          <th scope="row">
            <a href={`/console/orgs/${encodeURIComponent(org.id)}`}>{org.name}</a>
          </th>
          <td>{orgKindLabel(org.kind, t)}</td>
          <td>{levelLabel(org.level, t)}</td>
          <td class="mono">{org.region_code ?? '—'}</td>
          <td class="mono">{org.uscc ?? '—'}</td>
          <td>
            <OrgStatus status={org.status} t={t} />
          </td>
          <td>
            <Time at={org.created_at} />
          </td>
          {admin && (
            <td>
              {org.kind !== 'platform' && (
                <a href={`/console/orgs/${encodeURIComponent(org.id)}/${org.status === 'active' ? 'suspend' : 'reinstate'}`}>
                  {org.status === 'active' ? t['orgs.suspend'] : t['orgs.reinstate']}
                  <span class="sr-only"> {org.name}</span>
                </a>
              )}
            </td>
          )}
        </tr>
      ))}
    </tbody>
  </table>
)

async function newOrgPage(c: ConsoleContext, options: { problem?: ShownProblem; submitted?: FormFields; status?: number }) {
  answeringFor(c, '/console/orgs/new')
  const { t } = c.get('view')
  const services = c.get('services')
  const csrf = sessionOf(c).csrfToken
  const submittedKind = options.submitted ? single(options.submitted, 'kind') : undefined
  const kind = submittedKind === 'department' || submittedKind === 'social_org' ? submittedKind : undefined
  // A problem belongs beside the form that was sent; one without a known kind goes on top.
  const problemFor = (k: 'department' | 'social_org') => (kind === k ? options.problem : undefined)
  const value = (k: 'department' | 'social_org', name: string) => (kind === k && options.submitted ? (single(options.submitted, name) ?? '') : '')
  const parents = await identity.listOrgs(services.db, { kind: 'department', status: 'active', limit: PARENT_CHOICES })
  const dept = problemFor('department')
  const social = problemFor('social_org')
  const body = (
    <>
      {!kind && <ErrorBox problem={options.problem} t={t} />}
      <section aria-labelledby="new-department">
        <h2 id="new-department">{t['orgs.new_department']}</h2>
        <form class="stack" method="post" action="/console/orgs" aria-labelledby="new-department">
          <CsrfField token={csrf} />
          <input type="hidden" name="kind" value="department" />
          <ErrorBox problem={dept} t={t} />
          <div class="field">
            <label for="dept_name">{t['orgs.name']}</label>
            <input type="text" id="dept_name" name="name" required maxlength={200} value={value('department', 'name')} {...invalidProps(dept, 'body.name', 'dept_name')} />
            <FieldError problem={dept} path="body.name" id="dept_name" />
          </div>
          <div class="field">
            <label for="dept_level">{t['orgs.level']}</label>
            <select id="dept_level" name="level" required {...invalidProps(dept, 'body.level', 'dept_level')}>
              {LEVELS.map((level) => (
                <option value={level} selected={value('department', 'level') === level}>
                  {levelLabel(level, t)}
                </option>
              ))}
            </select>
            <FieldError problem={dept} path="body.level" id="dept_level" />
          </div>
          <div class="field">
            <label for="dept_region_code">{t['orgs.region_code']}</label>
            <input
              type="text"
              id="dept_region_code"
              name="region_code"
              required
              inputmode="numeric"
              maxlength={6}
              value={value('department', 'region_code')}
              {...invalidProps(dept, 'body.region_code', 'dept_region_code')}
            />
            <FieldError problem={dept} path="body.region_code" id="dept_region_code" />
            <p class="hint">{t['orgs.region_code_hint']}</p>
          </div>
          <div class="field">
            <label for="dept_parent">{t['orgs.parent']}</label>
            <select id="dept_parent" name="parent_id" {...invalidProps(dept, 'body.parent_id', 'dept_parent')}>
              <option value="">{t['orgs.no_parent']}</option>
              {parents.map((p) => (
                <option value={p.id} selected={value('department', 'parent_id') === p.id}>
                  {p.name} ({p.region_code})
                </option>
              ))}
            </select>
            <FieldError problem={dept} path="body.parent_id" id="dept_parent" />
          </div>
          <div>
            <button type="submit">{t['orgs.create_department']}</button>
          </div>
        </form>
      </section>
      <section aria-labelledby="new-social-org">
        <h2 id="new-social-org">{t['orgs.new_social_org']}</h2>
        <form class="stack" method="post" action="/console/orgs" aria-labelledby="new-social-org">
          <CsrfField token={csrf} />
          <input type="hidden" name="kind" value="social_org" />
          <ErrorBox problem={social} t={t} />
          <div class="field">
            <label for="so_name">{t['orgs.name']}</label>
            <input type="text" id="so_name" name="name" required maxlength={200} value={value('social_org', 'name')} {...invalidProps(social, 'body.name', 'so_name')} />
            <FieldError problem={social} path="body.name" id="so_name" />
          </div>
          <div class="field">
            <label for="so_uscc">{t['orgs.uscc']}</label>
            <input type="text" id="so_uscc" name="uscc" required maxlength={18} autocapitalize="characters" value={value('social_org', 'uscc')} {...invalidProps(social, 'body.uscc', 'so_uscc')} />
            <FieldError problem={social} path="body.uscc" id="so_uscc" />
            <p class="hint">{t['orgs.uscc_hint']}</p>
          </div>
          <fieldset class="choices">
            <legend>{t['orgs.uscc_review']}</legend>
            <label>
              <input type="checkbox" name="uscc_reviewed" value="true" checked={value('social_org', 'uscc_reviewed') === 'true'} /> {t['orgs.uscc_reviewed_label']}
            </label>
          </fieldset>
          <div>
            <button type="submit">{t['orgs.create_social_org']}</button>
          </div>
        </form>
      </section>
      <p>
        <a href="/console/orgs">{t['orgs.back_to_list']}</a>
      </p>
    </>
  )
  return page(c, t['orgs.new'], body, { section: 'orgs', status: options.status })
}

async function statusPage(c: ConsoleContext, action: 'suspend' | 'reinstate', options: { problem?: ShownProblem; status?: number }) {
  const { t } = c.get('view')
  const services = c.get('services')
  const org = await identity.getOrg(services.db, c.req.param('id') ?? '')
  const here = `/console/orgs/${encodeURIComponent(org.id)}`
  const target = action === 'suspend' ? 'suspended' : 'active'
  const possible = org.kind !== 'platform' && org.status !== target
  const body = (
    <>
      <ErrorBox problem={options.problem} t={t} />
      <OrgFacts org={org} t={t} />
      {org.kind === 'platform' ? (
        <p>{t['orgs.platform_fixed']}</p>
      ) : !possible ? (
        <p>{fill(t['orgs.already'], { status: t[`org.status.${org.status}`] })}</p>
      ) : (
        <form class="stack" method="post" action={`${here}/${action}`}>
          <CsrfField token={sessionOf(c).csrfToken} />
          <p>
            <strong>{action === 'suspend' ? t['orgs.suspend_confirm'] : t['orgs.reinstate_confirm']}</strong>
          </p>
          <div>
            <button type="submit" class={action === 'suspend' ? 'danger' : undefined}>
              {action === 'suspend' ? t['orgs.suspend_submit'] : t['orgs.reinstate_submit']}
            </button>{' '}
            <a href={here}>{t['app.back']}</a>
          </div>
        </form>
      )}
    </>
  )
  return page(c, fill(action === 'suspend' ? t['orgs.suspend_title'] : t['orgs.reinstate_title'], { name: org.name }), body, { section: 'orgs', status: options.status })
}
