// The tier policy matrix as a grid: tiers L1–L4 down, kinds of consumer across, each cell the
// access mode. Admins edit it and save it with a reason through replaceTierPolicy, the service
// behind PUT /v1/policy/tiers, which refuses any cell wider than its ceiling (the refusal is
// shown in the cell it names). Auditors see it read-only, as GET /v1/policy/tiers lets them.

import type { FC } from 'hono/jsx'
import { ApiError, type FieldProblem } from '../../../http/errors.js'
import { ACCESS_MODES, CONSUMER_KINDS, DEFAULT_TIER_MATRIX, TIER_CEILINGS, TIERS, sameMatrix, type AccessMode, type ConsumerKind, type Tier, type TierMatrix } from '../../../exchange/policy.js'
import { loadTierPolicy, replaceTierPolicy, tierPolicyVersion, type TierPolicy } from '../../../exchange/policy-service.js'
import { consoleAction, correctable, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type ConsoleContext, type FormFields } from '../../context.js'
import { fill, type Dict } from '../../i18n.js'
import { CsrfField, ErrorBox, Notice, Time, type ShownProblem } from '../../layout.js'
import * as repo from './repository.js'
import { ADMIN, FieldError, formProblem, invalidProps, isAdmin, messagesAt } from './shared.js'

const REASON_MAX = 2000
const cellName = (tier: Tier, kind: ConsumerKind) => `cell.${tier}.${kind}`
const cellId = (tier: Tier, kind: ConsumerKind) => `cell_${tier}_${kind}`
/** Where the service names a bad cell: `tiers.<tier>.<kind>`; the API's hook prefixes `body.`. */
const cellPath = (tier: Tier, kind: ConsumerKind) => `tiers.${tier}.${kind}`
const isMode = (value: string | undefined): value is AccessMode => (ACCESS_MODES as readonly string[]).includes(value ?? '')
/** What a form carries for "which policy this edit started from": its version, which every change bumps. */
const basisOf = (version: number) => String(version)

export function registerPolicyPages(app: ConsoleApp) {
  app.get('/policy', signedIn(['admin', 'auditor']), async (c) => policyPage(c, {}))

  app.post('/policy', signedIn(ADMIN), formChecked(), async (c) => {
    const { t } = c.get('view')
    const form = c.get('form')!
    const db = c.get('services').db
    let unchanged = false
    try {
      const { matrix, reason } = submittedPolicy(form, t)
      const current = await loadTierPolicy(db)
      unchanged = current.source === 'configured' && sameMatrix(current.matrix, matrix)
      // Two admins editing at once: the later save would silently undo the earlier one.
      const basedOnVersion = Number(single(form, 'based_on'))
      await replaceTierPolicy(db, consoleAction(c), { matrix, reason, basedOnVersion: Number.isSafeInteger(basedOnVersion) ? basedOnVersion : -1 })
    } catch (error) {
      if (error instanceof ApiError && error.extra.reason === 'policy_changed') {
        return policyPage(c, { problem: correctable(new ApiError('conflict', t['policy.changed_meanwhile'])), submitted: form, status: 409 })
      }
      const problem = correctable(error)
      if (!problem) throw error
      return policyPage(c, { problem, submitted: form, status: (error as ApiError).status })
    }
    return c.redirect(`/console/policy?done=${unchanged ? 'unchanged' : 'saved'}`, 303)
  })
}

/**
 * The matrix and reason a grid form describes. Modes that are not modes are refused here; whether
 * each cell is within its ceiling is the service's to say.
 */
function submittedPolicy(form: FormFields, t: Dict): { matrix: TierMatrix; reason: string } {
  const problems: FieldProblem[] = []
  const cells = {} as Record<Tier, Record<ConsumerKind, AccessMode>>
  for (const tier of TIERS) {
    cells[tier] = {} as Record<ConsumerKind, AccessMode>
    for (const kind of CONSUMER_KINDS) {
      const value = single(form, cellName(tier, kind))
      if (isMode(value)) cells[tier][kind] = value
      else problems.push({ path: cellPath(tier, kind), message: fill(t['policy.not_a_mode'], { value: value ?? '' }), code: 'invalid_value' })
    }
  }
  const reason = (single(form, 'reason') ?? '').trim()
  if (reason === '' || reason.length > REASON_MAX) problems.push({ path: 'body.reason', message: t['policy.reason_required'], code: reason === '' ? 'required' : 'too_long' })
  if (problems.length > 0) throw formProblem(problems)
  return { matrix: cells, reason }
}

