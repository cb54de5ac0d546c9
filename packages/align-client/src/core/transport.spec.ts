// Retry, timeout and abort rules, exercised against the emulator over real HTTP.
import { AlignClient, type AlignClientOptions } from '../client.js'
import { AlignEmulator, type AlignEmulatorFault } from '../testing/emulator.js'
import { closedPortUrl } from '../test-support/http.js'
import {
  AlignAbortError,
  AlignApiError,
  AlignConnectionError,
  AlignRateLimitError,
  AlignResponseError,
  AlignServerError,
  AlignTimeoutError,
} from './errors.js'

let emulator: AlignEmulator
let customerId: string

beforeAll(async () => {
  emulator = new AlignEmulator()
  await emulator.start()
})
afterAll(() => emulator.stop())
beforeEach(async () => {
  emulator.reset()
  // Setup, not under test: a deadline a loaded machine cannot miss.
  customerId = (
    await makeClient({ attemptTimeoutMs: 5_000 }).customers.create({
      email: 'r@example.com',
      type: 'individual',
      first_name: 'R',
      last_name: 'S',
    })
  ).customer_id
  emulator.resetCalls()
})

function makeClient(options: Partial<AlignClientOptions> = {}): AlignClient {
  return new AlignClient({
    apiKey: emulator.apiKey,
    baseUrl: emulator.url,
    retryBaseDelayMs: 1,
    attemptTimeoutMs: 150,
    timeoutMs: 3_000,
    ...options,
  })
}

const GET_CUSTOMER = 'GET /v0/customers/:id'
const CREATE_CUSTOMER = 'POST /v0/customers'

describe('idempotent requests are retried', () => {
  it.each<[string, Omit<AlignEmulatorFault, 'route' | 'times'>]>([
    ['500', { kind: '5xx' }],
    ['503', { kind: '5xx', status: 503 }],
    ['429', { kind: '5xx', status: 429 }],
    ['408', { kind: '5xx', status: 408 }],
    ['connection reset', { kind: 'reset' }],
    ['attempt timeout', { kind: 'timeout' }],
  ])('GET succeeds after one %s', async (_name, fault) => {
    emulator.injectFault({ route: GET_CUSTOMER, times: 1, ...fault })
    const customer = await makeClient().customers.get(customerId)
    expect(customer.customer_id).toBe(customerId)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(2)
  })

  it('GET list is retried too', async () => {
    emulator.injectFault({ route: 'GET /v0/customers', kind: '5xx', status: 502, times: 2 })
    await expect(makeClient().customers.list()).resolves.toMatchObject({
      items: [{ customer_id: customerId }],
    })
    expect(emulator.calls()['GET /v0/customers']).toBe(3)
  })

  it('PUT is retried', async () => {
    emulator.injectFault({ route: 'PUT /v0/customers/:id', kind: 'reset', times: 1 })
    await makeClient().customers.update(customerId, { documents: [{ file_id: 'f', purpose: 'p' }] })
    expect(emulator.calls()['PUT /v0/customers/:id']).toBe(2)
  })

  it('DELETE is retried', async () => {
    const client = makeClient()
    const webhook = await client.webhooks.create({ url: 'http://127.0.0.1:9/hook' })
    emulator.injectFault({ route: 'DELETE /v0/webhooks/:id', kind: '5xx', times: 1 })
    await client.webhooks.delete(webhook.id)
    expect(emulator.calls()['DELETE /v0/webhooks/:id']).toBe(2)
  })

  it('respects maxRetries (client option and per request)', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx' })
    await expect(makeClient({ maxRetries: 3 }).customers.get(customerId)).rejects.toBeInstanceOf(
      AlignServerError,
    )
    expect(emulator.calls()[GET_CUSTOMER]).toBe(4)
    emulator.resetCalls()
    await expect(makeClient().customers.get(customerId)).rejects.toBeInstanceOf(AlignServerError)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(3) // default maxRetries = 2
    emulator.resetCalls()
    await expect(
      makeClient({ maxRetries: 3 }).customers.get(customerId, { maxRetries: 0 }),
    ).rejects.toBeInstanceOf(AlignServerError)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })

  it('does not retry other 4xx', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 400 })
    await expect(makeClient().customers.get(customerId)).rejects.toMatchObject({ status: 400 })
    emulator.clearFaults()
    await expect(makeClient().customers.get('missing')).rejects.toMatchObject({ status: 404 })
    expect(emulator.calls()[GET_CUSTOMER]).toBe(2)
  })

  it('does not retry a malformed 2xx body', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: 'malformed', times: 1 })
    const error = await makeClient()
      .customers.get(customerId)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignResponseError)
    expect((error as AlignResponseError).rawBody).toContain('"customer_id": "cus_trunc')
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })

  it('logs each retry', async () => {
    const lines: [string, Record<string, unknown> | undefined][] = []
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 503, times: 2 })
    await makeClient({ logger: { warn: (message, meta) => lines.push([message, meta]) } }).customers.get(
      customerId,
    )
    expect(lines).toHaveLength(2)
    expect(lines[0]).toEqual([
      'align request retry',
      expect.objectContaining({ method: 'GET', attempt: 1, reason: 503 }),
    ])
  })
})

