import { inspect } from 'node:util'
import axios from 'axios'
import { AlignClient } from './client.js'
import {
  AlignApiError,
  AlignAuthenticationError,
  AlignBadRequestError,
  AlignConflictError,
  AlignConnectionError,
  AlignError,
  AlignNotFoundError,
  AlignPermissionError,
  AlignRateLimitError,
  AlignResponseError,
  AlignServerError,
  AlignTimeoutError,
  AlignUnprocessableEntityError,
  AlignValidationError,
} from './core/errors.js'
import { AlignEmulator } from './testing/emulator.js'
import { closedPortUrl, startServer, type TestServer } from './test-support/http.js'

const SECRET_KEY = 'sk_test_TOP_SECRET_0123456789'

let emulator: AlignEmulator
let client: AlignClient

beforeAll(async () => {
  emulator = new AlignEmulator({ apiKey: SECRET_KEY })
  await emulator.start()
})
afterAll(() => emulator.stop())
beforeEach(() => {
  emulator.reset()
  client = new AlignClient({
    apiKey: SECRET_KEY,
    baseUrl: emulator.url,
    retryBaseDelayMs: 1,
    timeoutMs: 2_000,
  })
})

const individual = (email = 'ada@example.com') =>
  ({ email, type: 'individual', first_name: 'Ada', last_name: 'Lovelace' }) as const

describe('AlignClient options', () => {
  it('defaults to the sandbox base URL and honours production and baseUrl', () => {
    expect(new AlignClient({ apiKey: 'k' }).baseUrl).toBe('https://api-sandbox.alignlabs.dev')
    expect(new AlignClient({ apiKey: 'k', environment: 'production' }).baseUrl).toBe(
      'https://api.alignlabs.dev',
    )
    expect(new AlignClient({ apiKey: 'k', baseUrl: 'http://localhost:1/' }).baseUrl).toBe(
      'http://localhost:1',
    )
  })

  it.each([
    [{ apiKey: '' }, 'apiKey'],
    [{ apiKey: 'k', timeoutMs: 0 }, 'timeoutMs'],
    [{ apiKey: 'k', maxRetries: -1 }, 'maxRetries'],
    [{ apiKey: 'k', maxRetries: 1.5 }, 'maxRetries'],
    [{ apiKey: 'k', baseUrl: 'ftp://x' }, 'baseUrl'],
  ])('rejects invalid options %j', (options, path) => {
    const attempt = () => new AlignClient(options as never)
    expect(attempt).toThrow(AlignValidationError)
    try {
      attempt()
    } catch (error) {
      expect((error as AlignValidationError).errors[0]?.path).toBe(path)
    }
  })
})

