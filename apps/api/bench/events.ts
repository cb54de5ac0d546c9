/**
 * Issue 17's webhook latency targets, each on its own stack (one service, Align at BENCH_LATENCY_MS),
 * with the subscriber in its own process (subscriber.ts: node:http, every delivery verified with the
 * `standardwebhooks` package):
 *
 * 11. `events`: commit to the subscriber's receipt at BENCH_EVENTS_RATE (200) committed KYC status
 *     changes per second for BENCH_EVENTS_SECONDS, one endpoint. The changes (BENCH_EVENTS_DRIVER):
 *     `direct`, KycRepository.applyReading from src/ in the bench process at a fixed rate (the
 *     transaction a sync commits; lib/subscriber.ts DirectChanges says why), or `sync`, open-loop
 *     `POST /v1/customers/:id/kyc/sync` with the customer's Align state flipped pending <-> rejected
 *     just before. Each commits one status change and its event; the events are counted, so the
 *     rate committed is checked, not assumed (the target needs 95 % of the rate asked). Commit
 *     time is the event's `createdAt` (PostgreSQL's transaction start, ms precision: a little before
 *     the commit, so the figure errs long), receipt time the subscriber's clock when the body had
 *     arrived (same machine clock). Every event committed must arrive, with a valid signature.
 * 12. `endpoints`: the same at BENCH_ENDPOINTS_RATE (50: ten deliveries per change) with 10
 *     endpoints, BENCH_ENDPOINTS_ROUNDS per side alternating (healthy, faulty, faulty, healthy, ...),
 *     each round on new endpoints: 10 healthy, or 8 healthy + one answering 500 + one that never
 *     answers (the service's 10 s EVENT_WEBHOOK_TIMEOUT ends each attempt). Measured over endpoints
 *     0-7, healthy in both kinds of round: their p99 with the faulty two over their p99 without,
 *     within 1.2.
 *
 * The service runs with NODE_ENV=development here: in production it refuses (rightly) any endpoint
 * that is not https on a public address, and a subscriber on this machine is neither. NODE_ENV only
 * switches that check (and the https-only rule) in the service; nothing else the sections measure.
 */
import type pg from 'pg'
import { connectClient } from './lib/processes.js'
import { perRequest, spent, UsageProbe } from './lib/resources.js'
import { createCustomers, type BenchCustomer } from './lib/seed.js'
import { startStack, type Stack } from './lib/stack.js'
import { latency, ms, round, roundLatency } from './lib/stats.js'
import {
  commitToReceipt,
  DirectChanges,
  driveStatusChanges,
  startSubscriber,
  until,
  type Receipt,
  type Subscriber,
} from './lib/subscriber.js'
import type { BenchContext, SectionResult } from './lib/types.js'
import type { OpenLoopRun } from './lib/open-loop.js'

/** Settings the events sections' stacks add to the run's (see the file comment). */
export const EVENTS_STACK_SETTINGS = { NODE_ENV: 'development' }
const WARMUP_SEC = 3
const DRAIN_TIMEOUT_MS = 60_000

/** The highest events.serial so far: the events of a run are those above it. */
export async function eventMark(db: pg.Client): Promise<number> {
  const r = await db.query<{ s: string }>('SELECT coalesce(max(serial), 0)::text AS s FROM events')
  return Number(r.rows[0]!.s)
}

export type CommittedEvent = { id: string; customerId: string; sequence: number }

/** The KYC status events committed after `mark`, in each customer's sequence order. */
export async function committedAfter(db: pg.Client, mark: number): Promise<CommittedEvent[]> {
  const r = await db.query<CommittedEvent>(
    `SELECT id::text AS id, customer_id::text AS "customerId", sequence FROM events
      WHERE serial > $1 AND type = 'customer.kyc.updated' ORDER BY customer_id, sequence`,
    [mark],
  )
  return r.rows
}

/**
 * Takes the subscriber's receipts until every endpoint in `endpoints` has every event of `expected`
 * (or `timeoutMs` passed); returns all receipts taken and whether they were complete.
 */
