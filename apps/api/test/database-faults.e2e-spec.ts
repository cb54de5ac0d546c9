import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { AlignEmulator } from '@align-kyc/align-client/testing'
import request from 'supertest'
import { admin, ADMIN_URL, createTestDatabase } from './support/databases.js'
import { AUTH, ServiceProcess, serviceEnv, startStack, testPrisma, type Stack } from './support/test-app.js'
import { TcpProxy } from './support/tcp-proxy.js'
import { createCustomer, deliver, eventually, kycEvent } from './support/webhooks.js'

const PENDING = { status: 'pending', sub_status: 'kyc_form_submission_started' } as const
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const alive = (s: ServiceProcess) => s.child.exitCode === null && s.child.signalCode === null
const databaseName = (url: string) => new URL(url).pathname.slice(1)

/** Every backend connected to `database` (the service's, and any other client's), terminated. */
async function terminateBackends(database: string): Promise<number> {
  const rows = await admin((c) =>
    c.query(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    ),
  )
  return rows.rows.filter((r: { ok: boolean }) => r.ok).length
}

function expectUnavailable(res: request.Response, what: string) {
  expect({ what, status: res.status, code: res.body.code }).toEqual({
    what,
    status: 503,
    code: 'database_unavailable',
  })
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
}

describe('database faults: dropped connections, outages, a full disk (e2e)', () => {
  describe('connections terminated under load', () => {
    let stack: Stack

    beforeAll(async () => {
      // Align answers after 15 ms, so link renewals and customer creations are often mid-transaction
      // when their backend is terminated; the reconciler and the worker run all the time.
      stack = await startStack(
        { RECONCILE_INTERVAL: '200ms', RECONCILE_AFTER: '1s', WEBHOOK_WORKER_INTERVAL: '100ms' },
        { latencyMs: 15 },
      )
    })
    afterAll(async () => {
      await stack?.close()
    })

    it('stays up while its backends are terminated again and again, and recovers by itself', async () => {
      const customers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => createCustomer(stack.url, `drop${i}@example.com`)),
      )
      for (const c of customers) stack.emulator.setKycState(c.alignCustomerId, PENDING)
      const database = databaseName(stack.db.url)
      await stack.prisma.$disconnect() // the test's own client stays off the database meanwhile

      const statuses = new Map<number, number>()
      let stop = false
      let op = 0
      let created = 0
      const one = async () => {
        const c = customers[op % customers.length]!
        const kind = op++ % 7
        const res = await (kind === 0
          ? request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({ forceRenew: true })
          : kind === 1
            ? request(stack.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({})
            : kind === 2
              ? request(stack.url).get(`/v1/customers/${c.id}`).set(AUTH)
              : kind === 3
                ? request(stack.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH)
                : kind === 4
                  ? deliver(
                      stack.url,
                      kycEvent(c.alignCustomerId, new Date(Date.now() - op)),
                      stack.emulator.apiKey,
                    )
                  : kind === 5
                    ? request(stack.url).post(`/v1/customers/${c.id}/kyc/sync`).set(AUTH)
                    : request(stack.url)
                        .post('/v1/customers')
                        .set(AUTH)
                        .send({
                          email: `dropnew${created++}@example.com`,
                          type: 'corporate',
                          companyName: 'D',
                        }))
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      }
      const load = Array.from({ length: 6 }, async () => {
        while (!stop && alive(stack.service))
          await one().catch(() => statuses.set(0, (statuses.get(0) ?? 0) + 1))
      })
      let terminated = 0
      const until = Date.now() + 5000
      while (Date.now() < until && alive(stack.service)) {
        terminated += await terminateBackends(database)
        await sleep(40)
      }
      stop = true
      await Promise.all(load)
      const ended = new Date()

      expect({
        alive: alive(stack.service),
        log: alive(stack.service) ? '' : stack.service.log.slice(-3000),
      }).toEqual({
        alive: true,
        log: '',
      })
      expect(terminated).toBeGreaterThan(20)
      // Nothing but successes and honest 503s while connections were dropping.
      expect([...statuses.keys()].filter((s) => ![200, 201, 503].includes(s))).toEqual([])

      // Recovery without a restart: every kind of request succeeds again, and so does readiness.
      await request(stack.url).get('/health/ready').expect(200)
      for (let i = 0; i < 7; i++) {
        statuses.clear()
        await one()
        expect([...statuses.keys()].every((s) => s === 200 || s === 201)).toBe(true)
      }
      // The webhook worker and the reconciler carry on.
      const c = customers[0]!
      await deliver(stack.url, kycEvent(c.alignCustomerId, new Date()), stack.emulator.apiKey).expect(200)
      await eventually(
        'the worker to process deliveries again',
        async () =>
          (await stack.prisma.webhookDelivery.count({
            where: { status: 'processed', processedAt: { gt: ended } },
          })) > 0,
      )
      await eventually(
        'the reconciler to sync customers again',
        async () => (await stack.prisma.customer.count({ where: { lastSyncedAt: { gt: ended } } })) > 0,
      )
      expect(stack.service.log).not.toMatch(/Unhandled 'error' event|uncaughtException|unhandledRejection/)
    }, 90_000)
  })

  describe('PostgreSQL refusing connections (a proxy that resets and refuses)', () => {
    let emulator: AlignEmulator
    let db: Awaited<ReturnType<typeof createTestDatabase>>
    let proxy: TcpProxy
    let service: ServiceProcess
    let prisma: ReturnType<typeof testPrisma>

    beforeAll(async () => {
      emulator = new AlignEmulator()
      await emulator.start()
      db = await createTestDatabase()
      const server = new URL(ADMIN_URL)
      proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432))
      service = await ServiceProcess.start(
        serviceEnv(emulator, proxy.through(db.url), { RECONCILE_INTERVAL: '200ms', RECONCILE_AFTER: '1s' }),
      )
      prisma = testPrisma(db.url)
    })
    afterAll(async () => {
      await service?.stop()
      await prisma?.$disconnect()
      await proxy?.close()
      await emulator?.stop()
      await db?.drop()
    })

    it('answers 503 database_unavailable with Retry-After and is not ready, then recovers by itself', async () => {
      const c = await createCustomer(service.url, 'outage@example.com')
      await request(service.url).get('/health/ready').expect(200)

      await proxy.refuse()
      const alignCustomersBefore = emulator.calls()['POST /v0/customers'] ?? 0
      const started = Date.now()
      expectUnavailable(await request(service.url).get(`/v1/customers/${c.id}`).set(AUTH), 'get customer')
      expectUnavailable(await request(service.url).get('/v1/customers').set(AUTH), 'list customers')
      expectUnavailable(
        await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}),
        'link',
      )
      expectUnavailable(await request(service.url).get(`/v1/customers/${c.id}/kyc`).set(AUTH), 'kyc view')
      expectUnavailable(
        await request(service.url)
          .post('/v1/customers')
          .set(AUTH)
          .send({ email: 'during-outage@example.com', type: 'corporate', companyName: 'O' }),
        'create customer',
      )
      expectUnavailable(
        await deliver(service.url, kycEvent(c.alignCustomerId, new Date()), emulator.apiKey),
        'webhook',
      )
      const ready = await request(service.url).get('/health/ready')
      expectUnavailable(ready, 'readiness')
      await request(service.url).get('/health/live').expect(200)
      expect(Date.now() - started).toBeLessThan(10_000) // answered, not hung until a timeout
      // The create failed before anything was asked of Align.
      expect(emulator.calls()['POST /v0/customers'] ?? 0).toBe(alignCustomersBefore)
      await sleep(1000) // the worker and the reconciler meet the outage too
      expect(alive(service)).toBe(true)

      await proxy.accept()
      await eventually(
        'readiness to come back',
        async () => (await request(service.url).get('/health/ready')).status === 200,
      )
      await request(service.url).get(`/v1/customers/${c.id}`).set(AUTH).expect(200)
      await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
      await deliver(service.url, kycEvent(c.alignCustomerId, new Date()), emulator.apiKey).expect(200)
      expect(await prisma.customer.count({ where: { emailNormalized: 'during-outage@example.com' } })).toBe(0)
      expect(service.log).not.toMatch(/Unhandled 'error' event|internal_error/)
    }, 60_000)
  })

  describe('a full disk (application tables on a tiny tmpfs tablespace)', () => {
    let emulator: AlignEmulator
    let db: Awaited<ReturnType<typeof createTestDatabase>>
    let service: ServiceProcess
    let prisma: ReturnType<typeof testPrisma>
    let mountPoint = ''
    const tablespace = `align_kyc_e2e_full_${process.pid}`
    let mounted = false

    beforeAll(async () => {
      // Needs root (CI and this machine run as root): mount a 4 MB tmpfs the server may write to.
      mountPoint = mkdtempSync(path.join(tmpdir(), 'align-kyc-e2e-tmpfs-'))
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint])
      mounted = true
      execFileSync('chown', ['postgres:postgres', mountPoint])
      await admin((c) => c.query(`CREATE TABLESPACE "${tablespace}" LOCATION '${mountPoint}'`))
      emulator = new AlignEmulator()
      await emulator.start()
      db = await createTestDatabase()
      await admin(async (c) => {
        await c.query(`ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE "${tablespace}"`)
        await c.query(`ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE "${tablespace}"`)
      }, db.url)
      service = await ServiceProcess.start(serviceEnv(emulator, db.url, { READINESS_DISK_FULL_HOLD: '2s' }))
      prisma = testPrisma(db.url)
    })
    afterAll(async () => {
      await service?.stop()
      await prisma?.$disconnect()
      await emulator?.stop()
      await db?.drop()
      await admin((c) => c.query(`DROP TABLESPACE IF EXISTS "${tablespace}"`)).catch(() => undefined)
      if (mounted) execFileSync('umount', [mountPoint])
      if (mountPoint) rmSync(mountPoint, { recursive: true, force: true })
    })

    it('answers writes 503 database_unavailable, half-writes nothing, is not ready for a while, then recovers', async () => {
      const c = await createCustomer(service.url, 'full@example.com')
      emulator.setKycState(c.alignCustomerId, PENDING)
      // Fill the tablespace: every later write that needs a new page fails with 53100 disk_full.
      await admin(async (a) => {
        await a.query(`CREATE TABLE filler (b text) TABLESPACE "${tablespace}"`)
        for (;;) {
          try {
            await a.query(
              `INSERT INTO filler SELECT repeat(md5(random()::text), 64) FROM generate_series(1, 100)`,
            )
          } catch (e) {
            expect((e as { code?: string }).code).toBe('53100')
            break
          }
        }
        // Then row by row, until not even one more page fits anywhere in the tablespace.
        for (;;) {
          try {
            await a.query(`INSERT INTO filler SELECT repeat(md5(random()::text), 64)`)
          } catch (e) {
            expect((e as { code?: string }).code).toBe('53100')
            break
          }
        }
      }, db.url)
      const before = await prisma.customer.findUniqueOrThrow({ where: { id: c.id } })
      const historyBefore = await prisma.kycStatusHistory.count({ where: { customerId: c.id } })
      await request(service.url).get('/health/ready').expect(200) // reads still work: nothing seen yet
      await request(service.url).get(`/v1/customers/${c.id}`).set(AUTH).expect(200)

      expectUnavailable(
        await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}),
        'link (a new kyc_sessions row)',
      )
      expectUnavailable(
        await deliver(service.url, kycEvent(c.alignCustomerId, new Date()), emulator.apiKey),
        'webhook (a new delivery row)',
      )
      expectUnavailable(await request(service.url).get('/health/ready'), 'readiness after disk_full')
      // Nothing half-written: no session, no delivery, no history beyond the creation's.
      expect(await prisma.kycSession.count()).toBe(0)
      expect(await prisma.webhookDelivery.count()).toBe(0)
      expect(await prisma.customer.findUniqueOrThrow({ where: { id: c.id } })).toMatchObject({
        kycStatus: before.kycStatus,
        kycSubStatus: before.kycSubStatus,
        updatedAt: before.updatedAt,
      })
      expect(await prisma.kycStatusHistory.count({ where: { customerId: c.id } })).toBe(historyBefore)
      await request(service.url).get(`/v1/customers/${c.id}`).set(AUTH).expect(200)

      // Space again: readiness comes back by itself once the hold has passed, and writes succeed.
      await admin((a) => a.query('DROP TABLE filler'), db.url)
      await eventually(
        'readiness to come back',
        async () => (await request(service.url).get('/health/ready')).status === 200,
      )
      await request(service.url).post(`/v1/customers/${c.id}/kyc-sessions`).set(AUTH).send({}).expect(201)
      await deliver(service.url, kycEvent(c.alignCustomerId, new Date()), emulator.apiKey).expect(200)
      expect(alive(service)).toBe(true)
    }, 60_000)
  })
})
