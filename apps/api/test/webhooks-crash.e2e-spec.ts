import { createHash } from 'node:crypto'
import request from 'supertest'
import { AUTH } from './support/test-app.js'
import { eachTestFixture } from './support/fixture.js'
import { createCustomer, deliver, eventually, kycEvent } from './support/webhooks.js'

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe('webhooks across crashes and instances (e2e)', () => {
  const f = eachTestFixture()
  const start = f.start

  it('applies every acknowledged delivery exactly once after a kill -9 between acknowledgement and processing', async () => {
    const first = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const customers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createCustomer(first.url, `crash${i}@example.com`)),
    )
    for (const c of customers) f.emulator.setKycState(c.alignCustomerId, PENDING)
    // Align hangs: the worker kicked by each acknowledgement claims its delivery and waits on Align.
    f.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: 'timeout' })
    f.emulator.resetCalls()
    const bodies = customers.map((c) => kycEvent(c.alignCustomerId, new Date()))
    for (const body of bodies) await deliver(first.url, body, f.emulator.apiKey).expect(200)
    await eventually(
      'the worker to be waiting on Align',
      async () => (f.emulator.calls()['GET /v0/customers/:id'] ?? 0) >= 1,
    )
    await first.kill9()

    const stored = await f.prisma.webhookDelivery.findMany({
      where: { bodyHash: { in: bodies.map(sha256) } },
    })
    expect(stored).toHaveLength(bodies.length)
    expect(stored.every((d) => d.status === 'pending')).toBe(true)
    expect(await f.prisma.kycStatusHistory.count()).toBe(0)

    f.emulator.clearFaults()
    f.emulator.resetCalls()
    const second = await start({ ALIGN_TIMEOUT_MS: '2000' })
    await eventually(
      'every delivery processed after the restart',
      async () =>
        (await f.prisma.webhookDelivery.count({ where: { status: 'processed' } })) === bodies.length,
      30_000,
    )
    for (const c of customers) {
      const kyc = (await request(second.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)).body
      expect(kyc.status).toBe('pending')
      expect(kyc.history).toEqual([expect.objectContaining({ status: 'pending', source: 'webhook' })])
    }
    // Exactly one Align read per delivery after the restart: nothing processed twice.
    expect(f.emulator.calls()['GET /v0/customers/:id']).toBe(bodies.length)
    const outcomes = await f.prisma.webhookDelivery.findMany({ select: { outcome: true } })
    expect(outcomes.every((o) => o.outcome === 'applied')).toBe(true)
  })

  it('processes a backlog exactly once with two service processes on one database', async () => {
    const a = await start({ WEBHOOK_WORKER_INTERVAL: '1h' })
    const customers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => createCustomer(a.url, `pair${i}@example.com`)),
    )
    await a.stop()
    f.services.splice(0)
    for (const c of customers) f.emulator.setKycState(c.alignCustomerId, PENDING)
    // A backlog acknowledged earlier and never processed (as after an outage of every instance).
    const now = new Date()
    await f.prisma.webhookDelivery.createMany({
      data: customers.map((c) => {
        const rawBody = kycEvent(c.alignCustomerId, now)
        return {
          bodyHash: sha256(rawBody),
          rawBody,
          eventType: 'customer.kycs.updated',
          entityType: 'customer',
          entityId: c.alignCustomerId,
          eventCreatedAt: now,
          nextAttemptAt: now,
        }
      }),
    })
    f.emulator.setLatency(40, 'GET /v0/customers/:id')
    f.emulator.resetCalls()
    // Both start on the backlog at once (each works it off on start-up and every 100 ms).
    const [p, q] = await Promise.all([
      start({ WEBHOOK_WORKER_INTERVAL: '100ms' }),
      start({ WEBHOOK_WORKER_INTERVAL: '100ms' }),
    ])
    await eventually(
      'the backlog processed',
      async () =>
        (await f.prisma.webhookDelivery.count({ where: { status: 'processed' } })) === customers.length,
      30_000,
    )
    await new Promise((r) => setTimeout(r, 500)) // let any double processing show
    expect(f.emulator.calls()['GET /v0/customers/:id']).toBe(customers.length)
    const deliveries = await f.prisma.webhookDelivery.findMany()
    expect(deliveries.every((d) => d.attempts === 1 && d.outcome === 'applied')).toBe(true)
    const perCustomer = await f.prisma.kycStatusHistory.groupBy({
      by: ['customerId'],
      _count: { _all: true },
    })
    expect(perCustomer).toHaveLength(customers.length)
    expect(perCustomer.every((g) => g._count._all === 1)).toBe(true)
    expect(p.url).not.toBe(q.url)
  })
})
