/** Prefixed, unguessable ids from one place: `org_…`, `cli_…`, `ds_…`, `req_…`, `grt_…`, `obj_…`. */
export type IdPrefix = 'org' | 'cli' | 'ds' | 'req' | 'grt' | 'obj' | 'rat' | 'key' | 'ing' | 'evt' | 'whk'

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz' // Crockford base32, lower case

export function newId(prefix: IdPrefix): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let out = ''
  for (const b of bytes) out += alphabet[b & 31]
  return `${prefix}_${out}`
}
