import { randomUUID } from 'node:crypto'
import { PrismaPg } from '@prisma/adapter-pg'
import type pg from 'pg'
import { createPgPool } from '../src/database/pg-connections.js'
import { PrismaService } from '../src/database/prisma.service.js'
import { pgDatabase, type Sql, type SqlDatabase } from '../src/database/sql.js'
import { EVENTS_POLICY } from '../src/events/events-policy.js'
import { EventsRepository } from '../src/events/events.repository.js'
import {
  WebhookEndpointsRepository,
  type ClaimedOutbound,
} from '../src/events/webhook-endpoints.repository.js'
import { createTestDatabase } from './support/databases.js'

/**
 * The delivery queue's repository on the machine's PostgreSQL (a fresh database per test), without
 * a service: events are inserted as the outbox does (no position yet), fanned out by the relay's own
 * step, claimed and recorded by the worker's own statements. The claim's statement is also run as
 * EXPLAIN ANALYZE on the same connection, to count the rows of event_deliveries it reads.
 */
type Plan = {
  'Node Type': string
  'Relation Name'?: string
  'Actual Rows'?: number
  'Actual Loops'?: number
  'Rows Removed by Filter'?: number
  'Rows Removed by Index Recheck'?: number
  Plans?: Plan[]
}

/** Rows of event_deliveries the plan's scans produced or filtered out (the work, not the result). */
function deliveryRowsRead(p: Plan): number {
  const own =
    p['Relation Name'] === 'event_deliveries' && p['Node Type'] !== 'ModifyTable'
      ? ((p['Actual Rows'] ?? 0) +
          (p['Rows Removed by Filter'] ?? 0) +
          (p['Rows Removed by Index Recheck'] ?? 0)) *
        (p['Actual Loops'] ?? 1)
      : 0
  return own + (p.Plans ?? []).reduce((a, c) => a + deliveryRowsRead(c), 0)
}

