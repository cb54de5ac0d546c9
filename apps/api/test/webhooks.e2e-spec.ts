import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AlignClient } from '@align-kyc/align-client'
import request from 'supertest'
import { AUTH, OPERATOR_AUTH, startStack, type Stack } from './support/test-app.js'
import { createCustomer, deliver, eventually, kycEvent } from './support/webhooks.js'

const EMULATOR_KEY = 'emulator-api-key'
const NEW_SECRET = 'rotated-in-secret'
const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' }
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000)

describe('webhooks (e2e)', () => {
  let stack: Stack
  let hookUrl: string

  beforeAll(async () => {
    // Rotation: the emulator signs with the second of the two keys.
    stack = await startStack({
      ALIGN_WEBHOOK_SECRET: `${NEW_SECRET}, ${EMULATOR_KEY}`,
      WEBHOOK_MAX_ATTEMPTS: '3',
    })
    hookUrl = `${stack.url}/v1/webhooks/align`
  })
  afterAll(async () => {
    await stack?.close()
  })
  beforeEach(() => {
    stack.emulator.clearFaults()
    stack.emulator.resetCalls()
  })

  const history = async (id: string) =>
    (await request(stack.url).get(`/v1/customers/${id}/kyc`).set(AUTH).expect(200)).body as {
      status: string
      history: { status: string; source: string; occurredAt: string }[]
    }
  const deliveryOf = (body: string) =>
    stack.prisma.webhookDelivery.findUnique({
      where: { bodyHash: createHash('sha256').update(body).digest('hex') },
    })
  const processed = (body: string) =>
    eventually(`delivery processed`, async () => {
      const d = await deliveryOf(body)
      return d?.status === 'processed' ? d : null
    })

  it('applies a delivery once however many times it arrives (10 duplicates -> one history entry)', async () => {
    const c = await createCustomer(stack.url, 'dup@example.com')
    stack.emulator.setKycState(c.alignCustomerId, PENDING)
    const body = kycEvent(c.alignCustomerId, new Date())
    const results = await Promise.all(
      Array.from({ length: 10 }, () => deliver(stack.url, body, EMULATOR_KEY)),
    )
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200))
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1)
    const d = await processed(body)
    expect(d).toMatchObject({
      outcome: 'applied',
      observedStatus: 'pending',
      observedSubStatus: 'kyc_form_submission_started',
      attempts: 1,
    })
    expect(await stack.prisma.webhookDelivery.count({ where: { entityId: c.alignCustomerId } })).toBe(1)
    const kyc = await history(c.id)
    expect(kyc.status).toBe('pending')
    expect(kyc.history).toHaveLength(1)
    expect(kyc.history[0]).toMatchObject({
      status: 'pending',
      source: 'webhook',
      occurredAt: JSON.parse(body).created_at,
    })
    expect(stack.emulator.calls()['GET /v0/customers/:id']).toBe(1)
    // And once more, after it was processed: still nothing new.
    await deliver(stack.url, body, EMULATOR_KEY).expect(200, { received: true, duplicate: true })
    expect((await history(c.id)).history).toHaveLength(1)
  })

  it('ends approved whatever the order: in order gives pending then approved, reversed gives approved', async () => {
    const t1 = minutesAgo(10)
    const t2 = minutesAgo(5)
    // In order: Align says pending when the first is processed, approved for the second.
    const a = await createCustomer(stack.url, 'inorder@example.com')
    stack.emulator.setKycState(a.alignCustomerId, PENDING)
    const a1 = kycEvent(a.alignCustomerId, t1)
    await deliver(stack.url, a1, EMULATOR_KEY).expect(200)
    await processed(a1)
    stack.emulator.setKycState(a.alignCustomerId, APPROVED)
    const a2 = kycEvent(a.alignCustomerId, t2)
    await deliver(stack.url, a2, EMULATOR_KEY).expect(200)
    await processed(a2)
    const ka = await history(a.id)
    expect(ka.status).toBe('approved')
    expect(ka.history.map((h) => [h.status, h.occurredAt])).toEqual([
      ['pending', t1.toISOString()],
      ['approved', t2.toISOString()],
    ])
    // Reversed: the approved event (t2) arrives first, the pending one (t1) late.
    const b = await createCustomer(stack.url, 'reversed@example.com')
    stack.emulator.setKycState(b.alignCustomerId, APPROVED)
    const b2 = kycEvent(b.alignCustomerId, t2)
    const b1 = kycEvent(b.alignCustomerId, t1)
    await deliver(stack.url, b2, EMULATOR_KEY).expect(200)
    await processed(b2)
    await deliver(stack.url, b1, EMULATOR_KEY).expect(200)
    expect((await processed(b1)).outcome).toBe('same_state')
    const kb = await history(b.id)
    expect(kb.status).toBe('approved')
    expect(kb.history.map((h) => [h.status, h.source, h.occurredAt])).toEqual([
      ['approved', 'webhook', t2.toISOString()],
    ])
  })

  it('keeps an approved customer approved when a late delivery reads pending', async () => {
    const c = await createCustomer(stack.url, 'late@example.com')
    stack.emulator.setKycState(c.alignCustomerId, APPROVED)
    const approved = kycEvent(c.alignCustomerId, minutesAgo(1))
    await deliver(stack.url, approved, EMULATOR_KEY).expect(200)
    await processed(approved)
    // Align (or a stale replica of it) now answers pending for an older event.
    stack.emulator.setKycState(c.alignCustomerId, PENDING)
    const late = kycEvent(c.alignCustomerId, minutesAgo(30))
    await deliver(stack.url, late, EMULATOR_KEY).expect(200)
    expect(await processed(late)).toMatchObject({ outcome: 'terminal', observedStatus: 'pending' })
    const kyc = await history(c.id)
    expect(kyc.status).toBe('approved')
    expect(kyc.history).toHaveLength(1)
  })

  it('refuses a bad or missing signature with 401, storing and changing nothing', async () => {
    const c = await createCustomer(stack.url, 'forged@example.com')
    stack.emulator.setKycState(c.alignCustomerId, APPROVED)
    const before = await stack.prisma.webhookDelivery.count()
    const body = kycEvent(c.alignCustomerId, new Date())
    for (const res of [
      await deliver(stack.url, body, 'not-the-key'),
      await deliver(stack.url, body, null),
      await deliver(stack.url, body, null, 'zz'),
      await deliver(stack.url, body, null, ''),
      await deliver(stack.url, '{not json', 'not-the-key'),
    ]) {
      expect(res.status).toBe(401)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(res.body.code).toBe('invalid_signature')
    }
    const emulated = await stack.emulator.sendWebhook({
      customerId: c.alignCustomerId,
      url: hookUrl,
      badSignature: true,
    })
    expect(emulated).toEqual([{ status: 401 }])
    await new Promise((r) => setTimeout(r, 500))
    expect(await stack.prisma.webhookDelivery.count()).toBe(before)
    expect((await history(c.id)).status).toBe('not_started')
    expect(stack.emulator.calls()['GET /v0/customers/:id'] ?? 0).toBe(0)
    expect(stack.service.log).not.toContain(body)
  })

  it('refuses a signed but malformed body with 400 invalid_webhook', async () => {
    const before = await stack.prisma.webhookDelivery.count()
    for (const body of [
      '{not json',
      '[1,2]',
      JSON.stringify({ event_type: 'customer.kycs.updated', created_at: new Date().toISOString() }),
      JSON.stringify({ entity_id: 'x', created_at: new Date().toISOString() }),
      JSON.stringify({ event_type: 'customer.kycs.updated', entity_id: 'x', created_at: 'yesterday' }),
    ]) {
      const res = await deliver(stack.url, body, EMULATOR_KEY).expect(400)
      expect(res.body.code).toBe('invalid_webhook')
    }
    expect(await stack.prisma.webhookDelivery.count()).toBe(before)
  })

  it('accepts a body signed with either key during rotation', async () => {
    const c = await createCustomer(stack.url, 'rotation@example.com')
    stack.emulator.setKycState(c.alignCustomerId, PENDING)
    const second = kycEvent(c.alignCustomerId, minutesAgo(2))
    await deliver(stack.url, second, EMULATOR_KEY).expect(200)
    const first = kycEvent(c.alignCustomerId, minutesAgo(1))
    await deliver(stack.url, first, NEW_SECRET).expect(200)
    await processed(second)
    await processed(first)
    const [fromEmulator] = await stack.emulator.sendWebhook({ customerId: c.alignCustomerId, url: hookUrl })
    expect(fromEmulator).toEqual({ status: 200 })
    await eventually(
      'all three processed',
      async () =>
        (await stack.prisma.webhookDelivery.count({
          where: { entityId: c.alignCustomerId, status: 'processed' },
        })) === 3,
    )
  })

  it('stores and acknowledges an unknown event type without processing it', async () => {
    const body = kycEvent('11111111-1111-4111-8111-111111111111', new Date(), 'customer.documents.updated')
    await deliver(stack.url, body, EMULATOR_KEY).expect(200, { received: true, duplicate: false })
    const d = await deliveryOf(body)
    expect(d).toMatchObject({
      status: 'ignored',
      outcome: 'not_processed',
      eventType: 'customer.documents.updated',
      rawBody: body,
    })
    expect(d!.processedAt).not.toBeNull()
    await new Promise((r) => setTimeout(r, 500))
    expect(stack.emulator.calls()['GET /v0/customers/:id'] ?? 0).toBe(0)
  })

  it('keeps a delivery for a customer not recorded yet and applies it once the customer is recorded', async () => {
    const align = new AlignClient({ apiKey: EMULATOR_KEY, baseUrl: stack.emulator.url })
    const created = await align.customers.create({
      email: 'early@example.com',
      type: 'corporate',
      company_name: 'Early',
    })
    stack.emulator.setKycState(created.customer_id, PENDING)
    const body = kycEvent(created.customer_id, new Date())
    await deliver(stack.url, body, EMULATOR_KEY).expect(200)
    await new Promise((r) => setTimeout(r, 800)) // several worker polls
    expect(await deliveryOf(body)).toMatchObject({ status: 'pending', nextAttemptAt: null, attempts: 0 })
    stack.emulator.resetCalls()
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'early@example.com', type: 'corporate', companyName: 'Early' })
      .expect(201)
    expect(res.body.alignCustomerId).toBe(created.customer_id)
    const d = await processed(body)
    expect(d).toMatchObject({ observedStatus: 'pending', attempts: 1 })
    expect((await history(res.body.id)).status).toBe('pending')
  })

  it('retries while Align is down and applies the delivery once it answers', async () => {
    const c = await createCustomer(stack.url, 'down@example.com')
    stack.emulator.setKycState(c.alignCustomerId, APPROVED)
    // One attempt's worth of 503s (the client itself tries three times).
    stack.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: '5xx', status: 503, times: 3 })
    const body = kycEvent(c.alignCustomerId, new Date())
    await deliver(stack.url, body, EMULATOR_KEY).expect(200)
    const pendingAfterFailure = await eventually('a failed attempt', async () => {
      const d = await deliveryOf(body)
      return d?.lastError ? d : null
    })
    expect(pendingAfterFailure.status).toBe('pending')
    expect(pendingAfterFailure.lastError).toMatch(/503/)
    const d = await processed(body)
    expect(d.attempts).toBe(2)
    expect((await history(c.id)).status).toBe('approved')
  })

  it('fails a delivery after WEBHOOK_MAX_ATTEMPTS, lists it, and processes it once re-queued', async () => {
    const c = await createCustomer(stack.url, 'failing@example.com')
    stack.emulator.setKycState(c.alignCustomerId, PENDING)
    stack.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: '5xx', status: 500 })
    const body = kycEvent(c.alignCustomerId, new Date())
    await deliver(stack.url, body, EMULATOR_KEY).expect(200)
    const failed = await eventually('the delivery to fail', async () => {
      const d = await deliveryOf(body)
      return d?.status === 'failed' ? d : null
    })
    expect(failed.attempts).toBe(3)
    const list = await request(stack.url)
      .get('/v1/webhooks/deliveries')
      .query({ status: 'failed' })
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(list.body.items).toEqual([
      {
        id: failed.id,
        eventType: 'customer.kycs.updated',
        entityId: c.alignCustomerId,
        status: 'failed',
        attempts: 3,
        receivedAt: failed.receivedAt.toISOString(),
        processedAt: null,
        lastError: expect.stringMatching(/500/),
      },
    ])
    stack.emulator.clearFaults()
    const retried = await request(stack.url)
      .post(`/v1/webhooks/deliveries/${failed.id}/retry`)
      .set(OPERATOR_AUTH)
      .expect(202)
    expect(retried.body).toMatchObject({ id: failed.id, status: 'pending' })
    expect((await processed(body)).outcome).toBe('applied')
    expect((await history(c.id)).status).toBe('pending')
  })

  it('lists deliveries newest first with cursor pagination, and validates the query', async () => {
    await request(stack.url).get('/v1/webhooks/deliveries').expect(401)
    const total = await stack.prisma.webhookDelivery.count()
    expect(total).toBeGreaterThan(5)
    const seen: { id: string; receivedAt: string }[] = []
    let cursor: string | null = null
    do {
      const q: Record<string, string | number> = { limit: 2, ...(cursor ? { cursor } : {}) }
      const res = await request(stack.url)
        .get('/v1/webhooks/deliveries')
        .query(q)
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      for (const item of res.body.items) expect(item).not.toHaveProperty('rawBody')
      seen.push(...res.body.items)
      cursor = res.body.nextCursor
    } while (cursor && seen.length <= total)
    expect(seen).toHaveLength(total)
    expect(new Set(seen.map((s) => s.id)).size).toBe(total)
    const times = seen.map((s) => s.receivedAt)
    expect([...times].sort().reverse()).toEqual(times)
    const ignored = await request(stack.url)
      .get('/v1/webhooks/deliveries')
      .query({ status: 'ignored' })
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(ignored.body.items.length).toBeGreaterThan(0)
    expect(ignored.body.items.every((i: { status: string }) => i.status === 'ignored')).toBe(true)
    for (const bad of [{ status: 'weird' }, { limit: 0 }, { limit: 101 }, { cursor: 'garbage' }]) {
      const res = await request(stack.url)
        .get('/v1/webhooks/deliveries')
        .query(bad)
        .set(OPERATOR_AUTH)
        .expect(400)
      expect(res.body.code).toBe('validation_failed')
    }
  })

  it('answers retry with 404 for an unknown delivery, 409 for processed or ignored, 400 for a non-UUID', async () => {
    await request(stack.url)
      .post('/v1/webhooks/deliveries/00000000-0000-4000-8000-000000000000/retry')
      .expect(401)
    const missing = await request(stack.url)
      .post('/v1/webhooks/deliveries/00000000-0000-4000-8000-000000000000/retry')
      .set(OPERATOR_AUTH)
      .expect(404)
    expect(missing.body.code).toBe('delivery_not_found')
    for (const status of ['processed', 'ignored'] as const) {
      const d = await stack.prisma.webhookDelivery.findFirstOrThrow({ where: { status } })
      const res = await request(stack.url)
        .post(`/v1/webhooks/deliveries/${d.id}/retry`)
        .set(OPERATOR_AUTH)
        .expect(409)
      expect(res.body.code).toBe('delivery_not_retryable')
    }
    const bad = await request(stack.url)
      .post('/v1/webhooks/deliveries/nope/retry')
      .set(OPERATOR_AUTH)
      .expect(400)
    expect(bad.body.code).toBe('validation_failed')
  })

  it('describes the webhook routes in the OpenAPI document', async () => {
    const doc = (await request(stack.url).get('/docs-json').expect(200)).body
    expect(doc.paths['/v1/webhooks/align'].post.responses).toHaveProperty('401')
    expect(doc.paths['/v1/webhooks/align'].post.security ?? []).toEqual([])
    expect(doc.paths['/v1/webhooks/deliveries'].get.responses).toHaveProperty('200')
    expect(doc.paths['/v1/webhooks/deliveries/{id}/retry'].post.responses).toHaveProperty('202')
    expect(doc.paths['/v1/webhooks/deliveries/{id}/retry'].post.responses).toHaveProperty('409')
  })
})

