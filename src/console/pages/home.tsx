// Home: what needs me. Approvers see the pending incoming requests with their lights; consumers
// their own requests and the grants about to end; publishers their datasets; auditors the way in
// to the log.

import * as catalog from '../../catalog/service.js'
import * as exchange from '../../exchange/service.js'
import { page, principal, signedIn, type ConsoleApp } from '../context.js'
import { fill } from '../i18n.js'
import { Time } from '../layout.js'
import * as repo from '../repository.js'
import { RequestTable } from './requests.js'

const EXPIRING_DAYS = 30
const SHOWN = 10

export function registerHomePage(app: ConsoleApp) {
  app.get('/', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const who = principal(c)
    const now = services.clock.now()
    const roles = new Set(who.roles)

    const incoming = roles.has('approver') ? await exchange.listAccessRequests(services, who, { box: 'incoming', status: 'pending', limit: 200 }) : []
    const outgoing = roles.has('consumer') ? await exchange.listAccessRequests(services, who, { box: 'outgoing', limit: SHOWN }) : []
    const expiring = roles.has('consumer') || roles.has('approver') || roles.has('publisher')
      ? await repo.grantsExpiring(services.db, { orgId: who.orgKind === 'platform' ? null : who.orgId, now, until: new Date(now.getTime() + EXPIRING_DAYS * 86_400_000), limit: SHOWN })
      : []
    const datasets = roles.has('publisher') ? await catalog.listDatasets(services, who, { provider: who.orgId, limit: SHOWN }) : []
    const names = await repo.namesOf(services.db, [
      ...[...incoming, ...outgoing].flatMap((v) => [v.row.dataset_id, v.row.consumer_org_id, v.row.provider_id]),
      ...expiring.flatMap((g) => [g.dataset_id, g.consumer_org_id]),
    ])
    const overdue = incoming.filter((v) => v.overdue).length
    const auditing = roles.has('auditor') || roles.has('admin')
    const nothing = !roles.has('approver') && !roles.has('consumer') && !roles.has('publisher') && !auditing && expiring.length === 0

    const body = (
      <>
        <p>{fill(t['home.welcome'], { org: c.get('session')!.orgName })}</p>
        {nothing && <p>{t['home.nothing']}</p>}
        {roles.has('approver') && (
          <section aria-labelledby="pending">
            <h2 id="pending">{t['home.pending_incoming']}</h2>
            <p>
              {fill(t['home.pending_count'], { n: incoming.length, overdue })} <span class="hint">{t['light.legend']}</span>
            </p>
            {incoming.length > 0 && <RequestTable views={incoming.slice(0, SHOWN)} box="incoming" names={names} t={t} />}
            <p>
              <a href="/console/requests?box=incoming&amp;status=pending">{t['home.see_all']}</a>
            </p>
          </section>
        )}
        {roles.has('consumer') && (
          <section aria-labelledby="mine">
            <h2 id="mine">{t['home.my_requests']}</h2>
            {outgoing.length > 0 ? <RequestTable views={outgoing} box="outgoing" names={names} t={t} /> : <p>{t['requests.empty']}</p>}
            <p>
              <a href="/console/requests?box=outgoing">{t['home.see_all']}</a>
            </p>
          </section>
        )}
        {expiring.length > 0 && (
          <section aria-labelledby="expiring">
            <h2 id="expiring">{fill(t['home.expiring_grants'], { days: EXPIRING_DAYS })}</h2>
            <ul>
              {expiring.map((g) => (
                <li>
                  <a href={`/console/grants?view=expiring&days=${EXPIRING_DAYS}`}>{names.get(g.dataset_id) ?? g.dataset_id}</a> — {names.get(g.consumer_org_id) ?? g.consumer_org_id} —{' '}
                  <Time at={g.expires_at} />
                </li>
              ))}
            </ul>
          </section>
        )}
        {roles.has('publisher') && (
          <section aria-labelledby="datasets">
            <h2 id="datasets">{t['home.my_datasets']}</h2>
            {datasets.length === 0 ? (
              <p>{t['catalogue.empty']}</p>
            ) : (
              <ul>
                {datasets.map((d) => (
                  <li>
                    <a href={`/console/datasets/${encodeURIComponent(d.row.id)}`}>{d.row.title}</a> ({d.row.tier}, {t['dataset.records']} {d.row.record_count})
                  </li>
                ))}
              </ul>
            )}
          </section>
        )}
        {auditing && (
          <section aria-labelledby="audit">
            <h2 id="audit">{t['home.audit']}</h2>
            <p>{t['home.audit_intro']}</p>
            <ul>
              <li>
                <a href="/console/audit">{t['audit.title']}</a>
              </li>
              <li>
                <a href="/console/audit/verify">{t['audit.verify']}</a>
              </li>
            </ul>
          </section>
        )}
      </>
    )
    return page(c, t['home.title'], body, { section: 'home' })
  })
}
