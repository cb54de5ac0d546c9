import { setTimeout as sleep } from 'node:timers/promises'
import request from 'supertest'
import { AUTH, ServiceProcess, serviceEnv, startStack, type Stack } from './support/test-app.js'

const SECRET_A = 'client-token-secret-a-0123456789abcdef'
const SECRET_B = 'client-token-secret-b-0123456789abcdef'
const ORIGIN = 'http://localhost:8080'

/**
 * Client tokens (api-contract.md, "Frontends"): minted by a backend for one customer, accepted on the
 * link, status and stream routes of that customer only; expired or tampered 401, anything else 403.
 */
describe('client tokens (e2e)', () => {
  let stack: Stack
  let n = 0

  beforeAll(async () => {
    stack = await startStack({ CLIENT_TOKEN_SECRET: SECRET_A, CORS_ORIGINS: ORIGIN })
  })
  afterAll(async () => {
    await stack?.close()
  })

  async function newCustomer(url = stack.url): Promise<string> {
    const res = await request(url)
      .post('/v1/customers')
      .set(AUTH)
      .send({ email: `ct${n++}@example.com`, type: 'individual', firstName: 'C', lastName: 'T' })
      .expect(201)
    return res.body.id
  }

  async function mint(customerId: string, body: object = {}, url = stack.url): Promise<string> {
    const res = await request(url).post(`/v1/customers/${customerId}/client-tokens`).set(AUTH).send(body)
    expect(res.status).toBe(201)
    return res.body.token
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

  it('mints a token for the customer: 201 {token, expiresAt, customerId}, 15 minutes by default', async () => {
    const id = await newCustomer()
    const before = Date.now()
    const res = await request(stack.url).post(`/v1/customers/${id}/client-tokens`).set(AUTH).expect(201)
    expect(Object.keys(res.body).sort()).toEqual(['customerId', 'expiresAt', 'token'])
    expect(res.body.customerId).toBe(id)
    const expiresAt = new Date(res.body.expiresAt).getTime()
    // Whole seconds (JWT's exp), 15 minutes after the request, rounded up to the next second.
    expect(expiresAt % 1000).toBe(0)
    expect(expiresAt).toBeGreaterThanOrEqual(before + 15 * 60_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1000)
    // A JWT whose claims name the customer and say what it is for (the browser may read them).
    const [header, payload] = (res.body.token as string)
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()))
    expect(header).toMatchObject({ alg: 'HS256', typ: 'kyc-client+jwt' })
    expect(payload).toMatchObject({ sub: id, aud: 'align-kyc:client' })
    expect(payload.exp * 1000).toBe(new Date(res.body.expiresAt).getTime())

    const short = await request(stack.url)
      .post(`/v1/customers/${id}/client-tokens`)
      .set(AUTH)
      .send({ ttl: '1h' })
      .expect(201)
    expect(new Date(short.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(59 * 60_000)
  })

  it.each([['2h'], ['0s'], ['soon'], [15]])('refuses ttl %j: 400 validation_failed', async (ttl) => {
    const id = await newCustomer()
    const res = await request(stack.url)
      .post(`/v1/customers/${id}/client-tokens`)
      .set(AUTH)
      .send({ ttl })
      .expect(400)
    expect(res.body).toMatchObject({ code: 'validation_failed' })
    expect(res.body.errors[0].field).toBe('ttl')
  })

  it('needs an API token and a known customer', async () => {
    const id = await newCustomer()
    await request(stack.url).post(`/v1/customers/${id}/client-tokens`).expect(401)
    const res = await request(stack.url)
      .post('/v1/customers/00000000-0000-4000-8000-000000000000/client-tokens')
      .set(AUTH)
      .expect(404)
    expect(res.body.code).toBe('customer_not_found')
  })

  it("is accepted on the customer's link and status routes", async () => {
    const id = await newCustomer()
    const token = await mint(id)
    const status = await request(stack.url)
      .get(`/v1/customers/${id}/kyc/status`)
      .set(bearer(token))
      .expect(200)
    expect(status.body).toMatchObject({ status: 'not_started', subStatus: null, session: null })
    expect(status.body.capabilities).toMatchObject({ virtualAccounts: false, transfers: false })
    const link = await request(stack.url)
      .post(`/v1/customers/${id}/kyc-sessions`)
      .set(bearer(token))
      .send({})
      .expect(201)
    expect(link.body.kycUrl).toMatch(/^http/)
    const after = await request(stack.url)
      .get(`/v1/customers/${id}/kyc/status`)
      .set(bearer(token))
      .expect(200)
    expect(after.body.session).toEqual({
      kycUrl: link.body.kycUrl,
      expiresAt: link.body.expiresAt,
      expired: false,
    })
    // No personal data and no history on the status route, whoever asks.
    const viaKey = await request(stack.url).get(`/v1/customers/${id}/kyc/status`).set(AUTH).expect(200)
    expect(Object.keys(viaKey.body).sort()).toEqual([
      'capabilities',
      'session',
      'status',
      'subStatus',
      'updatedAt',
    ])
    expect(JSON.stringify(viaKey.body)).not.toMatch(/@example\.com|history/)
  })

  it('is refused with 403 insufficient_scope on every other route', async () => {
    const id = await newCustomer()
    const token = await mint(id)
    const other = [
      ['GET', `/v1/customers/${id}`],
      ['GET', `/v1/customers/${id}/kyc`],
      ['GET', `/v1/customers/${id}/capabilities`],
      ['POST', `/v1/customers/${id}/kyc/sync`],
      ['POST', `/v1/customers/${id}/client-tokens`],
      ['GET', `/v1/customers/${id}/virtual-accounts`],
      ['GET', '/v1/customers'],
      ['GET', '/v1/events'],
      ['GET', '/v1/webhook-endpoints'],
    ] as const
    for (const [method, path] of other) {
      const req = method === 'GET' ? request(stack.url).get(path) : request(stack.url).post(path).send({})
      const res = await req.set(bearer(token))
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 403,
        code: 'insufficient_scope',
      })
    }
  })

  it("is refused with 403 insufficient_scope on another customer's routes", async () => {
    const [mine, theirs] = [await newCustomer(), await newCustomer()]
    const token = await mint(mine)
    for (const req of [
      request(stack.url).get(`/v1/customers/${theirs}/kyc/status`),
      request(stack.url).post(`/v1/customers/${theirs}/kyc-sessions`).send({}),
      request(stack.url).get(`/v1/customers/${theirs}/kyc/events`),
    ]) {
      const res = await req.set(bearer(token)).expect(403)
      expect(res.body).toMatchObject({ code: 'insufficient_scope' })
      expect(res.body.detail).toMatch(/another customer/)
    }
  })

  it('is refused with 401 when tampered with, expired, or sent in the query outside the stream', async () => {
    const id = await newCustomer()
    const other = await newCustomer()
    const token = await mint(id)
    const [h, p, s] = token.split('.') as [string, string, string]
    // Another customer's id in the claims, the signature kept.
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: other })).toString('base64url')}.${s}`
    // One signature byte changed.
    const sig = Buffer.from(s, 'base64url')
    sig[0] = sig[0]! ^ 1
    const flipped = `${h}.${p}.${sig.toString('base64url')}`
    // "alg": "none" with the same claims.
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'kyc-client+jwt' })).toString('base64url')}.${p}.`
    for (const [what, bad, target] of [
      ['forged claims', forged, other],
      ['flipped signature', flipped, id],
      ['alg none', `${none}x`, id],
    ] as const) {
      const res = await request(stack.url).get(`/v1/customers/${target}/kyc/status`).set(bearer(bad))
      expect({ what, status: res.status, code: res.body.code }).toEqual({
        what,
        status: 401,
        code: 'unauthorized',
      })
    }
    // The query string is read on the stream route only.
    await request(stack.url).get(`/v1/customers/${id}/kyc/status?access_token=${token}`).expect(401)
    // An API token is never taken from the query string, not even on the stream route.
    await request(stack.url).get(`/v1/customers/${id}/kyc/events?access_token=test-token`).expect(401)

    // 2 s (exp rounded up: it lives 2-3 s), so a loaded machine still uses it before it expires.
    const brief = await mint(id, { ttl: '2s' })
    await request(stack.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(brief)).expect(200)
    await sleep(3_100)
    const expired = await request(stack.url)
      .get(`/v1/customers/${id}/kyc/status`)
      .set(bearer(brief))
      .expect(401)
    expect(expired.body.detail).toMatch(/expired/)
  })

  it('keeps tokens valid across a rotation of CLIENT_TOKEN_SECRET, and refuses those of a removed secret', async () => {
    const id = await newCustomer()
    const old = await mint(id)
    // A second instance after the rotation: the new secret signs, the old one still verifies.
    const rotated = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, { CLIENT_TOKEN_SECRET: `${SECRET_B},${SECRET_A}` }),
    )
    // And one where the old secret has been dropped.
    const dropped = await ServiceProcess.start(
      serviceEnv(stack.emulator, stack.db.url, { CLIENT_TOKEN_SECRET: SECRET_B }),
    )
    try {
      await request(rotated.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(old)).expect(200)
      const fresh = await mint(id, {}, rotated.url)
      await request(dropped.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(fresh)).expect(200)
      await request(dropped.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(old)).expect(401)
      // The instance still on the old secret alone does not know the new one.
      await request(stack.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(fresh)).expect(401)
    } finally {
      await Promise.all([rotated.stop(), dropped.stop()])
    }
  })

  it('outside production without CLIENT_TOKEN_SECRET, every instance on the database shares one generated secret', async () => {
    const [a, b] = await Promise.all([
      ServiceProcess.start(serviceEnv(stack.emulator, stack.db.url)),
      ServiceProcess.start(serviceEnv(stack.emulator, stack.db.url)),
    ])
    try {
      expect(a.log).toMatch(/CLIENT_TOKEN_SECRET is unset: client tokens are signed with a secret generated/)
      const id = await newCustomer(a.url)
      const token = await mint(id, {}, a.url)
      await request(b.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(token)).expect(200)
      // Not the configured secret of the first stack.
      await request(stack.url).get(`/v1/customers/${id}/kyc/status`).set(bearer(token)).expect(401)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  describe('CORS: browsers may call exactly the three client-token routes', () => {
    const preflight = (path: string, method: string, origin = ORIGIN) =>
      request(stack.url)
        .options(path)
        .set('origin', origin)
        .set('access-control-request-method', method)
        .set('access-control-request-headers', 'authorization,content-type')

    it('answers their preflights from CORS_ORIGINS, and their answers carry the grant', async () => {
      const id = await newCustomer()
      for (const [method, path] of [
        ['POST', `/v1/customers/${id}/kyc-sessions`],
        ['GET', `/v1/customers/${id}/kyc/status`],
        ['GET', `/v1/customers/${id}/kyc/events?access_token=x`],
      ] as const) {
        const res = await preflight(path, method).expect(204)
        expect(res.headers['access-control-allow-origin']).toBe(ORIGIN)
        expect(res.headers['access-control-allow-methods']).toContain(method)
        expect(res.headers['access-control-allow-headers']).toMatch(/authorization/)
      }
      const token = await mint(id)
      const status = await request(stack.url)
        .get(`/v1/customers/${id}/kyc/status`)
        .set('origin', ORIGIN)
        .set(bearer(token))
        .expect(200)
      expect(status.headers['access-control-allow-origin']).toBe(ORIGIN)
      expect(status.headers['access-control-expose-headers']).toMatch(/x-request-id/)
      // Another origin gets nothing, on these routes too.
      const evil = await preflight(`/v1/customers/${id}/kyc/status`, 'GET', 'https://evil.example').expect(
        403,
      )
      expect(evil.body).toMatchObject({ code: 'origin_not_allowed' })
    })

    it('opens no other route to browsers, from any origin', async () => {
      const id = await newCustomer()
      for (const [method, path] of [
        ['POST', '/v1/customers'],
        ['GET', `/v1/customers/${id}`],
        ['GET', `/v1/customers/${id}/kyc`],
        ['POST', `/v1/customers/${id}/client-tokens`],
        ['GET', `/v1/customers/${id}/capabilities`],
        ['GET', '/v1/events'],
        ['POST', '/v1/webhook-endpoints'],
      ] as const) {
        const res = await preflight(path, method)
        expect({ path, status: res.status, code: res.body.code }).toEqual({
          path,
          status: 403,
          code: 'origin_not_allowed',
        })
        expect(res.headers['access-control-allow-origin']).toBeUndefined()
        expect(res.body.detail).toMatch(/call .* from your backend/)
      }
      // An ordinary request from the allowed origin gets no grant either: the browser withholds the answer.
      const get = await request(stack.url)
        .get(`/v1/customers/${id}`)
        .set('origin', ORIGIN)
        .set(AUTH)
        .expect(200)
      expect(get.headers['access-control-allow-origin']).toBeUndefined()
    })
  })
})
