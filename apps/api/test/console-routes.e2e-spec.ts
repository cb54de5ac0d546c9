import { randomBytes, randomUUID } from 'node:crypto'
import request from 'supertest'
import { eachTestFixture } from './support/fixture.js'
import { AUTH, OPERATOR_AUTH, ServiceProcess, serviceEnv } from './support/test-app.js'
import { deliver, eventually, kycEvent } from './support/webhooks.js'

const APPROVED = { status: 'approved', sub_status: 'kyc_form_submission_accepted' }
const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' }
const ADDRESS = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'

/**
 * The operator-only additions beyond the contract that the console's pages need: the links issued
 * for a customer and why, inbound deliveries per customer, the stuck customers behind the overview's
 * count, and Align's environment and reachability.
 */
describe('console routes (e2e)', () => {
  const f = eachTestFixture()

  const createCustomer = async (url: string, email: string) =>
    (
      await request(url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email, type: 'individual', firstName: 'Con', lastName: 'Sole' })
        .expect(201)
    ).body as { id: string; alignCustomerId: string }

  it('GET /v1/customers/:id/kyc-sessions lists the links issued, newest first, with why and without URLs', async () => {
    const service = await f.start()
    const c = await createCustomer(service.url, 'links@example.com')
    const empty = await request(service.url)
      .get(`/v1/customers/${c.id}/kyc-sessions`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(empty.body).toEqual({ items: [] })
    await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
    await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(200) // reused
    await request(service.url)
      .post(`/v1/customers/${c.id}/kyc-sessions`)
      .set(AUTH)
      .send({ forceRenew: true })
      .expect(201)
    const res = await request(service.url)
      .get(`/v1/customers/${c.id}/kyc-sessions`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(res.body.items).toHaveLength(2) // the reuse issued nothing
    const [live, first] = res.body.items
    expect(live).toMatchObject({ reason: 'forced', issuedStatus: 'not_started', supersededAt: null })
    expect(first).toMatchObject({
      reason: 'none_yet',
      issuedStatus: 'not_started',
      supersededAt: expect.any(String),
    })
    expect(Date.parse(live.createdAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt))
    expect(Object.keys(live).sort()).toEqual(
      ['createdAt', 'expiresAt', 'id', 'issuedStatus', 'issuedSubStatus', 'reason', 'supersededAt'].sort(),
    )
    // The live one is the one GET .../kyc shows.
    const kyc = await request(service.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH).expect(200)
    expect(kyc.body.session.expiresAt).toBe(live.expiresAt)
    // Scope, a bad id and an unknown customer.
    const refused = await request(service.url).get(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).expect(403)
    expect(refused.body.code).toBe('insufficient_scope')
    await request(service.url).get('/v1/customers/not-a-uuid/kyc-sessions').set(OPERATOR_AUTH).expect(400)
    const missing = await request(service.url)
      .get(`/v1/customers/${randomUUID()}/kyc-sessions`)
      .set(OPERATOR_AUTH)
      .expect(404)
    expect(missing.body.code).toBe('customer_not_found')
  })

  it('GET /v1/webhooks/deliveries?customerId= keeps the deliveries about the customer and its accounts', async () => {
    const service = await f.start({ WEBHOOK_COALESCE_WINDOW: '0' })
    const a = await createCustomer(service.url, 'a@example.com')
    const b = await createCustomer(service.url, 'b@example.com')
    f.emulator.setKycState(a.alignCustomerId, APPROVED, { deliverWebhook: false })
    await request(service.url).post(`/v1/customers/${a.id}/kyc/sync`).set(AUTH).expect(200)
    const va = await request(service.url)
      .post(`/v1/customers/${a.id}/virtual-accounts`)
      .set(AUTH)
      .send({
        sourceCurrency: 'usd',
        destinationToken: 'usdc',
        destinationNetwork: 'polygon',
        destinationAddress: ADDRESS,
      })
      .expect(201)
    const key = f.emulator.apiKey
    await deliver(service.url, kycEvent(a.alignCustomerId, new Date(Date.now() - 3000)), key).expect(200)
    await deliver(service.url, kycEvent(b.alignCustomerId, new Date(Date.now() - 2000)), key).expect(200)
    const vaBody = JSON.stringify({
      event_type: 'virtual_account.created',
      entity_id: va.body.alignVirtualAccountId,
      entity_type: 'virtual_account',
      created_at: new Date().toISOString(),
    })
    await deliver(service.url, vaBody, key).expect(200)
    // And one for an Align customer this service does not know.
    await deliver(service.url, kycEvent(randomUUID(), new Date()), key).expect(200)

    const all = await request(service.url).get('/v1/webhooks/deliveries').set(OPERATOR_AUTH).expect(200)
    expect(all.body.items).toHaveLength(4)
    const ofA = await request(service.url)
      .get(`/v1/webhooks/deliveries?customerId=${a.id}`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(ofA.body.items.map((d: { entityId: string }) => d.entityId)).toEqual([
      va.body.alignVirtualAccountId,
      a.alignCustomerId,
    ])
    const ofB = await request(service.url)
      .get(`/v1/webhooks/deliveries?customerId=${b.id}`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(ofB.body.items.map((d: { entityId: string }) => d.entityId)).toEqual([b.alignCustomerId])
    // Paged, and with a status too.
    const page1 = await request(service.url)
      .get(`/v1/webhooks/deliveries?customerId=${a.id}&limit=1`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(page1.body.items).toHaveLength(1)
    const page2 = await request(service.url)
      .get(`/v1/webhooks/deliveries?customerId=${a.id}&limit=1&cursor=${page1.body.nextCursor}`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(page2.body.items.map((d: { entityId: string }) => d.entityId)).toEqual([a.alignCustomerId])
    expect(page2.body.nextCursor).toBeNull()
    await eventually('a processed', async () => {
      const r = await request(service.url)
        .get(`/v1/webhooks/deliveries?customerId=${a.id}&status=processed`)
        .set(OPERATOR_AUTH)
      return r.body.items.length === 2
    })
    // Unknown customer: nothing; not a UUID: 400.
    const none = await request(service.url)
      .get(`/v1/webhooks/deliveries?customerId=${randomUUID()}`)
      .set(OPERATOR_AUTH)
      .expect(200)
    expect(none.body).toEqual({ items: [], nextCursor: null })
    const bad = await request(service.url)
      .get('/v1/webhooks/deliveries?customerId=nope')
      .set(OPERATOR_AUTH)
      .expect(400)
    expect(bad.body.errors).toEqual([{ field: 'customerId', message: 'customerId must be a UUID' }])
  })

  it('GET /v1/customers?stuck=true lists exactly the customers the stats count as pending over 7 days', async () => {
    const service = await f.start()
    const ids: string[] = []
    for (const email of ['s1@example.com', 's2@example.com', 's3@example.com', 's4@example.com']) {
      const c = await createCustomer(service.url, email)
      ids.push(c.id)
    }
    // s1, s2, s3 pending; s1 and s3 unchanged for 8 days; s4 not started for 8 days (not stuck: not pending).
    for (const id of ids.slice(0, 3)) {
      const c = await f.prisma.customer.findUniqueOrThrow({ where: { id } })
      f.emulator.setKycState(c.alignCustomerId, PENDING, { deliverWebhook: false })
      await request(service.url).post(`/v1/customers/${id}/kyc/sync`).set(AUTH).expect(200)
    }
    const old = new Date(Date.now() - 8 * 86_400_000)
    await f.prisma.customer.updateMany({
      where: { id: { in: [ids[0]!, ids[2]!, ids[3]!] } },
      data: { kycUpdatedAt: old },
    })

    const stuck = await request(service.url).get('/v1/customers?stuck=true').set(OPERATOR_AUTH).expect(200)
    expect(stuck.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[0]]) // newest first
    const stats = await request(service.url).get('/v1/stats/kyc').set(OPERATOR_AUTH).expect(200)
    expect(stats.body.stuck.pendingOver7Days).toBe(stuck.body.items.length)
    // With status=pending the same; false is no filter; another status is refused.
    const withPending = await request(service.url)
      .get('/v1/customers?stuck=true&status=pending')
      .set(AUTH)
      .expect(200)
    expect(withPending.body.items).toHaveLength(2)
    const off = await request(service.url).get('/v1/customers?stuck=false').set(AUTH).expect(200)
    expect(off.body.items).toHaveLength(4)
    const bad = await request(service.url)
      .get('/v1/customers?stuck=true&status=approved')
      .set(AUTH)
      .expect(400)
    expect(bad.body.errors[0].field).toBe('stuck')
    const notBool = await request(service.url).get('/v1/customers?stuck=yes').set(AUTH).expect(400)
    expect(notBool.body.errors[0]).toEqual({ field: 'stuck', message: 'stuck must be true or false' })
  })

  it('GET /v1/align/status says which Align, whether the sandbox routes exist, and whether Align answers', async () => {
    const service = await f.start()
    const ok = await request(service.url).get('/v1/align/status').set(OPERATOR_AUTH).expect(200)
    expect(ok.body).toMatchObject({
      environment: 'sandbox',
      sandboxRoutes: true,
      align: { state: 'ok', detail: null, latencyMs: expect.any(Number), checkedAt: expect.any(String) },
    })
    expect((await request(service.url).get('/v1/align/status').set(AUTH).expect(403)).body.code).toBe(
      'insufficient_scope',
    )
    await request(service.url).get('/v1/align/status').expect(401)

    f.emulator.resetCalls()
    f.emulator.injectFault({ route: 'GET /v0/webhooks', kind: '5xx', status: 503 })
    const error = await request(service.url).get('/v1/align/status').set(OPERATOR_AUTH).expect(200)
    expect(error.body.align).toMatchObject({ state: 'error', detail: 'Align answered 503 (injected_fault)' })
    f.emulator.clearFaults()
    f.emulator.injectFault({ route: 'GET /v0/webhooks', kind: 'reset' })
    const reset = await request(service.url).get('/v1/align/status').set(OPERATOR_AUTH).expect(200)
    expect(reset.body.align.state).toBe('unreachable')
    expect(reset.body.align.detail).toEqual(expect.any(String))
    f.emulator.clearFaults()
    // One probe, never retried: the 503 and the reset cost Align one call each.
    expect(f.emulator.calls()['GET /v0/webhooks']).toBe(2)
    // A key Align refuses is an error, not unreachable.
    const refusedKey = await ServiceProcess.start(
      serviceEnv(f.emulator, f.db.url, { ALIGN_API_KEY: 'wrong-key' }),
    )
    f.services.push(refusedKey)
    const refused = await request(refusedKey.url).get('/v1/align/status').set(OPERATOR_AUTH).expect(200)
    expect(refused.body.align).toMatchObject({ state: 'error', detail: expect.stringContaining('401') })
  })

  it('in production: environment production and no sandbox routes, which the console hides', async () => {
    const prod = await f.start({
      ALIGN_ENVIRONMENT: 'production',
      NODE_ENV: 'production',
      WEBHOOK_ENDPOINT_KEY: randomBytes(32).toString('base64'),
      CLIENT_TOKEN_SECRET: randomBytes(32).toString('base64'),
    })
    const res = await request(prod.url).get('/v1/align/status').set(OPERATOR_AUTH).expect(200)
    expect(res.body).toMatchObject({
      environment: 'production',
      sandboxRoutes: false,
      align: { state: 'ok' },
    })
  })
})