describe('outbound delivery queue (repository, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>
  let pool: pg.Pool
  let prisma: PrismaService
  let endpoints: WebhookEndpointsRepository
  let events: EventsRepository
  /** When set, the next claim statement also runs as EXPLAIN ANALYZE and its plan lands here. */
  let explain: { plan?: Plan } | null = null

  beforeEach(async () => {
    db = await createTestDatabase()
    pool = createPgPool({ connectionString: db.url, max: 4 })
    const base = pgDatabase(pool)
    const sql: SqlDatabase = {
      ...base,
      transaction: (fn) =>
        base.transaction((inner) => {
          const wrapped: Sql = async (text, params) => {
            if (explain && /SET attempts = d\.attempts \+ 1/.test(text)) {
              // Run for its plan, then undone: the claim itself follows on the same state.
              await inner('SAVEPOINT explained')
              const [row] = await inner<{ 'QUERY PLAN': [{ Plan: Plan }] }>(
                `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
                params,
              )
              await inner('ROLLBACK TO SAVEPOINT explained')
              explain.plan = row!['QUERY PLAN'][0].Plan
              explain = null
            }
            return inner(text, params)
          }
          return fn(wrapped)
        }),
    }
    prisma = new PrismaService(new PrismaPg(pool), null, sql)
    endpoints = new WebhookEndpointsRepository(prisma)
    events = new EventsRepository(prisma)
  })
  afterEach(async () => {
    await prisma.$disconnect()
    await pool.end().catch(() => undefined)
    await db.drop()
  })

  const q = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    (await pool.query(text, params)).rows as T[]
  const endpoint = async (name: string) =>
    (
      await endpoints.create({
        id: randomUUID(),
        url: `http://127.0.0.1:9/${name}`,
        eventTypes: [],
        description: name,
        sealedSecret: 'not used here',
      })
    ).id
  /** `n` customers with `perCustomer` events each, committed as the outbox does, then relayed. */
  const commitEvents = async (customers: string[], perCustomer: number, retryForMs = 3 * 24 * 3600_000) => {
    await q(
      `WITH c AS (
         UPDATE customers SET event_sequence = event_sequence + $2::int WHERE id = ANY ($1::uuid[])
         RETURNING id, event_sequence - $2::int AS base)
       INSERT INTO events (id, type, customer_id, sequence, data)
       SELECT gen_random_uuid(), 'customer.kyc.updated', c.id, c.base + s, '{}'::jsonb
         FROM c, generate_series(1, $2::int) s ORDER BY s, c.id`,
      [customers, perCustomer],
    )
    for (;;) {
      const step = await events.relayStep(EVENTS_POLICY.relayBatch, retryForMs)
      if (step.positioned === 0) return
    }
  }
  const customers = async (n: number) =>
    (
      await q<{ id: string }>(
        `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, updated_at)
         SELECT gen_random_uuid(), 'al-' || i || '-' || md5(random()::text), 'c' || i || '@example.com',
                'c' || i || '@example.com', 'individual', now()
           FROM generate_series(1, $1::int) i RETURNING id::text AS id`,
        [n],
      )
    ).map((r) => r.id)
  const claimAll = (limit: number = EVENTS_POLICY.maxInFlight) =>
    endpoints.claim(limit, EVENTS_POLICY.maxInFlightPerEndpoint, 60_000)
  const fail = (c: ClaimedOutbound, delayMs = 60_000) =>
    endpoints.recordFailure(c, 500, 'answered 500', delayMs)

  /** Claims and records until nothing is due: `failing`'s attempts fail (a minute's backoff), the rest succeed. */
  const drain = async (failing: string, sent: ClaimedOutbound[] = []) => {
    for (;;) {
      const claimed = await claimAll()
      if (claimed.length === 0) return sent
      sent.push(...claimed)
      for (const c of claimed)
        if (c.endpointId === failing) await fail(c)
        else await endpoints.recordDelivered(c, 200)
    }
  }
  /** Sequences per customer in the order they were claimed. */
  const byCustomer = (claimed: ClaimedOutbound[]) => {
    const m = new Map<string, number[]>()
    for (const c of claimed)
      m.set(c.event.customerId, [...(m.get(c.event.customerId) ?? []), c.event.sequence])
    return m
  }
  /** The state of one customer's deliveries to one endpoint, by sequence. */
  const rowsOf = async (endpointId: string, customerId: string) =>
    q<{ sequence: number; status: string; due: boolean; waiting: boolean; leased: boolean }>(
      `SELECT sequence, status::text AS status, coalesce(next_attempt_at <= now(), false) AS due,
              status = 'pending' AND next_attempt_at IS NULL AS waiting, lease_until > now() AS leased
         FROM event_deliveries WHERE endpoint_id = $1::uuid AND customer_id = $2::uuid ORDER BY sequence`,
      [endpointId, customerId],
    )

  it("a failing endpoint's backlog does not make the claim read it: rows read stay flat as it grows", async () => {
    const failing = await endpoint('failing')
    const healthy = await endpoint('healthy')
    const people = await customers(12)
    const readAtBacklog = async () => {
      // One new event per customer: the healthy endpoint has 12 due, the failing one holds them back.
      await commitEvents(people, 1)
      await q('ANALYZE event_deliveries')
      const probe: { plan?: Plan } = {}
      explain = probe
      const claimed = await claimAll()
      for (const c of claimed) await endpoints.recordDelivered(c, 200)
      const [backlog] = await q<{ n: number }>(
        `SELECT count(*)::int AS n FROM event_deliveries WHERE endpoint_id = $1::uuid AND status = 'pending'`,
        [failing],
      )
      return { read: deliveryRowsRead(probe.plan!), backlog: backlog!.n, claimed }
    }
    // The failing endpoint's first events: every customer's head is tried, fails, waits a minute.
    await commitEvents(people, 1)
    await drain(failing)
    const small = await readAtBacklog()
    await commitEvents(people, 100) // 1200 more held back behind the failing heads
    const sent = await drain(failing)
    // The relay made each customer's 100 in one step; the healthy endpoint got them one by one, in order.
    const healthyOrder = byCustomer(sent.filter((c) => c.endpointId === healthy))
    expect(healthyOrder.size).toBe(12)
    for (const seqs of healthyOrder.values())
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 3))
    const big = await readAtBacklog()
    expect(small.backlog).toBe(24)
    expect(big.backlog).toBe(24 + 1200 + 12)
    // The claim found the healthy endpoint's 12 new heads both times, and none of the failing one's.
    expect(small.claimed.map((c) => c.endpointId)).toEqual(Array(12).fill(healthy))
    expect(big.claimed.map((c) => c.endpointId)).toEqual(Array(12).fill(healthy))
    // Flat: a claim reads the due heads (and the live leases), not the rows held behind them.
    // (The claim before the heads read 15204 rows at a backlog of 3036, 144 at 24.)
    expect(small.read).toBeGreaterThanOrEqual(12)
    expect(big.read).toBeLessThan(small.read + 50)
    expect(big.read).toBeLessThan(200)
  })

  it('a head that fails for good releases the next; a re-queued one goes first again, after a send in flight', async () => {
    const ep = await endpoint('one')
    const [c] = (await customers(1)) as [string]
    // Sequences 1-3, retried for 1 ms only: every failure is for good.
    await commitEvents([c], 3, 1)
    expect((await rowsOf(ep, c)).map((r) => [r.sequence, r.due, r.waiting])).toEqual([
      [1, true, false],
      [2, false, true],
      [3, false, true],
    ])
    const [first] = await claimAll()
    expect(first!.event.sequence).toBe(1)
    expect(await claimAll()).toEqual([]) // 2 waits while 1 is in flight
    expect(await fail(first!, 10)).toBe('failed')
    const [second] = await claimAll() // released by 1 failing for good
    expect(second!.event.sequence).toBe(2)
    await endpoints.recordDelivered(second!, 200)
    const [third] = await claimAll()
    expect(third!.event.sequence).toBe(3)
    await q(`UPDATE event_deliveries SET retry_until = now() + interval '1 hour' WHERE event_id = $1::uuid`, [
      third!.event.id,
    ])
    expect(await fail(third!, 60_000)).toBe('pending') // 3 retries in a minute
    await commitEvents([c], 1) // 4 waits behind 3

    // Re-queued while 3 is waiting for its retry: 1 is the earliest pending, so it goes first, now;
    // 3 waits behind it again (as 4 does).
    expect(await endpoints.requeue(ep, first!.event.id, 60_000)).toBe('requeued')
    expect((await rowsOf(ep, c)).map((r) => [r.sequence, r.status, r.due, r.waiting])).toEqual([
      [1, 'pending', true, false],
      [2, 'delivered', false, false],
      [3, 'pending', false, true],
      [4, 'pending', false, true],
    ])
    const order: number[] = []
    for (;;) {
      const claimed = await claimAll()
      if (claimed.length === 0) break
      expect(claimed).toHaveLength(1) // one customer: one at a time
      order.push(claimed[0]!.event.sequence)
      await endpoints.recordDelivered(claimed[0]!, 200)
    }
    expect(order).toEqual([1, 3, 4])

    // Re-queued while the customer has a send in flight: nothing else moves until that send ends.
    await q(
      `UPDATE event_deliveries SET status = 'failed', next_attempt_at = NULL WHERE event_id = $1::uuid`,
      [first!.event.id],
    )
    await commitEvents([c], 2) // 5 (head) and 6
    const [fifth] = await claimAll()
    expect(fifth!.event.sequence).toBe(5)
    expect(await endpoints.requeue(ep, first!.event.id, 60_000)).toBe('requeued')
    expect(await claimAll()).toEqual([]) // 5 is in flight: 1 waits
    expect(await fail(fifth!, 10)).toBe('pending') // 5 fails: it waits behind 1 now, and 1 is released
    expect(
      (await rowsOf(ep, c)).filter((r) => r.status === 'pending').map((r) => [r.sequence, r.waiting]),
    ).toEqual([
      [1, false],
      [5, true],
      [6, true],
    ])
    const rest: number[] = []
    for (;;) {
      const claimed = await claimAll()
      if (claimed.length === 0) break
      rest.push(...claimed.map((x) => x.event.sequence))
      for (const x of claimed) await endpoints.recordDelivered(x, 200)
    }
    expect(rest).toEqual([1, 5, 6])
  })

  it('fan-out racing heads that end never leaves a delivery waiting behind no head', async () => {
    const ep = await endpoint('racing')
    const people = await customers(4)
    let committing = true
    const delivered: ClaimedOutbound[] = []
    const committer = (async () => {
      for (let i = 0; i < 60; i++) await commitEvents(people, 1)
      committing = false
    })()
    // Two workers, each claiming and recording as fast as it can while the relay fans out.
    const worker = async () => {
      for (let idle = 0; committing || idle < 3;) {
        const claimed = await claimAll(4)
        idle = claimed.length === 0 ? idle + 1 : 0
        for (const c of claimed) {
          await endpoints.recordDelivered(c, 200)
          delivered.push(c)
        }
      }
    }
    await Promise.all([committer, worker(), worker()])
    const [left] = await q<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM event_deliveries WHERE endpoint_id = $1::uuid AND status = 'pending'`,
      [ep],
    )
    expect(left!.pending).toBe(0)
    expect(delivered).toHaveLength(4 * 60)
    for (const seqs of byCustomer(delivered).values())
      expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
  })

  it('retention deleting an event whose delivery is the head releases the next', async () => {
    const ep = await endpoint('kept')
    const [c] = (await customers(1)) as [string]
    await commitEvents([c], 2)
    await q(
      `UPDATE events SET created_at = now() - interval '40 days' WHERE customer_id = $1::uuid AND sequence = 1`,
      [c],
    )
    expect(await events.deleteOlderThan(new Date(Date.now() - 30 * 86_400_000), 100)).toBe(1)
    expect((await rowsOf(ep, c)).map((r) => [r.sequence, r.due, r.waiting])).toEqual([[2, true, false]])
  })
})
