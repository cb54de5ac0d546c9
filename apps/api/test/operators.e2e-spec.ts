import { randomUUID } from 'node:crypto'
import request from 'supertest'
import { eachTestFixture } from './support/fixture.js'
import { AUTH, OPERATOR_AUTH, OPERATOR_TOKEN, ServiceProcess, TOKEN, serviceEnv } from './support/test-app.js'
import { deliver, eventually } from './support/webhooks.js'

/** Every operator route, with a request that would succeed (or fail past the scope check) for an operator. */
const OPERATOR_ROUTES = [
  { method: 'get', path: '/v1/webhooks/deliveries', doc: ['/v1/webhooks/deliveries', 'get'] },
  {
    method: 'post',
    path: `/v1/webhooks/deliveries/${randomUUID()}/retry`,
    doc: ['/v1/webhooks/deliveries/{id}/retry', 'post'],
  },
  { method: 'get', path: '/v1/stats/kyc', doc: ['/v1/stats/kyc', 'get'] },
  // The console's additions beyond the contract.
  { method: 'get', path: '/v1/align/status', doc: ['/v1/align/status', 'get'] },
  {
    method: 'get',
    path: `/v1/customers/${randomUUID()}/kyc-sessions`,
    doc: ['/v1/customers/{id}/kyc-sessions', 'get'],
  },
  {
    method: 'post',
    path: `/v1/customers/${randomUUID()}/redact`,
    doc: ['/v1/customers/{id}/redact', 'post'],
  },
] as const

type Doc = { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> }

