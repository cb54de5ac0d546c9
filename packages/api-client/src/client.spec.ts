import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  AlignKycProblemError,
  type AlignKycClient,
  createAlignKycClient,
  isAlignKycProblem,
  unwrap,
  UNEXPECTED_RESPONSE,
} from './index.js'

type Seen = {
  method: string
  url: string
  authorization: string | undefined
  requestId: string | undefined
  body: string
}

/** A local HTTP server answering what each test tells it to, recording what it was sent. */
let server: Server
let baseUrl: string
let seen: Seen[]
let answer: (req: IncomingMessage, res: ServerResponse) => void

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        authorization: req.headers.authorization,
        requestId: req.headers['x-request-id'] as string | undefined,
        body,
      })
      answer(req, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  seen = []
})

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type, 'x-request-id': 'req-1' })
  res.end(JSON.stringify(body))
}

const CUSTOMER = {
  id: '7f0c1a52-5f43-4e0e-9b3c-6d0c2f4b8a11',
  email: 'ada@example.com',
  type: 'individual',
  firstName: 'Ada',
  lastName: 'Lovelace',
}

describe('createAlignKycClient', () => {
  it('sends the bearer token on every request, even when a call passes its own headers', async () => {
    answer = (_req, res) => json(res, 200, CUSTOMER)
    const client = createAlignKycClient({
      baseUrl: `${baseUrl}/`,
      token: 'tok-1',
      headers: { 'x-request-id': 'mine' },
    })
    await client.GET('/v1/customers/{id}', { params: { path: { id: CUSTOMER.id } } })
    await client.GET('/v1/customers/{id}', {
      params: { path: { id: CUSTOMER.id } },
      headers: { authorization: 'Bearer someone-else' },
    })
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1'])
    expect(seen[0]).toMatchObject({ method: 'GET', url: `/v1/customers/${CUSTOMER.id}`, requestId: 'mine' })
  })

  it('encodes path parameters and serialises query and JSON bodies', async () => {
    answer = (_req, res) => json(res, 201, CUSTOMER)
    const client = createAlignKycClient({ baseUrl, token: 't' })
    await client.GET('/v1/customers/{id}', { params: { path: { id: 'a/b?c' } } })
    await client.GET('/v1/customers', { params: { query: { limit: 5, email: 'a+b@example.com' } } })
    await client.POST('/v1/customers', {
      body: { email: 'ada@example.com', type: 'individual', firstName: 'Ada', lastName: 'L' },
    })
    expect(seen[0]!.url).toBe('/v1/customers/a%2Fb%3Fc')
    expect(seen[1]!.url).toBe('/v1/customers?limit=5&email=a%2Bb%40example.com')
    expect(JSON.parse(seen[2]!.body)).toEqual({
      email: 'ada@example.com',
      type: 'individual',
      firstName: 'Ada',
      lastName: 'L',
    })
  })

  it('uses the fetch it is given', async () => {
    answer = (_req, res) => json(res, 200, CUSTOMER)
    const urls: string[] = []
    const client = createAlignKycClient({
      baseUrl,
      token: 't',
      fetch: (request) => {
        urls.push(request.url)
        return fetch(request)
      },
    })
    await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id: 'x' } } }))
    expect(urls).toEqual([`${baseUrl}/v1/customers/x`])
  })
})

