import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import request from 'supertest'
import { Webhook } from 'standardwebhooks'
import { Receiver } from './support/receiver.js'
import { SseStream } from './support/sse.js'
import { ServiceProcess } from './support/test-app.js'
import { eventually } from './support/webhooks.js'

/**
 * The embedded defaults, as `npm start` runs them: PGlite on disk, the built-in Align emulator,
 * no ALIGN_API_KEY, no API_KEYS (the development token). One walk through the whole flow.
 */
describe('embedded defaults smoke (PGlite + built-in emulator)', () => {
  let dir: string
  let svc: ServiceProcess
  const AUTH = { authorization: 'Bearer dev-token' }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'align-kyc-pglite-'))
    svc = await ServiceProcess.start(
      { DATABASE_URL: `pglite://${dir}`, WEBHOOK_WORKER_INTERVAL: '200ms' },
      { timeoutMs: 60_000 },
    )
  })
  afterAll(async () => {
    await svc?.stop()
    await rm(dir, { recursive: true, force: true })
    await rm(`${dir}.align-emulator.json`, { force: true })
  })

  it('migrates the embedded database and reports ready', async () => {
    const ready = await request(svc.url).get('/health/ready').expect(200)
    expect(ready.body.details.database.status).toBe('up')
    expect(svc.log).toMatch(/applied migrations: \d+_init/)
    expect(svc.log).toMatch(/local mode: built-in Align emulator/)
  })

  it('serves the console, and the development operator token opens it (nothing configured)', async () => {
    const page = await request(svc.url).get('/console').expect(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    const operator = { authorization: 'Bearer dev-operator' }
    await request(svc.url).get('/v1/stats/kyc').set(operator).expect(200)
    // dev-token stays a consumer.
    const refused = await request(svc.url).get('/v1/stats/kyc').set(AUTH).expect(403)
    expect(refused.body.code).toBe('insufficient_scope')
    expect(svc.log).toMatch(/dev-operator\W+as the operator/)
  })

  it('creates a customer, hands out a working hosted-flow link, and simulate approves it', async () => {
    const c = await request(svc.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'smoke@example.com', type: 'individual', firstName: 'S', lastName: 'M' })
      .expect(201)
    const link = await request(svc.url)
      .post(`/v1/customers/${c.body.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    const page = await fetch(link.body.kycUrl)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<form/)
    const approved = await request(svc.url)
      .post(`/v1/sandbox/customers/${c.body.id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
      .expect(200)
    expect(approved.body.status).toBe('approved')
    const caps = await request(svc.url).get(`/v1/customers/${c.body.id}/capabilities`).set(AUTH).expect(200)
    expect(caps.body.virtualAccounts).toBe(true)
  })

  it('puts every change in the feed and pushes it, signed, to a registered endpoint', async () => {
    const receiver = await Receiver.start()
    try {
      const ep = await request(svc.url)
        .post('/v1/webhook-endpoints')
        .set(AUTH)
        .send({ url: receiver.url })
        .expect(201)
      const c = await request(svc.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email: 'events@example.com', type: 'corporate', companyName: 'E' })
        .expect(201)
      await request(svc.url)
        .post(`/v1/sandbox/customers/${c.body.id}/simulate`)
        .set(AUTH)
        .send({ action: 'kyc.status.approve' })
        .expect(200)
      // Positioned a moment after commit (the relay), hence the wait.
      const feed = await eventually('both in the feed', async () => {
        const res = await request(svc.url)
          .get('/v1/events')
          .query({ customerId: c.body.id })
          .set(AUTH)
          .expect(200)
        return res.body.items.length === 2 ? res : null
      })
      expect(feed.body.items.map((e: { type: string; sequence: number }) => [e.type, e.sequence])).toEqual([
        ['customer.created', 1],
        ['customer.kyc.updated', 2],
      ])
      await eventually('both delivered', async () => receiver.received.length === 2)
      const wh = new Webhook(ep.body.secret)
      receiver.received.forEach((r) =>
        expect(wh.verify(r.body, r.headers as Record<string, string>)).toBeTruthy(),
      )
      expect(receiver.events()).toEqual(feed.body.items)
    } finally {
      await receiver.stop()
    }
  })

  it("streams a customer's KYC status to a client token, and the change from the embedded database's NOTIFY", async () => {
    const c = await request(svc.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'smoke-stream@example.com', type: 'individual', firstName: 'S', lastName: 'S' })
      .expect(201)
    const { token } = (
      await request(svc.url).post(`/v1/customers/${c.body.id}/client-tokens`).set(AUTH).expect(201)
    ).body
    const stream = await SseStream.open(
      svc.url,
      `/v1/customers/${c.body.id}/kyc/events?access_token=${token}`,
    )
    try {
      expect(JSON.parse((await stream.nth(0)).data)).toMatchObject({ status: 'not_started' })
      await request(svc.url)
        .post(`/v1/sandbox/customers/${c.body.id}/simulate`)
        .set(AUTH)
        .send({ action: 'kyc.status.approve' })
        .expect(200)
      expect(JSON.parse((await stream.nth(1, 'status', 5_000)).data)).toMatchObject({ status: 'approved' })
    } finally {
      stream.close()
    }
  })

  it('keeps its data, and the built-in Align its customers and links, across a restart', async () => {
    const c = await request(svc.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'restart@example.com', type: 'corporate', companyName: 'R' })
      .expect(201)
    const link = await request(svc.url)
      .post(`/v1/customers/${c.body.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    await svc.stop()
    svc = await ServiceProcess.start({ DATABASE_URL: `pglite://${dir}` }, { timeoutMs: 60_000 })
    const list = await request(svc.url)
      .get('/v1/customers')
      .query({ email: 'smoke@example.com' })
      .set(AUTH)
      .expect(200)
    expect(list.body.items).toHaveLength(1)
    expect(list.body.items[0].kyc.status).toBe('approved')
    expect(svc.log).not.toMatch(/applied migrations/)
    // The link handed out before the restart still opens, and Align still knows the customer.
    expect((await fetch(link.body.kycUrl)).status).toBe(200)
    await request(svc.url).post(`/v1/customers/${c.body.id}/kyc/sync`).set(AUTH).expect(200)
    const again = await request(svc.url)
      .post(`/v1/customers/${c.body.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(200)
    expect(again.body.kycUrl).toBe(link.body.kycUrl)
  })
})
