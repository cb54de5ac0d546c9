/**
 * Target 9: the hot statements at scale. Two databases, migrated by the service's own CLI and seeded
 * with one INSERT ... SELECT generate_series statement per table, then ANALYZEd: BENCH_SCALE_BASE
 * (1000) and BENCH_SCALE_CUSTOMERS (1M) customers, one live session each, three history rows each.
 * Each operation runs through the service's own repository code (src/, on a pg pool and Prisma
 * client like the service's), sequentially, for random non-approved customers: BENCH_SCALE_SAMPLES
 * timed calls per size, in two rounds each, ordered base, big, big, base, after an untimed pass
 * over both; 50 untimed calls of each operation open each round (at most 2 s of them), and an
 * operation whose timed calls take over 10 s in a round stops there (with at least 10 timed):
 *   - warm link: KycRepository.findLinkState (the link request's warm read)
 *   - GET kyc: KycRepository.view (customer + live session + history)
 *   - list by status, first page: CustomersRepository.page({ status: 'pending', limit: 20 })
 *   - list by status, deep page: the same after a cursor in the oldest tenth of the pending customers
 *   - reconciler claim: KycRepository.claimStaleCustomers(now - 15 min, 50). It writes, so its
 *     statement (captured from one call through the repository) is replayed inside BEGIN ... ROLLBACK,
 *     timing the statement alone; the same stale customers are claimed each time.
 * Every statement an operation sent (captured on the pool's connections) is EXPLAINed (FORMAT JSON)
 * with its own parameters at 1M: no Seq Scan may touch customers, kyc_sessions or
 * kyc_status_history. Target: each operation's p50 at 1M <= 1.25 x its p50 at the base size.
 */
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { CustomersRepository } from '../src/customers/customers.repository.js'
import { PrismaService } from '../src/database/prisma.service.js'
import { pgDatabase } from '../src/database/sql.js'
import { KycRepository } from '../src/kyc/kyc.repository.js'
import { connectClient, createBenchDatabase, dropBenchDatabase, migrate } from './lib/processes.js'
import { latency, ms, round } from './lib/stats.js'
import type { BenchContext, SectionResult } from './lib/types.js'

const RATIO_TARGET = 1.25
const BIG_TABLES = ['customers', 'kyc_sessions', 'kyc_status_history']
const UNMEASURED = 50
/** Per operation, size and round: the longest its calls may take before it stops with fewer samples. */
const SLOW_OP_BUDGET_MS = 10_000
/** The same for the untimed calls that open a round. */
const WARMUP_BUDGET_MS = 2_000
const MIN_SAMPLES = 10

/**
 * One statement per table; $1 = the number of customers. Ids and emails ascend with i (customer i's
 * id is idOf('8', i)), so every index is filled at its right edge: seeding 1M customers takes seconds
 * instead of minutes, and a lookup by id costs the same as with random ids.
 */