export async function collect(
  sub: Subscriber,
  expected: CommittedEvent[],
  endpoints: string[],
  timeoutMs: number,
): Promise<{ receipts: Receipt[]; complete: boolean; invalid: number; answered500: number; hung: number }> {
  const receipts: Receipt[] = []
  const seen = new Map(endpoints.map((e) => [e, new Set<string>()]))
  const want = new Set(expected.map((e) => e.id))
  let invalid = 0
  let answered500 = 0
  let hung = 0
  const complete = await until(async () => {
    const t = await sub.take()
    invalid = t.invalid
    answered500 = t.answered500
    hung = t.hung
    for (const r of t.receipts) {
      receipts.push(r)
      if (want.has(r.eventId)) seen.get(r.endpoint)?.add(r.eventId)
    }
    return [...seen.values()].every((s) => s.size === want.size)
  }, timeoutMs)
  return { receipts, complete, invalid, answered500, hung }
}

/**
 * The largest number of pending deliveries (all endpoints) seen every 250 ms until stop(): a
 * delivery pipeline that falls behind the commits shows here before it shows in a tail.
 */
export function sampleBacklog(db: pg.Client): { stop(): Promise<number> } {
  let max = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const r = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM event_deliveries WHERE status = 'pending'`,
      )
      max = Math.max(max, r.rows[0]!.n)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      return max
    },
  }
}

/** Events of `expected` that endpoint `name` never received. */
const lostAt = (expected: CommittedEvent[], receipts: Receipt[], name: string) => {
  const got = new Set(receipts.filter((r) => r.endpoint === name).map((r) => r.eventId))
  return expected.filter((e) => !got.has(e.id)).length
}

/**
 * One measured run: `drive()` commits the changes while the pending deliveries are sampled, then
 * the subscriber's receipts are collected until every endpoint of `endpoints` has every event
 * committed meanwhile; the CPU spent from the start until then, per committed change.
 */
async function measuredDrive(
  { stack, sub, db }: { stack: Stack; sub: Subscriber; db: pg.Client },
  drive: () => Promise<OpenLoopRun>,
  endpoints: string[],
) {
  const mark = await eventMark(db)
  const probe = await UsageProbe.open(stack.databaseUrl)
  try {
    const u0 = await probe.snapshot(stack.service.pid)
    const backlog = sampleBacklog(db)
    const run = await drive()
    const maxBacklog = await backlog.stop()
    const expected = await committedAfter(db, mark)
    const got = await collect(sub, expected, endpoints, DRAIN_TIMEOUT_MS)
    const cost = perRequest(
      [spent(u0, await probe.snapshot(stack.service.pid))],
      Math.max(1, expected.length),
    )
    return { run, maxBacklog, expected, got, cost }
  } finally {
    await probe.close()
  }
}

async function eventsStack(ctx: BenchContext, label: string) {
  const stack = await startStack(ctx, label, { settings: EVENTS_STACK_SETTINGS })
  const sub = await startSubscriber()
  const db = await connectClient(stack.databaseUrl)
  return { stack, sub, db, changes: changesFor(ctx, stack) }
}

/** `n` customers (one per change per second at the rate: see driveStatusChanges). */
async function customersFor(ctx: BenchContext, stack: Stack, n: number, label: string) {
  ctx.progress(`${label}: ${n} customers`)
  const customers = await createCustomers(stack.api, n, label)
  stack.emulator.setLatency(ctx.options.latencyMs)
  return customers
}

/** What commits the status changes (BENCH_EVENTS_DRIVER; lib/subscriber.ts says why `direct` is the default). */
export type Changes = {
  describe: string
  /** `url`: the service instance a `sync` driver sends to (unused by `direct`). */
  drive(url: string, customers: BenchCustomer[], rate: number, seconds: number): Promise<OpenLoopRun>
  close(): Promise<void>
}

export function changesFor(ctx: BenchContext, stack: Stack): Changes {
  if (ctx.options.eventsDriver === 'sync')
    return {
      describe: `open-loop POST /v1/customers/:id/kyc/sync through the service, Align (at ${ctx.options.latencyMs} ms) flipped pending <-> rejected before each`,
      drive: (url, customers, rate, seconds) =>
        driveStatusChanges({ emulator: stack.emulator, url, token: stack.token, customers, rate, seconds }),
      close: async () => undefined,
    }
  const direct = new DirectChanges(stack.databaseUrl)
  return {
    describe:
      "KycRepository.applyReading (the sync's transaction, from src/) at a fixed rate in the bench process, pending <-> rejected",
    drive: (_url, customers, rate, seconds) => direct.run({ customers, rate, seconds }),
    close: () => direct.close(),
  }
}

const driveData = (run: OpenLoopRun, committed: number) => ({
  issued: run.sent,
  ok: run.ok,
  notApplied: run.other,
  errors: run.errors,
  seconds: round(run.seconds, 2),
  committedChanges: committed,
  committedPerSec: round(committed / run.seconds, 1),
  generatorMaxLagMs: round(run.maxLagMs, 1),
  commitCallLatency: roundLatency(latency(run.samples)),
})

export async function benchEvents(ctx: BenchContext): Promise<SectionResult> {
  const { eventsRate: rate, eventsSeconds: seconds } = ctx.options
  const { stack, sub, db, changes } = await eventsStack(ctx, 'events')
  const drive = (customers: BenchCustomer[], r: number, sec: number) =>
    changes.drive(stack.service.url, customers, r, sec)
  try {
    const customers = await customersFor(ctx, stack, Math.max(1, Math.ceil(rate)), 'events')
    await sub.register(stack.api, 'main', 'ok')
    ctx.progress(`events: warm-up, ${rate} changes/s for ${WARMUP_SEC} s`)
    const warmMark = await eventMark(db)
    await drive(customers, rate, WARMUP_SEC)
    await collect(sub, await committedAfter(db, warmMark), ['main'], DRAIN_TIMEOUT_MS)

    ctx.progress(`events: ${rate} committed status changes/s for ${seconds} s`)
    const { run, maxBacklog, expected, got, cost } = await measuredDrive(
      { stack, sub, db },
      () => drive(customers, rate, seconds),
      ['main'],
    )
    const lat = commitToReceipt(got.receipts)
    const lost = lostAt(expected, got.receipts, 'main')
    const ids = new Set(got.receipts.map((r) => r.webhookId))
    const duplicates = got.receipts.length - ids.size
    const committedRate = expected.length / run.seconds
    const atRate = committedRate >= 0.95 * rate
    const pass = lat.p50 <= 50 && lat.p99 <= 250 && lost === 0 && got.invalid === 0 && atRate
    return {
      key: 'eventsCommitToReceipt',
      title: `11. Events: commit to the subscriber's receipt at ${rate} status changes/s for ${seconds} s (${ctx.options.eventsDriver} commits), one endpoint`,
      rows: [
        [
          'committed status changes',
          `${expected.length} (${committedRate.toFixed(1)}/s) of ${run.sent} issued (${run.ok} ok, ${run.other} not applied, ${run.errors} errors)`,
        ],
        [
          'commit (event createdAt) to receipt',
          `p50 ${ms(lat.p50)}  p90 ${ms(lat.p90)}  p99 ${ms(lat.p99)}  max ${ms(lat.max)}`,
        ],
        [
          'received / lost / duplicates / bad signatures',
          `${ids.size} / ${lost} / ${duplicates} / ${got.invalid}`,
        ],
        ['most deliveries pending at once during the run (sampled every 250 ms)', String(maxBacklog)],
        [
          'commit call (sync request or applyReading)',
          `p50 ${ms(latency(run.samples).p50)}  p99 ${ms(latency(run.samples).p99)}`,
        ],
        [
          'CPU per committed change (until all received)',
          `service ${cost.serverCpuMsPerReq ?? 'n/a'} ms, PostgreSQL ${cost.postgresCpuMsPerReq ?? 'n/a'} ms, bench ${cost.loadGeneratorCpuMsPerReq} ms`,
        ],
      ],
      targets: [
        {
          name: `events: commit to subscriber receipt at ${rate} status changes/s, p50 <= 50 ms, p99 <= 250 ms, none lost`,
          target: 'p50 <= 50 ms, p99 <= 250 ms, 0 lost',
          measured: `p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, ${lost} lost${got.invalid ? `, ${got.invalid} bad signatures` : ''}${atRate ? '' : `, only ${committedRate.toFixed(0)} changes/s`}`,
          pass,
        },
      ],
      data: {
        rate,
        seconds,
        customers: customers.length,
        alignLatencyMs: ctx.options.latencyMs,
        driver: changes.describe,
        drive: driveData(run, expected.length),
        commitToReceipt: roundLatency(lat),
        cpuPerChange: cost,
        maxPendingDeliveries: maxBacklog,
        received: ids.size,
        lost,
        duplicates,
        badSignatures: got.invalid,
        complete: got.complete,
      },
    }
  } finally {
    await changes.close()
    await db.end()
    sub.stop()
    await stack.stop()
  }
}

