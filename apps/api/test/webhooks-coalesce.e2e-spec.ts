import { createHash } from 'node:crypto'
import request from 'supertest'
import { AUTH } from './support/test-app.js'
import { eachTestFixture } from './support/fixture.js'
import { createCustomer, deliver, eventually, kycEvent } from './support/webhooks.js'

/*
 * Webhook deliveries carry no state, so one Align read of a customer, started after a delivery
 * arrived, answers that delivery and every earlier one for the customer. These tests count the
 * reads at the emulator and check that every delivery is still processed once, in order.
 */

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' }
const READ = 'GET /v0/customers/:id'
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

describe('webhook bursts coalesced per customer (e2e)', () => {
  const f = eachTestFixture()
  const start = f.start
  const reads = () => f.emulator.calls()[READ] ?? 0
  const customersOf = async (url: string, n: number, prefix: string) => {
    const customers = await Promise.all(
      Array.from({ length: n }, (_, i) => createCustomer(url, `${prefix}${i}@example.com`)),
    )
    for (const c of customers) f.emulator.setKycState(c.alignCustomerId, PENDING)
    return customers
  }
  /** `perCustomer` distinct bodies for each customer, interleaved as a burst would be. */
  const bodiesFor = (customers: { alignCustomerId: string }[], perCustomer: number) => {
    const base = Date.now() - 60_000
    return Array.from({ length: perCustomer * customers.length }, (_, i) =>
      kycEvent(customers[i % customers.length]!.alignCustomerId, new Date(base + i)),
    )
  }
  /** A backlog acknowledged earlier and never processed (as after an outage of every instance). */
  const storeBacklog = (bodies: string[]) =>
    f.prisma.webhookDelivery.createMany({
      data: bodies.map((rawBody, i) => {
        const e = JSON.parse(rawBody) as { entity_id: string; created_at: string }
        return {
          bodyHash: sha256(rawBody),
          rawBody,
          eventType: 'customer.kycs.updated',
          entityType: 'customer',
          entityId: e.entity_id,
          eventCreatedAt: new Date(e.created_at),
          receivedAt: new Date(Date.now() - 10_000 + i),
          nextAttemptAt: new Date(),
        }
      }),
    })
  const allProcessed = (n: number) =>
    eventually(
      `${n} deliveries processed`,
      async () => (await f.prisma.webhookDelivery.count({ where: { status: 'processed' } })) === n,
      30_000,
    )
  /** Every delivery processed once; per customer, never one before an earlier-received one. */
  const expectProcessedInOrder = async (n: number) => {
    const rows = await f.prisma.webhookDelivery.findMany({
      orderBy: [{ entityId: 'asc' }, { receivedAt: 'asc' }],
    })
    expect(rows).toHaveLength(n)
    expect(rows.filter((d) => d.status !== 'processed' || d.processedAt === null)).toEqual([])
    for (let i = 1; i < rows.length; i++) {
      if (rows[i]!.entityId !== rows[i - 1]!.entityId) continue
      expect(rows[i]!.processedAt!.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.processedAt!.getTime())
    }
  }
  const expectOneHistoryEntryEach = async (url: string, customers: { id: string }[], status = 'pending') => {
    for (const c of customers) {
      const kyc = (await request(url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)).body
      expect(kyc.status).toBe(status)
      expect(kyc.history).toEqual([expect.objectContaining({ status, source: 'webhook' })])
    }
  }

  it('makes a burst of 200 deliveries for 5 customers cost a few reads per customer, processing each once', async () => {
    const windowMs = 500
    const svc = await start({ WEBHOOK_COALESCE_WINDOW: `${windowMs}ms` })
    const customers = await customersOf(svc.url, 5, 'burst')
    f.emulator.setLatency(20, READ)
    f.emulator.resetCalls()
    const bodies = bodiesFor(customers, 40)
    const began = Date.now()
    for (let i = 0; i < bodies.length; i += 20) {
      const acks = await Promise.all(
        bodies.slice(i, i + 20).map((b) => deliver(svc.url, b, f.emulator.apiKey)),
      )
      expect(acks.map((a) => a.status)).toEqual(Array(acks.length).fill(200))
    }
    const burstMs = Date.now() - began
    await allProcessed(bodies.length)
    await new Promise((r) => setTimeout(r, 2 * windowMs)) // let any extra read show
    // A customer is read at most once per window while its deliveries keep coming, plus the last one.
    expect(reads()).toBeGreaterThanOrEqual(customers.length)
    expect(reads()).toBeLessThanOrEqual(customers.length * (Math.ceil(burstMs / windowMs) + 1))
    await expectProcessedInOrder(bodies.length)
    await expectOneHistoryEntryEach(svc.url, customers)
  })

  it('leaves deliveries that arrive while a read is in flight to the next read, which answers them together', async () => {
    const svc = await start({ WEBHOOK_COALESCE_WINDOW: '1s' })
    const [c] = await customersOf(svc.url, 1, 'inflight')
    f.emulator.setLatency(1500, READ)
    f.emulator.resetCalls()
    const base = Date.now() - 60_000
    const first = kycEvent(c!.alignCustomerId, new Date(base))
    await deliver(svc.url, first, f.emulator.apiKey).expect(200)
    await eventually('the first read to be in flight', async () => reads() === 1)
    const during = [1, 2].map((i) => kycEvent(c!.alignCustomerId, new Date(base + i)))
    for (const body of during) await deliver(svc.url, body, f.emulator.apiKey).expect(200)
    const one = await eventually('the first delivery processed', async () => {
      const d = await f.prisma.webhookDelivery.findUnique({ where: { bodyHash: sha256(first) } })
      return d?.status === 'processed' ? d : null
    })
    // Align changes after the first read answered; the two later deliveries must see it.
    f.emulator.setKycState(c!.alignCustomerId, APPROVED)
    const later = await f.prisma.webhookDelivery.findMany({ where: { bodyHash: { in: during.map(sha256) } } })
    expect(later.map((d) => d.status)).toEqual(['pending', 'pending'])
    expect(one).toMatchObject({ observedStatus: 'pending', outcome: 'applied' })

    await allProcessed(3)
    expect(reads()).toBe(2)
    const answered = await f.prisma.webhookDelivery.findMany({
      where: { bodyHash: { in: during.map(sha256) } },
    })
    expect(answered.map((d) => [d.observedStatus, d.outcome])).toEqual([
      ['approved', 'applied'],
      ['approved', 'applied'],
    ])
    expect(answered[0]!.processedAt!.getTime()).toBe(answered[1]!.processedAt!.getTime())
    expect(answered[0]!.processedAt!.getTime()).toBeGreaterThan(one.processedAt!.getTime())
    const kyc = (await request(svc.url).get(`/v1/customers/${c!.id}/kyc`).set(AUTH).expect(200)).body
    expect(kyc.history.map((h: { status: string; source: string }) => [h.status, h.source])).toEqual([
      ['pending', 'webhook'],
      ['approved', 'webhook'],
    ])
    // A webhook's observation time is its event's created_at: for a read answering two, the later one.
    expect(kyc.history.map((h: { occurredAt: string }) => h.occurredAt)).toEqual([
      new Date(base).toISOString(),
      new Date(base + 2).toISOString(),
    ])
  })

  it('works off a backlog with two instances in about one read per customer, each delivery once', async () => {
    const a = await start({ WEBHOOK_WORKER_INTERVAL: '1h' })
    const customers = await customersOf(a.url, 5, 'pair')
    await a.stop()
    f.services.splice(0)
    const bodies = bodiesFor(customers, 30)
    await storeBacklog(bodies)
    f.emulator.setLatency(40, READ)
    f.emulator.resetCalls()
    const [p, q] = await Promise.all([
      start({ WEBHOOK_WORKER_INTERVAL: '100ms' }),
      start({ WEBHOOK_WORKER_INTERVAL: '100ms' }),
    ])
    await allProcessed(bodies.length)
    await new Promise((r) => setTimeout(r, 500)) // let any double processing show
    // At most both instances read one customer at the same moment; never once per delivery.
    expect(reads()).toBeGreaterThanOrEqual(customers.length)
    expect(reads()).toBeLessThanOrEqual(2 * customers.length)
    await expectProcessedInOrder(bodies.length)
    await expectOneHistoryEntryEach(p.url, customers)
    expect(p.url).not.toBe(q.url)
  })

  it('loses nothing after a kill -9 while a batch waits on Align, and reads each customer once after', async () => {
    const first = await start({ ALIGN_TIMEOUT_MS: '2000', WEBHOOK_WORKER_INTERVAL: '1h' })
    const customers = await customersOf(first.url, 3, 'crash')
    f.emulator.injectFault({ route: READ, kind: 'timeout' })
    f.emulator.resetCalls()
    const bodies = bodiesFor(customers, 20)
    for (const body of bodies) await deliver(first.url, body, f.emulator.apiKey).expect(200)
    await eventually('the worker to be waiting on Align', async () => reads() >= 1)
    await first.kill9()
    expect(await f.prisma.webhookDelivery.count({ where: { status: 'pending' } })).toBe(bodies.length)
    expect(await f.prisma.kycStatusHistory.count()).toBe(0)

    f.emulator.clearFaults()
    f.emulator.resetCalls()
    const second = await start({ ALIGN_TIMEOUT_MS: '2000' })
    await allProcessed(bodies.length)
    await new Promise((r) => setTimeout(r, 1_000))
    expect(reads()).toBe(customers.length)
    await expectProcessedInOrder(bodies.length)
    await expectOneHistoryEntryEach(second.url, customers)
  })
})
