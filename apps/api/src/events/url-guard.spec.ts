import type { LookupAddress } from 'node:dns'
import { ADDRESS_NOT_ALLOWED, checkEndpointUrl, publicOnlyLookup, refusedAddress } from './url-guard.js'

const resolver =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<LookupAddress[]> => {
    const a = table[host]
    if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' })
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }

describe('refusedAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.8', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
  ])('refuses %s (%s)', (address, range) => {
    // IPv4-mapped IPv6 is judged as the IPv4 address it maps (never "ipv4Mapped", which is not public).
    expect(refusedAddress(address)).toBe(`${address} is a ${range} address`)
  })

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows public %s', (address) => {
    expect(refusedAddress(address)).toBeNull()
  })
})

describe('checkEndpointUrl', () => {
  const dns = resolver({
    'hooks.example.com': ['93.184.215.14'],
    'rebind.example.com': ['93.184.215.14', '10.0.0.1'],
    'v6.example.com': ['2606:4700:4700::1111'],
  })

  it('outside production accepts any http(s) URL', async () => {
    expect(await checkEndpointUrl('http://127.0.0.1:8080/hook', false, dns)).toBeNull()
    expect(await checkEndpointUrl('ftp://x/', false, dns)).toBe('url must be an http(s) URL')
    expect(await checkEndpointUrl('not a url', false, dns)).toBe('url must be an absolute http(s) URL')
    expect(await checkEndpointUrl('https://u:p@x.example/', false, dns)).toBe(
      'url must not carry credentials',
    )
  })

  it.each([
    ['http://hooks.example.com/', 'url must be https in production'],
    ['https://127.0.0.1/', /loopback/],
    ['https://[::1]:8443/', /::1 is a loopback/],
    ['https://rebind.example.com/', /10\.0\.0\.1 is a private/],
    ['https://nowhere.example.com/', "url's host nowhere.example.com does not resolve"],
  ])('in production refuses %s', async (url, reason) => {
    const problem = await checkEndpointUrl(url, true, dns)
    if (typeof reason === 'string') expect(problem).toBe(reason)
    else expect(problem).toMatch(reason)
  })

  it.each(['https://hooks.example.com/x', 'https://v6.example.com/', 'https://93.184.215.14/'])(
    'in production accepts %s',
    async (url) => {
      expect(await checkEndpointUrl(url, true, dns)).toBeNull()
    },
  )
})

describe('publicOnlyLookup', () => {
  const lookup = publicOnlyLookup(
    resolver({
      'ok.example.com': ['93.184.215.14', '2606:4700:4700::1111'],
      'evil.example.com': ['127.0.0.1'],
    }),
  )
  const run = (host: string, options: object) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      lookup(host, options as never, (err, address, family) => resolve({ err, address, family })),
    )

  it('hands the socket the checked address', async () => {
    expect(await run('ok.example.com', {})).toEqual({ err: null, address: '93.184.215.14', family: 4 })
    expect(await run('ok.example.com', { family: 6 })).toEqual({
      err: null,
      address: '2606:4700:4700::1111',
      family: 6,
    })
    const all = await run('ok.example.com', { all: true })
    expect(all.address).toHaveLength(2)
  })

  it('refuses a name that resolves to an internal address (DNS rebinding after registration)', async () => {
    const r = await run('evil.example.com', {})
    expect(r.err?.code).toBe(ADDRESS_NOT_ALLOWED)
    expect(r.err?.message).toMatch(/127\.0\.0\.1 is a loopback/)
  })
})
