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
  connections = 0
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
      this.received.push(r)
      const a = this.answer(r)
      if (a === 'hang') return
      res.writeHead(a, { 'content-type': 'text/plain' }).end(a === 200 ? 'ok' : 'nope')
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
