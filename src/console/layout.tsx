// The page shell and the small pieces every console page uses. Server-rendered HTML, no script;
// nothing inline (the CSP forbids inline styles and scripts); one stylesheet from this gateway.

import type { Child, FC } from 'hono/jsx'
import type { Light as LightColour } from '../calendar/working-days.js'
import type { Principal } from '../http/env.js'
import type { FieldProblem } from '../http/errors.js'
import type { Role } from '../identity/repository.js'
import { fill, htmlLang, type Dict, type Lang, type MessageKey } from './i18n.js'
import type { ConsoleSession } from './session.js'

/** What every page knows about its request: the words, the language, where it is, who is signed in. */
export interface View {
  t: Dict
  lang: Lang
  /** Path and query of this page, for the language switch to come back to. */
  here: string
  session?: ConsoleSession
}

/**
 * The navigation, as data: an entry shows for the principals its page lets in. Pages of later
 * modules (objections, supervision, administration) add an entry here when they exist.
 */
export interface NavEntry {
  key: MessageKey
  href: string
  /** Which section of the console the entry stands for: pages mark their own as current. */
  section: string
  shows(principal: Principal): boolean
}

const hasRole = (principal: Principal, roles: readonly Role[]) => principal.roles.some((r) => roles.includes(r))

export const navEntries: NavEntry[] = [
  { key: 'nav.home', href: '/console', section: 'home', shows: () => true },
  { key: 'nav.catalogue', href: '/console/catalogue', section: 'catalogue', shows: () => true },
  { key: 'nav.requests', href: '/console/requests', section: 'requests', shows: (p) => hasRole(p, ['consumer', 'approver']) },
  { key: 'nav.grants', href: '/console/grants', section: 'grants', shows: () => true },
  { key: 'nav.audit', href: '/console/audit', section: 'audit', shows: (p) => hasRole(p, ['auditor', 'admin', 'publisher', 'approver']) },
  { key: 'nav.readers', href: '/console/audit/readers', section: 'readers', shows: (p) => p.orgKind === 'department' && hasRole(p, ['publisher', 'approver']) },
  // Administration (src/console/pages/admin/): organisations and the policy for admins and auditors; standards for everyone.
  { key: 'nav.orgs', href: '/console/orgs', section: 'orgs', shows: (p) => hasRole(p, ['admin', 'auditor']) },
  { key: 'nav.policy', href: '/console/policy', section: 'policy', shows: (p) => hasRole(p, ['admin', 'auditor']) },
  { key: 'nav.standards', href: '/console/standards', section: 'standards', shows: () => true },
  // Objections (src/console/pages/objections.tsx) for their raisers, owners and admins; supervision for the platform's
  // admins and auditors and for every organisation's members (their own row).
  { key: 'nav.objections', href: '/console/objections', section: 'objections', shows: (p) => hasRole(p, ['consumer', 'publisher', 'approver']) || (p.orgKind === 'platform' && hasRole(p, ['admin'])) },
  { key: 'nav.supervision', href: '/console/supervision', section: 'supervision', shows: (p) => p.orgKind !== 'platform' || hasRole(p, ['admin', 'auditor']) },
]

