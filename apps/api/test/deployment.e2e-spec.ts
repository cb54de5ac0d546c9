import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import request from 'supertest'
import { AlignEmulator } from '@align-kyc/align-client/testing'
import { createTestDatabase } from './support/databases.js'
import { AUTH, ServiceProcess, runToExit, serviceEnv } from './support/test-app.js'

/**
 * What goes wrong when the service is deployed rather than run on localhost: configuration that
 * starts and then silently misbehaves, browsers on other origins, proxies in front (who may set
 * X-Forwarded-*), the docs opened by host name over plain HTTP, and an Align that cannot be reached.
 */

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * GET `url` as a browser would (its scheme, its Host header), over a connection to the service
 * itself. An https URL against the plain-HTTP service fails, as it would in the browser.
 */
function browserGet(
  service: ServiceProcess,
  url: URL,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; headers: http.IncomingHttpHeaders; body: string }> {
  const { port } = new URL(service.url)
  const get = url.protocol === 'https:' ? https.get : http.get
  return new Promise((resolve) => {
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: url.pathname + url.search,
        headers: { host: url.host, ...headers },
        rejectUnauthorized: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            headers: res.headers,
            body,
          }),
        )
      },
    )
    req.on('error', (e) => resolve({ status: 0, type: `failed: ${e.message}`, headers: {}, body: '' }))
  })
}