describe('reconciliation (e2e)', () => {
  let stack: Stack

  beforeAll(async () => {
    stack = await startStack({
      RECONCILE_AFTER: '1s',
      RECONCILE_INTERVAL: '300ms',
      RECONCILE_BATCH_SIZE: '2',
    })
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('syncs customers whose webhooks never arrived, in bounded batches, never approved ones', async () => {
    const customers = await Promise.all(
      ['r1', 'r2', 'r3'].map((n) => createCustomer(stack.url, `${n}@example.com`)),
    )
    const done = await createCustomer(stack.url, 'r-approved@example.com')
    await stack.prisma.customer.update({
      where: { id: done.id },
      data: { kycStatus: 'approved', kycSubStatus: 'kyc_form_submission_accepted' },
    })
    stack.emulator.resetCalls()
    for (const c of customers) stack.emulator.setKycState(c.alignCustomerId, PENDING) // no webhook
    stack.emulator.setKycState(done.alignCustomerId, PENDING)
    for (const c of customers) {
      await eventually(`reconciliation of ${c.id}`, async () => {
        const kyc = (await request(stack.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)).body
        return kyc.status === 'pending' ? kyc : null
      })
    }
    const kyc = (await request(stack.url).get(`/v1/customers/${customers[0]!.id}/kyc`).set(AUTH)).body
    expect(kyc.history).toEqual([expect.objectContaining({ status: 'pending', source: 'sync' })])
    expect(stack.service.log).toMatch(/reconciled [12]\/[12] customers/)
    expect(stack.service.log).not.toMatch(/reconciled 3\/3/)
    const approved = (await request(stack.url).get(`/v1/customers/${done.id}/kyc`).set(AUTH)).body
    expect(approved.status).toBe('approved')
  })
})

describe('reconciliation off (e2e)', () => {
  it('does not sync anything with RECONCILE_INTERVAL=0', async () => {
    const stack = await startStack({ RECONCILE_AFTER: '1s', RECONCILE_INTERVAL: '0' })
    try {
      const c = await createCustomer(stack.url, 'off@example.com')
      stack.emulator.setKycState(c.alignCustomerId, PENDING)
      stack.emulator.resetCalls()
      await new Promise((r) => setTimeout(r, 2_000))
      expect(stack.emulator.calls()['GET /v0/customers/:id'] ?? 0).toBe(0)
      expect(stack.service.log).toContain('reconciliation is off')
      expect(await stack.service.stop()).toBe(0)
    } finally {
      await stack.close()
    }
  })
})

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli/align-webhooks.js')

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('npm run align:webhooks (e2e)', () => {
  it('registers idempotently, lists and deletes, never printing the key', async () => {
    const { AlignEmulator } = await import('@align-kyc/align-client/testing')
    const emulator = new AlignEmulator({ apiKey: 'sk-secret-cli-key' })
    await emulator.start()
    const env = {
      ALIGN_ENVIRONMENT: 'sandbox',
      ALIGN_API_KEY: 'sk-secret-cli-key',
      ALIGN_BASE_URL: emulator.url,
    }
    try {
      const url = 'https://kyc.example.com/v1/webhooks/align'
      const first = await cli(['register', url], env)
      expect(first).toMatchObject({ code: 0 })
      expect(first.stdout).toMatch(
        /^Registered: \S+ {2}https:\/\/kyc\.example\.com\S* {2}active {2}\(created /,
      )
      const again = await cli(['register', url], env)
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/^Already registered/)
      const list = await cli(['list'], env)
      expect(list.stdout.match(/kyc\.example\.com/g)).toHaveLength(1)
      const id = /Registered: (\S+)/.exec(first.stdout)![1]!
      expect(await cli(['delete', id], env)).toMatchObject({ code: 0, stdout: `Deleted webhook ${id}.\n` })
      expect((await cli(['list'], env)).stdout).toMatch(/No webhooks registered/)
      // A registration Align reports inactive receives nothing: register makes a new one.
      await cli(['register', url], env)
      const state = emulator.snapshot()
      emulator.restore({ ...state, webhooks: state.webhooks.map((w) => ({ ...w, status: 'inactive' })) })
      const revived = await cli(['register', url], env)
      expect(revived.stdout).toMatch(/^Registered: .* active/)
      expect(emulator.snapshot().webhooks.map((w) => w.status)).toEqual(['inactive', 'active'])
      const wrongKey = await cli(['list'], { ...env, ALIGN_API_KEY: 'sk-wrong-key' })
      expect(wrongKey.code).toBe(1)
      expect(wrongKey.stderr.trim().split('\n')).toHaveLength(1)
      const usage = await cli(['frobnicate'], env)
      expect(usage.code).toBe(64)
      const local = await cli(['list'], {})
      expect(local.code).toBe(78)
      for (const r of [first, again, list, wrongKey, usage]) expect(r.stdout + r.stderr).not.toContain('sk-')
    } finally {
      await emulator.stop()
    }
  })
})
