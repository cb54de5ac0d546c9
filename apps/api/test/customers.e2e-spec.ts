import request from 'supertest'
import { AUTH, startStack } from './support/test-app.js'

describe('customers (e2e)', () => {
  let stack: Awaited<ReturnType<typeof startStack>>

  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(async () => {
    await stack?.close()
  })
  beforeEach(() => {
    stack.emulator.clearFaults()
    stack.emulator.resetCalls()
  })

  const alice = { email: 'Alice@Example.com', type: 'individual', firstName: 'Alice', lastName: 'Smith' }

  it('creates a customer in Align and returns it with 201', async () => {
    const res = await request(stack.url).post('/v1/customers').set(AUTH).send(alice).expect(201)
    expect(res.headers['content-type']).toMatch(/application\/json/)
    expect(res.body).toMatchObject({
      email: 'Alice@Example.com',
      type: 'individual',
      firstName: 'Alice',
      lastName: 'Smith',
      companyName: null,
      kyc: { status: 'not_started', subStatus: null },
    })
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(stack.emulator.getCustomer(res.body.alignCustomerId)?.email).toBe('Alice@Example.com')
    expect(stack.emulator.calls()['POST /v0/customers']).toBe(1)
  })

  it('returns the existing customer with 200 for the same email in any case, without calling Align', async () => {
    const first = await request(stack.url)
      .get('/v1/customers')
      .query({ email: 'alice@example.com' })
      .set(AUTH)
      .expect(200)
    expect(first.body.items).toHaveLength(1)
    const again = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ ...alice, email: 'ALICE@example.COM' })
      .expect(200)
    expect(again.body.id).toBe(first.body.items[0].id)
    expect(stack.emulator.calls()['POST /v0/customers'] ?? 0).toBe(0)
  })

  it('adopts a customer Align already has (409) instead of failing', async () => {
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'bob@example.com', type: 'individual', firstName: 'Bob', lastName: 'B' })
      .expect(201)
    // Forget it here, as if the earlier answer had been lost, then ask again.
    await stack.prisma.customer.delete({ where: { id: res.body.id } })
    const again = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'bob@example.com', type: 'individual', firstName: 'Bob', lastName: 'B' })
      .expect(201)
    expect(again.body.alignCustomerId).toBe(res.body.alignCustomerId)
    expect(stack.emulator.calls()['POST /v0/customers']).toBe(2)
    expect(stack.emulator.calls()['GET /v0/customers']).toBeGreaterThanOrEqual(1)
  })

  it('recovers from succeed-then-500 by looking the customer up, leaving one customer', async () => {
    stack.emulator.injectFault({ route: 'POST /v0/customers', kind: 'succeed-then-500', times: 1 })
    const body = { email: 'carol@example.com', type: 'corporate', companyName: 'Carol Ltd' }
    const res = await request(stack.url).post('/v1/customers').set(AUTH).send(body).expect(201)
    expect(res.body.companyName).toBe('Carol Ltd')
    const again = await request(stack.url).post('/v1/customers').set(AUTH).send(body).expect(200)
    expect(again.body.id).toBe(res.body.id)
    expect(stack.emulator.calls()['POST /v0/customers']).toBe(1)
  })

  it('answers 502 upstream_error when Align fails and leaves no customer behind', async () => {
    stack.emulator.injectFault({ route: 'POST /v0/customers', kind: '5xx', status: 500 })
    stack.emulator.injectFault({ route: 'GET /v0/customers', kind: '5xx', status: 500 })
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'dave@example.com', type: 'corporate', companyName: 'Dave Inc' })
      .expect(502)
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(res.body).toMatchObject({
      type: 'urn:align-kyc:problem:upstream_error',
      title: 'Align answered with an error',
      status: 502,
      code: 'upstream_error',
      instance: '/v1/customers',
    })
    expect(res.body.detail).toEqual(expect.any(String))
    expect(await stack.prisma.customer.count({ where: { emailNormalized: 'dave@example.com' } })).toBe(0)
    const list = await request(stack.url)
      .get('/v1/customers')
      .query({ email: 'dave@example.com' })
      .set(AUTH)
      .expect(200)
    expect(list.body.items).toEqual([])
  })

  it('answers 503 upstream_unavailable with Retry-After when Align times out', async () => {
    stack.emulator.injectFault({ route: 'POST /v0/customers', kind: 'timeout' })
    stack.emulator.injectFault({ route: 'GET /v0/customers', kind: 'timeout' })
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'erin@example.com', type: 'corporate', companyName: 'Erin' })
      .expect(503)
    expect(res.body.code).toBe('upstream_unavailable')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(await stack.prisma.customer.count({ where: { emailNormalized: 'erin@example.com' } })).toBe(0)
  })

  it('rejects invalid bodies with 400 and field errors, sending nothing to Align', async () => {
    const cases: [object, string][] = [
      [{ email: 'not-an-email', type: 'individual', firstName: 'A', lastName: 'B' }, 'email'],
      [{ email: 'x@example.com', type: 'robot' }, 'type'],
      [{ email: 'x@example.com', type: 'individual', firstName: 'A' }, 'lastName'],
      [{ email: 'x@example.com', type: 'corporate' }, 'companyName'],
      [{ email: 'x@example.com', type: 'corporate', companyName: 'X', extra: 1 }, 'extra'],
      [{ email: 42, type: 'corporate', companyName: 'X' }, 'email'],
    ]
    for (const [body, field] of cases) {
      const res = await request(stack.url).post('/v1/customers').set(AUTH).send(body).expect(400)
      expect(res.body.code).toBe('validation_failed')
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
    }
    expect(stack.emulator.calls()['POST /v0/customers'] ?? 0).toBe(0)
  })

  it('rejects malformed JSON with 400 malformed_json', async () => {
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400)
    expect(res.body.code).toBe('malformed_json')
  })

  it('answers odd bodies and queries with 4xx problems, never 500', async () => {
    const bodies = [
      '[]',
      '"x"',
      'null',
      '1e309',
      '{"email":{}}',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{}}}',
    ]
    for (const body of bodies) {
      const res = await request(stack.url)
        .post('/v1/customers')
        .set(AUTH)
        .set('content-type', 'application/json')
        .send(body)
      expect(res.status).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    }
    const text = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .set('content-type', 'text/plain')
      .send('hi')
      .expect(415)
    expect(text.body.code).toBe('unsupported_media_type')
    for (const q of ['limit=1.5', 'email=a@b.co&email=c@d.co', 'cursor=%00%ff', 'status=']) {
      const res = await request(stack.url).get(`/v1/customers?${q}`).set(AUTH)
      expect(res.status).toBeLessThan(500)
    }
    expect(stack.emulator.calls()['POST /v0/customers'] ?? 0).toBe(0)
  })

  it('rejects bodies over the size limit with 413', async () => {
    const res = await request(stack.url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: 'big@example.com', type: 'corporate', companyName: 'x'.repeat(200 * 1024) })
      .expect(413)
    expect(res.body.code).toBe('payload_too_large')
  })

  it('requires a bearer token from API_KEYS', async () => {
    await request(stack.url).get('/v1/customers').expect(401)
    const res = await request(stack.url).get('/v1/customers').set('authorization', 'Bearer wrong').expect(401)
    expect(res.body.code).toBe('unauthorized')
    await request(stack.url).get('/v1/customers').set('authorization', 'Bearer second-token').expect(200)
    await request(stack.url).get('/v1/customers').set('authorization', 'test-token').expect(401)
  })

  it('gets a customer by id; 404 for an unknown one, 400 for a non-UUID', async () => {
    const list = await request(stack.url).get('/v1/customers').set(AUTH).expect(200)
    const id = list.body.items[0].id
    const res = await request(stack.url).get(`/v1/customers/${id}`).set(AUTH).expect(200)
    expect(res.body.id).toBe(id)
    const missing = await request(stack.url)
      .get('/v1/customers/00000000-0000-4000-8000-000000000000')
      .set(AUTH)
      .expect(404)
    expect(missing.body.code).toBe('customer_not_found')
    const bad = await request(stack.url).get('/v1/customers/not-a-uuid').set(AUTH).expect(400)
    expect(bad.body.code).toBe('validation_failed')
  })

  it('lists newest first with cursor pagination and filters', async () => {
    for (let i = 0; i < 5; i++) {
      await request(stack.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email: `page${i}@example.com`, type: 'corporate', companyName: `P${i}` })
        .expect(201)
    }
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q: Record<string, string | number> = { limit: 2, ...(cursor ? { cursor } : {}) }
      const res = await request(stack.url).get('/v1/customers').query(q).set(AUTH).expect(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items.map((c: { createdAt: string; id: string }) => c.createdAt))
      cursor = res.body.nextCursor
      pages++
    } while (cursor && pages < 20)
    const total = await stack.prisma.customer.count()
    expect(seen).toHaveLength(total)
    expect([...seen].sort().reverse()).toEqual(seen)
    const pending = await request(stack.url)
      .get('/v1/customers')
      .query({ status: 'pending' })
      .set(AUTH)
      .expect(200)
    expect(pending.body.items).toEqual([])
    for (const bad of [
      { limit: 0 },
      { limit: 101 },
      { limit: 'x' },
      { status: 'weird' },
      { cursor: 'garbage' },
    ]) {
      const res = await request(stack.url).get('/v1/customers').query(bad).set(AUTH).expect(400)
      expect(res.body.code).toBe('validation_failed')
    }
  })

  it('carries a request id on every response, reusing a well-formed incoming one', async () => {
    const a = await request(stack.url)
      .get('/v1/customers')
      .set(AUTH)
      .set('x-request-id', 'abc-123')
      .expect(200)
    expect(a.headers['x-request-id']).toBe('abc-123')
    const b = await request(stack.url).get('/v1/nope').set(AUTH).expect(404)
    expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.body.code).toBe('not_found')
  })
})
