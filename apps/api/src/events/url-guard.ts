import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/*
 * Where outbound webhooks may go. Outside production anything http(s) (a receiver on localhost is
 * the point of the walk-through). In production only https to public unicast addresses: no
 * loopback, private, link-local, unique-local, carrier-grade NAT, multicast or reserved range, so a
 * consumer token cannot make this service call into its own network (SSRF). The check runs at
 * registration and again at every delivery, inside the socket's own DNS lookup: the address checked
 * is the address connected to, so a name that resolves elsewhere later (DNS rebinding) is refused.
 */

/** Error code of a refused address (on the error the lookup hands to the socket). */
export const ADDRESS_NOT_ALLOWED = 'EADDRNOTALLOWED'

/** Why `address` may not be called in production, or null when it is public unicast (ipaddr.js ranges). */
export function refusedAddress(address: string): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is.
  const range = ipaddr.process(address).range()
  return range === 'unicast' ? null : `${address} is a ${range} address`
}

type Resolve = (host: string) => Promise<LookupAddress[]>

const resolveAll: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  )

/**
 * Checks a URL for registration: null when allowed, else the reason (said to the consumer). In
 * production: https, and every address the host resolves to now is public.
 */
export async function checkEndpointUrl(
  raw: string,
  production: boolean,
  resolve: Resolve = resolveAll,
): Promise<string | null> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'url must be an absolute http(s) URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'url must be an http(s) URL'
  if (url.username || url.password) return 'url must not carry credentials'
  if (!production) return null
  if (url.protocol !== 'https:') return 'url must be https in production'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await resolve(host)).map((a) => a.address)
  } catch {
    return `url's host ${host} does not resolve`
  }
  for (const a of addresses) {
    const refused = refusedAddress(a)
    if (refused) return `url must not point at a loopback, private or link-local address (${refused})`
  }
  return null
}

/**
 * A socket `lookup` that refuses non-public addresses (production deliveries): resolves, checks
 * every address, and hands the socket only checked ones. Node skips `lookup` for an IP literal, so
 * the sender checks those itself (refusedAddress) before connecting.
 */
export function publicOnlyLookup(resolve: Resolve = resolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((addresses) => {
        const refused = addresses.map((a) => refusedAddress(a.address)).find((r) => r !== null)
        if (refused || addresses.length === 0) {
          const err = Object.assign(new Error(`address not allowed: ${refused ?? 'no address'}`), {
            code: ADDRESS_NOT_ALLOWED,
          })
          return callback(err, '', 0)
        }
        const family = typeof options === 'object' && options.family ? options.family : 0
        const usable = addresses.filter((a) => !family || a.family === family)
        if (typeof options === 'object' && options.all) return callback(null, usable)
        const first = usable[0] ?? addresses[0]!
        callback(null, first.address, first.family)
      })
      .catch((e: NodeJS.ErrnoException) => callback(e, '', 0))
  }
}
