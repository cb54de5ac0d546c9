/**
 * Issue 17's feed target (14, `feed`): `GET /v1/events?after=<cursor>&limit=100` through the service
 * (HTTP, keep-alive, sequential, timed in the bench process) with BENCH_FEED_EVENTS (1M) events kept,
 * against BENCH_FEED_BASE (1000). Two databases, migrated with the service's CLI and seeded as
 * scale.ts seeds customers: one INSERT ... SELECT generate_series into `events` (already positioned,
 * as the relay leaves them: position = serial = i; BENCH_FEED_EVENTS / 10 customers with ten events
 * each, `customer.created` first, then `customer.kyc.updated` with a realistic `data`; created in the
 * last minutes, so retention keeps them) and the matching `event_feed` counter, then ANALYZE; one
 * service on each. Pages timed, BENCH_FEED_SAMPLES per kind, size and round, rounds ordered base, big,
 * big, base after 50 untimed calls of each kind:
 *   - page: after a random cursor (a poller catching up anywhere in the feed) - the target's figure;
 *   - oldest: `after` omitted (from the oldest kept);
 *   - customer: one random customer's events (`customerId=`), from the oldest.
 * Every answer must be 200 with the items asked for (100, or the customer's 10).
 */
import { AlignEmulator } from '@align-kyc/align-client/testing'
import { serviceEnv, TOKEN } from '../test/support/test-app.js'
import { HttpClient } from './lib/http.js'
import {
  connectClient,
  createBenchDatabase,
  dropBenchDatabase,
  migrate,
  startService,
  type ChildServer,
} from './lib/processes.js'
import { latency, ms, roundLatency, type Latency } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const TARGET_MS = 5
const WARMUP_CALLS = 50
const PAGE = 100
const PER_CUSTOMER = 10

const SEED = [
  `INSERT INTO events (id, serial, type, customer_id, sequence, data, created_at, position)
   SELECT ('00000000-0000-4000-b000-' || lpad(to_hex(i), 12, '0'))::uuid, i,
          CASE WHEN (i - 1) / $2::int = 0 THEN 'customer.created' ELSE 'customer.kyc.updated' END,
          ('00000000-0000-4000-8000-' || lpad(to_hex((i - 1) % $2::int + 1), 12, '0'))::uuid,
          (i - 1) / $2::int + 1,
          CASE WHEN (i - 1) / $2::int = 0
            THEN jsonb_build_object('id', ('00000000-0000-4000-8000-' || lpad(to_hex((i - 1) % $2::int + 1), 12, '0')),
                   'email', 'feed-' || i || '@example.com', 'type', 'individual', 'firstName', 'Bench',
                   'lastName', 'Customer' || i, 'kycStatus', 'not_started', 'createdAt', now())
            ELSE jsonb_build_object('status', CASE WHEN i % 2 = 0 THEN 'pending' ELSE 'rejected' END,
                   'subStatus', CASE WHEN i % 2 = 0 THEN 'kyc_form_submission_started' ELSE 'kyc_form_resubmission_required' END,
                   'previousStatus', CASE WHEN i % 2 = 0 THEN 'rejected' ELSE 'pending' END,
                   'previousSubStatus', NULL, 'source', 'webhook', 'occurredAt', now(),
                   'capabilities', jsonb_build_object('virtualAccounts', false, 'transfers', false,
                     'reason', 'kyc_not_approved', 'rails', '[]'::jsonb, 'virtualAccountCurrencies', '[]'::jsonb))
          END,
          now() - ($1::int - i) * interval '1 millisecond', i
     FROM generate_series(1, $1::int) i`,
  `SELECT setval(pg_get_serial_sequence('events', 'serial'), $1::int)`,
  `INSERT INTO event_feed (id, last_position) VALUES (1, $1::int)`,
]

type Kind = 'page' | 'oldest' | 'customer'
const KINDS: Kind[] = ['page', 'oldest', 'customer']

type Side = {
  events: number
  customers: number
  db: { name: string; url: string }
  service: ChildServer
  api: HttpClient
}

