import request from 'supertest'
import { AUTH, OPERATOR_AUTH, ServiceProcess, serviceEnv } from './support/test-app.js'
import { eachTestFixture } from './support/fixture.js'
import { createCustomer, eventually } from './support/webhooks.js'

const CREATE = 'POST /v0/customers/:id/virtual-account'
const LIST = 'GET /v0/customers/:id/virtual-account'
const EVM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
const usd = {
  sourceCurrency: 'usd',
  destinationToken: 'usdc',
  destinationNetwork: 'polygon',
  destinationAddress: EVM,
}

describe('virtual accounts (e2e)', () => {
  const f = eachTestFixture()
  let service: ServiceProcess

  const approve = async (id: string) => {
    await request(service.url)
      .post(`/v1/sandbox/customers/${id}/simulate`)
      .set(AUTH)
      .send({ action: 'kyc.status.approve' })
      .expect(200)
  }
  const open = (id: string, body: object = usd) =>
    request(service.url).post(`/v1/customers/${id}/virtual-accounts`).set(AUTH).send(body)
  const creates = () => f.emulator.calls()[CREATE] ?? 0
  /** The customer's events of one type, once there is at least one. */
  const eventsOf = (customerId: string, type: string) =>
    eventually(`${type} in the feed`, async () => {
      const r = await request(service.url).get('/v1/events').query({ customerId, type }).set(AUTH).expect(200)
      return r.body.items.length ? (r.body.items as { data: Record<string, unknown> }[]) : null
    })
  const rows = (customerId: string) => f.prisma.virtualAccount.findMany({ where: { customerId } })

  describe('on one instance', () => {
    beforeEach(async () => {
      service = await f.start({ WEBHOOK_WORKER_INTERVAL: '100ms' })
      // Align sends its webhooks to the service (as `npm run align:webhooks -- register` sets up).
      const registered = await fetch(`${f.emulator.url}/v0/webhooks`, {
        method: 'POST',
        headers: { authorization: f.emulator.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${service.url}/v1/webhooks/align` }),
      })
      expect(registered.status).toBe(200)
    })

    it('refuses before approval with 409 kyc_not_approved and no Align call, then opens a USD account', async () => {
      const c = await createCustomer(service.url, 'va1@example.com')
      const refused = await open(c.id).expect(409)
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(refused.body).toMatchObject({ code: 'kyc_not_approved', status: 409, kycStatus: 'not_started' })
      expect(creates()).toBe(0)

      await approve(c.id)
      const res = await open(c.id).expect(201)
      expect(res.body).toMatchObject({
        customerId: c.id,
        status: 'active',
        sourceCurrency: 'usd',
        sourceRails: null,
        destinationToken: 'usdc',
        destinationNetwork: 'polygon',
        destinationAddress: EVM,
        depositInstructions: {
          currency: 'usd',
          paymentRails: expect.arrayContaining(['ach']),
          us: { accountNumber: expect.any(String), routingNumber: expect.any(String) },
        },
      })
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(creates()).toBe(1)

      // Same parameters (the address in another casing): the existing account, no second create.
      const again = await open(c.id, { ...usd, destinationAddress: EVM.toLowerCase() }).expect(200)
      expect(again.body.id).toBe(res.body.id)
      expect(creates()).toBe(1)

      const one = await request(service.url)
        .get(`/v1/customers/${c.id}/virtual-accounts/${res.body.id}`)
        .set(AUTH)
        .expect(200)
      expect(one.body).toEqual(res.body)
      const caps = await request(service.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH).expect(200)
      expect(caps.body.virtualAccountCurrencies).toEqual(['usd', 'eur', 'aed'])

      // One virtual_account.created event, its data the account as GET returns it; the repeat emits none.
      const feed = await eventsOf(c.id, 'virtual_account.created')
      expect(feed).toHaveLength(1)
      expect(feed[0]!.data).toEqual(res.body)
    })

    it('gates per rail: eur on sepa opens; aed and usd over swift need rails Align has not approved', async () => {
      const c = await createCustomer(service.url, 'va2@example.com')
      await approve(c.id)
      // Align's breakdown as it might stand: ACH, wire and SEPA approved; SWIFT pending; no UAEFTS.
      // Set at Align and synced, once the approval's own webhook has been applied (it reads Align's
      // breakdown and writes it over the record: a direct write to the record would race it).
      await eventually('the approval webhook applied', async () => {
        const r = await request(service.url).get('/v1/webhooks/deliveries').set(OPERATOR_AUTH).expect(200)
        const items = r.body.items as { entityId: string | null; status: string }[]
        const mine = items.filter((d) => d.entityId === c.alignCustomerId)
        return mine.length > 0 && mine.every((d) => d.status !== 'pending') ? true : null
      })
      f.emulator.setKycState(c.alignCustomerId, {
        status: 'approved',
        sub_status: 'kyc_form_submission_accepted',
        status_breakdown: [
          { currency: 'usd', payment_rails: 'ach', status: 'approved' },
          { currency: 'usd', payment_rails: 'wire', status: 'approved' },
          { currency: 'usd', payment_rails: 'swift', status: 'pending' },
          { currency: 'eur', payment_rails: 'sepa', status: 'approved' },
        ],
      })
      await request(service.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH).expect(200)
      const caps = await request(service.url).get(`/v1/customers/${c.id}/capabilities`).set(AUTH).expect(200)
      expect(caps.body.virtualAccountCurrencies).toEqual(['usd', 'eur'])
      await open(c.id, { ...usd, sourceCurrency: 'eur' }).expect(201)
      const aed = await open(c.id, { ...usd, sourceCurrency: 'aed' }).expect(409)
      expect(aed.body).toMatchObject({
        code: 'rail_not_approved',
        currency: 'aed',
        requiredRails: ['uaefts'],
      })
      const swift = await open(c.id, { ...usd, sourceRails: 'swift' }).expect(409)
      expect(swift.body).toMatchObject({
        code: 'rail_not_approved',
        currency: 'usd',
        requiredRails: ['swift'],
      })
      expect(creates()).toBe(1)

      const list = await request(service.url)
        .get(`/v1/customers/${c.id}/virtual-accounts`)
        .set(AUTH)
        .expect(200)
      expect(list.body.items.map((a: { sourceCurrency: string }) => a.sourceCurrency)).toEqual(['eur'])
    })

    it('lets overall approval decide when Align reported no breakdown; a pending account is issued by simulate', async () => {
      const c = await createCustomer(service.url, 'va3@example.com')
      await approve(c.id)
      await f.prisma.customer.update({ where: { id: c.id }, data: { rails: [] } })
      const res = await open(c.id, { ...usd, sourceCurrency: 'aed' }).expect(201)
      expect(res.body).toMatchObject({ status: 'pending', depositInstructions: null })

      const issued = await request(service.url)
        .post(`/v1/sandbox/customers/${c.id}/virtual-accounts/${res.body.id}/simulate`)
        .set(AUTH)
        .send({ action: 'issue_pending_virtual_account' })
        .expect(200)
      expect(issued.body).toMatchObject({
        id: res.body.id,
        status: 'active',
        depositInstructions: { currency: 'aed', iban: { ibanNumber: expect.any(String) } },
      })
      const updated = await eventsOf(c.id, 'virtual_account.updated')
      expect(updated.map((e) => e.data['status'])).toEqual(['active'])
      const bad = await request(service.url)
        .post(`/v1/sandbox/customers/${c.id}/virtual-accounts/${res.body.id}/simulate`)
        .set(AUTH)
        .send({ action: 'approve' })
        .expect(400)
      expect(bad.body.code).toBe('validation_failed')
    })

    it('answers 400 for addresses that are not valid for the network, and for bad bodies and ids', async () => {
      const c = await createCustomer(service.url, 'va4@example.com')
      await approve(c.id)
      const cases: [object, string][] = [
        [{ ...usd, destinationAddress: '0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed' }, 'destinationAddress'],
        [{ ...usd, destinationAddress: '0x1234' }, 'destinationAddress'],
        [{ ...usd, destinationNetwork: 'solana', destinationAddress: EVM }, 'destinationAddress'],
        [
          { ...usd, destinationNetwork: 'tron', destinationAddress: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u' },
          'destinationAddress',
        ],
        [{ ...usd, sourceCurrency: 'gbp' }, 'sourceCurrency'],
        [{ ...usd, sourceCurrency: 'eur', sourceRails: 'swift' }, 'sourceRails'],
        [{ ...usd, extra: 1 }, 'extra'],
        [{ sourceCurrency: 'usd' }, 'destinationToken'],
      ]
      for (const [body, field] of cases) {
        const res = await open(c.id, body).expect(400)
        expect(res.body.code).toBe('validation_failed')
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]))
      }
      await open(c.id, {
        ...usd,
        destinationNetwork: 'solana',
        destinationAddress: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',
      }).expect(201)
      await open(c.id, {
        ...usd,
        destinationToken: 'usdt',
        destinationNetwork: 'tron',
        destinationAddress: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
      }).expect(201)
      expect(creates()).toBe(2)

      await request(service.url)
        .post('/v1/customers/not-a-uuid/virtual-accounts')
        .set(AUTH)
        .send(usd)
        .expect(400)
      const unknown = '00000000-0000-4000-8000-000000000000'
      expect((await open(unknown).expect(404)).body.code).toBe('customer_not_found')
      const missing = await request(service.url)
        .get(`/v1/customers/${c.id}/virtual-accounts/${unknown}`)
        .set(AUTH)
        .expect(404)
      expect(missing.body.code).toBe('virtual_account_not_found')
      await request(service.url).get(`/v1/customers/${unknown}/virtual-accounts`).set(AUTH).expect(404)
    })

    it('recovers a create whose answer was lost when the next request comes first: one account', async () => {
      const c = await createCustomer(service.url, 'va5@example.com')
      await approve(c.id)
      f.emulator.holdWebhooks('virtual_account.created', true)
      f.emulator.injectFault({ route: CREATE, kind: 'succeed-then-timeout', times: 1 })
      f.emulator.injectFault({ route: LIST, kind: '5xx', status: 503 })
      const lost = await open(c.id).expect(503)
      expect(lost.body.code).toBe('upstream_unavailable')
      expect(f.emulator.virtualAccounts(c.alignCustomerId)).toHaveLength(1)
      expect(
        (await request(service.url).get(`/v1/customers/${c.id}/virtual-accounts`).set(AUTH)).body.items,
      ).toEqual([])

      f.emulator.clearFaults()
      const recovered = await open(c.id).expect(201)
      expect(recovered.body.alignVirtualAccountId).toBe(f.emulator.virtualAccounts(c.alignCustomerId)[0]!.id)
      expect(creates()).toBe(1)
      await open(c.id).expect(200)

      // The webhook arriving afterwards only refreshes it.
      f.emulator.holdWebhooks('virtual_account.created', false)
      await eventually('webhook processed', async () => {
        const d = await f.prisma.webhookDelivery.findFirst({
          where: { eventType: 'virtual_account.created' },
        })
        return d?.status === 'processed' ? d : null
      })
      expect(await rows(c.id)).toHaveLength(1)
      expect(f.emulator.virtualAccounts(c.alignCustomerId)).toHaveLength(1)
    })

    it('recovers a create whose answer was lost when the webhook comes first: one account', async () => {
      const c = await createCustomer(service.url, 'va6@example.com')
      await approve(c.id)
      f.emulator.holdWebhooks('virtual_account.created', true)
      f.emulator.injectFault({ route: CREATE, kind: 'succeed-then-reset', times: 1 })
      f.emulator.injectFault({ route: LIST, kind: '5xx', status: 500, times: 10 })
      const lost = await open(c.id)
      expect([502, 503]).toContain(lost.status)
      f.emulator.clearFaults()

      f.emulator.holdWebhooks('virtual_account.created', false)
      const d = await eventually('webhook processed', async () => {
        const d = await f.prisma.webhookDelivery.findFirst({
          where: { eventType: 'virtual_account.created' },
        })
        return d?.status === 'processed' ? d : null
      })
      expect(d.outcome).toBe('matched_request')
      const list = await request(service.url)
        .get(`/v1/customers/${c.id}/virtual-accounts`)
        .set(AUTH)
        .expect(200)
      expect(list.body.items).toHaveLength(1)
      const again = await open(c.id).expect(200)
      expect(again.body.id).toBe(list.body.items[0].id)
      expect(creates()).toBe(1)
    })

    it('keeps a webhook for an account this service never asked for as ignored, with the reason', async () => {
      const c = await createCustomer(service.url, 'va7@example.com')
      await approve(c.id)
      const stranger = f.emulator.createVirtualAccount(c.alignCustomerId, {
        source_currency: 'eur',
        destination_token: 'usdc',
        destination_network: 'base',
        destination_address: EVM,
      })
      const d = await eventually('webhook stored', async () => {
        const d = await f.prisma.webhookDelivery.findFirst({ where: { entityId: stranger.id } })
        return d?.status === 'ignored' ? d : null
      })
      expect(d.outcome).toBe('not requested by this service')
      expect(
        (await request(service.url).get(`/v1/customers/${c.id}/virtual-accounts`).set(AUTH)).body.items,
      ).toEqual([])
    })

    it('answers 502 and leaves nothing when Align refuses the create; an unknown 5xx is retried by listing first', async () => {
      const c = await createCustomer(service.url, 'va8@example.com')
      await approve(c.id)
      f.emulator.injectFault({ route: CREATE, kind: '5xx', status: 422, times: 1 })
      expect((await open(c.id).expect(502)).body.code).toBe('upstream_error')
      expect(await rows(c.id)).toHaveLength(0)

      f.emulator.injectFault({ route: CREATE, kind: '5xx', status: 500, times: 1 })
      expect((await open(c.id).expect(502)).body.code).toBe('upstream_error')
      expect(await rows(c.id)).toEqual([expect.objectContaining({ alignVirtualAccountId: null })])
      const listsBefore = f.emulator.calls()[LIST] ?? 0
      await open(c.id).expect(201)
      expect(f.emulator.calls()[LIST]).toBeGreaterThan(listsBefore)
      expect(f.emulator.virtualAccounts(c.alignCustomerId)).toHaveLength(1)
      expect(await rows(c.id)).toHaveLength(1)
    })

    it('resyncs and answers with the gate when Align refuses for KYC while the record says approved', async () => {
      const c = await createCustomer(service.url, 'va9@example.com')
      // The record says approved; Align still has the customer not started.
      await f.prisma.customer.update({
        where: { id: c.id },
        data: {
          kycStatus: 'approved',
          kycSubStatus: 'kyc_form_submission_accepted',
          rails: [{ currency: 'usd', paymentRail: 'ach', status: 'approved' }],
        },
      })
      const gets = f.emulator.calls()['GET /v0/customers/:id'] ?? 0
      const res = await open(c.id).expect(409)
      expect(['kyc_not_approved', 'rail_not_approved']).toContain(res.body.code)
      expect(creates()).toBe(1)
      expect(f.emulator.calls()['GET /v0/customers/:id']).toBe(gets + 1)
      expect(await rows(c.id)).toHaveLength(0)
      expect(service.log).toMatch(/Align refused a virtual account for customer .* for KYC reasons/)
    })
  })

  it('makes one Align create for 50 concurrent identical requests on two instances', async () => {
    const a = await f.start()
    const b = await ServiceProcess.start(serviceEnv(f.emulator, f.db.url, { RECONCILE_INTERVAL: '0' }))
    f.services.push(b)
    service = a
    const c = await createCustomer(a.url, 'va10@example.com')
    await approve(c.id)
    f.emulator.setLatency(300, CREATE)
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        request((i % 2 ? b : a).url)
          .post(`/v1/customers/${c.id}/virtual-accounts`)
          .set(AUTH)
          .send(usd),
      ),
    )
    expect(answers.map((r) => r.status).sort((x, y) => x - y)).toEqual([...Array(49).fill(200), 201])
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1)
    expect(creates()).toBe(1)
  })

  it('recovers a create cut short by kill -9 after Align made the account: one account, no second create', async () => {
    // ALIGN_TIMEOUT_MS=1000: the dead holder's lease runs out after 3 × 1 s + 5 s.
    const env = { ALIGN_TIMEOUT_MS: '1000' }
    const first = await f.start(env)
    service = first
    const c = await createCustomer(first.url, 'va11@example.com')
    await approve(c.id)
    // Align creates the account and never answers; the process dies while it waits.
    f.emulator.injectFault({ route: CREATE, kind: 'succeed-then-timeout', times: 1 })
    const cut = open(c.id).then(
      (r) => r.status,
      () => 'no answer',
    )
    await eventually(
      'Align has the account',
      async () => f.emulator.virtualAccounts(c.alignCustomerId).length === 1,
    )
    await first.kill9()
    expect(await cut).toBe('no answer')
    expect(await rows(c.id)).toEqual([expect.objectContaining({ alignVirtualAccountId: null })])

    service = await f.start(env)
    const started = Date.now()
    const res = await open(c.id).expect(201)
    expect(res.body.alignVirtualAccountId).toBe(f.emulator.virtualAccounts(c.alignCustomerId)[0]!.id)
    expect(Date.now() - started).toBeLessThan(15_000) // waited for the lease, then listed
    expect(creates()).toBe(1)
    expect(f.emulator.virtualAccounts(c.alignCustomerId)).toHaveLength(1)
    await open(c.id).expect(200)
  }, 40_000)
})
