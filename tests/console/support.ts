// A browser-like client of the console for in-process tests: it keeps cookies, reads each page's
// CSRF token, submits forms from this origin, and does not follow redirects (tests check them).

import { expect } from 'vitest'
import type { TestWorld } from '../support/app.js'
import type { ClientCredentials } from '../support/identity.js'

export const ORIGIN = 'http://localhost'

export interface Page {
  status: number
  headers: Headers
  html: string
  /** Status and the start of the body, for assertion messages. */
  text: string
  location: string | null
}

export class Browser {
  readonly cookies = new Map<string, string>()

  constructor(
    readonly world: TestWorld,
    readonly base = ORIGIN,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private remember(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const [name, ...rest] = pair!.split('=')
      const value = rest.join('=')
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === ''
      if (expired) this.cookies.delete(name!.trim())
      else this.cookies.set(name!.trim(), value)
    }
  }

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader()
    const response = await this.world.app.request(`${this.base}${path}`, { method, headers, body: init.body, redirect: 'manual' })
    this.remember(response.headers)
    const html = await response.text()
    return { status: response.status, headers: response.headers, html, text: `${response.status} ${html.slice(0, 3000)}`, location: response.headers.get('location') }
  }

  get(path: string) {
    return this.request('GET', path)
  }

  /** Posts a form as a browser on this origin would (Origin header, urlencoded body). */
  post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = { origin: this.base }) {
    const body = new URLSearchParams()
    for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v)
    return this.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
  }

  /** Signs in through the sign-in form; fails the test unless it lands on the console. */
  async signIn(who: Pick<ClientCredentials, 'clientId' | 'secret'>): Promise<void> {
    const form = await this.get('/console/sign-in')
    expect(form.status, form.text).toBe(200)
    const res = await this.post('/console/sign-in', { csrf: csrfOf(form.html), client_id: who.clientId, client_secret: who.secret })
    expect(res.status, res.text).toBe(303)
    expect(res.location).toBe('/console')
  }

  /** Posts a form of the page at `from`, with that page's CSRF token. */
  async submit(from: string, action: string, fields: Record<string, string | string[]>): Promise<Page> {
    const page = await this.get(from)
    expect(page.status, page.text).toBe(200)
    return this.post(action, { csrf: csrfOf(page.html), ...fields })
  }
}

export function csrfOf(html: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1]
  if (!token) throw new Error(`no CSRF token on the page:\n${html.slice(0, 2000)}`)
  return token
}

/** The page's visible text, tags stripped and whitespace collapsed, for readable assertions. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
}