describe('Retry-After', () => {
  it('is honoured (seconds) instead of the backoff', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 429, retryAfter: '1', times: 1 })
    const started = performance.now()
    await makeClient({ retryBaseDelayMs: 1, maxRetryAfterMs: 300 }).customers.get(customerId)
    const elapsed = performance.now() - started
    // clamped to maxRetryAfterMs: waited about 300 ms, not 1 ms of backoff nor the full second
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(900)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(2)
  })

  it('is honoured as an HTTP date', async () => {
    const inOneSecond = new Date(Date.now() + 1_000).toUTCString() // second precision: 0-1 s ahead
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 503, retryAfter: inOneSecond, times: 1 })
    const started = performance.now()
    await makeClient({ retryBaseDelayMs: 1 }).customers.get(customerId)
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(2)
  })

  it('that would overrun the deadline surfaces the 429 instead of waiting', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 429, retryAfter: '10', times: 1 })
    const started = performance.now()
    await expect(makeClient({ timeoutMs: 500 }).customers.get(customerId)).rejects.toBeInstanceOf(
      AlignRateLimitError,
    )
    expect(performance.now() - started).toBeLessThan(400)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })
})

describe('POST is never repeated on an unknown outcome', () => {
  const create = (email: string) =>
    makeClient().customers.create({ email, type: 'individual', first_name: 'P', last_name: 'Q' })

  it.each<[string, Omit<AlignEmulatorFault, 'route' | 'times'>, new (...args: never[]) => Error]>([
    ['500', { kind: '5xx' }, AlignServerError],
    ['503 with Retry-After', { kind: '5xx', status: 503, retryAfter: '0' }, AlignServerError],
    ['429', { kind: '5xx', status: 429, retryAfter: '0' }, AlignRateLimitError],
    ['connection reset', { kind: 'reset' }, AlignConnectionError],
    ['timeout', { kind: 'timeout' }, AlignTimeoutError],
  ])('%s surfaces after one call', async (_name, fault, ErrorClass) => {
    emulator.injectFault({ route: CREATE_CUSTOMER, times: 1, ...fault })
    await expect(create('post@example.com')).rejects.toBeInstanceOf(ErrorClass)
    expect(emulator.calls()[CREATE_CUSTOMER]).toBe(1)
  })

  it('succeed-then-500: surfaces the 500; the caller recovers by looking the customer up', async () => {
    emulator.injectFault({ route: CREATE_CUSTOMER, kind: 'succeed-then-500', times: 1 })
    await expect(create('ghost@example.com')).rejects.toBeInstanceOf(AlignServerError)
    expect(emulator.calls()[CREATE_CUSTOMER]).toBe(1)
    const { items } = await makeClient().customers.list({ email: 'ghost@example.com' })
    expect(items).toHaveLength(1)
  })

  it('createKycSession and simulate are not retried either', async () => {
    emulator.injectFault({ route: 'POST /v0/customers/:id/kycs', kind: '5xx' })
    emulator.injectFault({ route: 'POST /v0/customers/simulate', kind: 'reset' })
    await expect(makeClient().customers.createKycSession(customerId)).rejects.toBeInstanceOf(AlignServerError)
    await expect(
      makeClient().customers.simulateCustomer({ customer_id: customerId, action: 'kyc.status.approve' }),
    ).rejects.toBeInstanceOf(AlignConnectionError)
    expect(emulator.calls()).toEqual({ 'POST /v0/customers/:id/kycs': 1, 'POST /v0/customers/simulate': 1 })
  })

  it('but a refused connection (provably never sent) is retried, for POST as for GET', async () => {
    const client = new AlignClient({
      apiKey: 'k',
      baseUrl: await closedPortUrl(),
      retryBaseDelayMs: 1,
      maxRetries: 2,
    })
    const post = await client.customers.createKycSession('c1').catch((e: unknown) => e)
    expect(post).toBeInstanceOf(AlignConnectionError)
    expect(post).toMatchObject({ errno: 'ECONNREFUSED', attempts: 3 })
    const get = await client.customers.get('c1').catch((e: unknown) => e)
    expect(get).toMatchObject({ errno: 'ECONNREFUSED', attempts: 3 })
  })
})

