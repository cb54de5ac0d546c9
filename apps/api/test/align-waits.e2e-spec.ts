/*
 * Nothing in the database waits on Align (issue 14, STYLE lesson 16): link renewal and customer
 * creation claim a lease in a short transaction, call Align with no connection held, and record the
 * result in a second short transaction; the status Align reports after a new link is read off the
 * request's path, durably. Each test aims at one risk: a slow Align draining the pool, a kill -9
 * between claim and record, two instances racing, the extra round trip on a cold link.
 */
import request from 'supertest'
import { admin } from './support/databases.js'
import { AUTH } from './support/test-app.js'
import { eachTestFixture } from './support/fixture.js'
import { createCustomer, eventually } from './support/webhooks.js'

const LINK_ROUTE = 'POST /v0/customers/:id/kycs'
const CREATE_ROUTE = 'POST /v0/customers'
const READ_ROUTE = 'GET /v0/customers/:id'
const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('no connection, transaction or lock waits on Align (e2e)', () => {
  const f = eachTestFixture()
  const start = f.start

  /**
   * The service's transactions open for longer than 500 ms (its own take a few ms; the margin is for
   * a loaded machine): sampled 700+ ms into an Align call, a transaction held across it shows here.
   */
  const longTransactions = () =>
    admin(async (c) => {
      const { rows } = await c.query<{ state: string; wait: string | null; query: string }>(
        `SELECT state, wait_event_type AS wait, left(query, 60) AS query FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND xact_start < now() - interval '500 milliseconds'`,
        [new URL(f.db.url).pathname.slice(1)],
      )
      return rows.map((r) => `${r.state} ${r.wait ?? '-'} ${r.query}`)
    })

  const link = (url: string, id: string, body: object = {}) =>
    request(url).post(`/v1/customers/${id}/kyc-sessions`).set(AUTH).send(body)

  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now()
    const v = await fn()
    return [v, performance.now() - t0]
  }

  it('with Align at 3 s and 40 cold links in flight (more than the pool of 20), a warm link and /health/ready answer at once', async () => {
    const svc = await start({ ALIGN_TIMEOUT_MS: '8000' })
    const warm = await createCustomer(svc.url, 'warm@example.com')
    await link(svc.url, warm.id).expect(201)
    const cold = await Promise.all(
      Array.from({ length: 40 }, (_, i) => createCustomer(svc.url, `cold${i}@example.com`)),
    )
    f.emulator.resetCalls()
    f.emulator.setLatency(3000)
    const inFlight = cold.map((c) => link(svc.url, c.id).then((r) => r))
    // Holding a connection per call, only 20 would be in flight (the next 20 after 3 s, holding them again).
    await eventually(
      'all 40 cold links to wait on Align',
      async () => (f.emulator.calls()[LINK_ROUTE] ?? 0) >= 40,
    )
    const [reused, warmMs] = await timed(() => link(svc.url, warm.id).then((r) => r))
    const [ready, readyMs] = await timed(() =>
      request(svc.url)
        .get('/health/ready')
        .then((r) => r),
    )
    await sleep(700)
    expect(await longTransactions()).toEqual([])
    expect(reused.status).toBe(200)
    expect(ready.status).toBe(200)
    expect(warmMs).toBeLessThan(200)
    expect(readyMs).toBeLessThan(200)
    const results = await Promise.all(inFlight)
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201))
    expect(f.emulator.calls()[LINK_ROUTE]).toBe(40)
  })

  it('concurrent link requests for one customer on two instances: one Align call, one link, no transaction open meanwhile', async () => {
    const [a, b] = await Promise.all([start(), start()])
    const c = await createCustomer(a.url, 'pair@example.com')
    f.emulator.resetCalls()
    f.emulator.setLatency(1500, LINK_ROUTE)
    const all = Array.from({ length: 40 }, (_, i) => link(i % 2 ? b.url : a.url, c.id).then((r) => r))
    await eventually('the link call to reach Align', async () => (f.emulator.calls()[LINK_ROUTE] ?? 0) >= 1)
    await sleep(700)
    expect(await longTransactions()).toEqual([])
    const results = await Promise.all(all)
    expect(results.map((r) => r.status).sort()).toEqual([...Array(39).fill(200), 201])
    expect(new Set(results.map((r) => r.body.kycUrl)).size).toBe(1)
    expect(f.emulator.calls()[LINK_ROUTE]).toBe(1)
    expect(await f.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(1)
  })

  it('kill -9 while Align holds a link creation open: nothing half-written, and after the lease the next request gets a link', async () => {
    const first = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const c = await createCustomer(first.url, 'crash-link@example.com')
    f.emulator.resetCalls()
    f.emulator.injectFault({ route: LINK_ROUTE, kind: 'timeout', times: 1 })
    void link(first.url, c.id).catch(() => undefined)
    await eventually('the link call to reach Align', async () => (f.emulator.calls()[LINK_ROUTE] ?? 0) >= 1)
    await sleep(700)
    expect(await longTransactions()).toEqual([])
    await first.kill9()
    expect(await f.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(0)

    const second = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const [res, ms] = await timed(() => link(second.url, c.id).then((r) => r))
    expect(res.status).toBe(201)
    // Waited for the dead claim's lease (ALIGN_TIMEOUT_MS + 5 s) at most.
    expect(ms).toBeLessThan(7_000 + 2_000)
    expect(await f.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(1)
    expect(f.emulator.calls()[LINK_ROUTE]).toBe(2)
    await link(second.url, c.id).expect(200)
  })

  it('kill -9 while Align holds a customer creation open: nothing visible, and after the lease one customer (adopted)', async () => {
    const first = await start({ ALIGN_TIMEOUT_MS: '2000' })
    f.emulator.setLatency(1500, CREATE_ROUTE)
    const body = { email: 'Crash@Example.com', type: 'corporate', companyName: 'Crash Ltd' }
    void request(first.url)
      .post('/v1/customers')
      .set(AUTH)
      .send(body)
      .catch(() => undefined)
    await eventually('the create to reach Align', async () => (f.emulator.calls()[CREATE_ROUTE] ?? 0) >= 1)
    await sleep(700)
    expect(await longTransactions()).toEqual([])
    await first.kill9()
    expect(await f.prisma.customer.count()).toBe(0)
    await sleep(1000) // Align completes the create whose answer nobody reads

    f.emulator.setLatency(0, CREATE_ROUTE)
    const second = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const created = await request(second.url).post('/v1/customers').set(AUTH).send(body)
    expect(created.status).toBe(201)
    expect(f.emulator.getCustomer(created.body.alignCustomerId)?.email).toBe('Crash@Example.com')
    expect(f.emulator.calls()[CREATE_ROUTE]).toBe(2) // the second answered 409: adopted
    const again = await request(second.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ ...body, email: 'crash@example.com' })
      .expect(200)
    expect(again.body.id).toBe(created.body.id)
    expect(await f.prisma.customer.count()).toBe(1)
  })

  it('two instances creating one email at once end with one customer and one Align customer, none waiting in a transaction', async () => {
    const [a, b] = await Promise.all([start(), start()])
    f.emulator.setLatency(1500, CREATE_ROUTE)
    const body = { email: 'twins@example.com', type: 'corporate', companyName: 'Twins' }
    const all = Array.from({ length: 10 }, (_, i) =>
      request(i % 2 ? b.url : a.url)
        .post('/v1/customers')
        .set(AUTH)
        .send(body)
        .then((r) => r),
    )
    await eventually('the create to reach Align', async () => (f.emulator.calls()[CREATE_ROUTE] ?? 0) >= 1)
    await sleep(700)
    expect(await longTransactions()).toEqual([])
    const results = await Promise.all(all)
    expect(results.map((r) => r.status).sort()).toEqual([...Array(9).fill(200), 201])
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1)
    expect(f.emulator.calls()[CREATE_ROUTE]).toBe(1)
  })

  it('a cold link answers after one Align round trip; the status Align then reports is recorded soon after (source session)', async () => {
    const svc = await start()
    const c = await createCustomer(svc.url, 'one-trip@example.com')
    f.emulator.setKycState(c.alignCustomerId, PENDING)
    f.emulator.setLatency(400)
    const [res, ms] = await timed(() => link(svc.url, c.id).then((r) => r))
    expect(res.status).toBe(201)
    // One round trip is 400 ms; two would be 800.
    expect(ms).toBeLessThan(650)
    const history = await eventually('the status after the link recorded', async () => {
      const rows = await f.prisma.kycStatusHistory.findMany({ where: { customerId: c.id } })
      return rows.length ? rows : null
    })
    expect(history).toEqual([expect.objectContaining({ status: 'pending', source: 'session' })])
    const view = await request(svc.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
    expect(view.body).toMatchObject({ status: 'pending', subStatus: 'kyc_form_submission_started' })
  })

  it('kill -9 right after a cold link answer: the status read is not lost, another process records it within seconds', async () => {
    const first = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const c = await createCustomer(first.url, 'after-answer@example.com')
    f.emulator.setKycState(c.alignCustomerId, PENDING)
    f.emulator.setLatency(1500, READ_ROUTE)
    const [res, ms] = await timed(() => link(first.url, c.id).then((r) => r))
    await first.kill9()
    expect(res.status).toBe(201)
    expect(ms).toBeLessThan(1000) // did not wait for the status read
    expect(await f.prisma.kycStatusHistory.count({ where: { customerId: c.id } })).toBe(0)

    f.emulator.setLatency(0, READ_ROUTE)
    const second = await start({ ALIGN_TIMEOUT_MS: '2000' })
    const t0 = Date.now()
    await eventually(
      'the status after the link recorded by the restarted process',
      async () =>
        (await f.prisma.kycStatusHistory.count({ where: { customerId: c.id, source: 'session' } })) === 1,
      20_000,
    )
    // At most the dead process's claim on the read (ALIGN_TIMEOUT_MS + 5 s) and one poll.
    expect(Date.now() - t0).toBeLessThan(7_000 + 2_000)
    const view = await request(second.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
    expect(view.body.status).toBe('pending')
  })
})
