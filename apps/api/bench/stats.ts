/**
 * Target 11 (issue 18): `GET /v1/stats/kyc` at BENCH_STATS_CUSTOMERS (1M) customers with 3 × as many
 * history rows and links for 70 % of them. One stack (its service migrates the database on start, with
 * OPERATOR_KEYS set); the tables are then seeded with one INSERT ... SELECT generate_series statement
 * each (ascending ids, as in scale.ts, so every index fills at its right edge), triggers off
 * (session_replication_role = replica, as scale.ts), so the KYC summary columns the triggers keep are
 * filled afterwards by the migration's own backfill statements, and ANALYZEd. Customers are created
 * evenly over the 365 days before now, so the route's default range (the last 30 days) holds about
 * 1/12 of them (~82k at 1M). BENCH_STATS_SAMPLES (30) timed requests after 5 untimed ones, one at a
 * time, over HTTP with an operator token. Target: p50 <= 300 ms.
 */
import { connectClient } from './lib/processes.js'
import { startStack } from './lib/stack.js'
import { latency, ms, round } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const TARGET_MS = 300
const UNMEASURED = 5
const OPERATOR = 'bench-operator-token'

/**
 * $1 = the number of customers, created evenly over the $2 days before now. Statuses by i % 10: 0-1
 * not_started, 2-3 pending, 4-8 approved, 9 rejected.
 */
const SEED = [
  `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, first_name, last_name,
       kyc_status, kyc_updated_at, created_at, updated_at)
   SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'align-' || lpad(i::text, 9, '0'),
          'c' || lpad(i::text, 9, '0') || '@example.com', 'c' || lpad(i::text, 9, '0') || '@example.com',
          'individual', 'Bench', 'C' || i,
          (CASE WHEN i % 10 < 2 THEN 'not_started' WHEN i % 10 < 4 THEN 'pending'
                WHEN i % 10 < 9 THEN 'approved' ELSE 'rejected' END)::"KycStatus",
          c.at + interval '2 hours', c.at, now()
     FROM generate_series(1, $1::int) i,
          LATERAL (SELECT now() - $2::int * interval '1 day' + (i::float8 / $1::int) * $2::int * interval '1 day') c(at)`,
  `INSERT INTO kyc_status_history (id, customer_id, status, previous_status, source, occurred_at)
   SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(j), 12, '0'))::uuid, c.id,
          (CASE (j - 1) % 3 WHEN 0 THEN 'pending'
                            WHEN 1 THEN (CASE WHEN c.kyc_status = 'rejected' THEN 'rejected' ELSE 'approved' END)
                            ELSE c.kyc_status::text END)::"KycStatus",
          'not_started', 'webhook',
          c.created_at + (60 + ((j - 1) % 3) * 600 + (j % 7200)) * interval '1 second'
     FROM generate_series(1, 3 * $1::int) j
     JOIN customers c ON c.id = ('00000000-0000-4000-8000-' || lpad(to_hex((j - 1) / 3 + 1), 12, '0'))::uuid`,
  `INSERT INTO kyc_sessions (id, customer_id, url, reason, issued_status, created_at, expires_at)
   SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid,
          ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
          'https://align.example/flow/' || i, 'none_yet', 'not_started', now(), now() + interval '1 day'
     FROM generate_series(1, $1::int) i WHERE i % 10 < 7`,
  // The backfill of migration operators_kyc_summary (its triggers were off for the seed).
  `UPDATE customers c
      SET kyc_ever_pending = h.ever_pending, kyc_ever_rejected = h.ever_rejected, kyc_first_approved_at = h.first_approved_at
     FROM (SELECT customer_id, bool_or(status = 'pending') AS ever_pending, bool_or(status = 'rejected') AS ever_rejected,
                  min(occurred_at) FILTER (WHERE status = 'approved') AS first_approved_at
             FROM kyc_status_history GROUP BY customer_id) h
    WHERE h.customer_id = c.id`,
  `UPDATE customers c SET kyc_link_issued_at = s.first_at
     FROM (SELECT customer_id, min(created_at) AS first_at FROM kyc_sessions GROUP BY customer_id) s
    WHERE s.customer_id = c.id`,
]

/**
 * Seeds `customers` customers created evenly over the `days` days before now, 3 history rows each
 * and links for 70 % (see SEED), then the KYC summary and ANALYZE; returns the seconds it took. Also
 * the console section's seed.
 */
export async function seedStatsCustomers(
  databaseUrl: string,
  customers: number,
  days: number,
): Promise<number> {
  const seed = await connectClient(databaseUrl)
  const t0 = performance.now()
  try {
    await seed.query(`SET session_replication_role = replica`)
    for (const [i, statement] of SEED.entries())
      await seed.query(statement, i === 0 ? [customers, days] : i < 3 ? [customers] : [])
    await seed.query(`RESET session_replication_role`)
    await seed.query(`VACUUM ANALYZE customers`)
  } finally {
    await seed.end()
  }
  return (performance.now() - t0) / 1000
}

export async function benchStats(ctx: BenchContext): Promise<SectionResult> {
  const customers = ctx.options.statsCustomers
  const stack = await startStack(ctx, 'stats', { settings: { OPERATOR_KEYS: OPERATOR } })
  try {
    const seedSec = await seedStatsCustomers(stack.databaseUrl, customers, 365)
    ctx.progress(
      `stats: seeded ${customers} customers, ${3 * customers} history rows in ${seedSec.toFixed(1)} s`,
    )

    const get = async () => {
      const started = performance.now()
      const res = await fetch(`${stack.service.url}/v1/stats/kyc`, {
        headers: { authorization: `Bearer ${OPERATOR}` },
      })
      const body = (await res.json()) as { funnel?: { created: number } }
      if (res.status !== 200) throw new Error(`stats: GET /v1/stats/kyc answered ${res.status}`)
      return { ms: performance.now() - started, created: body.funnel?.created ?? 0 }
    }
    for (let i = 0; i < UNMEASURED; i++) await get()
    const samples: number[] = []
    let inRange = 0
    for (let i = 0; i < ctx.options.statsSamples; i++) {
      const r = await get()
      samples.push(r.ms)
      inRange = r.created
    }
    const l = latency(samples)
    return {
      key: 'stats',
      title: `15. GET /v1/stats/kyc at ${customers} customers (${inRange} in the default 30 days)`,
      rows: [
        ['seed (s)', seedSec.toFixed(1)],
        ['customers in the range', String(inRange)],
        ['p50 / p90 / max', `${ms(l.p50)} / ${ms(l.p90)} / ${ms(l.max)}`],
      ],
      targets: [
        {
          name: `stats p50 at ${customers} customers`,
          target: `<= ${TARGET_MS} ms`,
          measured: ms(l.p50),
          pass: l.p50 <= TARGET_MS,
        },
      ],
      data: {
        customers,
        historyRows: 3 * customers,
        customersInRange: inRange,
        seedSec: round(seedSec, 1),
        latencyMs: { p50: round(l.p50), p90: round(l.p90), max: round(l.max), samples: l.samples },
      },
    }
  } finally {
    await stack.stop()
  }
}
