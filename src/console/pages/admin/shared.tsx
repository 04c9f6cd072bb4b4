// What the administration pages share: who counts as an admin (the API's requireRole('admin')),
// turning zod issues into the problems a form shows beside its fields, and the labels of the
// identity vocabulary.

import type { FC } from 'hono/jsx'
import type { Principal } from '../../../http/env.js'
import { ApiError, type FieldProblem } from '../../../http/errors.js'
import type { AdminLevel, OrgKind, OrgRow, Role } from '../../../identity/repository.js'
import type { ConsoleContext } from '../../context.js'
import type { Dict } from '../../i18n.js'
import type { ShownProblem } from '../../layout.js'

export const ADMIN: readonly Role[] = ['admin']
export const LEVELS: readonly AdminLevel[] = ['province', 'city', 'county', 'township']
export const ORG_KINDS: readonly OrgKind[] = ['department', 'social_org', 'platform']
export const ORG_STATUSES: readonly OrgRow['status'][] = ['active', 'suspended']

export const isAdmin = (who: Principal) => who.roles.includes('admin')

export const pick = <T extends string>(values: readonly T[], value: string | undefined): T | undefined => values.find((v) => v === value)

/** A validation error listing each problem, as the API's validation hook answers it. */
export function formProblem(errors: FieldProblem[]): ApiError {
  return new ApiError('validation_failed', errors.map((e) => e.message).join('; '), { errors })
}

/** zod issues as field problems under `prefix` (the API names body members `body.<path>`). */
export function issuesOf(issues: readonly { path: readonly PropertyKey[]; message: string; code: string }[], prefix = 'body'): FieldProblem[] {
  return issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message, code: i.code }))
}

/** The messages a problem has for one field, by its path. */
export function messagesAt(problem: ShownProblem | undefined, path: string): string[] {
  return (problem?.errors ?? []).filter((e) => e.path === path).map((e) => e.message)
}

/**
 * A field's own error, under the field, so it reads next to what needs changing. The control
 * points at it with `aria-describedby` (see `invalidProps`).
 */
export const FieldError: FC<{ problem: ShownProblem | undefined; path: string; id: string }> = ({ problem, path, id }) => {
  const messages = messagesAt(problem, path)
  return messages.length > 0 ? (
    <p class="field-error" id={`${id}-error`}>
      {messages.join('; ')}
    </p>
  ) : null
}

/** `aria-invalid` and `aria-describedby` for a control whose field has a problem. */
export function invalidProps(problem: ShownProblem | undefined, path: string, id: string): Record<string, string> {
  return messagesAt(problem, path).length > 0 ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {}
}

export const orgKindLabel = (kind: OrgKind, t: Dict) => t[`org.kind.${kind}`]
export const levelLabel = (level: AdminLevel | null, t: Dict) => (level ? t[`org.level.${level}`] : '—')
export const orgStatusLabel = (status: OrgRow['status'], t: Dict) => t[`org.status.${status}`]
export const rolesLabel = (roles: readonly Role[], t: Dict) => roles.map((r) => t[`role.${r}`]).join('、')

/** A credential shown once: in a read-only field, so it can be selected and copied whole. */
export const SecretValue: FC<{ id: string; label: string; value: string }> = ({ id, label, value }) => (
  <div class="field">
    <label for={id}>{label}</label>
    <input type="text" id={id} class="secret-value" readonly value={value} autocomplete="off" spellcheck={false} />
  </div>
)

/**
 * Where the language switch of a page answered to a POST goes back to: a page that has a GET
 * (the form's own page), since the POST's path may have none.
 */
export function answeringFor(c: ConsoleContext, path: string): void {
  if (c.req.method !== 'GET') c.set('view', { ...c.get('view'), here: path })
}
