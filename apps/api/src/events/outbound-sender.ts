import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { EVENTS_POLICY } from './events-policy.js'
import { publicOnlyLookup, refusedAddress } from './url-guard.js'

/** What one POST to an endpoint came to: `ok` is a 2xx within the deadline. */
export type SendResult = { ok: true; status: number } | { ok: false; status: number | null; error: string }

/**
 * One HTTP POST per delivery on node's own http/https clients, on keep-alive agents (one per
 * protocol; sockets are per host, so an endpoint's deliveries reuse its connections). In production
 * every new connection resolves through publicOnlyLookup (url-guard.ts), so the address connected to
 * is the one checked. The whole exchange has one deadline (EVENT_WEBHOOK_TIMEOUT); the answer's body
 * is read up to a few KiB (for `lastError`) and otherwise ignored.
 */
export class OutboundSender {
  private readonly agents: { http: http.Agent; https: https.Agent }
  private readonly lookup = publicOnlyLookup()

  constructor(
    private readonly production: boolean,
    private readonly timeoutMs: number,
  ) {
    // The claim bounds what is in flight per endpoint; the agent must not queue on top of it (a
    // queued request would spend its deadline waiting for a socket), even for endpoints sharing a host.
    const options = { keepAlive: true, maxSockets: EVENTS_POLICY.maxInFlight }
    this.agents = { http: new http.Agent(options), https: new https.Agent(options) }
  }

  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const target = new URL(url)
    const host = target.hostname.replace(/^\[|\]$/g, '')
    if (this.production) {
      if (target.protocol !== 'https:') return { ok: false, status: null, error: 'url is not https' }
      const refused = isIP(host) ? refusedAddress(host) : null
      if (refused) return { ok: false, status: null, error: `address not allowed: ${refused}` }
    }
    const secure = target.protocol === 'https:'
    return new Promise<SendResult>((resolve) => {
      let settled = false
      const done = (r: SendResult) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(r)
      }
      const req = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.agents.https : this.agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...headers,
          },
          ...(this.production ? { lookup: this.lookup } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0
          const chunks: Buffer[] = []
          let size = 0
          const finish = () => {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, EVENTS_POLICY.lastErrorChars)
            done(
              status >= 200 && status < 300
                ? { ok: true, status }
                : { ok: false, status, error: `answered ${status}${text ? `: ${text}` : ''}` },
            )
          }
          res.on('data', (c: Buffer) => {
            if (size < EVENTS_POLICY.responseBodyBytes) chunks.push(c)
            size += c.length
            if (size >= EVENTS_POLICY.responseBodyBytes) {
              finish()
              res.destroy()
            }
          })
          res.on('end', finish)
          res.on('error', finish)
        },
      )
      const timer = setTimeout(() => {
        done({ ok: false, status: null, error: `no answer within ${this.timeoutMs} ms` })
        req.destroy()
      }, this.timeoutMs)
      req.on('error', (e: NodeJS.ErrnoException) =>
        done({ ok: false, status: null, error: e.code ? `${e.code}: ${e.message}` : e.message }),
      )
      req.end(body)
    })
  }

  /** Closes idle connections (shutdown). */
  close(): void {
    this.agents.http.destroy()
    this.agents.https.destroy()
  }
}