export const Layout: FC<{ view: View; title: string; section?: string; children?: Child }> = ({ view, title, section, children }) => {
  const { t, session } = view
  const other = view.lang === 'zh' ? 'en' : 'zh'
  const switchHref = `/console/lang?${new URLSearchParams({ to: other, back: view.here })}`
  return (
    <html lang={htmlLang(view.lang)}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t['app.name']}`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">
          {t['app.skip']}
        </a>
        <header class="top">
          <a class="brand" href="/console">
            {t['app.name']}
          </a>
          {session && (
            <nav aria-label={t['app.nav']}>
              <ul>
                {navEntries
                  .filter((entry) => entry.shows(session.principal))
                  .map((entry) => (
                    <li>
                      <a href={entry.href} aria-current={entry.section === section ? 'page' : undefined}>
                        {t[entry.key]}
                      </a>
                    </li>
                  ))}
              </ul>
            </nav>
          )}
          <div class="who">
            {session && (
              <span>
                {t['app.signed_in_as']} {session.orgName} · {session.clientName} ({session.principal.roles.map((r) => t[`role.${r}`]).join('、')})
              </span>
            )}
            <a href={switchHref} lang={htmlLang(other)} aria-label={t['app.lang_switch_label']}>
              {t['app.lang_switch']}
            </a>
            {session && (
              <form method="post" action="/console/sign-out">
                <CsrfField token={session.csrfToken} />
                <button type="submit">{t['app.sign_out']}</button>
              </form>
            )}
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {children}
        </main>
        <footer>{t['app.footer']}</footer>
      </body>
    </html>
  )
}

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="csrf" value={token} />

/** A light in colour and in words, so it reads without colour too. */
export const LightBadge: FC<{ light: LightColour | null; t: Dict }> = ({ light, t }) =>
  light === null ? <span>—</span> : <span class={`light light-${light}`}>● {t[`light.${light}`]}</span>

/** An instant in China Standard Time, machine-readable in `datetime`. */
export const Time: FC<{ at: Date | string | null | undefined }> = ({ at }) => {
  if (at === null || at === undefined) return <span>—</span>
  const date = typeof at === 'string' ? new Date(at) : at
  if (Number.isNaN(date.getTime())) return <span>{String(at)}</span>
  return <time datetime={date.toISOString()}>{chinaTime(date)}</time>
}

/** `YYYY-MM-DD HH:MM` in UTC+8. */
export function chinaTime(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')
}

export const Notice: FC<{ text?: string | undefined }> = ({ text }) =>
  text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null

/** A labelled choice; `name` is also its id. `blank` is the text of an empty first option ("any", "—"). */
export const SelectField: FC<{ name: string; label: string; options: readonly (readonly [value: string, text: string])[]; selected: string | undefined; blank?: string }> = ({
  name,
  label,
  options,
  selected,
  blank,
}) => (
  <div class="field">
    <label for={name}>{label}</label>
    <select id={name} name={name}>
      {blank === undefined ? null : <option value="">{blank}</option>}
      {options.map(([value, text]) => (
        <option value={value} selected={selected === value}>
          {text}
        </option>
      ))}
    </select>
  </div>
)

/** A labelled text input; `name` is also its id. */
export const TextField: FC<{ name: string; label: string; value: string | undefined; maxlength: number }> = ({ name, label, value, maxlength }) => (
  <div class="field">
    <label for={name}>{label}</label>
    <input type="text" id={name} name={name} maxlength={maxlength} value={value} />
  </div>
)

/** A problem a service reported, in words: its detail and each field it names. */
export interface ShownProblem {
  detail: string
  errors?: readonly FieldProblem[]
}

export const ErrorBox: FC<{ problem?: ShownProblem | undefined; t: Dict }> = ({ problem, t }) =>
  problem ? (
    <div class="error-box" role="alert">
      <p>
        <strong>{t['app.problems']}</strong> {problem.detail}
      </p>
      {problem.errors && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((e) => (
            <li>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  ) : null

export const Pager: FC<{ next: string | null; first?: string | undefined; t: Dict }> = ({ next, first, t }) =>
  next || first ? (
    <nav class="pager" aria-label={t['app.next_page']}>
      {first && <a href={first}>{t['app.first_page']}</a>}
      {next && (
        <a href={next} rel="next">
          {t['app.next_page']} →
        </a>
      )}
    </nav>
  ) : null

/** A URL for `path` with `params` (empty values left out). */
export function link(path: string, params: Record<string, string | number | undefined | null>): string {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(key, String(value))
  const text = query.toString()
  return text ? `${path}?${text}` : path
}

export { fill }
