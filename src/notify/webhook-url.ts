// Which webhook URLs Qiao will POST to (docs/webhooks.md "Where webhooks may point").
//
// A webhook makes Qiao send requests on an admin's say-so: server-side request forgery is the
// risk, so the rule is narrow. https only, so the receiver proves its name with a certificate;
// plain http only to the loopback names (localhost, 127.0.0.1, [::1]) for development and tests.
// No user:password in the URL, no fragment, and no IP literal in a private, loopback, link-local
// (169.254.169.254, cloud metadata), shared or reserved range over https either: such a receiver
// is inside the operator's network and has no business being reached from the exchange. A name
// that resolves to such an address cannot be checked on Workers (no DNS API); there the platform's
// egress is the public internet anyway, and on Node it is the operator's firewall that must hold.
// Redirects are never followed (src/notify/delivery.ts), so a public URL cannot bounce Qiao inward,
// and response bodies are never stored or shown, so a misdirected webhook learns nothing back.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

export type UrlProblem = string

/** Why the URL is refused, or undefined when Qiao may send to it. */
export function webhookUrlProblem(text: string): UrlProblem | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'not an absolute URL'
  }
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are not allowed: authenticate the request by its signature'
  if (url.hash !== '') return 'a fragment is never sent: remove it'
  const host = url.hostname.toLowerCase()
  if (url.protocol === 'http:') {
    return LOOPBACK_HOSTS.has(host) ? undefined : 'must be https (plain http only to localhost, 127.0.0.1 or [::1])'
  }
  if (url.protocol !== 'https:') return 'must be https'
  if (isInternalIpv4(host)) return `${host} is a private, loopback, link-local or reserved address`
  if (host.startsWith('[') && isInternalIpv6(host.slice(1, -1))) return `${host} is a private, loopback, link-local or reserved address`
  if (host === 'localhost' || host.endsWith('.localhost')) return 'https to localhost is not needed: use http://localhost'
  return undefined
}

function isInternalIpv4(host: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (!match) return false
  const [a, b] = [Number(match[1]), Number(match[2])]
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224 // multicast and reserved
  )
}

function isInternalIpv6(host: string): boolean {
  const h = host.toLowerCase()
  if (h === '::' || h === '::1') return true
  if (h.startsWith('::ffff:')) return true // IPv4-mapped: judged as the IPv4 it hides, so refused
  return /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('ff')
}
