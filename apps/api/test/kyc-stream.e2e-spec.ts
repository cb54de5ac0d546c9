import request from 'supertest'
import { admin } from './support/databases.js'
import { SseStream } from './support/sse.js'
import { AUTH, ServiceProcess, serviceEnv, startStack, type Stack } from './support/test-app.js'

const SECRET = 'kyc-stream-secret-0123456789abcdefghij'

/** The database's name in a test database URL. */
const dbName = (url: string) => new URL(url).pathname.slice(1)

/**
 * GET /v1/customers/:id/kyc/events (api-contract.md, "Frontends"): the current state at once, then
 * one event per committed change on whichever instance, surviving a dropped LISTEN connection,
 * ending on expiry and on shutdown, with the token never in a log line.
 */
describe('KYC status stream (e2e)', () => {
  let stack: Stack
  /** A second instance on the same database. */
  let other: ServiceProcess
  let n = 0

  beforeAll(async () => {
    stack = await startStack({ CLIENT_TOKEN_SECRET: SECRET })
    other = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, { CLIENT_TOKEN_SECRET: SECRET }),
    )
  })
  afterAll(async () => {
    await other?.stop()
    await stack?.close()
  })

  async function newCustomer(): Promise<string> {
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: `stream${n++}@example.com`, type: 'individual', firstName: 'S', lastName: 'E' })
      .expect(201)
    return res.body.id
  }

  async function mint(customerId: string, ttl = '15m'): Promise<{ token: string; expiresAt: string }> {
    const res = await request(stack.url)
      .post(`/v1/customers/${customerId}/client-tokens`)
      .set(AUTH)
      .send({ ttl })
      .expect(201)
    return res.body
  }

  const approve = (url: string, id: string) =>
    request(url)
      .post(`/v1/sandbox/customers/${id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
      .expect(200)

  it('sends the current state at once as event: status, the same body as GET .../kyc/status', async () => {
    const id = await newCustomer()
    const { token } = await mint(id)
    const stream = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events?access_token=${token}`)
    try {
      expect(stream.status).toBe(200)
      expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(stream.headers['cache-control']).toBe('no-store, no-transform')
      expect(stream.headers['content-encoding']).toBeUndefined()
      expect(stream.headers['x-request-id']).toBeTruthy()
      const first = await stream.nth(0)
      const status = await request(stack.url).get(`/v1/customers/${id}/kyc/status`).set(AUTH).expect(200)
      expect(JSON.parse(first.data)).toEqual(status.body)
      expect(JSON.parse(first.data)).toMatchObject({ status: 'not_started', session: null })
    } finally {
      stream.close()
    }
    // The Authorization header works too, with a client token or an API token.
    for (const auth of [{ authorization: `Bearer ${token}` }, AUTH]) {
      const s = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events`, auth)
      expect(s.status).toBe(200)
      await s.nth(0)
      s.close()
    }
  })

  it('refuses before streaming: unknown customer 404, no token 401, as JSON problems', async () => {
    const unknown = await SseStream.open(
      stack.url,
      '/v1/customers/00000000-0000-4000-8000-000000000000/kyc/events',
      AUTH,
    )
    await unknown.closed()
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.raw)).toMatchObject({ code: 'customer_not_found' })
    const id = await newCustomer()
    const none = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events`)
    await none.closed()
    expect(none.status).toBe(401)
  })

  it('delivers a change committed on another instance to a stream held by this one', async () => {
    const id = await newCustomer()
    const { token } = await mint(id)
    const stream = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events?access_token=${token}`)
    try {
      await stream.nth(0)
      // A change of another customer sends nothing on this stream.
      await approve(other.url, await newCustomer())
      const started = Date.now()
      await approve(other.url, id)
      const second = await stream.nth(1, 'status', 5_000)
      const elapsed = Date.now() - started
      expect(JSON.parse(second.data)).toMatchObject({
        status: 'approved',
        capabilities: { virtualAccounts: true, transfers: true },
      })
      // One event per committed change: nothing else arrives for the other customer or twice.
      await new Promise((r) => setTimeout(r, 500))
      expect(stream.events.filter((e) => e.event === 'status')).toHaveLength(2)
      expect(elapsed).toBeLessThan(3_000)
    } finally {
      stream.close()
    }
  })

  it('holds no pooled connection per stream: 30 streams (pool of 20) all get the change and requests still flow', async () => {
    const id = await newCustomer()
    const { token } = await mint(id)
    const streams = await Promise.all(
      Array.from({ length: 30 }, () =>
        SseStream.open(stack.url, `/v1/customers/${id}/kyc/events?access_token=${token}`),
      ),
    )
    try {
      await Promise.all(streams.map((s) => s.nth(0)))
      const t0 = Date.now()
      await request(stack.url).get(`/v1/customers/${id}`).set(AUTH).expect(200)
      expect(Date.now() - t0).toBeLessThan(2_000)
      await approve(stack.url, id)
      await Promise.all(streams.map((s) => s.nth(1)))
    } finally {
      for (const s of streams) s.close()
    }
  })

  it('sends the current state again after the database drops the LISTEN connection', async () => {
    const id = await newCustomer()
    const { token } = await mint(id)
    const stream = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events?access_token=${token}`)
    try {
      const first = await stream.nth(0)
      const killed = await admin((c) =>
        c.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
            WHERE datname = $1 AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
          [dbName(stack.db.url)],
        ),
      )
      expect(killed.rows.length).toBeGreaterThanOrEqual(1)
      // Re-opened a second later: notifications meanwhile may be lost, so the state is sent again.
      const again = await stream.nth(1, 'status', 8_000)
      expect(again.data).toBe(first.data)
      expect(stream.ended).toBe(false)
      // And changes flow on the new connection.
      await approve(other.url, id)
      expect(JSON.parse((await stream.nth(2, 'status', 5_000)).data)).toMatchObject({ status: 'approved' })
    } finally {
      stream.close()
    }
  })

  it('ends with event: expired when the client token expires', async () => {
    const id = await newCustomer()
    const { token, expiresAt } = await mint(id, '2s')
    const stream = await SseStream.open(stack.url, `/v1/customers/${id}/kyc/events?access_token=${token}`)
    await stream.nth(0)
    await stream.nth(0, 'expired', 5_000)
    await stream.closed(2_000)
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(expiresAt).getTime() - 50)
    // And the same token is refused from then on.
    await request(stack.url)
      .get(`/v1/customers/${id}/kyc/status`)
      .set({ authorization: `Bearer ${token}` })
      .expect(401)
  })

  it('never logs the token, and logs the stream request by its path alone', async () => {
    const svc = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, { CLIENT_TOKEN_SECRET: SECRET }),
    )
    const id = await newCustomer()
    // Ended by the server (the token expires), so its request line is written.
    const { token } = await mint(id, '1s')
    const stream = await SseStream.open(svc.url, `/v1/customers/${id}/kyc/events?access_token=${token}`)
    await stream.nth(0)
    await stream.closed(3_000)
    const refused = await SseStream.open(svc.url, `/v1/customers/${id}/kyc/events?access_token=${token}x`)
    await refused.closed()
    expect(refused.status).toBe(401)
    await svc.stop() // every line written
    const lines = svc.log
      .split('\n')
      .filter((l) => l.includes('request completed') && l.includes('/kyc/events'))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    for (const l of lines) expect(l).toContain(`"path":"/v1/customers/${id}/kyc/events"`)
    expect(svc.log).not.toContain(token)
    expect(svc.log).not.toContain('access_token')
  })

  it('sends a keep-alive comment every 15 s, and ends open streams cleanly on shutdown', async () => {
    const svc = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, { CLIENT_TOKEN_SECRET: SECRET }),
    )
    const id = await newCustomer()
    const { token } = await mint(id)
    const streams = await Promise.all([
      SseStream.open(svc.url, `/v1/customers/${id}/kyc/events?access_token=${token}`),
      SseStream.open(svc.url, `/v1/customers/${id}/kyc/events`, AUTH),
    ])
    await Promise.all(streams.map((s) => s.nth(0)))
    await streams[0]!.until(() => streams[0]!.comments.includes('keep-alive'), 'a keep-alive comment', 17_000)
    const started = Date.now()
    expect(await svc.stop()).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    await Promise.all(streams.map((s) => s.closed(1_000)))
    expect(svc.log).not.toMatch(/shutdown did not finish/)
    // 15 s of it is the keep-alive interval; a service start on a loaded machine takes 10 s or more.
  }, 60_000)
})
