import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { Webhook } from 'standardwebhooks'
import { EVENTS_POLICY } from '../src/events/events-policy.js'
import { eachTestFixture } from './support/fixture.js'
import { Receiver } from './support/receiver.js'
import { AUTH, type ServiceProcess } from './support/test-app.js'
import { createCustomer, eventually } from './support/webhooks.js'

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' } as const
const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' } as const
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('outbound webhooks (e2e)', () => {
  const f = eachTestFixture()
  let receiver: Receiver
  beforeEach(async () => {
    receiver = await Receiver.start()
  })
  afterEach(async () => {
    await receiver.stop()
  })

  const register = async (svc: ServiceProcess, body: Record<string, unknown> = {}) =>
    (
      await request(svc.url)
        .post('/v1/webhook-endpoints')
        .set(AUTH)
        .send({ url: receiver.url, ...body })
        .expect(201)
    ).body as { id: string; secret: string; status: string; eventTypes: string[]; url: string }
  const deliveries = async (svc: ServiceProcess, id: string, query: Record<string, string> = {}) =>
    (await request(svc.url).get(`/v1/webhook-endpoints/${id}/deliveries`).query(query).set(AUTH).expect(200))
      .body.items as {
      eventId: string
      status: string
      attempts: number
      lastStatusCode: number | null
      lastError: string | null
      nextAttemptAt: string | null
    }[]
  const changeKyc = async (
    svc: ServiceProcess,
    c: { id: string; alignCustomerId: string },
    state: typeof PENDING | typeof APPROVED,
  ) => {
    f.emulator.setKycState(c.alignCustomerId, state)
    await request(svc.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
  }
  const headersOf = (i: number) => {
    const h = receiver.received[i]!.headers
    return {
      'webhook-id': String(h['webhook-id']),
      'webhook-timestamp': String(h['webhook-timestamp']),
      'webhook-signature': String(h['webhook-signature']),
    }
  }

  it('delivers each event signed per Standard Webhooks; the subscriber verifies with the library', async () => {
    const svc = await f.start()
    const ep = await register(svc, { description: 'ledger' })
    expect(ep).toMatchObject({ status: 'enabled', eventTypes: [], url: receiver.url })
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    // The secret is shown once: never by the reads, and not stored as it is.
    const read = (await request(svc.url).get(`/v1/webhook-endpoints/${ep.id}`).set(AUTH).expect(200)).body
    expect(read).not.toHaveProperty('secret')
    const list = (await request(svc.url).get('/v1/webhook-endpoints').set(AUTH).expect(200)).body
    expect(list.items.map((e: { id: string }) => e.id)).toEqual([ep.id])
    const row = await f.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ep.id } })
    expect(row.secret).not.toContain(ep.secret.slice(6))

    const c = await createCustomer(svc.url, 'subscriber@example.com')
    await changeKyc(svc, c, PENDING)
    await eventually('two deliveries', async () => receiver.received.length >= 2)
    const wh = new Webhook(ep.secret)
    const events = receiver.received.map(
      (r, i) => wh.verify(r.body, headersOf(i)) as { id: string; type: string; sequence: number },
    )
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['customer.created', 1],
      ['customer.kyc.updated', 2],
    ])
    expect(headersOf(0)['webhook-id']).toBe(events[0]!.id)
    expect(Math.abs(Number(headersOf(0)['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30)
    // The same bodies the feed serves.
    const feed = (await request(svc.url).get('/v1/events').set(AUTH).expect(200)).body.items
    expect(receiver.events()).toEqual(feed)
    // A wrong secret does not verify.
    expect(() =>
      new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(
        receiver.received[0]!.body,
        headersOf(0),
      ),
    ).toThrow()
    await eventually('recorded as delivered', async () =>
      (await deliveries(svc, ep.id)).every((d) => d.status === 'delivered' && d.lastStatusCode === 200),
    )
    // eventTypes filters.
    const only = await register(svc, { eventTypes: ['customer.kyc.updated'] })
    await changeKyc(svc, c, APPROVED)
    await eventually(
      'delivered to both',
      async () => (await deliveries(svc, only.id, { status: 'delivered' })).length === 1,
    )
    expect((await deliveries(svc, only.id)).length).toBe(1)
  })

  it('delivers tens of milliseconds after the commit', async () => {
    const svc = await f.start()
    await register(svc)
    const latencies: number[] = []
    for (let i = 0; i < 9; i++) {
      await createCustomer(svc.url, `quick${i}@example.com`)
      const committed = Date.now()
      await eventually('received', async () => receiver.received.length === i + 1, 5_000, 2)
      latencies.push(receiver.received[i]!.at - committed)
    }
    latencies.sort((a, b) => a - b)
    // The fallback polls are 0.5 s and 1 s: a median this low means the notifications did the work.
    expect(latencies[4]).toBeLessThan(150)
  })

  it("retries with backoff and holds a customer's later events behind a failing first one, not other customers'", async () => {
    const svc = await f.start({ EVENT_WEBHOOK_RETRY_BASE: '200ms' })
    const ep = await register(svc)
    const slow = await createCustomer(svc.url, 'failing@example.com')
    let failuresLeft = 3
    receiver.answer = (r) => {
      const e = JSON.parse(r.body)
      if (e.customerId === slow.id && e.sequence === 2 && failuresLeft > 0) {
        failuresLeft--
        return 503
      }
      return 200
    }
    await eventually('created delivered', async () => receiver.received.length === 1)
    await changeKyc(svc, slow, PENDING) // sequence 2: fails three times
    await changeKyc(svc, slow, APPROVED) // sequence 3: must wait for 2
    const other = await createCustomer(svc.url, 'flowing@example.com')
    await changeKyc(svc, other, PENDING)
    await eventually(
      'the other customer flows on',
      async () => receiver.events().filter((e) => e.customerId === other.id).length === 2,
    )
    expect(receiver.events().some((e) => e.customerId === slow.id && e.sequence === 3)).toBe(false)
    await eventually('the failing customer delivered in the end', async () =>
      receiver.events().some((e) => e.customerId === slow.id && e.sequence === 3),
    )
    const slowSeen = receiver
      .events()
      .filter((e) => e.customerId === slow.id)
      .map((e) => e.sequence)
    expect(slowSeen).toEqual([1, 2, 2, 2, 2, 3])
    // Backoff: the retries of sequence 2 were spaced out (≥ 100 ms, growing).
    const times = receiver.received
      .filter((r) => JSON.parse(r.body).customerId === slow.id && JSON.parse(r.body).sequence === 2)
      .map((r) => r.at)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    expect(gaps[0]).toBeGreaterThanOrEqual(90)
    expect(gaps[2]).toBeGreaterThan(gaps[0]!)
    const d = (await deliveries(svc, ep.id)).find((x) => x.attempts === 4)
    expect(d).toMatchObject({ status: 'delivered', lastStatusCode: 200, lastError: null })
  })

  it('marks a delivery failed after the retry window; retry re-queues it; only failed ones are retryable', async () => {
    const svc = await f.start({ EVENT_WEBHOOK_RETRY_BASE: '100ms', EVENT_WEBHOOK_RETRY_FOR: '1s' })
    const ep = await register(svc)
    receiver.answer = () => 500
    await createCustomer(svc.url, 'dead@example.com')
    const failed = await eventually('failed', async () => {
      const [d] = await deliveries(svc, ep.id, { status: 'failed' })
      return d
    })
    expect(failed.attempts).toBeGreaterThan(1)
    expect(failed).toMatchObject({ lastStatusCode: 500, lastError: 'answered 500: nope' })
    const tries = receiver.received.length
    await sleep(500)
    expect(receiver.received.length).toBe(tries) // failed: no more attempts
    receiver.answer = () => 200
    const retry = `/v1/webhook-endpoints/${ep.id}/deliveries/${failed.eventId}/retry`
    await request(svc.url).post(retry).set(AUTH).expect(202)
    await eventually(
      'delivered after retry',
      async () => (await deliveries(svc, ep.id))[0]!.status === 'delivered',
    )
    const again = await request(svc.url).post(retry).set(AUTH).expect(409)
    expect(again.body.code).toBe('delivery_not_retryable')
    const missing = await request(svc.url)
      .post(`/v1/webhook-endpoints/${ep.id}/deliveries/${ep.id}/retry`)
      .set(AUTH)
      .expect(404)
    expect(missing.body.code).toBe('endpoint_delivery_not_found')
  })

  it("a customer's next event waits (no next attempt) while the one before is retried, and goes once that one failed for good", async () => {
    const svc = await f.start({ EVENT_WEBHOOK_RETRY_BASE: '100ms', EVENT_WEBHOOK_RETRY_FOR: '3s' })
    const ep = await register(svc)
    let failFirst = true
    receiver.answer = (r) => (failFirst && JSON.parse(r.body).sequence === 1 ? 500 : 200)
    const c = await createCustomer(svc.url, 'released@example.com')
    await changeKyc(svc, c, PENDING)
    const waiting = await eventually('the second one made', async () => {
      const items = await deliveries(svc, ep.id)
      return items.length === 2 && items
    })
    // Newest first: sequence 2 waits behind 1, which is being retried.
    expect(waiting.map((d) => [d.status, d.nextAttemptAt === null])).toEqual([
      ['pending', true],
      ['pending', false],
    ])
    expect(receiver.events().some((e) => e.sequence === 2)).toBe(false)
    const [second, first] = await eventually('2 delivered once 1 failed for good', async () => {
      const items = await deliveries(svc, ep.id)
      return items[0]!.status === 'delivered' && items
    })
    expect(first).toMatchObject({ status: 'failed', lastStatusCode: 500 })
    expect(second).toMatchObject({ status: 'delivered', nextAttemptAt: null })
    const seen = receiver.events().map((e) => e.sequence)
    expect(seen.indexOf(2)).toBe(seen.length - 1) // 2 went after every attempt at 1
    // Re-queued, 1 goes too (after 2, which had already gone).
    failFirst = false
    await request(svc.url)
      .post(`/v1/webhook-endpoints/${ep.id}/deliveries/${first!.eventId}/retry`)
      .set(AUTH)
      .expect(202)
    await eventually(
      '1 delivered after the retry',
      async () => (await deliveries(svc, ep.id))[1]!.status === 'delivered',
    )
  })

  it('signs with both secrets for a while after a rotation', async () => {
    const svc = await f.start()
    const ep = await register(svc)
    const rotated = (
      await request(svc.url).post(`/v1/webhook-endpoints/${ep.id}/rotate-secret`).set(AUTH).expect(200)
    ).body
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(ep.secret)
    await createCustomer(svc.url, 'rotation@example.com')
    await eventually('delivered', async () => receiver.received.length === 1)
    const h = headersOf(0)
    expect(h['webhook-signature'].split(' ')).toHaveLength(2)
    expect(new Webhook(rotated.secret).verify(receiver.received[0]!.body, h)).toMatchObject({ sequence: 1 })
    expect(new Webhook(ep.secret).verify(receiver.received[0]!.body, h)).toMatchObject({ sequence: 1 })
    // Once the old secret's 24 h are over, only the new one signs.
    await f.prisma.webhookEndpoint.update({
      where: { id: ep.id },
      data: { previousSecretExpiresAt: new Date(Date.now() - 1000) },
    })
    const c = await createCustomer(svc.url, 'rotation2@example.com')
    await eventually('delivered', async () => receiver.received.length === 2)
    expect(headersOf(1)['webhook-signature'].split(' ')).toHaveLength(1)
    expect(() => new Webhook(ep.secret).verify(receiver.received[1]!.body, headersOf(1))).toThrow()
    expect(new Webhook(rotated.secret).verify(receiver.received[1]!.body, headersOf(1))).toMatchObject({
      customerId: c.id,
    })
  })

  it('drops pending deliveries when an endpoint is disabled or deleted', async () => {
    const svc = await f.start({ EVENT_WEBHOOK_RETRY_BASE: '300ms' })
    const ep = await register(svc)
    receiver.answer = () => 500
    await createCustomer(svc.url, 'disabled@example.com')
    await eventually('attempted', async () => receiver.received.length >= 1)
    const patched = await request(svc.url)
      .patch(`/v1/webhook-endpoints/${ep.id}`)
      .set(AUTH)
      .send({ status: 'disabled' })
      .expect(200)
    expect(patched.body.status).toBe('disabled')
    const [d] = await deliveries(svc, ep.id)
    expect(d).toMatchObject({ status: 'failed', lastError: 'dropped: the endpoint was disabled' })
    const tries = receiver.received.length
    await createCustomer(svc.url, 'disabled2@example.com') // nothing fanned out to a disabled endpoint
    await sleep(1_000)
    expect(receiver.received.length).toBe(tries)
    expect(await deliveries(svc, ep.id)).toHaveLength(1)

    const second = await register(svc)
    await createCustomer(svc.url, 'deleted@example.com')
    await eventually('attempted', async () => (await deliveries(svc, second.id))[0]?.attempts)
    await request(svc.url).delete(`/v1/webhook-endpoints/${second.id}`).set(AUTH).expect(204)
    expect(await f.prisma.eventDelivery.count({ where: { endpointId: second.id } })).toBe(0)
    const gone = await request(svc.url).get(`/v1/webhook-endpoints/${second.id}`).set(AUTH).expect(404)
    expect(gone.body.code).toBe('endpoint_not_found')
    const after = receiver.received.length
    await sleep(1_000)
    expect(receiver.received.length).toBe(after)
  })

  it('in production refuses non-https and internal addresses, at registration and again at delivery', async () => {
    const key = randomBytes(32).toString('base64')
    // Registered outside production (allowed there), then delivered by a production instance.
    const dev = await f.start({ WEBHOOK_ENDPOINT_KEY: key })
    const literal = await register(dev, { url: `https://127.0.0.1:${receiver.port}/hook` })
    const named = await register(dev, { url: `https://localhost:${receiver.port}/hook` })
    await dev.stop()
    const prod = await f.start({
      WEBHOOK_ENDPOINT_KEY: key,
      ALIGN_ENVIRONMENT: 'production',
      NODE_ENV: 'production',
      CLIENT_TOKEN_SECRET: 'outbound-webhooks-client-token-secret-0123',
      EVENT_WEBHOOK_RETRY_FOR: '1s',
      EVENT_WEBHOOK_RETRY_BASE: '100ms',
    })
    for (const url of [
      receiver.url,
      'https://127.0.0.1/hook',
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[fd00::1]/hook',
      'ftp://example.com/hook',
    ]) {
      const res = await request(prod.url).post('/v1/webhook-endpoints').set(AUTH).send({ url })
      expect({ url, status: res.status, code: res.body.code }).toEqual({
        url,
        status: 400,
        code: 'url_not_allowed',
      })
    }
    const res = await request(prod.url)
      .patch(`/v1/webhook-endpoints/${literal.id}`)
      .set(AUTH)
      .send({ url: 'https://10.0.0.1/' })
    expect(res.body.code).toBe('url_not_allowed')
    await createCustomer(prod.url, 'ssrf@example.com')
    for (const ep of [literal, named]) {
      const d = await eventually(
        'refused at delivery',
        async () => (await deliveries(prod, ep.id, { status: 'failed' }))[0],
      )
      expect(d.lastError).toMatch(/address not allowed/)
      expect(d.lastStatusCode).toBeNull()
    }
    expect(receiver.connections).toBe(0)
  })

  it('kill -9 mid-delivery: the restarted service delivers, duplicates only with the same webhook-id', async () => {
    const env = { EVENT_WEBHOOK_TIMEOUT: '2s', EVENT_WEBHOOK_RETRY_BASE: '200ms' }
    const first = await f.start(env)
    await register(first)
    let hang = true
    receiver.answer = () => (hang ? 'hang' : 200)
    const a = await createCustomer(first.url, 'crash-a@example.com')
    await eventually('first request in flight', async () => receiver.received.length === 1)
    await changeKyc(first, a, PENDING)
    const b = await createCustomer(first.url, 'crash-b@example.com')
    await first.kill9()
    hang = false
    const second = await f.start(env)
    await changeKyc(second, b, PENDING)
    await eventually(
      'all delivered',
      async () => (await f.prisma.eventDelivery.count({ where: { status: 'delivered' } })) === 4,
      30_000,
    )
    const seen = receiver.events()
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']))
    expect(seen.map((e) => e.id)).toEqual(ids)
    expect(new Set(ids).size).toBe(4) // every event, duplicates only as the same webhook-id
    for (const c of [a, b]) {
      const sequences = seen.filter((e) => e.customerId === c.id).map((e) => e.sequence)
      expect([...new Set(sequences)]).toEqual([1, 2])
      expect(sequences).toEqual([...sequences].sort())
    }
    expect(ids.filter((id) => id === ids[0]).length).toBeGreaterThanOrEqual(2) // the one in flight, again
  })

  const BOUND = EVENTS_POLICY.maxInFlightPerEndpoint

  it('two instances never send one event to one endpoint at once, and keep at most maxInFlightPerEndpoint in flight to it', async () => {
    const [one, two] = [await f.start(), await f.start()] as [ServiceProcess, ServiceProcess]
    await register(one)
    receiver.delayMs = 150
    const customers = await Promise.all(
      // More customers than the bound, so the bound is what limits the parallelism.
      Array.from({ length: BOUND + 4 }, (_, i) =>
        createCustomer(i % 2 ? one.url : two.url, `both${i}@example.com`),
      ),
    )
    await Promise.all(customers.map((c, i) => changeKyc(i % 2 ? two : one, c, PENDING)))
    await eventually(
      'all delivered',
      async () =>
        (await f.prisma.eventDelivery.count({ where: { status: 'delivered' } })) === 2 * (BOUND + 4),
      30_000,
    )
    expect(receiver.overlapped).toBeNull()
    expect(receiver.maxInFlight).toBeLessThanOrEqual(BOUND)
    expect(receiver.maxInFlight).toBeGreaterThan(1) // customers do flow in parallel
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(2 * (BOUND + 4))
    for (const c of customers)
      expect(
        receiver
          .events()
          .filter((e) => e.customerId === c.id)
          .map((e) => e.sequence),
      ).toEqual([1, 2])
  })

  it('a dead endpoint does not slow a healthy one', async () => {
    // No attempt at the dead endpoint ends within the test (its timeout is a minute), so what is
    // checked is causal, not a wall-clock bound a loaded machine can miss: the healthy endpoint had
    // everything while the dead one's sends all still hung, in its own BOUND slots.
    const svc = await f.start({ EVENT_WEBHOOK_TIMEOUT: '60s' })
    const dead = await Receiver.start()
    dead.answer = () => 'hang'
    try {
      const deadEp = await register(svc, { url: dead.url })
      const healthy = await register(svc)
      await Promise.all(
        Array.from({ length: BOUND + 4 }, (_, i) => createCustomer(svc.url, `healthy${i}@example.com`)),
      )
      await eventually('healthy endpoint served', async () => receiver.received.length === BOUND + 4, 30_000)
      // Recorded a moment after the answer: waited for, not raced.
      await eventually(
        'healthy deliveries recorded',
        async () => (await deliveries(svc, healthy.id, { status: 'delivered' })).length === BOUND + 4,
      )
      // Meanwhile the dead endpoint: BOUND sends hanging (claimed once, nothing recorded), the rest
      // waiting for one of its slots, not for anybody else's.
      const atDead = await deliveries(svc, deadEp.id)
      expect(atDead.map((d) => [d.status, d.attempts, d.lastError]).sort()).toEqual([
        ...Array.from({ length: 4 }, () => ['pending', 0, null]),
        ...Array.from({ length: BOUND }, () => ['pending', 1, null]),
      ])
      await eventually('the dead endpoint has its sends', async () => dead.received.length === BOUND)
      await sleep(300)
      expect(dead.received.length).toBe(BOUND) // and no more: the dead endpoint holds only its own slots
    } finally {
      await dead.stop()
    }
  })
})
