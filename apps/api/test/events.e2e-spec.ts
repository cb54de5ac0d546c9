import request from 'supertest'
import { eachTestFixture } from './support/fixture.js'
import { AUTH, type ServiceProcess } from './support/test-app.js'
import { createCustomer, deliver, eventually, kycEvent } from './support/webhooks.js'

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' } as const
const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' } as const

type FeedEvent = {
  id: string
  type: string
  customerId: string
  sequence: number
  createdAt: string
  data: Record<string, unknown>
}

async function feedPage(url: string, query: Record<string, string | number> = {}) {
  const res = await request(url).get('/v1/events').query(query).set(AUTH).expect(200)
  return res.body as { items: FeedEvent[]; nextCursor: string }
}

/** Follows nextCursor from the start until `count` events were seen (or the time is up). */
async function readAll(url: string, count: number, query: Record<string, string> = {}): Promise<FeedEvent[]> {
  const seen: FeedEvent[] = []
  let after: string | undefined
  await eventually(`${count} events in the feed`, async () => {
    const page = await feedPage(url, { ...query, ...(after ? { after } : {}) })
    seen.push(...page.items)
    after = page.nextCursor
    return seen.length >= count
  })
  return seen
}

const sync = (url: string, id: string) =>
  request(url).post(`/v1/customers/${id}/kyc/sync`).set(AUTH).expect(200)