describe('timeouts and the total deadline', () => {
  it('the per-attempt timeout defaults to timeoutMs, so a hung attempt uses the whole budget', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: 'timeout', times: 1 })
    const started = performance.now()
    const error = await makeClient({ attemptTimeoutMs: undefined, timeoutMs: 200 })
      .customers.get(customerId)
      .catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(AlignTimeoutError)
    expect(error).toMatchObject({ timeoutMs: 200, attempts: 1 })
    expect(elapsed).toBeGreaterThanOrEqual(190)
    expect(elapsed).toBeLessThan(700)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })

  it('caps attempts plus backoff at timeoutMs in total', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: 'timeout' })
    const started = performance.now()
    const error = await makeClient({ attemptTimeoutMs: 100, timeoutMs: 350, maxRetries: 10 })
      .customers.get(customerId)
      .catch((e: unknown) => e)
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(AlignTimeoutError)
    expect((error as Error).message).toContain('total deadline')
    expect(elapsed).toBeGreaterThanOrEqual(340)
    expect(elapsed).toBeLessThan(800)
    const calls = emulator.calls()[GET_CUSTOMER] ?? 0
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(calls).toBeLessThanOrEqual(4)
  })

  it('per-request timeoutMs overrides the client option', async () => {
    emulator.setLatency(300, GET_CUSTOMER)
    const client = makeClient({ attemptTimeoutMs: undefined, timeoutMs: 5_000, maxRetries: 0 })
    await expect(client.customers.get(customerId, { timeoutMs: 100 })).rejects.toBeInstanceOf(
      AlignTimeoutError,
    )
    await expect(client.customers.get(customerId)).resolves.toMatchObject({ customer_id: customerId })
  })

  it('does not start a retry whose backoff would end past the deadline', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 503 })
    const started = performance.now()
    await expect(
      makeClient({ retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000, timeoutMs: 300 }).customers.get(
        customerId,
      ),
    ).rejects.toBeInstanceOf(AlignServerError)
    // either the jittered sleep fit (rare) and then the deadline stopped it, or no retry at all
    expect(performance.now() - started).toBeLessThan(700)
  })
})

describe('abort', () => {
  it('an already-aborted signal sends nothing', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      makeClient().customers.get(customerId, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AlignAbortError)
    expect(emulator.calls()).toEqual({})
  })

  it('aborting cancels an in-flight attempt without retrying', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: 'timeout' })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const started = performance.now()
    const error = await makeClient({ attemptTimeoutMs: 2_000 })
      .customers.get(customerId, { signal: controller.signal })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignAbortError)
    expect(error).not.toBeInstanceOf(AlignApiError)
    expect(performance.now() - started).toBeLessThan(500)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })

  it('aborting cancels a backoff sleep', async () => {
    emulator.injectFault({ route: GET_CUSTOMER, kind: '5xx', status: 503, retryAfter: '2' })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const started = performance.now()
    await expect(
      makeClient().customers.get(customerId, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AlignAbortError)
    expect(performance.now() - started).toBeLessThan(800)
    expect(emulator.calls()[GET_CUSTOMER]).toBe(1)
  })
})
