import { describe, expect, it } from 'vitest'
import { clientAddress } from '../../src/http/client-address.js'
import { createTestWorld } from '../support/app.js'

describe('clientAddress', () => {
  it.each([
    // peer, X-Forwarded-For, trusted hops → client
    ['10.0.0.9', undefined, 0, '10.0.0.9'],
    ['10.0.0.9', '203.0.113.7', 0, '10.0.0.9'], // no trusted proxies: the header is not believed
    ['10.0.0.9', '203.0.113.7', 1, '203.0.113.7'],
    ['10.0.0.9', '198.51.100.1, 203.0.113.7', 1, '203.0.113.7'], // the client's own entry is skipped
    ['10.0.0.9', '198.51.100.1, 203.0.113.7, 10.0.0.8', 2, '203.0.113.7'],
    ['10.0.0.9', '2001:db8::1', 1, '2001:db8::1'],
    ['10.0.0.9', undefined, 1, '10.0.0.9'], // not through the proxy: the peer
    ['10.0.0.9', '203.0.113.7', 3, '203.0.113.7'], // fewer entries than hops: the leftmost
    ['10.0.0.9', 'not-an-address', 1, '10.0.0.9'], // garbage from a proxy is not an address
    ['10.0.0.9', "1.2.3.4'; DROP TABLE audit_log; --", 1, '10.0.0.9'],
    ['10.0.0.9', ' , ,203.0.113.7 ', 1, '203.0.113.7'],
  ] as const)('peer %s, X-Forwarded-For %j, %i hops → %s', (peer, forwarded, hops, expected) => {
    expect(clientAddress(peer, forwarded, hops)).toBe(expected)
  })

  it('the audit log records the address the trusted proxy saw', async () => {
    const world = await createTestWorld({ QIAO_TRUSTED_PROXIES: '1' })
    try {
      // app.request has no socket: give it one, as @hono/node-server does.
      const env = { incoming: { socket: { remoteAddress: '10.0.0.9' } } }
      const answer = await world.app.request(
        '/v1/auth/token',
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'cli_nobody', client_secret: 'wrong' }) },
        env,
      )
      expect(answer.status).toBe(401)
      await world.services.audit.idle()
      const { rows } = await world.services.db.query<{ source_ip: string }>(`SELECT content->>'source_ip' AS source_ip FROM audit_log WHERE action = 'auth.token_refused' ORDER BY seq DESC LIMIT 1`)
      expect(rows[0]?.source_ip).toBe('203.0.113.7')
    } finally {
      await world.close()
    }
  })
})