describe('operators (e2e)', () => {
  const f = eachTestFixture()

  describe('scopes', () => {
    it('answers 401 without a token, 403 insufficient_scope to a consumer token, and lets an operator token through', async () => {
      const service = await f.start()
      for (const r of OPERATOR_ROUTES) {
        await request(service.url)[r.method](r.path).expect(401)
        await request(service.url)[r.method](r.path).set('authorization', 'Bearer not-a-token').expect(401)
        const refused = await request(service.url)[r.method](r.path).set(AUTH).expect(403)
        expect(refused.headers['content-type']).toMatch(/application\/problem\+json/)
        expect(refused.body).toMatchObject({ code: 'insufficient_scope', status: 403 })
        const res = await request(service.url)[r.method](r.path).set(OPERATOR_AUTH)
        expect([200, 404]).toContain(res.status) // 404: the made-up ids
      }
      // An operator token may do everything a consumer token may.
      await request(service.url).get('/v1/customers').set(OPERATOR_AUTH).expect(200)
      await request(service.url).get('/v1/events').set(OPERATOR_AUTH).expect(200)
      // No token, consumer's or operator's, in the log.
      expect(service.log).not.toContain(OPERATOR_TOKEN)
      expect(service.log).not.toContain(TOKEN)
    })

    it('without OPERATOR_KEYS, operator routes answer 403 to every consumer token', async () => {
      const service = await f.start({ OPERATOR_KEYS: '' }).catch(() => null)
      // An empty list is a bad value (start-up refuses); unset is what "without" means.
      expect(service).toBeNull()
      const unset = await startWithout(f, 'OPERATOR_KEYS')
      for (const r of OPERATOR_ROUTES) {
        const res = await request(unset.url)[r.method](r.path).set(AUTH).expect(403)
        expect(res.body.code).toBe('insufficient_scope')
        await request(unset.url)[r.method](r.path).set(OPERATOR_AUTH).expect(401)
      }
      await request(unset.url).get('/v1/customers').set(AUTH).expect(200)
    })

    it('says the scope of every route in the OpenAPI document', async () => {
      const service = await f.start()
      const doc = (await request(service.url).get('/docs-json').expect(200)).body as Doc & {
        components: { securitySchemes: Record<string, unknown> }
      }
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearer', 'operator'])
      const operator = new Set(OPERATOR_ROUTES.map((r) => r.doc.join(' ')))
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const schemes = (op.security ?? []).flatMap((s) => Object.keys(s))
          if (operator.has(`${path} ${method}`)) {
            expect([path, method, schemes]).toEqual([path, method, ['operator']])
            expect(Object.keys((op as { responses: object }).responses)).toContain('403')
          } else {
            expect([path, method, schemes.includes('operator')]).toEqual([path, method, false])
          }
        }
      }
    })
  })

  describe('GET /v1/stats/kyc', () => {
    it('answers known numbers for a seeded database', async () => {
      await seedStats(f.prisma)
      const service = await f.start()
      const res = await request(service.url)
        .get('/v1/stats/kyc')
        .query({ from: '2026-10-01', to: '2026-10-04T00:00:00Z' })
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(res.body).toEqual({
        from: '2026-10-01T00:00:00.000Z',
        to: '2026-10-04T00:00:00.000Z',
        byStatus: { not_started: 1, pending: 1, approved: 3, rejected: 1 },
        funnel: { created: 6, linkIssued: 3, started: 5, approved: 3, rejected: 2 },
        // approvals 100 s, 300 s and 1000 s after creation: p90 = 300 + 0.8 * 700
        timeToApproval: { p50Seconds: 300, p90Seconds: 860 },
        byDay: [
          { day: '2026-10-01', created: 2, approved: 2, rejected: 0 },
          { day: '2026-10-02', created: 2, approved: 1, rejected: 2 },
          { day: '2026-10-03', created: 2, approved: 0, rejected: 0 },
        ],
        // over all customers: E (in the range) and G (after it); P was updated an hour ago
        stuck: { pendingOver7Days: 2 },
        inbound: { pending: 2, failed: 1 },
        outbound: { pending: 1, failed: 2 },
      })

      // A day boundary is a UTC one: the range's half day still gets its entry.
      const half = await request(service.url)
        .get('/v1/stats/kyc')
        .query({ from: '2026-10-01T11:00:00Z', to: '2026-10-02T00:00:00.001Z' })
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(half.body.byDay).toEqual([
        { day: '2026-10-01', created: 1, approved: 1, rejected: 0 },
        { day: '2026-10-02', created: 1, approved: 1, rejected: 1 },
      ])
      expect(half.body.timeToApproval).toEqual({ p50Seconds: 650, p90Seconds: 930 })

      // Nothing in the range: zeros and nulls, not an error.
      const empty = await request(service.url)
        .get('/v1/stats/kyc')
        .query({ from: '2025-01-01', to: '2025-01-03' })
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(empty.body.funnel).toEqual({ created: 0, linkIssued: 0, started: 0, approved: 0, rejected: 0 })
      expect(empty.body.timeToApproval).toEqual({ p50Seconds: null, p90Seconds: null })
      expect(empty.body.byDay).toHaveLength(2)
    })

    it('defaults to the last 30 days and refuses bad ranges with 400', async () => {
      const service = await f.start()
      const before = Date.now()
      const res = await request(service.url).get('/v1/stats/kyc').set(OPERATOR_AUTH).expect(200)
      const to = Date.parse(res.body.to)
      expect(to).toBeGreaterThanOrEqual(before - 1000)
      expect(to - Date.parse(res.body.from)).toBe(30 * 86_400_000)
      expect(res.body.byDay).toHaveLength(new Date(to).getUTCHours() === 0 ? 30 : 31)

      for (const [query, field] of [
        [{ from: 'yesterday' }, 'from'],
        [{ to: '2026-13-01' }, 'to'],
        [{ from: '2026-10-02', to: '2026-10-02' }, 'from'],
        [{ from: '2026-10-03', to: '2026-10-02' }, 'from'],
        [{ from: '2025-01-01', to: '2026-01-03' }, 'to'], // 367 days
        [{ since: '2026-10-01' }, 'since'],
      ] as const) {
        const bad = await request(service.url)
          .get('/v1/stats/kyc')
          .query(query)
          .set(OPERATOR_AUTH)
          .expect(400)
        expect(bad.body.code).toBe('validation_failed')
        expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain(field)
      }
      // 366 days exactly is allowed.
      await request(service.url)
        .get('/v1/stats/kyc')
        .query({ from: '2024-01-01', to: '2025-01-01' })
        .set(OPERATOR_AUTH)
        .expect(200)
    })
  })

  describe('POST /v1/customers/:id/redact', () => {
    it('erases the personal data from every table, keeps the skeleton, emits once, and refuses later uses', async () => {
      const service = await f.start({ WEBHOOK_WORKER_INTERVAL: '100ms' })
      const registered = await fetch(`${f.emulator.url}/v0/webhooks`, {
        method: 'POST',
        headers: { authorization: f.emulator.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${service.url}/v1/webhooks/align` }),
      })
      expect(registered.status).toBe(200)

      const email = 'Gracewyn.Hopperfield@example.com'
      const created = await request(service.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email, type: 'individual', firstName: 'Gracewyn', lastName: 'Hopperfield' })
        .expect(201)
      const id = created.body.id as string
      const alignId = created.body.alignCustomerId as string
      const link = await request(service.url).post(`/v1/customers/${id}/kyc-sessions`).set(AUTH).expect(201)
      const kycUrl = link.body.kycUrl as string
      await request(service.url)
        .post(`/v1/sandbox/customers/${id}/simulate`)
        .set(AUTH)
        .send({ action: 'kyc.status.approve' })
        .expect(200)
      const account = await request(service.url)
        .post(`/v1/customers/${id}/virtual-accounts`)
        .set(AUTH)
        .send({
          sourceCurrency: 'usd',
          destinationToken: 'usdc',
          destinationNetwork: 'polygon',
          destinationAddress: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        })
        .expect(201)
      expect(account.body.depositInstructions.beneficiaryName).toBe('Gracewyn Hopperfield')
      // A stored webhook body that names the customer (Align's may carry more than the ids).
      const body = JSON.stringify({
        event_type: 'customer.kycs.updated',
        entity_id: alignId,
        entity_type: 'customer',
        created_at: new Date().toISOString(),
        customer: { email, first_name: 'Gracewyn', last_name: 'Hopperfield' },
      })
      await deliver(service.url, body, f.emulator.apiKey).expect(200)
      await eventually('the events and deliveries to be written', async () => {
        const [events, deliveries] = await Promise.all([
          f.prisma.event.count({ where: { customerId: id } }),
          f.prisma.webhookDelivery.count({
            where: { entityId: { in: [alignId, account.body.alignVirtualAccountId] } },
          }),
        ])
        return events >= 3 && deliveries >= 2
      })

      const needles = [email.toLowerCase(), 'gracewyn', 'hopperfield', kycUrl.toLowerCase()]
      // The scan finds them before (so it can fail), and nothing after.
      expect((await scanEveryTable(f.prisma, needles)).length).toBeGreaterThan(0)

      await request(service.url).post(`/v1/customers/${id}/redact`).set(AUTH).expect(403)
      const redacted = await request(service.url)
        .post(`/v1/customers/${id}/redact`)
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(redacted.body).toMatchObject({
        id,
        alignCustomerId: alignId,
        email: `redacted+${id}@invalid`,
        firstName: null,
        lastName: null,
        companyName: null,
        kyc: { status: 'approved' },
        redactedAt: expect.any(String),
      })
      expect(await scanEveryTable(f.prisma, needles)).toEqual([])

      // The skeleton is kept.
      const kyc = await request(service.url).get(`/v1/customers/${id}/kyc`).set(AUTH).expect(200)
      expect(kyc.body.status).toBe('approved')
      expect(kyc.body.history.map((h: { status: string }) => h.status)).toContain('approved')
      expect(kyc.body.session).toBeNull()
      const accounts = await request(service.url)
        .get(`/v1/customers/${id}/virtual-accounts`)
        .set(AUTH)
        .expect(200)
      expect(accounts.body.items).toEqual([
        expect.objectContaining({
          id: account.body.id,
          status: 'active',
          destinationAddress: account.body.destinationAddress,
        }),
      ])
      expect(accounts.body.items[0].depositInstructions).toMatchObject({ beneficiaryName: null })
      const deliveries = await f.prisma.webhookDelivery.findMany({
        where: { entityId: { in: [alignId, account.body.alignVirtualAccountId] } },
      })
      expect(deliveries.length).toBeGreaterThanOrEqual(3)
      expect(deliveries.every((d) => d.rawBody === null && d.eventType !== '')).toBe(true)

      // One customer.redacted event; a second call changes and emits nothing.
      const redactedEvents = () =>
        f.prisma.event.count({ where: { customerId: id, type: 'customer.redacted' } })
      expect(await redactedEvents()).toBe(1)
      const eventsBefore = await f.prisma.event.count({ where: { customerId: id } })
      const again = await request(service.url)
        .post(`/v1/customers/${id}/redact`)
        .set(OPERATOR_AUTH)
        .expect(200)
      // updatedAt may have moved: the worker applies what Align reports (statuses are kept up to date).
      const same = { ...redacted.body, updatedAt: expect.any(String) }
      expect(again.body).toEqual(same)
      expect(await f.prisma.event.count({ where: { customerId: id } })).toBe(eventsBefore)
      expect((await request(service.url).get(`/v1/customers/${id}`).set(AUTH).expect(200)).body).toEqual(same)

      // Later uses: 409 customer_redacted.
      for (const res of [
        await request(service.url)
          .post(`/v1/customers/${id}/kyc-sessions`)
          .set(AUTH)
          .send({ forceRenew: true }),
        await request(service.url).post(`/v1/customers/${id}/virtual-accounts`).set(AUTH).send({
          sourceCurrency: 'usd',
          destinationToken: 'usdt',
          destinationNetwork: 'polygon',
          destinationAddress: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
        }),
        // Align still has the email: the create would adopt the redacted Align customer.
        await request(service.url)
          .post('/v1/customers')
          .set(AUTH)
          .send({ email, type: 'individual', firstName: 'Gracewyn', lastName: 'Hopperfield' }),
      ]) {
        expect([res.status, res.body.code]).toEqual([409, 'customer_redacted'])
      }
      // The placeholder is no address anyone can create a customer with.
      const placeholder = await request(service.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email: `redacted+${id}@invalid`, type: 'individual', firstName: 'X', lastName: 'Y' })
      expect([placeholder.status, placeholder.body.code]).toEqual([400, 'validation_failed'])
      expect(await scanEveryTable(f.prisma, needles)).toEqual([])
      expect(await f.prisma.customer.count()).toBe(1)

      // A later webhook about the customer is stored without its body.
      const later = JSON.stringify({ ...JSON.parse(body), created_at: new Date().toISOString() })
      await deliver(service.url, later, f.emulator.apiKey).expect(200)
      expect(await scanEveryTable(f.prisma, needles)).toEqual([])

      // The redaction is logged by id, with no personal data.
      const lines = service.log.split('\n').filter((l) => /redact/i.test(l))
      expect(lines.some((l) => l.includes(`redacted customer ${id}`))).toBe(true)
      for (const needle of needles) expect(lines.join('\n').toLowerCase()).not.toContain(needle)
    })

    it('answers 404 for an unknown customer and 400 for a bad id', async () => {
      const service = await f.start()
      const missing = await request(service.url)
        .post(`/v1/customers/${randomUUID()}/redact`)
        .set(OPERATOR_AUTH)
        .expect(404)
      expect(missing.body.code).toBe('customer_not_found')
      await request(service.url).post('/v1/customers/nope/redact').set(OPERATOR_AUTH).expect(400)
    })
  })

  describe('WEBHOOK_BODY_RETENTION', () => {
    it('erases the bodies older than the retention at start-up, in batches, keeping their metadata', async () => {
      // 1,200 deliveries received 40 days ago (more than two batches) and one from yesterday.
      await f.prisma.$executeRawUnsafe(`
        INSERT INTO webhook_deliveries (id, body_hash, raw_body, event_type, entity_id, event_created_at, status, received_at)
        SELECT gen_random_uuid(), 'old-' || g, '{"old":' || g || '}', 'customer.kycs.updated', 'entity-' || g,
               now() - interval '40 days', 'processed', now() - interval '40 days'
          FROM generate_series(1, 1200) g`)
      await f.prisma.$executeRawUnsafe(`
        INSERT INTO webhook_deliveries (id, body_hash, raw_body, event_type, entity_id, event_created_at, status, received_at)
        VALUES (gen_random_uuid(), 'recent', '{"recent":true}', 'customer.kycs.updated', 'entity-r',
                now() - interval '1 day', 'processed', now() - interval '1 day')`)
      const service = await f.start()
      await eventually('the old bodies to be erased', async () => {
        return (await f.prisma.webhookDelivery.count({ where: { rawBody: { not: null } } })) === 1
      })
      const kept = await f.prisma.webhookDelivery.findMany({ where: { rawBody: { not: null } } })
      expect(kept.map((d) => d.bodyHash)).toEqual(['recent'])
      // Metadata kept: every row is still there and listed.
      expect(await f.prisma.webhookDelivery.count()).toBe(1201)
      const page = await request(service.url)
        .get('/v1/webhooks/deliveries')
        .query({ limit: 100 })
        .set(OPERATOR_AUTH)
        .expect(200)
      expect(page.body.items).toHaveLength(100)
      expect(service.log).toMatch(/erased 1200 webhook bodies/)
    })

    it('keeps erasing while running, on several instances at once', async () => {
      const env = { WEBHOOK_BODY_RETENTION: '2s' }
      const [a, b] = [await f.start(env), await f.start(env)]
      const body = JSON.stringify({
        event_type: 'customer.kycs.updated',
        entity_id: randomUUID(),
        entity_type: 'customer',
        created_at: new Date().toISOString(),
      })
      await deliver(a.url, body, f.emulator.apiKey).expect(200)
      const stored = await f.prisma.webhookDelivery.findFirstOrThrow({ where: { rawBody: body } })
      await eventually(
        'the body to be erased',
        async () => {
          const d = await f.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: stored.id } })
          return d.rawBody === null
        },
        10_000,
      )
      const d = await f.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: stored.id } })
      expect(d).toMatchObject({ eventType: 'customer.kycs.updated', bodyHash: stored.bodyHash })
      // Erased once: by one of the two instances.
      const logged = [a, b].map((s) => (s.log.match(/erased 1 webhook bodies/g) ?? []).length)
      expect(logged[0]! + logged[1]!).toBe(1)
    })
  })
})

/** Starts a service whose environment lacks `name` (serviceEnv sets it). */
async function startWithout(f: ReturnType<typeof eachTestFixture>, name: string): Promise<ServiceProcess> {
  const env: Record<string, string> = serviceEnv(f.emulator, f.db.url, { RECONCILE_INTERVAL: '0' })
  delete env[name]
  const s = await ServiceProcess.start(env)
  f.services.push(s)
  return s
}

/**
 * Every text, varchar, json/jsonb and array column of every table of the schema, searched
 * case-insensitively for each needle: returns `table.column: needle` for each hit.
 */
async function scanEveryTable(prisma: ReturnType<typeof eachTestFixture>['prisma'], needles: string[]) {
  const columns = await prisma.$queryRawUnsafe<{ table_name: string; column_name: string }[]>(`
    SELECT c.table_name, c.column_name
      FROM information_schema.columns c JOIN information_schema.tables t
        ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
       AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`)
  expect(columns.length).toBeGreaterThan(20)
  const hits: string[] = []
  for (const { table_name, column_name } of columns) {
    for (const needle of needles) {
      const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "${table_name}" WHERE lower("${column_name}"::text) LIKE '%' || $1 || '%'`,
        needle,
      )
      if (row!.n > 0) hits.push(`${table_name}.${column_name}: ${needle}`)
    }
  }
  return hits
}

/**
 * Customers A-F in [2026-10-01, 2026-10-04), G and H outside it, P pending but fresh; history,
 * links, inbound and outbound deliveries with known counts (see the expectations).
 */
async function seedStats(prisma: ReturnType<typeof eachTestFixture>['prisma']) {
  const ids: Record<string, string> = {}
  const customer = async (key: string, createdAt: string, status: string, updatedAt = createdAt) => {
    ids[key] = randomUUID()
    await prisma.$executeRawUnsafe(
      `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, first_name, last_name,
                              kyc_status, kyc_updated_at, created_at, updated_at)
       VALUES ($1::uuid, $2, $3, $3, 'individual', 'F', 'L', $4::"KycStatus", $5::timestamptz, $6::timestamptz, now())`,
      ids[key],
      `align-${key}`,
      `${key}@example.com`,
      status,
      updatedAt,
      createdAt,
    )
  }
  const history = async (key: string, createdAt: string, steps: [string, number][]) => {
    let previous = 'not_started'
    for (const [status, afterSeconds] of steps) {
      await prisma.$executeRawUnsafe(
        `INSERT INTO kyc_status_history (id, customer_id, status, previous_status, source, occurred_at)
         VALUES (gen_random_uuid(), $1::uuid, $2::"KycStatus", $3::"KycStatus", 'webhook',
                 $4::timestamptz + $5::int * interval '1 second')`,
        ids[key],
        status,
        previous,
        createdAt,
        afterSeconds,
      )
      previous = status
    }
  }
  const session = (key: string) =>
    prisma.$executeRawUnsafe(
      `INSERT INTO kyc_sessions (id, customer_id, url, reason, issued_status, expires_at)
       VALUES (gen_random_uuid(), $1::uuid, 'https://kyc.example/' || $1, 'none_yet', 'not_started', now() + interval '1 day')`,
      ids[key],
    )
  const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString()
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString()

  await customer('a', '2026-10-01T10:00:00Z', 'approved')
  await history('a', '2026-10-01T10:00:00Z', [
    ['pending', 50],
    ['approved', 100],
  ])
  await session('a')
  await customer('b', '2026-10-01T12:00:00Z', 'approved')
  await history('b', '2026-10-01T12:00:00Z', [
    ['pending', 60],
    ['approved', 300],
  ])
  await customer('c', '2026-10-02T00:00:00Z', 'approved')
  await history('c', '2026-10-02T00:00:00Z', [
    ['pending', 10],
    ['rejected', 20],
    ['pending', 30],
    ['approved', 1000],
  ])
  await session('c')
  await customer('d', '2026-10-02T05:00:00Z', 'rejected')
  await history('d', '2026-10-02T05:00:00Z', [
    ['pending', 10],
    ['rejected', 20],
  ])
  await session('d')
  await customer('e', '2026-10-03T23:59:59.999Z', 'pending', tenDaysAgo)
  await history('e', '2026-10-03T23:59:59.999Z', [['pending', 0]])
  await customer('f', '2026-10-03T08:00:00Z', 'not_started')
  await customer('g', '2026-10-04T00:00:00Z', 'pending', tenDaysAgo)
  await history('g', '2026-10-04T00:00:00Z', [['pending', 5]])
  await session('g')
  await customer('h', '2026-09-30T23:59:59.999Z', 'not_started')
  await customer('p', '2026-09-01T00:00:00Z', 'pending', hourAgo)

  // Inbound: two parked (no such customer: never claimed), one failed, one processed.
  for (const [i, status] of ['pending', 'pending', 'failed', 'processed'].entries()) {
    await prisma.$executeRawUnsafe(
      `INSERT INTO webhook_deliveries (id, body_hash, raw_body, event_type, entity_id, event_created_at, status, next_attempt_at)
       VALUES (gen_random_uuid(), $1, '{}', 'customer.kycs.updated', 'nobody', now(), $2::"DeliveryStatus", NULL)`,
      `hash-${i}`,
      status,
    )
  }
  // Outbound: one pending (not due for a day), two failed, one delivered, to a disabled endpoint.
  const endpoint = randomUUID()
  await prisma.$executeRawUnsafe(
    `INSERT INTO webhook_endpoints (id, url, event_types, status, secret) VALUES ($1::uuid, 'https://hooks.example/x', '{}', 'disabled', 'x')`,
    endpoint,
  )
  for (const [i, status] of ['pending', 'failed', 'failed', 'delivered'].entries()) {
    const event = randomUUID()
    await prisma.$executeRawUnsafe(
      `INSERT INTO events (id, type, customer_id, sequence, data, position) VALUES ($1::uuid, 'customer.created', $2::uuid, $3::int, '{}', $3::int)`,
      event,
      ids['a'],
      i + 1,
    )
    await prisma.$executeRawUnsafe(
      `INSERT INTO event_deliveries (endpoint_id, event_id, customer_id, sequence, position, status, next_attempt_at, retry_until)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::int, $4::int, $5::"EventDeliveryStatus", now() + interval '1 day', now() + interval '3 days')`,
      endpoint,
      event,
      ids['a'],
      i + 1,
      status,
    )
  }
  await prisma.$executeRawUnsafe(
    `INSERT INTO event_feed (id, last_position) VALUES (1, 4) ON CONFLICT (id) DO UPDATE SET last_position = 4`,
  )
}