type Side = 'healthy' | 'faulty'
type Round = {
  side: Side
  /** Receipts of endpoints 0-7 (healthy in both kinds of round). */
  receipts: Receipt[]
  /** Receipts of all ten in a healthy round (for the record). */
  all: Receipt[]
  lost: number
  committed: number
  run: OpenLoopRun
  invalid: number
  answered500: number
  hung: number
  complete: boolean
  /** CPU per committed change from the round's start until its healthy endpoints had everything. */
  cost: ReturnType<typeof perRequest>
  /** The most deliveries pending at once during the drive (all ten endpoints). */
  maxBacklog: number
}

const COMMON = 8 // endpoints 0-7 are healthy in every round; 8 and 9 answer 500 / never in the faulty ones

export async function benchEndpoints(ctx: BenchContext): Promise<SectionResult> {
  const { endpointsRate: rate, eventsSeconds: seconds, endpointsRounds } = ctx.options
  const { stack, sub, db, changes } = await eventsStack(ctx, 'endpoints')
  const drive = (customers: BenchCustomer[], r: number, sec: number) =>
    changes.drive(stack.service.url, customers, r, sec)
  try {
    const customers = await customersFor(ctx, stack, Math.max(1, Math.ceil(rate)), 'endpoints')
    let registered: string[] = []
    const setUp = async (prefix: string, faulty: boolean) => {
      const healthy: string[] = []
      for (let i = 0; i < 10; i++) {
        const mode = faulty && i === 8 ? '500' : faulty && i === 9 ? 'hang' : 'ok'
        const name = `${prefix}-${i}-${mode}`
        registered.push(await sub.register(stack.api, name, mode))
        if (mode === 'ok') healthy.push(name)
      }
      return healthy
    }
    // Deleting an endpoint drops its pending deliveries: nothing of one round reaches the next.
    const tearDown = async () => {
      for (const id of registered) await stack.api.expect([204], 'DELETE', `/v1/webhook-endpoints/${id}`)
      registered = []
      await sub.take()
    }
    ctx.progress(`endpoints: warm-up, 10 healthy endpoints, ${rate} changes/s for ${WARMUP_SEC} s`)
    const warm = await setUp('warm', false)
    const warmMark = await eventMark(db)
    await drive(customers, rate, WARMUP_SEC)
    await collect(sub, await committedAfter(db, warmMark), warm, DRAIN_TIMEOUT_MS)
    await tearDown()

    // Alternating, healthy-faulty then faulty-healthy: the machine's drift falls on both sides alike.
    const order: Side[] = Array.from({ length: endpointsRounds }, (_, r): Side[] =>
      r % 2 === 0 ? ['healthy', 'faulty'] : ['faulty', 'healthy'],
    ).flat()
    const rounds: Round[] = []
    for (const [i, side] of order.entries()) {
      const healthy = await setUp(`${side}${i}`, side === 'faulty')
      const common = healthy.slice(0, COMMON)
      ctx.progress(
        `endpoints: round ${i + 1}/${order.length} ${side}, ${healthy.length} healthy of 10, ${rate} changes/s for ${seconds} s`,
      )
      const { run, maxBacklog, expected, got, cost } = await measuredDrive(
        { stack, sub, db },
        () => drive(customers, rate, seconds),
        healthy,
      )
      const all = got.receipts.filter((r) => healthy.includes(r.endpoint))
      rounds.push({
        side,
        receipts: all.filter((r) => common.includes(r.endpoint)),
        all,
        lost: healthy.reduce((a, h) => a + lostAt(expected, all, h), 0),
        committed: expected.length,
        run,
        invalid: got.invalid,
        answered500: got.answered500,
        hung: got.hung,
        complete: got.complete,
        cost,
        maxBacklog,
      })
      await tearDown()
    }
    const of = (side: Side) => rounds.filter((r) => r.side === side)
    const lat = (side: Side) => commitToReceipt(of(side).flatMap((r) => r.receipts))
    const h = lat('healthy')
    const f = lat('faulty')
    const allTen = commitToReceipt(of('healthy').flatMap((r) => r.all))
    const ratio = f.p99 / h.p99
    const lost = rounds.reduce((a, r) => a + r.lost, 0)
    const invalid = rounds.reduce((a, r) => a + r.invalid, 0)
    const pass = ratio <= 1.2 && lost === 0 && invalid === 0
    const sum = (side: Side, k: 'answered500' | 'hung' | 'committed') =>
      of(side).reduce((a, r) => a + r[k], 0)
    return {
      key: 'eventsEndpoints',
      title: `12. Events: 10 endpoints at ${rate} status changes/s, ${endpointsRounds}×${seconds} s per side (alternating): all healthy vs one answering 500 and one never answering`,
      rows: [
        [
          '10 healthy: endpoints 0-7',
          `p50 ${ms(h.p50)}  p99 ${ms(h.p99)}  max ${ms(h.max)} (all ten: p99 ${ms(allTen.p99)}); ${sum('healthy', 'committed')} changes`,
        ],
        [
          'one 500, one never answering: endpoints 0-7',
          `p50 ${ms(f.p50)}  p99 ${ms(f.p99)}  max ${ms(f.max)}; ${sum('faulty', 'committed')} changes; 500 answered ${sum('faulty', 'answered500')}, hung ${sum('faulty', 'hung')}`,
        ],
        ['p99 ratio (faulty / healthy)', ratio.toFixed(2)],
        [
          'service / PostgreSQL CPU per change, by round (most deliveries pending at once)',
          rounds
            .map(
              (r) =>
                `${r.side} ${r.cost.serverCpuMsPerReq ?? 'n/a'} / ${r.cost.postgresCpuMsPerReq ?? 'n/a'} ms`,
            )
            .join('; '),
        ],
        ['lost at healthy endpoints / bad signatures', `${lost} / ${invalid}`],
      ],
      targets: [
        {
          name: "10 endpoints, one 500 and one timing out: the healthy ones' p99 within 1.2 x of all healthy",
          target: '<= 1.20, 0 lost',
          measured: `${ratio.toFixed(2)} (${ms(f.p99)} / ${ms(h.p99)}), ${lost} lost`,
          pass,
        },
      ],
      data: {
        rate,
        seconds,
        roundsPerSide: endpointsRounds,
        customers: customers.length,
        alignLatencyMs: ctx.options.latencyMs,
        driver: changes.describe,
        order: `warm-up (10 healthy), then ${order.join(', ')}; every round on new endpoints, deleted after it`,
        measuredOver: 'endpoints 0-7 of each round (healthy in both kinds), first receipt of each event',
        healthy: roundLatency(h),
        healthyAllTen: roundLatency(allTen),
        faulty: roundLatency(f),
        p99Ratio: round(ratio),
        lost,
        badSignatures: invalid,
        rounds: rounds.map((r) => ({
          side: r.side,
          commonEndpoints: roundLatency(commitToReceipt(r.receipts)),
          lost: r.lost,
          answered500: r.answered500,
          hung: r.hung,
          complete: r.complete,
          cpuPerChange: r.cost,
          maxPendingDeliveries: r.maxBacklog,
          drive: driveData(r.run, r.committed),
        })),
      },
    }
  } finally {
    await changes.close()
    await db.end()
    sub.stop()
    await stack.stop()
  }
}