describe('event feed (e2e)', () => {
  const f = eachTestFixture()

  it('writes one event per committed change, none for replays, in sequence order', async () => {
    const svc = await f.start()
    const c = await createCustomer(svc.url, 'events@example.com')
    // The same email again answers the existing customer: no second event.
    await createCustomer(svc.url, 'EVENTS@example.com')
    f.emulator.setKycState(c.alignCustomerId, PENDING)
    await sync(svc.url, c.id)
    await sync(svc.url, c.id) // the same state again: nothing applied
    // A webhook for the same change, twice: the read it triggers changes nothing.
    const body = kycEvent(c.alignCustomerId, new Date())
    await deliver(svc.url, body, f.emulator.apiKey).expect(200)
    await deliver(svc.url, body, f.emulator.apiKey).expect(200)
    await eventually('delivery processed', async () => {
      const d = await f.prisma.webhookDelivery.findFirst({ where: { entityId: c.alignCustomerId } })
      return d?.status === 'processed'
    })
    f.emulator.setKycState(c.alignCustomerId, APPROVED)
    await sync(svc.url, c.id)

    const events = await readAll(svc.url, 3)
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['customer.created', 1],
      ['customer.kyc.updated', 2],
      ['customer.kyc.updated', 3],
    ])
    expect(events.every((e) => e.customerId === c.id)).toBe(true)
    const customer = (await request(svc.url).get(`/v1/customers/${c.id}`).set(AUTH).expect(200)).body
    expect(events[0]!.data).toMatchObject({
      id: c.id,
      email: 'events@example.com',
      kyc: { status: 'not_started', subStatus: null },
      createdAt: customer.createdAt,
    })
    expect(events[1]!.data).toMatchObject({
      status: 'pending',
      subStatus: 'kyc_form_submission_started',
      previousStatus: 'not_started',
      previousSubStatus: null,
      source: 'sync',
      capabilities: { virtualAccounts: false, transfers: false },
    })
    const capabilities = (await request(svc.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH)).body
    expect(events[2]!.data).toMatchObject({ status: 'approved', previousStatus: 'pending', capabilities })
    expect(new Date(events[2]!.data.occurredAt as string).getTime()).not.toBeNaN()
    // Nothing else was written, however long one waits.
    await new Promise((r) => setTimeout(r, 300))
    expect(await f.prisma.event.count()).toBe(3)
    expect((await f.prisma.customer.findUniqueOrThrow({ where: { id: c.id } })).eventSequence).toBe(3)
  })

  it('shows an event in the feed tens of milliseconds after its commit (notified, not polled)', async () => {
    const svc = await f.start()
    const latencies: number[] = []
    let after: string | undefined
    for (let i = 0; i < 9; i++) {
      await createCustomer(svc.url, `fast${i}@example.com`)
      const committed = Date.now()
      await eventually(
        'the new event',
        async () => {
          const page = await feedPage(svc.url, after ? { after } : {})
          after = page.nextCursor
          return page.items.length > 0
        },
        5_000,
        2,
      )
      latencies.push(Date.now() - committed)
    }
    latencies.sort((a, b) => a - b)
    // The relay's fallback poll is 1 s: a median this low means the commit notification woke it.
    expect(latencies[4]).toBeLessThan(150)
  })

  it('emits nothing for a change that rolls back, and one event once it commits', async () => {
    const svc = await f.start()
    const c = await createCustomer(svc.url, 'rollback@example.com')
    // The history insert fails after the event was written in the same transaction.
    await f.prisma.$executeRawUnsafe(`
      CREATE FUNCTION fail_history() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`)
    await f.prisma.$executeRawUnsafe(
      'CREATE TRIGGER fail_history BEFORE INSERT ON kyc_status_history FOR EACH ROW EXECUTE FUNCTION fail_history()',
    )
    f.emulator.setKycState(c.alignCustomerId, PENDING)
    const failed = await request(svc.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH)
    expect(failed.status).toBe(500)
    await f.prisma.$executeRawUnsafe('DROP TRIGGER fail_history ON kyc_status_history')
    await new Promise((r) => setTimeout(r, 200))
    expect((await feedPage(svc.url)).items.map((e) => e.type)).toEqual(['customer.created'])
    await sync(svc.url, c.id)
    const events = await readAll(svc.url, 2)
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['customer.created', 1],
      ['customer.kyc.updated', 2],
    ])
  })

  it('pages with an opaque cursor, filters, and refuses bad cursors, limits and types', async () => {
    const svc = await f.start()
    const a = await createCustomer(svc.url, 'a@example.com')
    const b = await createCustomer(svc.url, 'b@example.com')
    f.emulator.setKycState(a.alignCustomerId, PENDING)
    await sync(svc.url, a.id)
    await readAll(svc.url, 3)
    const first = await feedPage(svc.url, { limit: 2 })
    expect(first.items.map((e) => e.type)).toEqual(['customer.created', 'customer.created'])
    const rest = await feedPage(svc.url, { after: first.nextCursor })
    expect(rest.items.map((e) => [e.type, e.customerId])).toEqual([['customer.kyc.updated', a.id]])
    // Nothing new: the same cursor back.
    const none = await feedPage(svc.url, { after: rest.nextCursor })
    expect(none).toEqual({ items: [], nextCursor: rest.nextCursor })
    expect((await feedPage(svc.url, { customerId: b.id })).items.map((e) => e.customerId)).toEqual([b.id])
    expect((await feedPage(svc.url, { type: 'customer.kyc.updated' })).items).toHaveLength(1)

    for (const query of [
      { after: 'not-a-cursor' },
      { after: Buffer.from('p12x').toString('base64url') },
      { limit: 0 },
      { limit: 501 },
      { type: 'customer.deleted' },
      { customerId: 'nope' },
      { unknown: 1 },
    ]) {
      const res = await request(svc.url).get('/v1/events').query(query).set(AUTH)
      expect({ query, status: res.status, code: res.body.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      })
    }
    expect((await feedPage(svc.url, { limit: 500 })).items).toHaveLength(3)
  })

  it('a poller following nextCursor sees every event once, in order, while two instances commit concurrently', async () => {
    // Some event inserts stall before their transaction commits, so later transactions (on either
    // instance) commit first: an insert-time position would then appear behind a cursor handed out.
    await f.prisma.$executeRawUnsafe(`
      CREATE FUNCTION stall_event() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN IF random() < 0.3 THEN PERFORM pg_sleep(0.02 + random() * 0.08); END IF; RETURN NEW; END $$`)
    await f.prisma.$executeRawUnsafe(
      'CREATE TRIGGER stall_event AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION stall_event()',
    )
    const [one, two] = [await f.start(), await f.start()] as [ServiceProcess, ServiceProcess]
    const customers = 24
    const expected = customers * 3
    let writing = true
    const seen: FeedEvent[] = []
    const poller = (async () => {
      let after: string | undefined
      const deadline = Date.now() + 45_000
      while ((writing || seen.length < expected) && Date.now() < deadline) {
        const page = await feedPage(seen.length % 2 ? one.url : two.url, {
          limit: 7,
          ...(after ? { after } : {}),
        })
        seen.push(...page.items)
        after = page.nextCursor
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    await Promise.all(
      Array.from({ length: customers }, async (_, i) => {
        const svc = i % 2 ? one : two
        const other = i % 2 ? two : one
        const c = await createCustomer(svc.url, `concurrent${i}@example.com`)
        f.emulator.setKycState(c.alignCustomerId, PENDING)
        await sync(other.url, c.id)
        f.emulator.setKycState(c.alignCustomerId, APPROVED)
        await sync(svc.url, c.id)
      }),
    )
    writing = false
    await poller
    expect(await f.prisma.event.count()).toBe(expected)
    const ids = seen.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length) // none twice
    expect(ids).toHaveLength(expected) // none missed
    const byCustomer = new Map<string, number[]>()
    for (const e of seen) byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e.sequence])
    expect(byCustomer.size).toBe(customers)
    for (const sequences of byCustomer.values()) expect(sequences).toEqual([1, 2, 3])
  })

  it('deletes events older than EVENT_RETENTION with their deliveries, once over two instances', async () => {
    const env = { EVENT_RETENTION: '2s', EVENT_WEBHOOK_RETRY_BASE: '10s' }
    const [one, two] = [await f.start(env), await f.start(env)] as [ServiceProcess, ServiceProcess]
    // An endpoint nobody listens on: its deliveries stay pending until retention removes them.
    await request(one.url)
      .post('/v1/webhook-endpoints')
      .set(AUTH)
      .send({ url: 'http://127.0.0.1:9/' })
      .expect(201)
    for (let i = 0; i < 3; i++) await createCustomer(i % 2 ? one.url : two.url, `old${i}@example.com`)
    const { nextCursor } = await feedPage(one.url)
    expect(await f.prisma.eventDelivery.count()).toBe(3)
    await eventually('old events deleted', async () => (await f.prisma.event.count()) === 0, 20_000)
    expect(await f.prisma.eventDelivery.count()).toBe(0)
    const deleted = [one, two]
      .flatMap((s) => [...s.log.matchAll(/deleted (\d+) events older than/g)])
      .reduce((sum, m) => sum + Number(m[1]), 0)
    expect(deleted).toBe(3)
    // The feed goes on after the cursor handed out before: positions never restart.
    const c = await createCustomer(one.url, 'new@example.com')
    const next = await eventually('the new event after the old cursor', async () => {
      const page = await feedPage(two.url, { after: nextCursor })
      return page.items.length ? page : null
    })
    expect(next.items.map((e) => [e.customerId, e.sequence])).toEqual([[c.id, 1]])
  })
})
