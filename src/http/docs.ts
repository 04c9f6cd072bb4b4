import { errorCodes } from './errors.js'

/**
 * Renders the OpenAPI document as one self-contained HTML page: no scripts, no CDN (many
 * government networks are offline), readable without JavaScript.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const

export function renderApiReference(doc: JsonObject): string {
  const info = asObject(doc.info)
  const operations = collectOperations(asObject(doc.paths))
  const tags = [...new Set(operations.map((op) => op.tag))]
  const schemas = asObject(asObject(doc.components).schemas)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title ?? 'API'))} — API reference</title>
<link rel="stylesheet" href="/docs/style.css"></head>
<body><header><h1>${esc(String(info.title ?? 'API'))} <small>${esc(String(info.version ?? ''))}</small></h1>
<p>${esc(String(info.description ?? ''))}</p><p><a href="/openapi.json">openapi.json</a></p></header>
<nav aria-label="Operations"><ul>${tags
    .map((tag) => `<li><a href="#tag-${esc(tag)}">${esc(tag)}</a></li>`)
    .join('')}<li><a href="#schemas">schemas</a></li><li><a href="#errors">errors</a></li></ul></nav>
<main>${tags
    .map(
      (tag) =>
        `<section id="tag-${esc(tag)}"><h2>${esc(tag)}</h2>${operations
          .filter((op) => op.tag === tag)
          .map(renderOperation)
          .join('')}</section>`,
    )
    .join('')}
<section id="schemas"><h2>Schemas</h2>${Object.entries(schemas)
    .map(([name, schema]) => `<article id="schema-${esc(name)}"><h3>${esc(name)}</h3>${renderSchema(schema)}</article>`)
    .join('')}</section>
<section id="errors"><h2>Errors</h2><p>Every error is <code>application/problem+json</code> (RFC 9457) with
<code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, <code>code</code> and <code>instance</code> (the request id).</p>
<table><thead><tr><th>code</th><th>status</th><th>title</th></tr></thead><tbody>${Object.entries(errorCodes)
    .map(([code, e]) => `<tr id="error-${code}"><td><code>${code}</code></td><td>${e.status}</td><td>${esc(e.title)}</td></tr>`)
    .join('')}</tbody></table></section></main></body></html>`
}

interface Operation {
  method: string
  path: string
  tag: string
  op: JsonObject
}

function collectOperations(paths: JsonObject): Operation[] {
  const out: Operation[] = []
  for (const [path, item] of Object.entries(paths)) {
    for (const method of methods) {
      const op = asObject(asObject(item)[method])
      if (Object.keys(op).length === 0) continue
      const tags = Array.isArray(op.tags) ? op.tags : []
      out.push({ method, path, tag: String(tags[0] ?? 'other'), op })
    }
  }
  return out
}

function renderOperation({ method, path, op }: Operation): string {
  const params = Array.isArray(op.parameters) ? op.parameters.map(asObject) : []
  const body = asObject(asObject(asObject(op.requestBody).content))
  const responses = asObject(op.responses)
  const secured = Array.isArray(op.security) && op.security.length > 0
  return `<article class="op" id="${esc(method + path)}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code>${
    secured ? ' <span class="lock" title="Bearer token required">bearer</span>' : ''
  }</h3><p><strong>${esc(String(op.summary ?? ''))}</strong></p><p>${esc(String(op.description ?? ''))}</p>${
    params.length
      ? `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr></thead><tbody>${params
          .map(
            (p) =>
              `<tr><td><code>${esc(String(p.name))}</code></td><td>${esc(String(p.in))}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(
                String(p.description ?? asObject(p.schema).description ?? ''),
              )}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : ''
  }${Object.entries(body)
    .map(([type, media]) => `<h4>Request body <code>${esc(type)}</code></h4>${renderSchema(asObject(media).schema ?? null)}`)
    .join('')}<h4>Responses</h4><ul>${Object.entries(responses)
    .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(String(asObject(r).description ?? ''))}${responseSchemaLink(asObject(r))}</li>`)
    .join('')}</ul></article>`
}

function responseSchemaLink(response: JsonObject): string {
  const content = asObject(response.content)
  const first = Object.values(content)[0]
  const ref = asObject(asObject(first).schema).$ref
  return typeof ref === 'string' ? ` — <a href="#schema-${esc(refName(ref))}">${esc(refName(ref))}</a>` : ''
}

function renderSchema(schema: Json): string {
  const s = asObject(schema)
  if (typeof s.$ref === 'string') return `<p>→ <a href="#schema-${esc(refName(s.$ref))}">${esc(refName(s.$ref))}</a></p>`
  const props = asObject(s.properties)
  if (Object.keys(props).length === 0) return `<p><code>${esc(typeLabel(s))}</code> ${esc(String(s.description ?? ''))}</p>`
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : [])
  return `<table><thead><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr></thead><tbody>${Object.entries(props)
    .map(([name, p]) => {
      const prop = asObject(p)
      return `<tr><td><code>${esc(name)}</code></td><td><code>${esc(typeLabel(prop))}</code></td><td>${
        required.has(name) ? 'yes' : 'no'
      }</td><td>${esc(String(prop.description ?? ''))}</td></tr>`
    })
    .join('')}</tbody></table>`
}

function typeLabel(s: JsonObject): string {
  if (typeof s.$ref === 'string') return refName(s.$ref)
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ')
  if (s.type === 'array') return `${typeLabel(asObject(s.items))}[]`
  if (Array.isArray(s.anyOf)) return s.anyOf.map((x) => typeLabel(asObject(x))).join(' | ')
  return String(s.type ?? 'any') + (typeof s.format === 'string' ? ` (${s.format})` : '')
}

const refName = (ref: string) => ref.split('/').pop() ?? ref
const asObject = (v: Json | undefined): JsonObject => (v && typeof v === 'object' && !Array.isArray(v) ? v : {})
const esc = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch)

/** Served at /docs/style.css, so the page needs no inline style under its CSP. */
export const apiReferenceCss = `body{font:15px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1b1f24;display:grid;grid-template-columns:14rem 1fr}
header{grid-column:1/3;background:#12355b;color:#fff;padding:1rem 2rem}header a{color:#cfe3ff}h1 small{font-size:.6em;opacity:.8}
nav{padding:1rem;border-right:1px solid #ddd}nav ul{list-style:none;padding:0}nav a{color:#12355b}
main{padding:1rem 2rem;max-width:70rem}.op{border:1px solid #dde3ea;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4rem;text-align:center;border-radius:4px;color:#fff;font-size:.8em;padding:.1rem .4rem}
.get{background:#1f6f43}.post{background:#1d4f91}.put{background:#8a5a00}.patch{background:#6b3fa0}.delete{background:#a12622}
.lock{font-size:.7em;border:1px solid #888;border-radius:3px;padding:0 .3rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #dde3ea;padding:.2rem .5rem;text-align:left;vertical-align:top}code{font-family:ui-monospace,monospace}`
