import { expect } from 'vitest'

/** Calls a running gateway over HTTP and fails the test with the answer when it is not 2xx. */
export function liveApi(base: () => string) {
  return async (method: string, path: string, bearer: string | undefined, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const json = (await res.json()) as Record<string, any>
    expect(res.ok, `${method} ${path} → ${res.status} ${JSON.stringify(json)}`).toBe(true)
    return json
  }
}

/** The admin credentials a gateway printed on its first start. */
export function bootstrapCredentials(output: string): { id: string; secret: string } {
  const id = /client_id\s+(\S+)/.exec(output)?.[1]
  const secret = /client_secret\s+(\S+)/.exec(output)?.[1]
  if (!id || !secret) throw new Error(`the gateway printed no bootstrap credentials:\n${output}`)
  return { id, secret }
}