const SEED = [
  `INSERT INTO customers (id, align_customer_id, email, email_normalized, type, first_name, last_name,
       kyc_status, kyc_sub_status, kyc_observed_at, kyc_updated_at, rails, last_synced_at, created_at, updated_at)
   SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'align-' || lpad(i::text, 9, '0'),
          'c' || lpad(i::text, 9, '0') || '@example.com', 'c' || lpad(i::text, 9, '0') || '@example.com',
          'individual', 'Bench', 'C' || i,
          (CASE i % 10 WHEN 0 THEN 'not_started' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending'
                       WHEN 3 THEN 'rejected' ELSE 'approved' END)::"KycStatus",
          (CASE i % 10 WHEN 0 THEN NULL WHEN 1 THEN 'kyc_form_submission_started'
                       WHEN 2 THEN 'kyc_form_submission_started' WHEN 3 THEN 'kyc_form_resubmission_required'
                       ELSE 'kyc_form_submission_accepted' END)::"KycSubStatus",
          timestamptz '2026-01-01' + i * interval '1 second' + interval '1 hour',
          timestamptz '2026-01-01' + i * interval '1 second' + interval '1 hour',
          '[]'::jsonb,
          now() - ((i::bigint * 7919) % 172800) * interval '1 second',
          timestamptz '2026-01-01' + i * interval '1 second', now()
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO kyc_sessions (id, customer_id, live_customer_id, url, reason, issued_status, issued_sub_status,
       created_at, expires_at)
   SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid,
          ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
          ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'https://align.example/flow/' || md5(i::text),
          'none_yet', 'not_started', NULL, now() - interval '1 minute', now() + interval '30 days'
     FROM generate_series(1, $1::int) i`,
  `INSERT INTO kyc_status_history (id, customer_id, status, sub_status, previous_status, previous_sub_status,
       source, occurred_at, recorded_at)
   SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(j), 12, '0'))::uuid,
          ('00000000-0000-4000-8000-' || lpad(to_hex((j - 1) / 3 + 1), 12, '0'))::uuid,
          (CASE (j - 1) % 3 WHEN 1 THEN 'rejected' ELSE 'pending' END)::"KycStatus",
          (CASE (j - 1) % 3 WHEN 1 THEN 'kyc_form_resubmission_required' ELSE 'kyc_form_submission_started' END)::"KycSubStatus",
          (CASE (j - 1) % 3 WHEN 0 THEN 'not_started' WHEN 1 THEN 'pending' ELSE 'rejected' END)::"KycStatus",
          (CASE (j - 1) % 3 WHEN 0 THEN NULL WHEN 1 THEN 'kyc_form_submission_started' ELSE 'kyc_form_resubmission_required' END)::"KycSubStatus",
          'webhook', timestamptz '2026-01-01' + ((j - 1) / 3 + 1) * interval '1 second' + ((j - 1) % 3) * interval '1 minute',
          timestamptz '2026-01-01' + ((j - 1) / 3 + 1) * interval '1 second' + ((j - 1) % 3) * interval '1 minute'
     FROM generate_series(1, 3 * $1::int) j`,
]

/** Customer i's id, as the seed makes it. */
const customerId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
/** A random customer number in [from, to] whose i % 10 is one of `residues` (1, 2: pending; 0-3: not approved). */
const pick = (from: number, to: number, residues: number[]): number => {
  for (;;) {
    const i = from + Math.floor(Math.random() * (to - from + 1))
    if (residues.includes(i % 10)) return i
  }
}

type Captured = { text: string; values: unknown[] }
type Plan = { statement: string; nodes: string[]; seqScansOnBigTables: string[] }
/** One operation on one database: `run` resolves to its own timing (ms) when it times itself. */
type Op = { name: string; run: () => Promise<unknown>; timesItself?: boolean }

const OPERATIONS = [
  'warm link (findLinkState)',
  'GET kyc (view)',
  'list by status, first page',
  'list by status, deep cursor page',
  'reconciler claim (replayed, rolled back)',
] as const