const cursor = (position: number) => Buffer.from(`p${position}`).toString('base64url')
const customerId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`

function request(side: Side, kind: Kind): { path: string; want: number } {
  const rnd = (n: number) => Math.floor(Math.random() * n)
  switch (kind) {
    case 'page':
      return {
        path: `/v1/events?after=${cursor(rnd(Math.max(1, side.events - PAGE)))}&limit=${PAGE}`,
        want: PAGE,
      }
    case 'oldest':
      return { path: `/v1/events?limit=${PAGE}`, want: PAGE }
    case 'customer':
      return {
        path: `/v1/events?customerId=${customerId(1 + rnd(side.customers))}&limit=${PAGE}`,
        want: PER_CUSTOMER,
      }
  }
}

async function time(side: Side, kind: Kind, n: number, samples: number[] | null): Promise<number> {
  let wrong = 0
  for (let i = 0; i < n; i++) {
    const { path, want } = request(side, kind)
    const t = performance.now()
    const r = await side.api.request('GET', path)
    const dt = performance.now() - t
    if (r.status !== 200 || r.json<{ items: unknown[] }>().items.length !== want) wrong++
    samples?.push(dt)
  }
  return wrong
}

export async function benchFeed(ctx: BenchContext): Promise<SectionResult> {
  const { feedEvents, feedBaseEvents, feedSamples } = ctx.options
  const emulator = new AlignEmulator()
  await emulator.start()
  const sides: Side[] = []
  try {
    for (const events of [feedBaseEvents, feedEvents]) {
      const n = Math.max(PER_CUSTOMER * 2, Math.ceil(events / PER_CUSTOMER) * PER_CUSTOMER)
      const db = await createBenchDatabase()
      await migrate(db.url)
      ctx.progress(`feed: seeding ${n} events into ${db.name}`)
      const t = performance.now()
      const c = await connectClient(db.url)
      try {
        for (const sql of SEED) await c.query(sql, sql.includes('$2') ? [n, n / PER_CUSTOMER] : [n])
        await c.query('ANALYZE events')
      } finally {
        await c.end()
      }
      ctx.progress(`feed: seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)
      const service = await startService(
        serviceEnv(emulator, db.url, ctx.serviceSettings),
        `service-feed-${n}`,
      )
      sides.push({
        events: n,
        customers: n / PER_CUSTOMER,
        db,
        service,
        api: new HttpClient(service.url, { authorization: `Bearer ${TOKEN}` }, 1),
      })
    }
    const [base, big] = sides as [Side, Side]
    let wrong = 0
    for (const side of sides) for (const k of KINDS) wrong += await time(side, k, WARMUP_CALLS, null)
    const samples = new Map<Side, Record<Kind, number[]>>(
      sides.map((s) => [s, { page: [], oldest: [], customer: [] }]),
    )
    for (const side of [base, big, big, base]) {
      ctx.progress(`feed: ${feedSamples} pages of each kind at ${side.events} events`)
      for (const k of KINDS) {
        await time(side, k, Math.min(WARMUP_CALLS, feedSamples), null)
        wrong += await time(side, k, feedSamples, samples.get(side)![k])
      }
    }
    const lat = (s: Side, k: Kind): Latency => latency(samples.get(s)![k])
    const page = lat(big, 'page')
    const pass = page.p50 <= TARGET_MS && wrong === 0
    const label: Record<Kind, string> = {
      page: `page of ${PAGE} after a random cursor`,
      oldest: `page of ${PAGE} from the oldest`,
      customer: `one customer's events (${PER_CUSTOMER})`,
    }
    return {
      key: 'eventFeed',
      title: `14. Event feed: GET /v1/events pages at ${big.events} events kept vs ${base.events}, ${feedSamples} × 2 timed per kind and size`,
      rows: [
        ...KINDS.map((k): [string, string] => [
          label[k],
          `${big.events}: p50 ${ms(lat(big, k).p50)} p99 ${ms(lat(big, k).p99)}; ${base.events}: p50 ${ms(lat(base, k).p50)} p99 ${ms(lat(base, k).p99)}`,
        ]),
        ['answers not 200 with the items asked for', String(wrong)],
      ],
      targets: [
        {
          name: `feed page of ${PAGE} events at ${big.events} kept, p50 <= ${TARGET_MS} ms`,
          target: `<= ${ms(TARGET_MS)}`,
          measured: `${ms(page.p50)} (${base.events}: ${ms(lat(base, 'page').p50)})`,
          pass,
        },
      ],
      data: {
        events: big.events,
        baseEvents: base.events,
        samplesPerRound: feedSamples,
        order: 'untimed pass over both, then base, big, big, base',
        wrongAnswers: wrong,
        big: Object.fromEntries(KINDS.map((k) => [k, roundLatency(lat(big, k))])),
        base: Object.fromEntries(KINDS.map((k) => [k, roundLatency(lat(base, k))])),
      },
    }
  } finally {
    for (const s of sides) {
      s.api.close()
      await s.service.stop()
      await dropBenchDatabase(s.db.name)
    }
    await emulator.stop()
  }
}
