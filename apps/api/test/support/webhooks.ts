import { signWebhookBody } from '@align-kyc/align-client'
import request from 'supertest'
import { AUTH } from './test-app.js'

/** A customer.kycs.updated body as Align sends it (fixed created_at: equal bodies are duplicates). */
export function kycEvent(
  alignCustomerId: string,
  createdAt: Date | string,
  eventType = 'customer.kycs.updated',
): string {
  return JSON.stringify({
    event_type: eventType,
    entity_id: alignCustomerId,
    entity_type: 'customer',
    created_at: typeof createdAt === 'string' ? createdAt : createdAt.toISOString(),
  })
}

/** POSTs a raw body to the webhook route, signed with `secret` (or with the given header / none). */
export function deliver(url: string, body: string, secret: string | null, signature?: string) {
  const req = request(url).post('/v1/webhooks/align').set('content-type', 'application/json')
  const sig = signature ?? (secret === null ? undefined : signWebhookBody(body, secret))
  return (sig === undefined ? req : req.set('x-hmac-signature', sig)).send(body)
}

/**
 * Polls `check` every `everyMs` until it returns a truthy value (returned) or the time is up (throws
 * with `what`).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Creates a customer through the API; returns its ids. */
export async function createCustomer(
  url: string,
  email: string,
): Promise<{ id: string; alignCustomerId: string }> {
  const res = await request(url)
    .post('/v1/customers')
    .set(AUTH)
    .send({ email, type: 'corporate', companyName: email })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`create ${email}: ${res.status} ${JSON.stringify(res.body)}`)
  return { id: res.body.id, alignCustomerId: res.body.alignCustomerId }
}
