// The data standards, for anyone signed in (as GET /v1/standards): every version of every
// standard with its field count, and one version's schema view — each data element with its type,
// format, sensitivity, default mask and how it may be aggregated, and the JSON Schema itself.

import type { FC } from 'hono/jsx'
import { z } from 'zod'
import { decodeCursor, encodeCursor } from '../../../http/pagination.js'
import { ApiError } from '../../../http/errors.js'
import { StandardNameSchema, VersionSchema } from '../../../standards/schemas.js'
import * as standards from '../../../standards/service.js'
import type { FieldSpec } from '../../../standards/standard.js'
import { page, signedIn, type ConsoleApp } from '../../context.js'
import { fill, type Dict } from '../../i18n.js'
import { link, Pager, Time } from '../../layout.js'
import { maskLabel } from '../requests.js'
import * as repo from './repository.js'

const PAGE_SIZE = 25
const cursorShape = z.object({ name: z.string(), version: VersionSchema })

export function registerStandardPages(app: ConsoleApp) {
  app.get('/standards', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const cursor = c.req.query('cursor') || undefined
    const after = decodeCursor(cursor, cursorShape)
    const listed = await standards.listStandards(services.db, { after, limit: PAGE_SIZE + 1 })
    const shown = listed.slice(0, PAGE_SIZE)
    const last = shown.at(-1)
    const next = listed.length > PAGE_SIZE && last ? link('/console/standards', { cursor: encodeCursor({ name: last.name, version: last.version }) }) : null
    // Each version's fields come from its compiled description (compiled once per process).
    const entries = await Promise.all(shown.map((s) => standards.getStandard(services, s.name, s.version)))
    const body = (
      <>
        <p class="hint">{t['standards.intro']}</p>
        {entries.length === 0 ? (
          <p>{t['standards.empty']}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t['standards.name']}</th>
                <th scope="col">{t['standards.version']}</th>
                <th scope="col">{t['standards.title_col']}</th>
                <th scope="col">{t['standards.kind']}</th>
                <th scope="col">{t['dataset.tier']}</th>
                <th scope="col">{t['standards.source']}</th>
                <th scope="col" class="num">
                  {t['standards.fields_count']}
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr>
                  <th scope="row">
                    <a class="mono" href={standardHref(entry.name, entry.version)}>
                      {entry.name}
                    </a>
                  </th>
                  <td class="mono">{entry.version}</td>
                  <td>{entry.title}</td>
                  <td>{t[`standards.kind_${entry.kind}`]}</td>
                  <td>{entry.tier ?? '—'}</td>
                  <td>{t[`standards.source_${entry.source}`]}</td>
                  <td class="num">{fieldCount(entry)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager next={next} first={cursor ? '/console/standards' : undefined} t={t} />
      </>
    )
    return page(c, t['standards.title'], body, { section: 'standards' })
  })

  app.get('/standards/:name/:version', signedIn(), async (c) => {
    const { t } = c.get('view')
    const services = c.get('services')
    const name = StandardNameSchema.safeParse(c.req.param('name'))
    const version = VersionSchema.safeParse(c.req.param('version'))
    if (!name.success || !version.success) throw new ApiError('not_found', 'no such standard version')
    const entry = await standards.getStandard(services, name.data, version.data)
    const description = entry.compiled?.description
    const versions = await standards.listStandards(services.db, { name: entry.name, limit: 50 })
    const publisher = entry.publishedBy ? await repo.findClientWithOrg(services.db, entry.publishedBy) : undefined
    const body = (
      <>
        <dl class="facts">
          <dt>{t['standards.name']}</dt>
          <dd class="mono">{entry.name}</dd>
          <dt>{t['standards.version']}</dt>
          <dd class="mono">{entry.version}</dd>
          <dt>{t['standards.kind']}</dt>
          <dd>{t[`standards.kind_${entry.kind}`]}</dd>
          <dt>{t['dataset.tier']}</dt>
          <dd>{entry.tier ?? '—'}</dd>
          <dt>{t['dataset.key_field']}</dt>
          <dd class="mono">{description?.key ?? '—'}</dd>
          <dt>{t['standards.source']}</dt>
          <dd>{t[`standards.source_${entry.source}`]}</dd>
          {entry.publishedAt && (
            <>
              <dt>{t['standards.published']}</dt>
              <dd>
                <Time at={entry.publishedAt} /> {publisher ? `· ${publisher.name} · ${publisher.org_name}` : entry.publishedBy ? `· ${entry.publishedBy}` : ''}
              </dd>
            </>
          )}
          {description?.description && (
            <>
              <dt>{t['standards.description']}</dt>
              <dd>{description.description}</dd>
            </>
          )}
          <dt>{t['standards.versions']}</dt>
          <dd>
            {versions.map((v, i) => (
              <>
                {i > 0 && ', '}
                {v.version === entry.version ? (
                  <strong class="mono">{v.version}</strong>
                ) : (
                  <a class="mono" href={standardHref(v.name, v.version)}>
                    {v.version}
                  </a>
                )}
              </>
            ))}
          </dd>
        </dl>
        <h2 id="fields">{t['standards.fields']}</h2>
        {description ? <FieldTable fields={description.fields} keyField={description.key} t={t} /> : <p>{t['standards.library_note']}</p>}
        <h2 id="schema">{t['standards.schema']}</h2>
        <pre class="schema" tabindex={0} aria-labelledby="schema">
          {JSON.stringify(entry.schema, null, 2)}
        </pre>
        <p>
          <a href="/console/standards">{t['standards.back']}</a>
        </p>
      </>
    )
    return page(c, fill(t['standards.view_title'], { title: entry.title, version: entry.version }), body, { section: 'standards' })
  })
}

const standardHref = (name: string, version: string) => `/console/standards/${encodeURIComponent(name)}/${encodeURIComponent(version)}`

/** A record standard's fields; an element library's data elements (its `$defs`). */
function fieldCount(entry: standards.StandardEntry): number {
  if (entry.compiled) return entry.compiled.description.fields.length
  const defs = entry.schema.$defs
  return defs && typeof defs === 'object' ? Object.keys(defs).length : 0
}

const FieldTable: FC<{ fields: readonly FieldSpec[]; keyField: string; t: Dict }> = ({ fields, keyField, t }) => (
  <table class="schema-fields">
    <thead>
      <tr>
        <th scope="col">{t['dataset.field']}</th>
        <th scope="col">{t['dataset.field_title']}</th>
        <th scope="col">{t['standards.type']}</th>
        <th scope="col">{t['standards.format']}</th>
        <th scope="col">{t['standards.required']}</th>
        <th scope="col">{t['dataset.sensitivity']}</th>
        <th scope="col">{t['dataset.default_mask']}</th>
        <th scope="col">{t['dataset.masked_sensitivity']}</th>
        <th scope="col">{t['standards.aggregatable']}</th>
        <th scope="col">{t['standards.indexed']}</th>
        <th scope="col">{t['standards.aliases']}</th>
      </tr>
    </thead>
    <tbody>
      {fields.map((field) => (
        <tr>
          <th scope="row" class="mono">
            {field.name}
            {field.name === keyField && <span class="tag">{t['standards.key']}</span>}
          </th>
          <td>{field.title}</td>
          <td class="mono">{field.types.join(' | ')}</td>
          <td class="mono">{field.format ?? (field.enum ? fill(t['standards.enum'], { n: field.enum.length }) : '—')}</td>
          <td>{field.required ? t['app.yes'] : t['app.no']}</td>
          <td>{field.sensitivity}</td>
          <td>{maskLabel(field.mask, t)}</td>
          <td>{field.mask ? field.maskedSensitivity : '—'}</td>
          <td>{field.aggregatable ? t[`standards.agg_${field.aggregatable}`] : t['app.no']}</td>
          <td>{field.indexed ? t['app.yes'] : t['app.no']}</td>
          <td>{field.aliases.length > 0 ? field.aliases.join('、') : '—'}</td>
        </tr>
      ))}
    </tbody>
  </table>
)