describe('customers', () => {
  it('creates, gets, lists by email and updates a customer', async () => {
    const created = await client.customers.create(individual())
    expect(created).toMatchObject({ email: 'ada@example.com', type: 'individual', first_name: 'Ada' })
    expect(created.customer_id).toEqual(expect.any(String))

    await expect(client.customers.get(created.customer_id)).resolves.toEqual(created)
    await client.customers.create({ email: 'acme@example.com', type: 'corporate', company_name: 'Acme' })
    const listed = await client.customers.list({ email: 'ada@example.com' })
    expect(listed.items.map((c) => c.customer_id)).toEqual([created.customer_id])
    expect((await client.customers.list()).items).toHaveLength(2)

    const updated = await client.customers.update(created.customer_id, {
      documents: [{ file_id: 'file_1', purpose: 'id_document' }],
    })
    expect(updated).toEqual({}) // Align answers an empty object
  })

  it('maps a duplicate email to AlignConflictError with code and request id', async () => {
    await client.customers.create(individual())
    const error = await client.customers.create(individual()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignConflictError)
    expect(error).toBeInstanceOf(AlignApiError)
    expect(error).toMatchObject({
      status: 409,
      code: 'customer_already_exists',
      requestId: expect.stringMatching(/^req_/),
    })
    expect(emulator.calls()['POST /v0/customers']).toBe(2)
  })

  it('maps an unknown customer to AlignNotFoundError without retrying', async () => {
    await expect(client.customers.get('nope')).rejects.toBeInstanceOf(AlignNotFoundError)
    expect(emulator.calls()['GET /v0/customers/:id']).toBe(1)
  })

  it('encodes path parameters', async () => {
    await expect(client.customers.get('a/b?c=d#e')).rejects.toMatchObject({ status: 404 })
    expect(emulator.calls()).toEqual({ 'GET /v0/customers/:id': 1 })
  })

  it('creates KYC sessions and simulates approval', async () => {
    const { customer_id } = await client.customers.create(individual())
    const session = await client.customers.createKycSession(customer_id)
    expect(session.kycs.kyc_flow_link).toMatch(new RegExp(`^${emulator.url}/flow/`))
    await expect(
      client.customers.simulateCustomer({ customer_id, action: 'kyc.status.approve' }),
    ).resolves.toEqual({})
    const customer = await client.customers.get(customer_id)
    expect(customer.kycs).toMatchObject({ status: 'approved', sub_status: 'kyc_form_submission_accepted' })
    expect(customer.kycs?.status_breakdown).toEqual([
      { currency: 'usd', payment_rails: 'ach', status: 'approved' },
      { currency: 'usd', payment_rails: 'wire', status: 'approved' },
      { currency: 'eur', payment_rails: 'sepa', status: 'approved' },
      { currency: 'usd', payment_rails: 'swift', status: 'approved' },
      { currency: 'aed', payment_rails: 'uaefts', status: 'approved' },
    ])
  })

  it('keeps unknown enum values as strings', async () => {
    const { customer_id } = await client.customers.create(individual())
    emulator.setKycState(customer_id, { status: 'under_manual_review', sub_status: 'kyc_something_new' })
    const customer = await client.customers.get(customer_id)
    expect(customer.kycs?.status).toBe('under_manual_review')
    expect(customer.kycs?.sub_status).toBe('kyc_something_new')
  })
})

describe('webhooks resource', () => {
  it('creates, lists and deletes webhooks', async () => {
    const webhook = await client.webhooks.create({ url: 'https://example.com/hooks/align' })
    expect(webhook).toEqual({
      id: expect.any(String),
      url: 'https://example.com/hooks/align',
      status: 'active',
      created_at: expect.any(String),
    })
    expect((await client.webhooks.list()).items).toEqual([webhook])
    await expect(client.webhooks.delete(webhook.id)).resolves.toBeUndefined()
    expect((await client.webhooks.list()).items).toEqual([])
    await expect(client.webhooks.delete(webhook.id)).rejects.toBeInstanceOf(AlignNotFoundError)
  })
})

describe('request validation sends nothing', () => {
  it.each([
    [
      'individual without last_name',
      () => client.customers.create({ email: 'a@b.co', type: 'individual', first_name: 'A' } as never),
      'last_name',
    ],
    ['bad email', () => client.customers.create({ ...individual('not-an-email') }), 'email'],
    [
      'corporate without company_name',
      () => client.customers.create({ email: 'a@b.co', type: 'corporate' } as never),
      'company_name',
    ],
    ['unknown type', () => client.customers.create({ email: 'a@b.co', type: 'robot' } as never), 'type'],
    ['empty customer id (get)', () => client.customers.get(''), ''],
    ['blank customer id (kycs)', () => client.customers.createKycSession('   '), ''],
    ['non-string id', () => client.customers.get(undefined as never), ''],
    [
      'document without file_id',
      () => client.customers.update('c1', { documents: [{ purpose: 'x' }] } as never),
      'documents.0.file_id',
    ],
    [
      'simulate without customer_id',
      () => client.customers.simulateCustomer({ action: 'kyc.status.approve' } as never),
      'customer_id',
    ],
    ['webhook with a non-URL', () => client.webhooks.create({ url: 'not a url' }), 'url'],
    ['webhook delete with empty id', () => client.webhooks.delete(''), ''],
  ])('%s', async (_name, call, path) => {
    const error = await call().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignValidationError)
    expect((error as AlignValidationError).errors.map((e) => e.path)).toContain(path)
    expect(emulator.calls()).toEqual({})
  })
})

