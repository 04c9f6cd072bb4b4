// Where a request comes from, for the audit log and the per-address brake on token requests.
//
// Behind an HTTP load balancer or reverse proxy the socket's peer is the proxy. Each proxy that
// Qiao trusts appends the address it saw to X-Forwarded-For, so with `trustedHops` proxies in
// front, the client is the address the outermost trusted proxy saw: counting from the right of
// X-Forwarded-For + [peer], skip the trusted hops. Anything further left was written by the
// client and is not believed. With no trusted hops (the default) the header is ignored.

/** A textual IPv4 or IPv6 address (what a proxy writes), not a host name or garbage. */
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/

export function clientAddress(peer: string | null, forwardedFor: string | undefined, trustedHops: number): string | null {
  if (trustedHops <= 0 || peer === null) return peer
  const forwarded = (forwardedFor ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  const chain = [...forwarded, peer]
  const index = chain.length - 1 - trustedHops
  // Fewer entries than trusted hops: the request did not come through all of them; the leftmost
  // address is the best anyone can say, and it was written by a trusted proxy or is the peer.
  const candidate = chain[Math.max(0, index)]!
  return isIpAddress(candidate) ? candidate : peer
}

function isIpAddress(text: string): boolean {
  return IPV4.test(text) || (text.includes(':') && IPV6.test(text))
}