describe('deployment: configuration, CORS, proxies, docs, an unreachable Align (e2e)', () => {
  const emulator = new AlignEmulator()
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  /** Defaults: no CORS_ORIGINS, no TRUST_PROXY; a short Align timeout for the timeout case. */
  let plain: ServiceProcess
  /** CORS for two origins, behind a proxy on loopback. */
  let proxied: ServiceProcess

  beforeAll(async () => {
    await emulator.start()
    db = await createTestDatabase()
    ;[plain, proxied] = await Promise.all([
      ServiceProcess.start(serviceEnv(emulator, db.url, { ALIGN_TIMEOUT_MS: '1000' })),
      ServiceProcess.start(
        serviceEnv(emulator, db.url, {
          CORS_ORIGINS: 'https://App.example,http://localhost:8080',
          TRUST_PROXY: 'loopback',
        }),
      ),
    ])
  })
  afterAll(async () => {
    await Promise.all([plain?.stop(), proxied?.stop()])
    await emulator.stop()
    await db?.drop()
  })
  beforeEach(() => emulator.clearFaults())

  it.each([
    [{ API_KEYS: '   ' }, /^Invalid configuration: API_KEYS: expected one or more comma-separated tokens/m],
    [{ API_KEYS: 'good,has space' }, /^Invalid configuration: API_KEYS: token 2 of 2 contains whitespace/m],
    [
      { CORS_ORIGINS: 'http://localhost:8080/' },
      /^Invalid configuration: CORS_ORIGINS: expected .*scheme:\/\/host\[:port\] with no path.*got "http:\/\/localhost:8080\/"$/m,
    ],
    [{ CORS_ORIGINS: 'localhost:8080' }, /^Invalid configuration: CORS_ORIGINS: .*got "localhost:8080"$/m],
    [{ KYC_LINK_TTL: '0s' }, /^Invalid configuration: KYC_LINK_TTL: expected a duration longer than zero/m],
    [{ ALIGN_WEBHOOK_SECRET: ' , ' }, /^Invalid configuration: ALIGN_WEBHOOK_SECRET: expected one or more/m],
    [{ TRUST_PROXY: 'yes' }, /^Invalid configuration: TRUST_PROXY: expected off, a hop count .*got "yes"$/m],
  ])('refuses to start with %j: exit code 78 and one line naming the variable', async (env, pattern) => {
    const { code, output } = await runToExit({ DATABASE_URL: 'pglite://memory', ...env }, 20_000)
    expect(output).toMatch(pattern)
    expect(output.trim().split('\n')).toHaveLength(1)
    expect(code).toBe(78)
    expect(output).not.toContain('has space')
  })

  describe('CORS', () => {
    // The client-token routes are the only ones CORS opens (client-tokens.e2e-spec.ts: exactly which).
    const preflight = (svc: ServiceProcess, origin: string) =>
      request(svc.url)
        .options('/v1/customers/00000000-0000-4000-8000-000000000000/kyc-sessions')
        .set('origin', origin)
        .set('access-control-request-method', 'POST')
        .set('access-control-request-headers', 'authorization,content-type')

    it('logs the effective origins at start, and grants only them', async () => {
      expect(proxied.log).toMatch(
        /"context":"Cors","msg":"browsers may call the client-token routes \(kyc-sessions, kyc\/status, kyc\/events\) from https:\/\/app\.example, http:\/\/localhost:8080/,
      )
      expect(plain.log).toMatch(/"context":"Cors","msg":"off: no browser origin may call the API/)
      const ok = await preflight(proxied, 'https://app.example').expect(204)
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example')
      expect(ok.headers['access-control-allow-methods']).toContain('POST')
    })

    it('answers a preflight from an origin not allowed with 403 origin_not_allowed saying why', async () => {
      for (const [svc, why] of [
        [proxied, /not in CORS_ORIGINS/],
        [plain, /CORS_ORIGINS is unset/],
      ] as const) {
        const res = await preflight(svc, 'https://evil.example').expect(403)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.headers['access-control-allow-origin']).toBeUndefined()
        expect(res.body).toMatchObject({ status: 403, code: 'origin_not_allowed' })
        expect(res.body.detail).toContain('https://evil.example')
        expect(res.body.detail).toMatch(why)
      }
      // Not a preflight (no Access-Control-Request-Method): an ordinary request, no CORS grant.
      const get = await request(proxied.url)
        .get('/health/live')
        .set('origin', 'https://evil.example')
        .expect(200)
      expect(get.headers['access-control-allow-origin']).toBeUndefined()
    })
  })

  describe('TRUST_PROXY and the rate limiter key of public routes', () => {
    // Public routes are counted per client address: 2 per minute here. Requests 1-5 claim to come from
    // clients a, b, c, a, a; requests 6-7 from b as our proxy appended it, after a left part the caller
    // chose. Counted per connection (TRUST_PROXY off, or a proxy that is not ours): all 7 are one client.
    const forwarded = [
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '198.51.100.1',
      '198.51.100.1',
      '192.0.2.50, 198.51.100.2',
      '192.0.2.51, 198.51.100.2',
    ]
    const ignored = [200, 200, 429, 429, 429, 429, 429]
    const honoured = [200, 200, 200, 200, 429, 200, 429]

    it.each([
      ['unset (off)', undefined, ignored],
      ['off', 'off', ignored],
      ['a hop count', '1', honoured],
      ['a CIDR holding the proxy', '127.0.0.0/8', honoured],
      ['a CIDR not holding the proxy', '10.0.0.0/8', ignored],
    ])('TRUST_PROXY %s', async (_what, trustProxy, expected) => {
      const svc = await ServiceProcess.start(
        serviceEnv(emulator, db.url, {
          RATE_LIMIT_PER_MINUTE: '2',
          ...(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }),
        }),
      )
      try {
        const statuses: number[] = []
        for (const xff of forwarded) {
          statuses.push((await request(svc.url).get('/health/live').set('x-forwarded-for', xff)).status)
        }
        expect(statuses).toEqual(expected)
      } finally {
        await svc.stop()
      }
    })
  })

  describe('Swagger UI at /docs', () => {
    it('works over plain HTTP on any host name: no upgrade-insecure-requests, every asset loads', async () => {
      const { port } = new URL(plain.url)
      // Behind a proxy that is not trusted, a claimed https changes nothing either.
      for (const headers of [{}, { 'x-forwarded-proto': 'https' }] as Record<string, string>[]) {
        const pageUrl = new URL(`http://kyc-docs.internal:${port}/docs`)
        const page = await browserGet(plain, pageUrl, headers)
        expect(page.status).toBe(200)
        const csp = String(page.headers['content-security-policy'])
        const assets = [...page.body.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map(
          (m) => m[1]!,
        )
        expect(assets.length).toBeGreaterThanOrEqual(4)
        for (const asset of assets) {
          const url = new URL(asset, pageUrl)
          // What the browser does with every subresource under this directive.
          if (/\bupgrade-insecure-requests\b/.test(csp)) url.protocol = 'https:'
          const res = await browserGet(plain, url)
          expect({ asset: url.href, status: res.status }).toEqual({ asset: url.href, status: 200 })
          expect(res.type).toMatch(/^(text\/css|application\/javascript|text\/javascript|image\/png)/)
        }
        expect(csp).not.toContain('upgrade-insecure-requests')
        expect(csp).toContain("script-src 'self' 'unsafe-inline'")
      }
    })

    it('stays strict over https, as a trusted proxy reports it', async () => {
      const res = await request(proxied.url)
        .get('/docs')
        .set('host', 'kyc.example.com')
        .set('x-forwarded-proto', 'https')
        .expect(200)
      expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests')
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=31536000/)
      const http = await request(proxied.url).get('/docs').set('host', 'kyc.example.com').expect(200)
      expect(http.headers['content-security-policy']).not.toContain('upgrade-insecure-requests')
    })
  })

  describe('an Align that cannot be reached', () => {
    const customer = { email: 'unreachable@example.com', type: 'corporate', companyName: 'Nowhere' }

    it('a refused connection: 503 upstream_unavailable saying it could not connect', async () => {
      const svc = await ServiceProcess.start(
        serviceEnv(emulator, db.url, { ALIGN_BASE_URL: `http://127.0.0.1:${await closedPort()}` }),
      )
      try {
        const res = await request(svc.url).post('/v1/customers').set(AUTH).send(customer).expect(503)
        expect(res.body.code).toBe('upstream_unavailable')
        expect(res.body.detail).toMatch(/^Could not connect to Align: connection refused/)
        expect(res.body.detail).not.toMatch(/in time|timed out/)
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      } finally {
        await svc.stop()
      }
    })

    it('no answer: 503 upstream_unavailable saying it timed out', async () => {
      emulator.injectFault({ route: 'POST /v0/customers', kind: 'timeout' })
      emulator.injectFault({ route: 'GET /v0/customers', kind: 'timeout' })
      const res = await request(plain.url).post('/v1/customers').set(AUTH).send(customer).expect(503)
      expect(res.body.code).toBe('upstream_unavailable')
      expect(res.body.detail).toMatch(/^The request to Align timed out: no answer within \d+ ms/)
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    })
  })
})