/** A migrated, seeded, analyzed database with the service's repositories on it. */
async function prepare(ctx: BenchContext, customers: number) {
  const db = await createBenchDatabase()
  await migrate(db.url)
  const seed = await connectClient(db.url)
  const t0 = performance.now()
  try {
    // Foreign keys hold by construction; skipping their triggers makes the seed several times faster.
    await seed.query(`SET session_replication_role = replica`)
    for (const statement of SEED) await seed.query(statement, [customers])
    await seed.query(`RESET session_replication_role`)
    await seed.query(`ANALYZE`)
  } finally {
    await seed.end()
  }
  const seedSec = (performance.now() - t0) / 1000
  ctx.progress(`scale: ${customers} customers seeded and analyzed in ${seedSec.toFixed(1)} s`)

  // The service's pool, Prisma client and repositories; every statement sent is recorded while
  // `capture` is set.
  const pool = new pg.Pool({ connectionString: db.url, max: 4 })
  pool.on('error', () => undefined)
  let capture: Captured[] | null = null
  pool.on('connect', (client) => {
    const c = client as unknown as { query: (...args: unknown[]) => unknown }
    const query = c.query.bind(client)
    c.query = (...args: unknown[]) => {
      if (capture) {
        const [a, b] = args as [string | { text: string; values?: unknown[] }, unknown]
        const text = typeof a === 'string' ? a : a.text
        const values = (typeof a === 'string' ? b : (a.values ?? b)) as unknown[] | undefined
        if (/^\s*(WITH|SELECT|UPDATE|INSERT|DELETE)\b/i.test(text))
          capture.push({ text, values: values ?? [] })
      }
      return query(...args)
    }
  })
  const prisma = new PrismaService(new PrismaPg(pool), null, pgDatabase(pool))
  const kyc = new KycRepository(prisma)
  const list = new CustomersRepository(prisma)
  const replay = await connectClient(db.url)

  const someone = () => customerId(pick(1, customers, [0, 1, 2, 3]))
  const deep = () => {
    const i = pick(1, Math.max(10, Math.floor(customers / 10)), [1, 2])
    return { createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 1000), id: customerId(i) }
  }
  const claim: Captured[] = []
  capture = claim
  await kyc.claimStaleCustomers(new Date(Date.now() - 15 * 60_000), 50)
  capture = null
  if (claim.length !== 1)
    throw new Error(`scale: the reconciler claim sent ${claim.length} statements, expected 1`)
  const ops: Op[] = [
    { name: OPERATIONS[0], run: () => kyc.findLinkState(someone()) },
    { name: OPERATIONS[1], run: () => kyc.view(someone()) },
    { name: OPERATIONS[2], run: () => list.page({ status: 'pending', limit: 20 }) },
    { name: OPERATIONS[3], run: () => list.page({ status: 'pending', limit: 20, after: deep() }) },
    {
      name: OPERATIONS[4],
      timesItself: true,
      run: async () => {
        await replay.query('BEGIN')
        const t = performance.now()
        await replay.query(claim[0]!.text, claim[0]!.values)
        const dt = performance.now() - t
        await replay.query('ROLLBACK')
        return dt
      },
    },
  ]
  const statements = new Map<string, Captured[]>([[OPERATIONS[4], claim]])
  for (const op of ops.slice(0, 4)) {
    const sent: Captured[] = []
    capture = sent
    await op.run()
    capture = null
    statements.set(op.name, sent)
  }
  const times = new Map<string, number[]>(ops.map((op) => [op.name, []]))

  return {
    customers,
    seedSec,
    times,
    /**
     * `samples` timed calls of each operation, after `unmeasured` untimed ones; an operation slow
     * enough to exceed SLOW_OP_BUDGET_MS stops early (its p50 is far off the target either way).
     */
    async measure(samples: number, unmeasured: number) {
      for (const op of ops) {
        let started = performance.now()
        const over = (n: number, min: number, budget: number) =>
          n >= min && performance.now() - started > budget
        for (let i = 0; i < unmeasured && !over(i, 1, WARMUP_BUDGET_MS); i++) await op.run()
        started = performance.now()
        for (let i = 0; i < samples && !over(i, MIN_SAMPLES, SLOW_OP_BUDGET_MS); i++) {
          const t = performance.now()
          const r = await op.run()
          times.get(op.name)!.push(op.timesItself ? (r as number) : performance.now() - t)
        }
      }
    },
    /** EXPLAIN (FORMAT JSON) of every statement each operation sent, with its own parameters. */
    async plans(): Promise<Map<string, Plan[]>> {
      const plans = new Map<string, Plan[]>()
      for (const [name, sent] of statements) {
        const out: Plan[] = []
        for (const st of sent) {
          const { rows } = await replay.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (FORMAT JSON) ${st.text}`,
            st.values,
          )
          const nodes: { type: string; relation?: string; index?: string }[] = []
          const walk = (n: Record<string, unknown>) => {
            nodes.push({
              type: String(n['Node Type']),
              ...(n['Relation Name'] ? { relation: String(n['Relation Name']) } : {}),
              ...(n['Index Name'] ? { index: String(n['Index Name']) } : {}),
            })
            for (const child of (n['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child)
          }
          walk((rows[0]!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan)
          out.push({
            statement: st.text.replace(/\s+/g, ' ').trim(),
            nodes: nodes.map(
              (n) => `${n.type}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`,
            ),
            seqScansOnBigTables: nodes
              .filter((n) => n.type === 'Seq Scan' && n.relation && BIG_TABLES.includes(n.relation))
              .map((n) => n.relation!),
          })
        }
        plans.set(name, out)
      }
      return plans
    },
    async close() {
      await replay.end().catch(() => undefined)
      await prisma.$disconnect().catch(() => undefined)
      await pool.end().catch(() => undefined)
      await dropBenchDatabase(db.name)
    },
  }
}

export async function benchScale(ctx: BenchContext): Promise<SectionResult> {
  const { scaleBaseCustomers, scaleCustomers, scaleSamples } = ctx.options
  const small = await prepare(ctx, scaleBaseCustomers)
  const big = await prepare(ctx, scaleCustomers).catch(async (e: unknown) => {
    await small.close()
    throw e
  })
  let bigPlans: Map<string, Plan[]>
  let smallPlans: Map<string, Plan[]>
  try {
    // An untimed pass over both first (the process's code and both databases' caches warm), then
    // two rounds per size in the order base, big, big, base: neither size gets the better minute.
    await small.measure(0, UNMEASURED)
    await big.measure(0, UNMEASURED)
    const half = Math.ceil(scaleSamples / 2)
    for (const [r, db] of [small, big, big, small].entries()) {
      ctx.progress(`scale: round ${r + 1}/4, ${half} calls of each operation at ${db.customers}`)
      await db.measure(half, UNMEASURED)
    }
    bigPlans = await big.plans()
    smallPlans = await small.plans()
  } finally {
    await small.close()
    await big.close()
  }
  const rows: [string, string][] = [
    [
      'seeded (customers, sessions, history rows)',
      `${scaleBaseCustomers}/${scaleBaseCustomers}/${3 * scaleBaseCustomers} in ${small.seedSec.toFixed(1)} s; ${scaleCustomers}/${scaleCustomers}/${3 * scaleCustomers} in ${big.seedSec.toFixed(1)} s`,
    ],
  ]
  const targets = []
  const data: Record<string, unknown> = {}
  for (const name of OPERATIONS) {
    const op = { name, ...latency(big.times.get(name)!) }
    const base = latency(small.times.get(name)!)
    const ratio = op.p50 / base.p50
    const plans = bigPlans.get(name) ?? []
    const seq = plans.flatMap((p) => p.seqScansOnBigTables)
    rows.push([
      op.name,
      `p50 ${ms(base.p50, 3)} at ${scaleBaseCustomers} (${base.samples} calls), ${ms(op.p50, 3)} at ${scaleCustomers} (${op.samples}): ${ratio.toFixed(2)} x`,
    ])
    for (const p of plans) rows.push([`  plan at ${scaleCustomers}`, p.nodes.join(' > ')])
    targets.push({
      name: `${op.name} at ${scaleCustomers}: p50 vs ${scaleBaseCustomers}, index scans only`,
      target: `<= ${RATIO_TARGET.toFixed(2)} x, no Seq Scan`,
      measured: `${ratio.toFixed(2)} x${seq.length ? `, Seq Scan on ${[...new Set(seq)].join(', ')}` : ''}`,
      pass: ratio <= RATIO_TARGET && seq.length === 0 && plans.length > 0,
    })
    data[name] = {
      p50MsBase: round(base.p50, 4),
      p50MsBig: round(op.p50, 4),
      ratio: round(ratio),
      samplesBase: base.samples,
      samplesBig: op.samples,
      plansAtBig: plans,
      plansAtBase: smallPlans.get(name) ?? [],
    }
  }
  return {
    key: 'scale',
    title: `9. Scale: ${scaleCustomers} customers, ${scaleCustomers} sessions, ${3 * scaleCustomers} history rows vs ${scaleBaseCustomers}`,
    rows,
    targets,
    data: {
      baseCustomers: scaleBaseCustomers,
      customers: scaleCustomers,
      samplesPerOperation: ctx.options.scaleSamples,
      seedSec: { base: round(small.seedSec, 1), big: round(big.seedSec, 1) },
      method:
        'repository methods from src/ in the bench process on their own pg pool (max 4) and Prisma client, sequential; the claim replayed in BEGIN/ROLLBACK; EXPLAIN (FORMAT JSON) with the captured parameters',
      operations: data,
    },
  }
}