describe('error factory', () => {
  let stub: TestServer
  let status = 500
  beforeAll(async () => {
    stub = await startServer(() => ({ status, body: JSON.stringify({ message: 'nope', code: 'some_code' }) }))
  })
  afterAll(() => stub.close())

  it.each([
    [400, AlignBadRequestError],
    [401, AlignAuthenticationError],
    [403, AlignPermissionError],
    [404, AlignNotFoundError],
    [409, AlignConflictError],
    [422, AlignUnprocessableEntityError],
    [429, AlignRateLimitError],
    [500, AlignServerError],
    [503, AlignServerError],
    [418, AlignApiError],
  ])('maps %i to %p', async (code, Ctor) => {
    status = code
    const c = new AlignClient({ apiKey: 'k', baseUrl: stub.url, maxRetries: 0 })
    const error = await c.webhooks.create({ url: 'https://x.test' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Ctor)
    expect((error as Error).constructor).toBe(Ctor)
    expect(error).toMatchObject({
      status: code,
      code: 'some_code',
      body: { message: 'nope', code: 'some_code' },
    })
    expect((error as Error).message).toContain('nope')
  })
})

describe('tolerant response parsing', () => {
  let stub: TestServer
  let reply: { status: number; body: string } = { status: 200, body: '{}' }
  beforeAll(async () => {
    stub = await startServer(() => reply)
  })
  afterAll(() => stub.close())
  const stubClient = () => new AlignClient({ apiKey: 'k', baseUrl: stub.url, maxRetries: 0 })

  it('ignores extra fields and accepts payment_rails as a list', async () => {
    reply = {
      status: 200,
      body: JSON.stringify({
        customer_id: 'c1',
        email: 'a@b.co',
        type: 'individual',
        brand_new_field: { nested: true },
        kycs: {
          status: 'pending',
          sub_status: null,
          status_breakdown: [{ currency: 'usd', payment_rails: ['ach', 'wire'], status: 'pending' }],
        },
      }),
    }
    const customer = await stubClient().customers.get('c1')
    expect(customer.kycs?.status_breakdown?.[0]?.payment_rails).toEqual(['ach', 'wire'])
    expect((customer as Record<string, unknown>)['brand_new_field']).toEqual({ nested: true })
  })

  it('is an AlignResponseError with the raw text when a required field is missing', async () => {
    reply = { status: 200, body: JSON.stringify({ email: 'a@b.co', type: 'individual' }) }
    const error = await stubClient()
      .customers.get('c1')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignResponseError)
    expect(error).toMatchObject({ status: 200, rawBody: reply.body })
    expect((error as AlignResponseError).issues.map((i) => i.path)).toContain('customer_id')
  })

  it('is an AlignResponseError when the body is not JSON', async () => {
    reply = { status: 200, body: '<html>gateway</html>' }
    await expect(stubClient().customers.list()).rejects.toMatchObject({
      name: 'AlignResponseError',
      rawBody: '<html>gateway</html>',
    })
  })

  it('keeps a non-JSON error body as raw text on the API error', async () => {
    reply = { status: 502, body: '<html>bad gateway</html>' }
    await expect(stubClient().customers.list()).rejects.toMatchObject({
      name: 'AlignServerError',
      status: 502,
      code: undefined,
      body: '<html>bad gateway</html>',
    })
  })
})