async function policyPage(c: ConsoleContext, options: { problem?: ShownProblem; submitted?: FormFields; status?: number }) {
  const { t } = c.get('view')
  const db = c.get('services').db
  const editable = isAdmin(principal(c))
  const policy = await loadTierPolicy(db)
  const version = await tierPolicyVersion(db)
  const setter = policy.updatedBy ? await repo.findClientWithOrg(db, policy.updatedBy) : undefined
  const done = c.req.query('done')
  const shownMode = (tier: Tier, kind: ConsumerKind): AccessMode => {
    const submitted = options.submitted ? single(options.submitted, cellName(tier, kind)) : undefined
    return isMode(submitted) ? submitted : policy.matrix[tier][kind]
  }
  const problem = options.problem
  const body = (
    <>
      <Notice text={done === 'saved' ? t['policy.saved'] : done === 'unchanged' ? t['policy.unchanged'] : undefined} />
      <ErrorBox problem={problem} t={t} />
      <dl class="facts">
        <dt>{t['policy.source']}</dt>
        <dd>{policy.source === 'default' ? t['policy.source_default'] : t['policy.source_configured']}</dd>
        <dt>{t['policy.version']}</dt>
        <dd>
          {policy.source === 'default' ? '—' : fill(t['policy.version_n'], { n: version })} <a href="/console/audit?action=tier_policy.updated">{t['policy.history']}</a>
        </dd>
        <dt>{t['policy.updated_at']}</dt>
        <dd>
          <Time at={policy.updatedAt} />
        </dd>
        <dt>{t['policy.updated_by']}</dt>
        <dd>{setter ? `${setter.name} · ${setter.org_name} (${setter.id})` : (policy.updatedBy ?? '—')}</dd>
      </dl>
      <p class="hint">{t['policy.intro']}</p>
      {editable ? (
        <form class="stack" method="post" action="/console/policy">
          <CsrfField token={sessionOf(c).csrfToken} />
          <input type="hidden" name="based_on" value={options.status === 409 ? basisOf(version) : (single(options.submitted ?? {}, 'based_on') ?? basisOf(version))} />
          <PolicyGrid policy={policy} shown={shownMode} problem={problem} editable t={t} />
          <div class="field">
            <label for="reason">{t['policy.reason']}</label>
            <textarea id="reason" name="reason" required maxlength={REASON_MAX} {...invalidProps(problem, 'body.reason', 'reason')}>
              {options.submitted ? (single(options.submitted, 'reason') ?? '') : ''}
            </textarea>
            <FieldError problem={problem} path="body.reason" id="reason" />
          </div>
          <div>
            <button type="submit">{t['policy.save']}</button>
          </div>
        </form>
      ) : (
        <>
          <p class="hint">{t['policy.read_only']}</p>
          <PolicyGrid policy={policy} shown={shownMode} problem={undefined} editable={false} t={t} />
        </>
      )}
      <h2>{t['policy.modes']}</h2>
      <dl class="facts">
        {ACCESS_MODES.map((mode) => (
          <>
            <dt>{t[`mode.${mode}`]}</dt>
            <dd>{t[`policy.mode_${mode}`]}</dd>
          </>
        ))}
      </dl>
    </>
  )
  return page(c, t['policy.title'], body, { section: 'policy', status: options.status })
}

const PolicyGrid: FC<{
  policy: TierPolicy
  shown: (tier: Tier, kind: ConsumerKind) => AccessMode
  problem: ShownProblem | undefined
  editable: boolean
  t: Dict
}> = ({ policy, shown, problem, editable, t }) => (
  <table class="policy-grid">
    <caption>{t['policy.caption']}</caption>
    <thead>
      <tr>
        <th scope="col">{t['policy.tier']}</th>
        {CONSUMER_KINDS.map((kind) => (
          <th scope="col">{t[`policy.kind_${kind}`]}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {TIERS.map((tier) => (
        <tr>
          <th scope="row">
            {tier} <span class="hint">{t[`policy.tier_${tier}`]}</span>
          </th>
          {CONSUMER_KINDS.map((kind) => {
            const mode = shown(tier, kind)
            const id = cellId(tier, kind)
            const path = cellPath(tier, kind)
            const invalid = messagesAt(problem, path).length > 0
            return (
              <td class={invalid ? 'cell-invalid' : undefined}>
                {editable ? (
                  <>
                    <label for={id} class="sr-only">
                      {fill(t['policy.cell_label'], { tier, kind: t[`policy.kind_${kind}`] })}
                    </label>
                    <select id={id} name={cellName(tier, kind)} {...invalidProps(problem, path, id)}>
                      {ACCESS_MODES.map((m) => (
                        <option value={m} selected={m === mode}>
                          {t[`mode.${m}`]}
                        </option>
                      ))}
                    </select>
                    <FieldError problem={problem} path={path} id={id} />
                  </>
                ) : (
                  <span>{t[`mode.${mode}`]}</span>
                )}
                <p class="hint">
                  {fill(t['policy.ceiling'], { mode: t[`mode.${TIER_CEILINGS[tier][kind]}`] })}
                  {mode !== policy.matrix[tier][kind] && <> · {fill(t['policy.in_force'], { mode: t[`mode.${policy.matrix[tier][kind]}`] })}</>}
                  {mode === policy.matrix[tier][kind] && mode !== DEFAULT_TIER_MATRIX[tier][kind] && <> · {fill(t['policy.default_was'], { mode: t[`mode.${DEFAULT_TIER_MATRIX[tier][kind]}`] })}</>}
                </p>
              </td>
            )
          })}
        </tr>
      ))}
    </tbody>
  </table>
)