describe('unwrap', () => {
  const client = () => createAlignKycClient({ baseUrl, token: 't' })

  it('returns the data of a 2xx answer', async () => {
    answer = (_req, res) => json(res, 200, CUSTOMER)
    const customer = await unwrap(
      client().GET('/v1/customers/{id}', { params: { path: { id: CUSTOMER.id } } }),
    )
    expect(customer.email).toBe('ada@example.com')
  })

  it('returns undefined for a 204', async () => {
    answer = (_req, res) => res.writeHead(204).end()
    const gone = await unwrap(
      client().DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id: 'e1' } } }),
    )
    expect(gone).toBeUndefined()
  })

  it('throws the problem details, extension members included', async () => {
    answer = (_req, res) =>
      json(
        res,
        409,
        {
          type: 'urn:align-kyc:problem:kyc_not_approved',
          title: 'Conflict',
          status: 409,
          detail: 'KYC is pending',
          code: 'kyc_not_approved',
          kycStatus: 'pending',
          instance: '/v1/customers/c1/virtual-accounts',
        },
        'application/problem+json; charset=utf-8',
      )
    const error = await unwrap(
      client().POST('/v1/customers/{id}/virtual-accounts', {
        params: { path: { id: 'c1' } },
        body: {
          sourceCurrency: 'usd',
          destinationToken: 'usdc',
          destinationNetwork: 'polygon',
          destinationAddress: '0x1',
        },
      }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AlignKycProblemError)
    expect(error).toMatchObject({
      status: 409,
      code: 'kyc_not_approved',
      detail: 'KYC is pending',
      kycStatus: 'pending',
      errors: [],
      requestId: 'req-1',
      message: '409 kyc_not_approved: KYC is pending',
    })
    expect(isAlignKycProblem(error, 'kyc_not_approved')).toBe(true)
    expect(isAlignKycProblem(error, 'customer_not_found')).toBe(false)
    expect((error as AlignKycProblemError).problem?.instance).toBe('/v1/customers/c1/virtual-accounts')
  })

  it('carries the field errors of validation_failed', async () => {
    answer = (_req, res) =>
      json(res, 400, {
        type: 'urn:align-kyc:problem:validation_failed',
        title: 'Bad Request',
        status: 400,
        detail: 'Request validation failed',
        code: 'validation_failed',
        errors: [{ field: 'email', message: 'Invalid email' }],
      })
    const error = (await unwrap(
      client().POST('/v1/customers', { body: { email: 'x', type: 'individual' } }),
    ).catch((e: unknown) => e)) as AlignKycProblemError
    expect(error.errors).toEqual([{ field: 'email', message: 'Invalid email' }])
  })

  it('throws unexpected_response, with the body, for an error answer without problem details', async () => {
    answer = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html>Bad gateway</html>')
    }
    const error = (await unwrap(client().GET('/health/live')).catch(
      (e: unknown) => e,
    )) as AlignKycProblemError
    expect(error).toBeInstanceOf(AlignKycProblemError)
    expect(error).toMatchObject({
      status: 502,
      code: UNEXPECTED_RESPONSE,
      problem: undefined,
      requestId: undefined,
    })
    expect(error.body).toBe('<html>Bad gateway</html>')
  })

  it('passes fetch options such as a per-call signal through', async () => {
    answer = () => {} // never answers
    const started = Date.now()
    const call = client().GET('/health/live', { signal: AbortSignal.timeout(100) })
    await expect(unwrap(call)).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('lets a network failure through as fetch rejects', async () => {
    const closed = createAlignKycClient({ baseUrl: 'http://127.0.0.1:1', token: 't' })
    // Compared by name: jest's module sandbox has its own TypeError constructor.
    await expect(unwrap(closed.GET('/health/live'))).rejects.toMatchObject({ name: 'TypeError' })
  })
})

/**
 * Type-level checks, asserted by tsc in `npm run lint` (an unused @ts-expect-error is an error), not
 * run: the client refuses what the document does not allow.
 */
export function typeChecks(client: AlignKycClient) {
  return [
    // @ts-expect-error not a route of the service
    client.GET('/v1/nope'),
    // @ts-expect-error the path parameter is required
    client.GET('/v1/customers/{id}', {}),
    // @ts-expect-error `type` is individual | corporate
    client.POST('/v1/customers', { body: { email: 'a@example.com', type: 'person' } }),
    // @ts-expect-error a customer has no `name`
    unwrap(client.GET('/v1/customers/{id}', { params: { path: { id: 'c' } } })).then((c) => c.name),
  ]
}