describe('the API key never leaks', () => {
  const leaks = (value: unknown) => {
    const texts = [
      String(value),
      inspect(value, { depth: 20, showHidden: true }),
      JSON.stringify(value) ?? '',
      value instanceof Error ? `${value.message}\n${value.stack ?? ''}` : '',
    ]
    return texts.some((t) => t.includes(SECRET_KEY))
  }

  it('is not in JSON.stringify or util.inspect of the client or its resources', () => {
    expect(JSON.stringify(client)).toBe(JSON.stringify({ baseUrl: emulator.url }))
    expect(leaks(client)).toBe(false)
    expect(leaks(client.customers)).toBe(false)
    expect(leaks(client.webhooks)).toBe(false)
    expect(leaks(Object.entries(client))).toBe(false)
  })

  it('is not in any error, whatever the failure', async () => {
    const logs: unknown[] = []
    const logger = {
      warn: (...args: unknown[]) => logs.push(args),
      debug: (...args: unknown[]) => logs.push(args),
    }
    const closed = await closedPortUrl()
    const echo = await startServer((req) => ({
      status: 400,
      body: JSON.stringify({ message: `bad key ${String(req.headers.authorization)}`, code: 'bad_key' }),
    }))
    const clients = {
      emulator: new AlignClient({
        apiKey: SECRET_KEY,
        baseUrl: emulator.url,
        retryBaseDelayMs: 1,
        attemptTimeoutMs: 100,
        timeoutMs: 1_000,
        logger,
      }),
      closed: new AlignClient({ apiKey: SECRET_KEY, baseUrl: closed, retryBaseDelayMs: 1, logger }),
      echo: new AlignClient({ apiKey: SECRET_KEY, baseUrl: echo.url, logger }),
      wrongKey: new AlignClient({ apiKey: `${SECRET_KEY}-wrong`, baseUrl: emulator.url }),
    }
    emulator.injectFault({ route: 'GET /v0/customers/:id', kind: '5xx', status: 503 })
    emulator.injectFault({ route: 'GET /v0/webhooks', kind: 'timeout' })
    emulator.injectFault({ route: 'GET /v0/customers', kind: 'malformed' })
    const errors = await Promise.all(
      [
        clients.emulator.customers.get('c1'),
        clients.emulator.webhooks.list(),
        clients.emulator.customers.list(),
        clients.emulator.customers.create({
          email: 'bad',
          type: 'individual',
          first_name: 'a',
          last_name: 'b',
        }),
        clients.closed.customers.get('c1'),
        clients.echo.customers.get('c1'),
        clients.wrongKey.customers.createKycSession('c1'),
      ].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    )
    await echo.close()
    expect(errors.map((e) => (e as Error).name)).toEqual([
      'AlignServerError',
      'AlignTimeoutError',
      'AlignResponseError',
      'AlignValidationError',
      'AlignConnectionError',
      'AlignBadRequestError',
      'AlignAuthenticationError',
    ])
    for (const error of errors) {
      expect(error).toBeInstanceOf(AlignError)
      expect(leaks(error)).toBe(false)
    }
    // the echoing server's body is redacted, not dropped
    expect((errors[5] as AlignApiError).body).toEqual({ message: 'bad key [redacted]', code: 'bad_key' })
    expect(logs.length).toBeGreaterThan(0)
    expect(leaks(logs)).toBe(false)
    expect(errors[1]).toBeInstanceOf(AlignTimeoutError)
    expect(errors[4]).toBeInstanceOf(AlignConnectionError)
  })
})

describe('injected axios instance', () => {
  it('is used as is and never mutated', async () => {
    const http = axios.create()
    let seen = 0
    http.interceptors.request.use((config) => {
      seen++
      return config
    })
    const before = {
      defaults: JSON.stringify(http.defaults, (_k, v: unknown) => (typeof v === 'function' ? 'fn' : v)),
      request: (http.interceptors.request as unknown as { handlers: unknown[] }).handlers.length,
      response: (http.interceptors.response as unknown as { handlers: unknown[] }).handlers.length,
    }
    const injected = new AlignClient({ apiKey: SECRET_KEY, baseUrl: emulator.url, http })
    await injected.customers.create(individual())
    await injected.customers.list()
    expect(seen).toBe(2)
    expect({
      defaults: JSON.stringify(http.defaults, (_k, v: unknown) => (typeof v === 'function' ? 'fn' : v)),
      request: (http.interceptors.request as unknown as { handlers: unknown[] }).handlers.length,
      response: (http.interceptors.response as unknown as { handlers: unknown[] }).handlers.length,
    }).toEqual(before)
  })
})
