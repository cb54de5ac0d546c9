/**
 * The events sections' subscriber (issue 17): a node:http server in its own process, so its receipt
 * times are a real consumer's (the service's POST wakes another process, as in production) and the
 * bench process, which hosts the emulator and the load, never delays them. Each endpoint is a path
 * `/e/<name>` with its own secret and behaviour: `ok` verifies the Standard Webhooks signature with
 * the `standardwebhooks` package (as a consumer would) and answers 204 (after `delayMs`, if given:
 * a consumer that takes its time, so deliveries are in flight), `500` answers 500, `hang`
 * never answers (the service's timeout ends it). Driven over IPC by lib/subscriber.ts:
 *   { cmd: 'endpoint', name, secret, mode, delayMs? }  register or change an endpoint
 *   { cmd: 'take' }                          hand over (and forget) the receipts so far
 *   { cmd: 'down' } / { cmd: 'up' }          stop listening (open connections destroyed) / listen again, same port
 * every command answered with { id, ... }.
 *
 * Env: PORT (0: any free one; the port is in the ready message).
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Webhook } from 'standardwebhooks'

type Mode = 'ok' | '500' | 'hang'
/** One verified delivery as received (the bench checks them against the database). */
export type Receipt = {
  endpoint: string
  webhookId: string
  eventId: string
  customerId: string
  sequence: number
  type: string
  createdAtMs: number
  /** Wall-clock ms (sub-millisecond) when the body had arrived. */
  receivedAtMs: number
}
export type SubscriberCommand =
  | { id: number; cmd: 'endpoint'; name: string; secret: string; mode: Mode; delayMs?: number }
  | { id: number; cmd: 'take' }
  | { id: number; cmd: 'down' }
  | { id: number; cmd: 'up' }
export type TakeAnswer = {
  id: number
  receipts: Receipt[]
  /** Deliveries whose signature did not verify (answered 400), answered 500, and hung. */
  invalid: number
  answered500: number
  hung: number
}

const endpoints = new Map<string, { webhook: Webhook; mode: Mode; delayMs: number }>()
let receipts: Receipt[] = []
let invalid = 0
let answered500 = 0
let hung = 0
const sockets = new Set<Socket>()
const now = () => performance.timeOrigin + performance.now()

const server = http.createServer((req, res) => {
  const name = /^\/e\/([\w-]+)$/.exec(req.url ?? '')?.[1]
  const ep = name ? endpoints.get(name) : undefined
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const receivedAtMs = now()
    if (!ep || req.method !== 'POST') return res.writeHead(404).end()
    if (ep.mode === 'hang') return void hung++
    if (ep.mode === '500') {
      answered500++
      return res.writeHead(500, { 'content-type': 'text/plain' }).end('bench: failing on purpose')
    }
    const body = Buffer.concat(chunks).toString('utf8')
    let event: { id: string; type: string; customerId: string; sequence: number; createdAt: string }
    try {
      event = ep.webhook.verify(body, {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      }) as typeof event
    } catch {
      invalid++
      return res.writeHead(400).end()
    }
    receipts.push({
      endpoint: name!,
      webhookId: String(req.headers['webhook-id']),
      eventId: event.id,
      customerId: event.customerId,
      sequence: event.sequence,
      type: event.type,
      createdAtMs: Date.parse(event.createdAt),
      receivedAtMs,
    })
    if (ep.delayMs > 0) setTimeout(() => res.writeHead(204).end(), ep.delayMs)
    else res.writeHead(204).end()
  })
})
server.keepAliveTimeout = 60_000
server.on('connection', (s) => {
  sockets.add(s)
  s.on('close', () => sockets.delete(s))
})

let port = Number(process.env.PORT ?? 0)
const listen = () =>
  new Promise<void>((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as AddressInfo).port
      resolve()
    }),
  )

process.on('message', (m: SubscriberCommand) => {
  const answer = (extra: object = {}) => process.send!({ id: m.id, ...extra })
  switch (m.cmd) {
    case 'endpoint':
      endpoints.set(m.name, { webhook: new Webhook(m.secret), mode: m.mode, delayMs: m.delayMs ?? 0 })
      return answer()
    case 'take': {
      const out: TakeAnswer = { id: m.id, receipts, invalid, answered500, hung }
      receipts = []
      return process.send!(out)
    }
    case 'down':
      server.close()
      for (const s of sockets) s.destroy()
      return answer()
    case 'up':
      return void listen().then(() => answer())
  }
})
process.on('disconnect', () => process.exit(0))
await listen()
process.send!({ ready: true, port })
