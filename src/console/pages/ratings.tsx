// Ratings (好差评): the 1–5 radio group and comment both rating forms share (closing an objection,
// rating an access request), how a given rating reads, and the requester's rating of a decided
// access request — shown on the request page (src/console/pages/requests.tsx) and posted here.
// Rating is the objections service's own, checked by the API's NewRatingSchema.

import type { FC } from 'hono/jsx'
import type { AccessRequestRow } from '../../exchange/repository.js'
import * as exchange from '../../exchange/service.js'
import type { Principal } from '../../http/env.js'
import { ApiError } from '../../http/errors.js'
import type { RatingRow } from '../../objections/repository.js'
import { NewRatingSchema } from '../../objections/schemas.js'
import * as objections from '../../objections/service.js'
import type { Services } from '../../services.js'
import { consoleAction, correctable, formChecked, page, principal, sessionOf, signedIn, single, type ConsoleApp, type FormFields } from '../context.js'
import { fill, type Dict } from '../i18n.js'
import { CsrfField, ErrorBox, Notice, Time } from '../layout.js'

export const SCORES = [1, 2, 3, 4, 5] as const

/** The rating radios (labelled 1 poor … 5 excellent) and the comment, with what was submitted. */
export const RatingFields: FC<{ t: Dict; idPrefix: string; required?: boolean; submitted?: FormFields | undefined }> = ({ t, idPrefix, required, submitted }) => {
  const chosen = submitted ? single(submitted, 'rating') : undefined
  return (
    <>
      <fieldset class="choices rating">
        <legend>{required ? t['rating.legend_required'] : t['rating.legend']}</legend>
        {SCORES.map((score) => (
          <label for={`${idPrefix}_rating_${score}`}>
            <input type="radio" id={`${idPrefix}_rating_${score}`} name="rating" value={String(score)} checked={chosen === String(score)} required={required} /> {t[`rating.score_${score}`]}
          </label>
        ))}
      </fieldset>
      <div class="field">
        <label for={`${idPrefix}_comment`}>{t['rating.comment']}</label>
        <textarea id={`${idPrefix}_comment`} name="comment" maxlength={2000}>
          {submitted ? (single(submitted, 'comment') ?? '') : ''}
        </textarea>
      </div>
    </>
  )
}

/** A rating in words and stars: the stars are decoration, the words say it. */
export const RatingShown: FC<{ rating: RatingRow; t: Dict }> = ({ rating, t }) => (
  <span class="rating-shown">
    <span aria-hidden="true">{'★'.repeat(rating.score) + '☆'.repeat(5 - rating.score)}</span> {fill(t['rating.shown'], { score: rating.score })}
    {rating.comment ? ` — ${rating.comment}` : ''}
  </span>
)

/** The form's rating and comment, as the API's bodies take them: a comment only with a rating. */
export function ratingInput(form: FormFields): { rating?: number; comment?: string } {
  const score = (single(form, 'rating') ?? '').trim()
  const comment = (single(form, 'comment') ?? '').trim()
  return { ...(score === '' ? {} : { rating: /^\d{1,2}$/.test(score) ? Number(score) : Number.NaN }), ...(comment === '' ? {} : { comment }) }
}

/** The rating of an access request the viewer may see (its request already shown to it), or null. */
export async function requestRating(services: Services, who: Principal, requestId: string): Promise<RatingRow | null> {
  try {
    return await objections.getAccessRequestRating(services, who, requestId)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

/** Whether the viewer rates this request now: its organisation made it, an approver decided it, no rating yet. */
function mayRate(who: Principal, row: AccessRequestRow, rating: RatingRow | null): boolean {
  return rating === null && row.consumer_org_id === who.orgId && who.roles.includes('consumer') && (row.status === 'approved' || row.status === 'rejected') && row.decided_by !== null
}

/**
 * The request page's rating part: the rating once given; the form while the requester may rate;
 * a word when the policy decided it (nothing to rate); nothing otherwise.
 */
export const RequestRatingSection: FC<{ row: AccessRequestRow; rating: RatingRow | null; who: Principal; csrf: string; done?: string | undefined; t: Dict; submitted?: FormFields | undefined }> = ({
  row,
  rating,
  who,
  csrf,
  done,
  t,
  submitted,
}) => {
  const ours = row.consumer_org_id === who.orgId
  if (rating) {
    return (
      <section aria-labelledby="rating">
        <h2 id="rating">{t['rating.given']}</h2>
        <Notice text={done === 'rated' ? t['rating.done'] : undefined} />
        <p>
          <RatingShown rating={rating} t={t} /> (<Time at={rating.created_at} />)
        </p>
      </section>
    )
  }
  if (ours && row.status === 'approved' && row.decided_by === null) return <p class="hint">{t['rating.by_policy']}</p>
  if (!mayRate(who, row, rating)) return null
  return (
    <section aria-labelledby="rating">
      <h2 id="rating">{t['rating.request_title']}</h2>
      <p class="hint">{t['rating.request_intro']}</p>
      <form class="stack" method="post" action={`/console/requests/${encodeURIComponent(row.id)}/rating`}>
        <CsrfField token={csrf} />
        <RatingFields t={t} idPrefix="request" required submitted={submitted} />
        <div>
          <button type="submit">{t['rating.submit']}</button>
        </div>
      </form>
    </section>
  )
}

export function registerRatingPages(app: ConsoleApp) {
  app.post('/requests/:id/rating', signedIn(['consumer']), formChecked(), async (c) => {
    const { t } = c.get('view')
    const id = c.req.param('id')
    const form = c.get('form')!
    const services = c.get('services')
    try {
      const input = ratingInput(form)
      const parsed = NewRatingSchema.safeParse({ ...(input.rating === undefined ? {} : { score: input.rating }), ...(input.comment === undefined ? {} : { comment: input.comment }) })
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message, code: i.code }))
        throw new ApiError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors })
      }
      await objections.rateAccessRequest(services, consoleAction(c), id, parsed.data)
    } catch (error) {
      const problem = correctable(error)
      if (!problem) throw error
      // The form again, on its own page: the request page belongs to src/console/pages/requests.tsx.
      const who = principal(c)
      const { row } = await exchange.getAccessRequest(services, who, id)
      const rating = await requestRating(services, who, id)
      const body = (
        <>
          <ErrorBox problem={problem} t={t} />
          <RequestRatingSection row={row} rating={rating} who={who} csrf={sessionOf(c).csrfToken} t={t} submitted={form} />
          <p>
            <a href={`/console/requests/${encodeURIComponent(id)}`}>{t['app.back']}</a>
          </p>
        </>
      )
      return page(c, fill(t['rating.page_title'], { id }), body, { section: 'requests', status: (error as ApiError).status })
    }
    return c.redirect(`/console/requests/${encodeURIComponent(id)}?done=rated#rating`, 303)
  })
}
