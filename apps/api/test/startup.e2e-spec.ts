import request from 'supertest'
import { AlignEmulator } from '@align-kyc/align-client/testing'
import { randomUUID } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { findPrismaDir } from '../src/database/migrator/migrator.js'
import { createCustomerSchema, listCustomersQuerySchema } from '../src/customers/dto/customer.schema.js'
import { createClientTokenSchema, createKycSessionSchema, simulateSchema } from '../src/kyc/dto/kyc.schema.js'
import { listDeliveriesQuerySchema } from '../src/webhooks/dto/delivery.schema.js'
import { listEventsQuerySchema } from '../src/events/dto/event.schema.js'
import {
  createEndpointSchema,
  listEndpointDeliveriesQuerySchema,
  updateEndpointSchema,
} from '../src/events/dto/webhook-endpoint.schema.js'
import { admin, createTestDatabase, urlFor } from './support/databases.js'
import { AUTH, ServiceProcess, runToExit, serviceEnv, testPrisma, TOKEN } from './support/test-app.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The machine's Redis (CI has it too); only the shared rate-limit test uses it. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

describe('start-up, configuration, health, logs, shutdown (e2e)', () => {
  it.each([
    [{ PORT: 'abc' }, /^Invalid configuration: PORT: expected an integer from 0 to 65535, got "abc"$/m],
    [
      { DATABASE_URL: 'mysql://x' },
      /^Invalid configuration: DATABASE_URL: expected postgresql:\/\/.*got "mysql:\/\/x"$/m,
    ],
    [
      { ALIGN_ENVIRONMENT: 'staging' },
      /^Invalid configuration: ALIGN_ENVIRONMENT: expected local, sandbox or production$/m,
    ],
    [
      { ALIGN_ENVIRONMENT: 'sandbox' },
      /^Invalid configuration: ALIGN_API_KEY: required when ALIGN_ENVIRONMENT is sandbox$/m,
    ],
    [
      { ALIGN_ENVIRONMENT: 'production', ALIGN_API_KEY: 'k' },
      /^Invalid configuration: API_KEYS: required in production/m,
    ],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: API_KEYS: required in production/m],
    [
      { KYC_LINK_TTL: '10 minutes' },
      /^Invalid configuration: KYC_LINK_TTL: expected a duration like 30s, 15m, 24h or 7d/m,
    ],
    [
      { KYC_LINK_TTL: '5m', KYC_LINK_RENEWAL_MARGIN: '10m' },
      /^Invalid configuration: KYC_LINK_RENEWAL_MARGIN: expected a duration shorter than KYC_LINK_TTL \(5m\), got "10m"$/m,
    ],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, /^Invalid configuration: RATE_LIMIT_PER_MINUTE: expected an integer/m],
    [
      { RATE_LIMIT_REDIS_URL: 'http://:s3cret@cache:6379' },
      /^Invalid configuration: RATE_LIMIT_REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/:\*\*\*@cache:6379"$/m,
    ],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL: expected fatal, error/m],
    [{ MIGRATE_ON_START: 'perhaps' }, /^Invalid configuration: MIGRATE_ON_START: expected true or false/m],
    [{ ALIGN_BASE_URL: 'ftp://x' }, /^Invalid configuration: ALIGN_BASE_URL: expected an http\(s\) URL/m],
  ])('refuses to start with %j, printing one line that names the variable', async (env, pattern) => {
    const { code, output } = await runToExit({ DATABASE_URL: 'pglite://memory', ...env })
    expect(code).not.toBe(0)
    expect(output).toMatch(pattern)
    expect(output.trim().split('\n')).toHaveLength(1)
  })

  it('never prints a secret from the configuration in a refusal', async () => {
    const { code, output } = await runToExit({
      DATABASE_URL: 'mysql://user:supersecret@db/x',
      ALIGN_API_KEY: 'align-key-do-not-print',
    })
    expect(code).not.toBe(0)
    expect(output).not.toContain('supersecret')
    expect(output).not.toContain('align-key-do-not-print')
  })

  it('two instances starting at once on an empty database migrate it once and both become ready', async () => {
    const name = `align_kyc_e2e_${process.env.E2E_RUN_ID ?? 'local'}_empty_${process.pid}`
    await admin((c) => c.query(`CREATE DATABASE "${name}"`))
    const emulator = new AlignEmulator()
    await emulator.start()
    const url = urlFor(name)
    try {
      const env = serviceEnv(emulator, url, { MIGRATE_ON_START: 'true' })
      const [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)])
      try {
        await request(a.url).get('/health/ready').expect(200)
        await request(b.url).get('/health/ready').expect(200)
        const prisma = testPrisma(url)
        const rows = await prisma.$queryRaw<{ n: number; done: number }[]>`
          SELECT count(*)::int AS n, count(finished_at)::int AS done FROM _prisma_migrations`
        await prisma.$disconnect()
        const migrations = (
          await readdir(path.join(findPrismaDir(), 'migrations'), { withFileTypes: true })
        ).filter((d) => d.isDirectory())
        expect(rows[0]).toEqual({ n: migrations.length, done: migrations.length })
        expect([a.log, b.log].filter((l) => /applied migrations/.test(l))).toHaveLength(1)
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
    } finally {
      await emulator.stop()
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    }
  })

  describe('a running service', () => {
    const emulator = new AlignEmulator()
    let db: Awaited<ReturnType<typeof createTestDatabase>>
    let svc: ServiceProcess

    beforeAll(async () => {
      await emulator.start()
      db = await createTestDatabase()
      svc = await ServiceProcess.start(serviceEnv(emulator, db.url))
    })
    afterAll(async () => {
      await svc?.stop()
      await emulator.stop()
      await db?.drop()
    })

    it('answers /health/live and /health/ready (database checked) without a token', async () => {
      await request(svc.url).get('/health/live').expect(200)
      const ready = await request(svc.url).get('/health/ready').expect(200)
      expect(ready.body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } })
    })

    it('serves security headers and no CORS grant by default', async () => {
      const res = await request(svc.url).get('/health/live').set('origin', 'https://evil.example').expect(200)
      expect(res.headers['access-control-allow-origin']).toBeUndefined()
      // JSON answers, problems and unknown routes included: OWASP's REST set, nothing cached.
      for (const r of [
        res,
        await request(svc.url).get('/v1/customers').expect(401),
        await request(svc.url).get('/no-such-route').set(AUTH).expect(404),
      ]) {
        expect(r.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        })
        expect(r.headers['cache-control']).toMatch(/\bno-store\b/) // health adds no-cache itself
        expect(r.headers['strict-transport-security']).toMatch(/^max-age=31536000/)
      }
      // The HTML documentation: helmet's set, with the inline script and styles Swagger UI needs.
      const docs = await request(svc.url).get('/docs').redirects(1).expect(200)
      expect(docs.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'")
      expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(docs.headers['cross-origin-opener-policy']).toBe('same-origin')
    })

    it('documents every request body and query with the fields its schema validates', async () => {
      const doc = (await request(svc.url).get('/docs-json').expect(200)).body
      const refd = (schema: { $ref?: string }) =>
        schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema
      const body = (path: string, method = 'post') =>
        refd(doc.paths[path][method].requestBody.content['application/json'].schema)
      const query = (path: string) =>
        (doc.paths[path].get.parameters as { in: string; name: string; required?: boolean }[]).filter(
          (p) => p.in === 'query',
        )
      const fields = (schema: z.ZodType) => {
        const json = z.toJSONSchema(schema, { io: 'input' }) as { properties: object; required?: string[] }
        return { names: Object.keys(json.properties).sort(), required: (json.required ?? []).sort() }
      }
      for (const [path, schema, method] of [
        ['/v1/customers', createCustomerSchema],
        ['/v1/customers/{id}/kyc-sessions', createKycSessionSchema],
        ['/v1/customers/{id}/client-tokens', createClientTokenSchema],
        ['/v1/sandbox/customers/{id}/simulate', simulateSchema],
        ['/v1/webhook-endpoints', createEndpointSchema],
        ['/v1/webhook-endpoints/{id}', updateEndpointSchema, 'patch'],
      ] as const) {
        const documented = body(path, method)
        expect({
          path,
          names: Object.keys(documented.properties).sort(),
          required: (documented.required ?? []).sort(),
        }).toEqual({ path, ...fields(schema) })
      }
      for (const [path, schema] of [
        ['/v1/customers', listCustomersQuerySchema],
        ['/v1/webhooks/deliveries', listDeliveriesQuerySchema],
        ['/v1/events', listEventsQuerySchema],
        ['/v1/webhook-endpoints/{id}/deliveries', listEndpointDeliveriesQuerySchema],
      ] as const) {
        const documented = query(path)
        expect({
          path,
          names: documented.map((p) => p.name).sort(),
          required: documented
            .filter((p) => p.required)
            .map((p) => p.name)
            .sort(),
        }).toEqual({ path, ...fields(schema) })
      }
    })

    it('serves the OpenAPI document and Swagger UI', async () => {
      const doc = await request(svc.url).get('/docs-json').expect(200)
      expect(doc.body.openapi).toMatch(/^3\./)
      expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
      const paths = Object.keys(doc.body.paths)
      for (const p of [
        '/v1/customers',
        '/v1/customers/{id}',
        '/v1/customers/{id}/kyc-sessions',
        '/v1/customers/{id}/kyc',
        '/v1/customers/{id}/kyc/sync',
        '/v1/customers/{id}/capabilities',
        '/v1/sandbox/customers/{id}/simulate',
        '/v1/events',
        '/v1/webhook-endpoints',
        '/v1/webhook-endpoints/{id}/rotate-secret',
        '/health/live',
        '/health/ready',
      ]) {
        expect(paths).toContain(p)
      }
      const create = doc.body.paths['/v1/customers'].post
      expect(Object.keys(create.responses)).toEqual(
        expect.arrayContaining(['200', '201', '400', '401', '429', '502', '503']),
      )
      expect(create.responses['404']).toBeUndefined()
      expect(create.security).toEqual([{ bearer: [] }])
      const ui = await request(svc.url).get('/docs').redirects(1)
      expect(ui.status).toBe(200)
      expect(ui.text).toMatch(/swagger/i)
    })

    it('writes no token, API key, email or name to its logs', async () => {
      const email = 'secret.person@example.com'
      const created = await request(svc.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email, type: 'individual', firstName: 'Zebediah', lastName: 'Quill' })
        .expect(201)
      await request(svc.url).get('/v1/customers').query({ email }).set(AUTH).expect(200)
      await request(svc.url)
        .get(`/v1/customers/${created.body.id}`)
        .set('authorization', 'Bearer wrong-token-xyz')
        .expect(401)
      await sleep(200)
      expect(svc.log).toContain('request completed')
      for (const secret of [TOKEN, 'wrong-token-xyz', emulator.apiKey, email, 'Zebediah', 'Quill']) {
        expect(svc.log).not.toContain(secret)
      }
    })

    it('rate limits per token with 429 rate_limited and Retry-After', async () => {
      const limited = await ServiceProcess.start(serviceEnv(emulator, db.url, { RATE_LIMIT_PER_MINUTE: '5' }))
      try {
        for (let i = 0; i < 5; i++) await request(limited.url).get('/v1/customers').set(AUTH).expect(200)
        const res = await request(limited.url).get('/v1/customers').set(AUTH).expect(429)
        expect(res.body.code).toBe('rate_limited')
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
        // Another token has its own budget.
        await request(limited.url)
          .get('/v1/customers')
          .set('authorization', 'Bearer second-token')
          .expect(200)
      } finally {
        await limited.stop()
      }
    })

    it('shares the rate limit between instances through Redis (RATE_LIMIT_REDIS_URL)', async () => {
      const token = `rl-${randomUUID()}` // a fresh budget: Redis outlives test runs
      const env = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_REDIS_URL: REDIS_URL, API_KEYS: token }
      const [a, b] = await Promise.all([
        ServiceProcess.start(serviceEnv(emulator, db.url, env)),
        ServiceProcess.start(serviceEnv(emulator, db.url, env)),
      ])
      try {
        const auth = { authorization: `Bearer ${token}` }
        for (let i = 0; i < 5; i++)
          await request((i % 2 ? b : a).url)
            .get('/v1/customers')
            .set(auth)
            .expect(200)
        for (const svc of [a, b]) {
          const res = await request(svc.url).get('/v1/customers').set(auth).expect(429)
          expect(res.body.code).toBe('rate_limited')
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
        }
        expect(a.log).toContain('counted in Redis')
        expect(a.log).not.toContain(token)
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
    })

    it('lets requests through while the rate limiter cannot reach Redis, and logs it', async () => {
      const svc = await ServiceProcess.start(
        serviceEnv(emulator, db.url, {
          RATE_LIMIT_PER_MINUTE: '2',
          RATE_LIMIT_REDIS_URL: 'redis://:hunter2@127.0.0.1:1',
        }),
      )
      try {
        for (let i = 0; i < 4; i++) await request(svc.url).get('/v1/customers').set(AUTH).expect(200)
        expect(svc.log).toContain('Redis unavailable, requests are not rate limited meanwhile')
        expect(svc.log).not.toContain('hunter2')
      } finally {
        await svc.stop()
      }
    })

    it('allows configured CORS origins only, on the client-token routes only', async () => {
      const cors = await ServiceProcess.start(
        serviceEnv(emulator, db.url, { CORS_ORIGINS: 'https://app.example' }),
      )
      try {
        const status = '/v1/customers/00000000-0000-4000-8000-000000000000/kyc/status'
        const ok = await request(cors.url)
          .get(status)
          .set('origin', 'https://app.example')
          .set(AUTH)
          .expect(404)
        expect(ok.headers['access-control-allow-origin']).toBe('https://app.example')
        const no = await request(cors.url)
          .get(status)
          .set('origin', 'https://evil.example')
          .set(AUTH)
          .expect(404)
        expect(no.headers['access-control-allow-origin']).toBeUndefined()
        // Any other route: no grant, even for the configured origin.
        const other = await request(cors.url)
          .get('/health/live')
          .set('origin', 'https://app.example')
          .expect(200)
        expect(other.headers['access-control-allow-origin']).toBeUndefined()
      } finally {
        await cors.stop()
      }
    })

    it('shuts down gracefully on SIGTERM, finishing the request in flight', async () => {
      const other = await ServiceProcess.start(serviceEnv(emulator, db.url))
      emulator.setLatency(400)
      const inFlight = request(other.url)
        .post('/v1/customers')
        .set(AUTH)
        .send({ email: 'inflight@example.com', type: 'corporate', companyName: 'In Flight' })
      const sent = inFlight.then((r) => r)
      await sleep(150)
      const code = await other.stop()
      const res = await sent
      emulator.setLatency(0)
      expect(res.status).toBe(201)
      expect(code).toBe(0)
    })
  })
})
