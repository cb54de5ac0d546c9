import { randomBytes } from 'node:crypto'
import request from 'supertest'
import { AUTH, ServiceProcess, serviceEnv, startStack, testPrisma, type Stack } from './support/test-app.js'
import { eventually } from './support/webhooks.js'

const LINK_ROUTE = 'POST /v0/customers/:id/kycs'

describe('KYC links, status, sync, capabilities, simulate (e2e)', () => {
  let stack: Stack
  let n = 0

  beforeAll(async () => {
    stack = await startStack({ KYC_LINK_TTL: '1h', KYC_LINK_RENEWAL_MARGIN: '5m' })
  })
  afterAll(async () => {
    await stack?.close()
  })
  beforeEach(() => {
    stack.emulator.clearFaults()
    stack.emulator.setLatency(0)
    stack.emulator.resetCalls()
  })

  async function newCustomer(): Promise<{ id: string; alignCustomerId: string }> {
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: `kyc${n++}@example.com`, type: 'individual', firstName: 'K', lastName: 'Y' })
      .expect(201)
    return res.body
  }

  it('creates a link (201), then reuses it (200) without calling Align again', async () => {
    const c = await newCustomer()
    const first = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    expect(first.body).toMatchObject({ reused: false, status: 'not_started', subStatus: null })
    expect(first.body.kycUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/flow\//)
    const ttl = new Date(first.body.expiresAt).getTime() - Date.now()
    expect(ttl).toBeGreaterThan(55 * 60_000)
    expect(ttl).toBeLessThanOrEqual(60 * 60_000)
    const again = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(200)
    expect(again.body).toMatchObject({
      reused: true,
      kycUrl: first.body.kycUrl,
      expiresAt: first.body.expiresAt,
    })
    expect(stack.emulator.calls()[LINK_ROUTE]).toBe(1)
    // Works without a body too.
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).expect(200)
  })

  it('renews on forceRenew and marks the old session superseded with the reason recorded', async () => {
    const c = await newCustomer()
    const first = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    const forced = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({ forceRenew: true })
      .expect(201)
    expect(forced.body.kycUrl).not.toBe(first.body.kycUrl)
    const sessions = await stack.prisma.kycSession.findMany({
      where: { customerId: c.id },
      orderBy: { createdAt: 'asc' },
    })
    expect(sessions.map((s) => s.reason)).toEqual(['none_yet', 'forced'])
    expect(sessions[0]!.supersededAt).not.toBeNull()
    expect(sessions[0]!.liveCustomerId).toBeNull()
    expect(sessions[1]!.supersededAt).toBeNull()
    expect(sessions[1]!.liveCustomerId).toBe(c.id)
  })

  it('renews an expired link and one within the renewal margin', async () => {
    const c = await newCustomer()
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    await stack.prisma.kycSession.updateMany({
      where: { liveCustomerId: c.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    })
    const view = await request(stack.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
    expect(view.body.session.expired).toBe(true)
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    await stack.prisma.kycSession.updateMany({
      where: { liveCustomerId: c.id },
      data: { expiresAt: new Date(Date.now() + 2 * 60_000) },
    })
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    const reasons = (
      await stack.prisma.kycSession.findMany({ where: { customerId: c.id }, orderBy: { createdAt: 'asc' } })
    ).map((s) => s.reason)
    expect(reasons).toEqual(['none_yet', 'expired', 'expiring'])
    expect(stack.emulator.calls()[LINK_ROUTE]).toBe(3)
  })

  it('records the status Align reports after a new link soon after the answer (history source session)', async () => {
    const c = await newCustomer()
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'pending',
      sub_status: 'kyc_form_submission_started',
    })
    const res = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    // The answer carries the state as recorded; Align's is read off the request's path.
    expect(res.body).toMatchObject({ reused: false })
    const history = await eventually('the status after the link recorded', async () => {
      const view = await request(stack.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
      return view.body.history.length ? view.body.history : null
    })
    expect(history).toEqual([
      expect.objectContaining({
        status: 'pending',
        subStatus: 'kyc_form_submission_started',
        source: 'session',
      }),
    ])
  })

  it('records Align confirming the recorded state after a new link (no history entry, confirmation time moves)', async () => {
    const c = await newCustomer()
    const before = await stack.prisma.customer.findUniqueOrThrow({ where: { id: c.id } })
    await new Promise((r) => setTimeout(r, 5)) // timestamps have millisecond precision
    const res = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    expect(res.body).toMatchObject({ status: 'not_started', subStatus: null })
    // Written without holding the answer: it lands shortly after.
    const deadline = Date.now() + 5_000
    let after = before
    while (after.lastSyncedAt.getTime() === before.lastSyncedAt.getTime() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10))
      after = await stack.prisma.customer.findUniqueOrThrow({ where: { id: c.id } })
    }
    expect(after.lastSyncedAt.getTime()).toBeGreaterThan(before.lastSyncedAt.getTime())
    expect(after.kycObservedAt!.getTime()).toBeGreaterThan(before.kycObservedAt?.getTime() ?? 0)
    expect(after).toMatchObject({
      kycStatus: 'not_started',
      kycSubStatus: null,
      kycUpdatedAt: before.kycUpdatedAt,
    })
    expect(await stack.prisma.kycStatusHistory.count({ where: { customerId: c.id } })).toBe(0)
  })

  it('records the status after a new link against the state as it is then, if it changed meanwhile', async () => {
    // The status read runs after the link is committed; a webhook applied in that window must not
    // be overwritten by a decision taken against the state the link was issued in.
    const c = await newCustomer()
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'pending',
      sub_status: 'kyc_form_submission_started',
    })
    stack.emulator.setLatency(600, 'GET /v0/customers/:id')
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    // What a webhook would have written meanwhile (the status read is still in flight).
    await stack.prisma.customer.update({
      where: { id: c.id },
      data: {
        kycStatus: 'rejected',
        kycSubStatus: 'kyc_form_resubmission_required',
        kycObservedAt: new Date(),
      },
    })
    const history = await eventually('the status after the link recorded', async () => {
      const rows = await stack.prisma.kycStatusHistory.findMany({
        where: { customerId: c.id, source: 'session' },
      })
      return rows.length ? rows : null
    })
    expect(history).toEqual([
      expect.objectContaining({
        status: 'pending',
        previousStatus: 'rejected',
        previousSubStatus: 'kyc_form_resubmission_required',
      }),
    ])
  })

  it('30 concurrent link requests for one customer make exactly one Align call and share one link', async () => {
    const c = await newCustomer()
    stack.emulator.setLatency(50, LINK_ROUTE)
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}),
      ),
    )
    expect(results.map((r) => r.status).sort()).toEqual([...Array(29).fill(200), 201])
    expect(new Set(results.map((r) => r.body.kycUrl)).size).toBe(1)
    expect(stack.emulator.calls()[LINK_ROUTE]).toBe(1)
    expect(await stack.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(1)
  })

  it('refuses a link once approved (409 kyc_already_approved), even when forced', async () => {
    const c = await newCustomer()
    await request(stack.url)
      .post(`/v1/sandbox/customers/${c.id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
      .expect(200)
    for (const body of [{}, { forceRenew: true }]) {
      const res = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send(body)
        .expect(409)
      expect(res.body).toMatchObject({ code: 'kyc_already_approved', status: 409 })
    }
    expect(stack.emulator.calls()[LINK_ROUTE] ?? 0).toBe(0)
  })

  it('sandbox simulate approves through Align and records a simulation history entry', async () => {
    const c = await newCustomer()
    const res = await request(stack.url)
      .post(`/v1/sandbox/customers/${c.id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
      .expect(200)
    expect(res.body).toMatchObject({
      status: 'approved',
      subStatus: 'kyc_form_submission_accepted',
      session: null,
    })
    expect(res.body.history).toEqual([expect.objectContaining({ status: 'approved', source: 'simulation' })])
    const bad = await request(stack.url)
      .post(`/v1/sandbox/customers/${c.id}/simulate`)
      .set(AUTH)
      .send({ action: 'nope' })
      .expect(400)
    expect(bad.body.errors[0].field).toBe('action')
  })

  it('sync applies what Align reports; the same state again adds no history', async () => {
    const c = await newCustomer()
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'pending',
      sub_status: 'kyc_form_submission_started',
    })
    const one = await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
    expect(one.body).toMatchObject({ status: 'pending', subStatus: 'kyc_form_submission_started' })
    await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'rejected',
      sub_status: 'kyc_form_resubmission_required',
    })
    const three = await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
    expect(
      three.body.history.map((h: { status: string; source: string }) => `${h.status}/${h.source}`),
    ).toEqual(['pending/sync', 'rejected/sync'])
    const customer = await request(stack.url).get(`/v1/customers/${c.id}`).set(AUTH).expect(200)
    expect(customer.body.kyc).toMatchObject({
      status: 'rejected',
      subStatus: 'kyc_form_resubmission_required',
    })
  })

  it('a link from before a resubmission request is renewed for the resubmission', async () => {
    const c = await newCustomer()
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'pending',
      sub_status: 'kyc_form_submission_started',
    })
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    stack.emulator.setKycState(c.alignCustomerId, {
      status: 'rejected',
      sub_status: 'kyc_form_resubmission_required',
    })
    await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
    const renewed = await request(stack.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({})
      .expect(201)
    expect(renewed.body.status).toBe('rejected')
    await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(200)
    const last = await stack.prisma.kycSession.findFirst({ where: { liveCustomerId: c.id } })
    expect(last?.reason).toBe('resubmission_required')
  })

  it('an unknown status value from Align is not applied and grants nothing', async () => {
    const c = await newCustomer()
    stack.emulator.setKycState(c.alignCustomerId, { status: 'under_manual_review', sub_status: null })
    const res = await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
    expect(res.body).toMatchObject({ status: 'not_started', history: [] })
    const caps = await request(stack.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH).expect(200)
    expect(caps.body).toMatchObject({ virtualAccounts: false, transfers: false })
  })

  it('capabilities: false with a reason until approved, then true with the rails Align reported', async () => {
    const c = await newCustomer()
    const before = await request(stack.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH).expect(200)
    expect(before.body).toMatchObject({
      virtualAccounts: false,
      transfers: false,
      rails: [],
      virtualAccountCurrencies: [],
    })
    expect(before.body.reason).toMatch(/not started/i)
    await request(stack.url)
      .post(`/v1/sandbox/customers/${c.id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
    const after = await request(stack.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH).expect(200)
    expect(after.body).toMatchObject({ virtualAccounts: true, transfers: true, reason: null })
    expect(after.body.rails.length).toBeGreaterThan(0)
    // The emulator reports every rail it knows (usd ach/wire/swift, eur sepa, aed uaefts) as approved.
    expect(after.body.virtualAccountCurrencies).toEqual(['usd', 'eur', 'aed'])
    expect(after.body.rails[0]).toEqual({
      currency: expect.any(String),
      paymentRail: expect.any(String),
      status: 'approved',
    })
  })

  describe('Align faults', () => {
    it('5xx on the link call -> 502 and no session recorded; a retry then succeeds', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: LINK_ROUTE, kind: '5xx', status: 500, times: 1 })
      const res = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(502)
      expect(res.body.code).toBe('upstream_error')
      expect(await stack.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(0)
      await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    })

    it('Align failing the status read after a new link: the link is still recorded and handed out', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: '5xx', status: 500 })
      const res = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(201)
      expect(res.body).toMatchObject({ reused: false, status: 'not_started' })
      stack.emulator.clearFaults()
      const again = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(200)
      expect(again.body.kycUrl).toBe(res.body.kycUrl)
      expect(stack.emulator.calls()[LINK_ROUTE]).toBe(1)
    })

    it('a malformed Align body -> 502 upstream_error', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: LINK_ROUTE, kind: 'malformed', times: 1 })
      const res = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(502)
      expect(res.body.code).toBe('upstream_error')
      expect(await stack.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(0)
    })

    it('a timeout -> 503 upstream_unavailable with Retry-After; nothing half-written', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: LINK_ROUTE, kind: 'timeout', times: 1 })
      const res = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(503)
      expect(res.body.code).toBe('upstream_unavailable')
      expect(res.headers['retry-after']).toBeDefined()
      expect(await stack.prisma.kycSession.count({ where: { customerId: c.id } })).toBe(0)
    })

    it('succeed-then-500 on the link call -> 502, and the retry gets a fresh link', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: LINK_ROUTE, kind: 'succeed-then-500', times: 1 })
      await request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(502)
      const retry = await request(stack.url)
        .post(`/v1/customers/${c.id}/kyc-sessions`)
        .set(AUTH)
        .send({})
        .expect(201)
      expect(retry.body.reused).toBe(false)
      expect(stack.emulator.calls()[LINK_ROUTE]).toBe(2)
    })

    it('sync with Align down -> 502/503 and the stored state is untouched', async () => {
      const c = await newCustomer()
      stack.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: '5xx', status: 503 })
      const res = await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(502)
      expect(res.body.code).toBe('upstream_error')
      stack.emulator.clearFaults()
      stack.emulator.injectFault({ route: 'GET /v0/customers/:id', kind: 'reset' })
      const reset = await request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH)
      expect([502, 503]).toContain(reset.status)
      const view = await request(stack.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
      expect(view.body).toMatchObject({ status: 'not_started', history: [] })
    })
  })

  it('every customer route answers 404 customer_not_found for an unknown id and 400 for a non-UUID', async () => {
    const unknown = '00000000-0000-4000-8000-000000000001'
    const routes: [string, string, object?][] = [
      ['post', 'kyc-sessions', {}],
      ['get', 'kyc'],
      ['post', 'kyc/sync'],
      ['get', 'capabilities'],
    ]
    for (const [method, path, body] of routes) {
      const call = (id: string) => {
        const r =
          method === 'get'
            ? request(stack.url).get(`/v1/customers/${id}/${path}`)
            : request(stack.url).post(`/v1/customers/${id}/${path}`)
        return body ? r.set(AUTH).send(body) : r.set(AUTH)
      }
      expect((await call(unknown).expect(404)).body.code).toBe('customer_not_found')
      expect((await call('nope').expect(400)).body.code).toBe('validation_failed')
      await (
        method === 'get'
          ? request(stack.url).get(`/v1/customers/${unknown}/${path}`)
          : request(stack.url).post(`/v1/customers/${unknown}/${path}`)
      ).expect(401)
    }
    const sim = await request(stack.url)
      .post(`/v1/sandbox/customers/${unknown}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
    expect(sim.status).toBe(404)
    expect(sim.body.code).toBe('customer_not_found')
    const bad = await request(stack.url)
      .post(`/v1/customers/${unknown}/kyc-sessions`)
      .set(AUTH)
      .send({ forceRenew: 'yes' })
      .expect(400)
    expect(bad.body.errors[0].field).toBe('forceRenew')
  })

  it('two instances on one database: concurrent link requests make one Align call; same email makes one customer', async () => {
    const second = await ServiceProcess.start(serviceEnv(stack.emulator, stack.db.url))
    try {
      stack.emulator.setLatency(50)
      const email = { email: 'twins@example.com', type: 'corporate', companyName: 'Twins' }
      const creates = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(i % 2 ? second.url : stack.url)
            .post('/v1/customers')
            .set(AUTH)
            .send(email),
        ),
      )
      expect(creates.map((r) => r.status).sort()).toEqual([...Array(9).fill(200), 201])
      expect(new Set(creates.map((r) => r.body.id)).size).toBe(1)
      expect(stack.emulator.calls()['POST /v0/customers']).toBe(1)
      const id = creates[0]!.body.id
      stack.emulator.resetCalls()
      const links = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          request(i % 2 ? second.url : stack.url)
            .post(`/v1/customers/${id}/kyc-sessions`)
            .set(AUTH)
            .send({}),
        ),
      )
      expect(links.filter((r) => r.status === 201)).toHaveLength(1)
      expect(new Set(links.map((r) => r.body.kycUrl)).size).toBe(1)
      expect(stack.emulator.calls()[LINK_ROUTE]).toBe(1)
    } finally {
      await second.stop()
    }
  })

  it('in production the sandbox routes do not exist (404)', async () => {
    const prod = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, {
        ALIGN_ENVIRONMENT: 'production',
        NODE_ENV: 'production',
        WEBHOOK_ENDPOINT_KEY: randomBytes(32).toString('base64'),
        CLIENT_TOKEN_SECRET: randomBytes(32).toString('base64'),
      }),
    )
    try {
      const c = await testPrisma(stack.db.url).customer.findFirstOrThrow()
      const res = await request(prod.url)
        .post(`/v1/sandbox/customers/${c.id}/simulate`)
        .set(AUTH)
        .send({ action: 'kyc.status.approve' })
        .expect(404)
      expect(res.body.code).toBe('not_found')
      const va = await request(prod.url)
        .post(`/v1/sandbox/customers/${c.id}/virtual-accounts/${c.id}/simulate`)
        .set(AUTH)
        .send({ action: 'issue_pending_virtual_account' })
        .expect(404)
      expect(va.body.code).toBe('not_found')
    } finally {
      await prod.stop()
    }
  })
})
