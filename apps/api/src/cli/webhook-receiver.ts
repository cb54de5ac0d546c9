#!/usr/bin/env node
/*
 * `npm run webhook-receiver -- <secret> [port]`: a tiny subscriber for the walk-through. Listens on
 * http://localhost:<port>/ (default 4000), verifies each delivery's signature with the
 * `standardwebhooks` library (as any consumer would), prints the event and answers 204; a delivery
 * whose signature does not verify is printed as refused and answered 400 (the service retries it).
 * Deliveries are at least once: a repeated webhook-id is printed as a duplicate.
 */
import http from 'node:http'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'

const [secret, portArg] = process.argv.slice(2)
if (!secret?.startsWith('whsec_')) {
  console.error(
    'usage: npm run webhook-receiver -- <whsec_... secret from POST /v1/webhook-endpoints> [port]',
  )
  process.exit(2)
}
const port = Number(portArg ?? 4000)
const verifier = new Webhook(secret)
const seen = new Set<string>()

http
  .createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      try {
        const event = verifier.verify(body, req.headers as Record<string, string>) as {
          id: string
          type: string
          customerId: string
          sequence: number
          data: unknown
        }
        const again = seen.has(event.id) ? ' (duplicate: already received)' : ''
        seen.add(event.id)
        console.log(`verified ${event.type} #${event.sequence} customer ${event.customerId}${again}`)
        console.log(`  ${JSON.stringify(event.data)}`)
        res.writeHead(204).end()
      } catch (e) {
        const why = e instanceof WebhookVerificationError ? e.message : String(e)
        console.log(`refused a delivery: ${why}`)
        res.writeHead(400).end()
      }
    })
  })
  .listen(port, () =>
    console.log(`webhook receiver on http://localhost:${port}/ (verifying with the given secret)`),
  )
