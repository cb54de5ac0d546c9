import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a Receiver got. */
export type Received = { headers: http.IncomingHttpHeaders; body: string; at: number }

/**
 * A subscriber's endpoint for the outbound-webhook tests: records every POST and answers what
 * `answer` says (a status, or `hang` to never answer), 200 by default.
 */
export class Receiver {
  readonly received: Received[] = []
  answer: (r: Received) => number | 'hang' = () => 200
  /** How long each answer waits. */
  delayMs = 0
  connections = 0
  /** The webhook-ids being answered right now, and the most at once. */
  readonly inFlight = new Map<string, number>()
  maxInFlight = 0
  /** Set when one webhook-id was in flight twice at the same time. */
  overlapped: string | null = null
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      this.received.push(r)
      const a = this.answer(r)
      if (a === 'hang') return
      const id = String(req.headers['webhook-id'])
      if (this.inFlight.has(id)) this.overlapped = id
      this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1)
      this.maxInFlight = Math.max(
        this.maxInFlight,
        [...this.inFlight.values()].reduce((x, y) => x + y, 0),
      )
      setTimeout(() => {
        const n = this.inFlight.get(id)! - 1
        if (n) this.inFlight.set(id, n)
        else this.inFlight.delete(id)
        res.writeHead(a, { 'content-type': 'text/plain' }).end(a === 200 ? 'ok' : 'nope')
      }, this.delayMs)
    })
  })

  static async start(): Promise<Receiver> {
    const r = new Receiver()
    r.server.on('connection', () => r.connections++)
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve))
    return r
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  /** The received bodies, parsed. */
  events(): {
    id: string
    type: string
    customerId: string
    sequence: number
    data: Record<string, unknown>
  }[] {
    return this.received.map((r) => JSON.parse(r.body))
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
